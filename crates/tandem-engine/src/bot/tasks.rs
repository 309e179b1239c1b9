//! Tasks for people: follow-ups the bot promised (done or cancelled by whoever makes
//! them) and approvals of actions the bot prepared. An approval is settled first — so
//! of two approvers exactly one runs the action — then the action runs and the bot tells
//! the customer the result; a rejection tells the customer and hands over to a person.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::json;
use tandem_bot::{ApprovalRequest, Contact, Outcome, TurnInput, complete_approval};
use tandem_domain::agent::Role;
use tandem_domain::identity::IdentityKind;
use tandem_domain::{
    Author, DomainEvent, MessageId, MessageKind, StoredEvent, Task, TaskId, TaskKind, TaskStatus, ValidationError,
};
use tandem_store::{TaskFilter, TaskSettlement};

use super::env::EngineEnv;
use super::turn::{BotTurnReport, TurnMeta, parse_state};
use super::who;
use crate::{Actor, Engine, EngineError, EngineResult};

/// How a person settles a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskVerdict {
    /// A follow-up was made.
    Done,
    Cancelled,
    Approve,
    Reject,
}

fn check_note(note: Option<&str>) -> EngineResult<Option<String>> {
    match note.map(str::trim) {
        Some(n) if n.chars().count() > 2000 => Err(ValidationError::new("note", "use at most 2000 characters").into()),
        Some("") | None => Ok(None),
        Some(n) => Ok(Some(n.to_owned())),
    }
}

impl Engine {
    /// Tasks, newest first (agents).
    pub async fn tasks(&self, actor: Actor, filter: TaskFilter) -> EngineResult<Vec<Task>> {
        actor.require(Role::Agent)?;
        Ok(self.store.tasks(actor.workspace_id(), &filter).await?)
    }

    pub async fn task(&self, actor: Actor, id: TaskId) -> EngineResult<Task> {
        actor.require(Role::Agent)?;
        Ok(self.store.task(actor.workspace_id(), id).await?)
    }

    /// Settles a task. Approving or rejecting needs a supervisor; a rejection needs a
    /// reason the customer's agent can read. Returns the task and, for approvals, the
    /// bot's turn that told the customer.
    pub async fn settle_task(
        &self,
        actor: Actor,
        id: TaskId,
        verdict: TaskVerdict,
        note: Option<&str>,
    ) -> EngineResult<(Task, Option<BotTurnReport>)> {
        actor.require(Role::Agent)?;
        let ws = actor.workspace_id();
        let note = check_note(note)?;
        let task = self.store.task(ws, id).await?;
        let status = match (task.kind, verdict) {
            (TaskKind::FollowUp, TaskVerdict::Done) => TaskStatus::Done,
            (_, TaskVerdict::Cancelled) => TaskStatus::Cancelled,
            (TaskKind::Approval, TaskVerdict::Approve) => TaskStatus::Approved,
            (TaskKind::Approval, TaskVerdict::Reject) => TaskStatus::Rejected,
            (kind, _) => {
                return Err(EngineError::Invalid(format!(
                    "a {} task is {}",
                    kind.as_str(),
                    if kind == TaskKind::FollowUp { "done or cancelled" } else { "approved, rejected or cancelled" }
                )));
            }
        };
        if task.kind == TaskKind::Approval && status != TaskStatus::Cancelled {
            actor.require(Role::Supervisor)?;
        }
        if status == TaskStatus::Rejected && note.is_none() {
            return Err(ValidationError::new("note", "say why the action is rejected").into());
        }
        let now = self.now();
        let event = DomainEvent::TaskSettled { task_id: id, status, conversation_id: task.conversation_id };
        let events = vec![match task.conversation_id {
            Some(_) => StoredEvent {
                conversation_id: task.conversation_id,
                customer_id: task.customer_id,
                ..StoredEvent::for_workspace(ws, event, now)
            },
            None => StoredEvent::for_workspace(ws, event, now),
        }];
        let settlement = TaskSettlement {
            workspace_id: ws,
            task_id: id,
            status,
            at: now,
            by: who(actor),
            note: note.clone(),
            details: None,
            events,
        };
        if task.kind == TaskKind::Approval {
            if self.bot.is_none() {
                return Err(EngineError::Unavailable("the virtual agent does not run on this node".into()));
            }
            // Run in its own task: a client that hangs up cannot stop it between the
            // business-system call and the commit that records it.
            let engine = self.clone();
            let task = task.clone();
            return tokio::spawn(async move { engine.finish_approval(task, settlement).await })
                .await
                .map_err(|e| EngineError::Internal(format!("the approval failed: {e}")))?;
        }
        let (task, stored) = self.store.settle_task(settlement).await?;
        self.publish(&stored).await;
        tracing::info!(task.id = %id, status = status.as_str(), "task settled");
        Ok((task, None))
    }

