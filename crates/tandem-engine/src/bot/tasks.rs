//! Tasks for people: follow-ups the bot promised (done or cancelled by whoever makes
//! them) and approvals of actions the bot prepared. An approval is settled first — so
//! of two approvers exactly one runs the action — then the action runs and the bot tells
//! the customer the result; a rejection tells the customer and hands over to a person.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tandem_bot::{ApprovalRequest, Contact, TurnInput, complete_approval};
use tandem_domain::agent::Role;
use tandem_domain::{
    Author, DomainEvent, MessageId, MessageKind, StoredEvent, Task, TaskId, TaskKind, TaskStatus, ValidationError,
};
use tandem_store::{TaskFilter, TaskSettlement};

use super::env::EngineEnv;
use super::turn::{BotTurnReport, TurnMeta};
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
        let (task, stored) = self.store.settle_task(settlement).await?;
        self.publish(&stored).await;
        tracing::info!(task.id = %id, status = status.as_str(), "task settled");
        let report = match status {
            TaskStatus::Approved | TaskStatus::Rejected => {
                Some(self.finish_approval(&task, status == TaskStatus::Approved).await?)
            }
            _ => None,
        };
        Ok((task, report))
    }

    /// Runs (or declines) the approved action and tells the customer.
    async fn finish_approval(&self, task: &Task, approved: bool) -> EngineResult<BotTurnReport> {
        let ws = task.workspace_id;
        let conversation_id =
            task.conversation_id.ok_or_else(|| EngineError::Invalid("the approval names no conversation".into()))?;
        let runtime = self
            .bot
            .clone()
            .ok_or_else(|| EngineError::Unavailable("the virtual agent does not run in this process".into()))?;
        let request: ApprovalRequest = serde_json::from_value(task.details.clone())
            .map_err(|e| EngineError::Internal(format!("the approval's details are unreadable: {e}")))?;
        let lock = runtime.lock_for(conversation_id);
        let _turns = lock.lock().await;
        let conversation = self.store.conversation(ws, conversation_id).await?;
        let record = self.store.bot_state(ws, conversation_id).await?;
        let version = record.as_ref().map_or(0, |r| r.version);
        let mut state: tandem_bot::BotState =
            record.and_then(|r| serde_json::from_value(r.state).ok()).unwrap_or_default();
        state.approvals.retain(|a| a != &task.id.to_string());
        let bot = self.compiled_bot(&runtime, ws).await?;
        let customer = self.store.customer(ws, conversation.customer_id).await?;
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
            customer_emails: Vec::new(),
            contact: Contact::default(),
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
        };
        let started = std::time::Instant::now();
        let outcome = complete_approval(&bot, &state, &input, &request, approved, &env).await;
        let external_us = env.external_us.load(Ordering::Relaxed);
        let latency_us = (started.elapsed().as_micros() as u64).saturating_sub(external_us);
        let meta = TurnMeta { message_id: None, state_version: version, latency_us, external_us };
        self.commit_bot_outcome(ws, conversation_id, outcome, meta).await
    }
}