    /// Settles an approval together with its outcome, in one bot turn: approved, the
    /// action runs (its call keyed by the task, so a retry is recognised) and the bot tells
    /// the customer; rejected, the bot says so and hands over; cancelled, the bot just
    /// stops waiting. A task someone settled first gets `Conflict`, and nothing runs.
    async fn finish_approval(
        &self,
        task: Task,
        settlement: TaskSettlement,
    ) -> EngineResult<(Task, Option<BotTurnReport>)> {
        let ws = task.workspace_id;
        let conversation_id =
            task.conversation_id.ok_or_else(|| EngineError::Invalid("the approval names no conversation".into()))?;
        let runtime = self
            .bot
            .clone()
            .ok_or_else(|| EngineError::Unavailable("the virtual agent does not run on this node".into()))?;
        let lock = runtime.lock_for(conversation_id);
        let _turns = lock.lock().await;
        let current = self.store.task(ws, task.id).await?;
        if current.status != TaskStatus::Open {
            return Err(EngineError::Conflict(format!("the task is already {}", current.status.as_str())));
        }
        let request: ApprovalRequest = serde_json::from_value(task.details.clone())
            .map_err(|e| EngineError::Internal(format!("the approval's details are unreadable: {e}")))?;
        let conversation = self.store.conversation(ws, conversation_id).await?;
        let (mut state, version) = parse_state(self.store.bot_state(ws, conversation_id).await?, conversation_id);
        state.approvals.retain(|a| a != &task.id.to_string());
        let status = settlement.status;
        let outcome = if status == TaskStatus::Cancelled {
            Outcome {
                state,
                replies: Vec::new(),
                resolve: false,
                handoff: None,
                approval: None,
                decision: tandem_bot::Decision {
                    kind: "wait",
                    rule: "approval.cancelled".into(),
                    reason: format!("a person cancelled the approval of {}", request.action),
                    escalation: None,
                    inputs: json!({ "approval": request.action }),
                    outcome: json!({}),
                    progress: true,
                },
            }
        } else {
            let bot = self.compiled_bot(&runtime, ws).await?;
            let customer = self.store.customer(ws, conversation.customer_id).await?;
            let emails: Vec<String> =
                customer.identities.iter().filter(|i| i.kind == IdentityKind::Email).map(|i| i.value.clone()).collect();
            let contact = Contact {
                email: !emails.is_empty(),
                phone: customer.identities.iter().any(|i| i.kind == IdentityKind::Phone),
            };
            let messages = self.store.messages(ws, conversation_id).await?;
            let last_inbound = messages
                .iter()
                .rev()
                .find(|m| m.kind == MessageKind::Inbound && matches!(m.author, Author::Customer(_)))
                .map_or_else(MessageId::new, |m| m.id);
            let input = TurnInput {
                message_id: last_inbound,
                text: String::new(),
                understanding: None,
                trajectory: conversation.sentiment.clone(),
                language: conversation.language.clone(),
                tier: customer.tier,
                customer_emails: emails,
                contact,
                now: self.now(),
            };
            let secrets: HashMap<String, String> = self.store.bot_secrets(ws).await?.into_iter().collect();
            let env = EngineEnv {
                engine: self.clone(),
                workspace_id: ws,
                channel: conversation.channel,
                language: state.language.clone(),
                secrets,
                caller: Arc::clone(&runtime.caller),
                external_us: AtomicU64::new(0),
                idempotency: format!("task:{}", task.id),
                question: None,
                vector: std::sync::Mutex::new(None),
            };
            let started = std::time::Instant::now();
            let outcome = complete_approval(&bot, &state, &input, &request, status == TaskStatus::Approved, &env).await;
            let external_us = env.external_us.load(Ordering::Relaxed);
            let latency_us = (started.elapsed().as_micros() as u64).saturating_sub(external_us);
            let meta = TurnMeta {
                message_id: None,
                state_version: version,
                latency_us,
                external_us,
                settle: Some(settlement.clone()),
            };
            let report = self.commit_bot_outcome(ws, conversation_id, outcome, meta).await?;
            tracing::info!(task.id = %task.id, status = status.as_str(), "approval settled");
            return Ok((self.store.task(ws, task.id).await?, Some(report)));
        };
        let meta = TurnMeta {
            message_id: None,
            state_version: version,
            latency_us: 0,
            external_us: 0,
            settle: Some(settlement),
        };
        self.commit_bot_outcome(ws, conversation_id, outcome, meta).await?;
        tracing::info!(task.id = %task.id, status = status.as_str(), "approval settled");
        Ok((self.store.task(ws, task.id).await?, None))
    }
}
