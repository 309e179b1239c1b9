//! Committing a turn: replies, the handover (summary note, tags, priority, queue) or the
//! resolution, tasks, the bot's state and the decision — one store transaction, checked
//! against the conversation's and the state's versions. A conflict with a concurrent
//! change re-plans the write on the fresh conversation without re-running the turn (a
//! business-system call is never repeated); if a person took the conversation meanwhile
//! the bot says nothing and leaves a note of what it had done.

use serde_json::json;
use tandem_bot::Outcome;
use tandem_domain::{
    Author, Body, Command, Conversation, ConversationId, DecisionId, DomainEvent, Message, MessageId, MessageKind,
    Owner, Priority, Queue, StoredEvent, Tag, Task, TaskId, TaskKind, TaskStatus, Timestamp, TransitionError,
    WorkspaceId,
};
use tandem_store::{BotDecisionRecord, BotStateRecord, BotTurnCommit, ConversationChange, StoreError};

use super::turn::{BotTurnReport, TurnMeta, parse_state};
use crate::{Engine, EngineError, EngineResult};

pub(crate) const RETRIES: usize = 4;

/// Text the bot may send: control characters (from a business system's answer, say)
/// removed; `None` when nothing is left.
fn sendable(text: &str) -> Option<String> {
    let clean: String =
        text.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).take(Body::MAX_CHARS).collect();
    let clean = clean.trim();
    (!clean.is_empty()).then(|| clean.to_owned())
}

fn bot_message(
    c: &Conversation,
    kind: MessageKind,
    text: &str,
    language: Option<String>,
    now: Timestamp,
) -> Option<Message> {
    let body = Body::parse(&sendable(text)?).ok()?;
    Some(Message {
        id: MessageId::new(),
        workspace_id: c.workspace_id,
        conversation_id: c.id,
        kind,
        author: if kind == MessageKind::System { Author::System } else { Author::Bot },
        body,
        language,
        channel: c.channel,
        attachments: Vec::new(),
        external_id: None,
        understanding: None,
        created_at: now,
    })
}

/// Applies a command; one that changes nothing is fine.
fn step(c: &mut Conversation, command: &Command, now: Timestamp, events: &mut Vec<DomainEvent>) -> EngineResult<bool> {
    match c.apply(command, now) {
        Ok(t) => {
            *c = t.conversation;
            events.extend(t.events);
            Ok(true)
        }
        Err(TransitionError::NoChange(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The conversation change a turn's outcome makes on `current`.
fn plan(
    current: &Conversation,
    outcome: &Outcome,
    queue: Option<&Queue>,
    now: Timestamp,
) -> EngineResult<(Conversation, Vec<DomainEvent>, Vec<Message>)> {
    let mut c = current.clone();
    let mut events = Vec::new();
    let language = outcome.state.language.clone();
    let mut messages: Vec<Message> = outcome
        .replies
        .iter()
        .filter_map(|reply| bot_message(&c, MessageKind::Outbound, reply, language.clone(), now))
        .collect();
    let mut changed = false;
    if let Some(h) = &outcome.handoff {
        messages.extend(bot_message(&c, MessageKind::Note, &h.summary.render(), language.clone(), now));
        let tags = vec![Tag::parse("bot-escalated")?, Tag::parse(&format!("escalation:{}", h.reason.code()))?];
        changed |= step(&mut c, &Command::Tag { add: tags, remove: Vec::new() }, now, &mut events)?;
        if h.priority > c.priority.get() {
            changed |= step(&mut c, &Command::SetPriority(Priority::new(h.priority)?), now, &mut events)?;
        }
        let note = match queue {
            Some(q) => {
                changed |= step(&mut c, &Command::Enqueue { queue: q.id }, now, &mut events)?;
                format!("The virtual agent handed over to the {} queue: {}", q.name, h.reason.describe())
            }
            None => format!("The virtual agent handed over ({}), but the workspace has no queue", h.reason.describe()),
        };
        messages.extend(bot_message(&c, MessageKind::System, &note, None, now));
    } else if outcome.resolve {
        changed |= step(&mut c, &Command::Resolve, now, &mut events)?;
        messages.extend(bot_message(&c, MessageKind::System, "Resolved by the virtual agent", None, now));
    }
    if !changed {
        c.version += 1;
        c.updated_at = now;
    }
    Ok((c, events, messages))
}

/// The bot's state after a turn, one version on from `version`.
fn next_state(
    ws: WorkspaceId,
    id: ConversationId,
    state: &impl serde::Serialize,
    version: i64,
    now: Timestamp,
) -> EngineResult<BotStateRecord> {
    Ok(BotStateRecord {
        workspace_id: ws,
        conversation_id: id,
        state: serde_json::to_value(state).map_err(|e| EngineError::Internal(e.to_string()))?,
        version: version + 1,
        updated_at: now,
    })
}

fn task(
    c: &Conversation,
    id: TaskId,
    kind: TaskKind,
    title: String,
    details: serde_json::Value,
    now: Timestamp,
) -> Task {
    Task {
        id,
        workspace_id: c.workspace_id,
        conversation_id: Some(c.id),
        customer_id: Some(c.customer_id),
        kind,
        status: TaskStatus::Open,
        title,
        details,
        created_at: now,
        due_at: None,
        settled_at: None,
        settled_by: None,
        note: None,
    }
}

fn created(c: &Conversation, m: &Message, now: Timestamp) -> StoredEvent {
    let event = DomainEvent::MessageCreated {
        message_id: m.id,
        conversation_id: c.id,
        kind: m.kind,
        author: m.author,
        channel: m.channel,
    };
    StoredEvent::for_conversation(c, event, now)
}

impl Engine {
    /// Writes a turn's outcome (see the module docs).
    pub(crate) async fn commit_bot_outcome(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        mut outcome: Outcome,
        meta: TurnMeta,
    ) -> EngineResult<BotTurnReport> {
        let decision_id = DecisionId::new();
        let queue = match &outcome.handoff {
            Some(h) => self.resolve_queue(ws, h.queue.as_deref()).await?,
            None => None,
        };
        // An approval's task keeps one id across attempts, so the state names it once.
        let approval_id = TaskId::new();
        if outcome.approval.is_some() {
            outcome.state.approvals.push(approval_id.to_string());
        }
        for attempt in 1..=RETRIES {
            let current = self.store.conversation(ws, id).await?;
            let now = self.now();
            if current.owner != Owner::Bot || !current.status.is_open() {
                return self.bot_superseded(ws, &current, &outcome, &meta, decision_id).await;
            }
            let (conversation, domain_events, messages) = plan(&current, &outcome, queue.as_ref(), now)?;
            let mut tasks = Vec::new();
            if let Some(h) = &outcome.handoff
                && let Some(f) = &h.follow_up
            {
                let title = format!("Get back to the customer ({}): {}", f.via, h.reason.describe());
                let details =
                    json!({ "via": f.via, "reason": f.reason, "queue": queue.as_ref().map(|q| q.name.clone()) });
                tasks.push(task(&conversation, TaskId::new(), TaskKind::FollowUp, title, details, now));
            }
            if let Some(a) = &outcome.approval {
                let details = json!({ "action": a.action, "description": a.description, "slots": a.slots });
                let title = format!("Approve: {}", a.description);
                tasks.push(task(&conversation, approval_id, TaskKind::Approval, title, details, now));
            }
            let mut events: Vec<StoredEvent> =
                domain_events.into_iter().map(|e| StoredEvent::for_conversation(&conversation, e, now)).collect();
            events.extend(messages.iter().map(|m| created(&conversation, m, now)));
            for t in &tasks {
                let made = DomainEvent::TaskCreated { task_id: t.id, kind: t.kind, conversation_id: t.conversation_id };
                events.push(StoredEvent::for_conversation(&conversation, made, now));
            }
            if let Some(h) = &outcome.handoff {
                let escalated = DomainEvent::BotEscalated {
                    conversation_id: id,
                    reason: h.reason.code().into(),
                    queue_id: queue.as_ref().map(|q| q.id),
                };
                events.push(StoredEvent::for_conversation(&conversation, escalated, now));
            }
            let decided = DomainEvent::BotDecided {
                conversation_id: id,
                decision_id,
                message_id: meta.message_id,
                kind: outcome.decision.kind.into(),
                rule: outcome.decision.rule.clone(),
            };
            events.push(StoredEvent::for_conversation(&conversation, decided, now));
            let mut decision_outcome = outcome.decision.outcome.clone();
            if let Some(h) = &outcome.handoff {
                decision_outcome["summary"] = serde_json::to_value(&h.summary).unwrap_or_default();
                decision_outcome["priority"] = json!(h.priority);
            }
            decision_outcome["tasks"] =
                json!(tasks.iter().map(|t| json!({"id": t.id, "kind": t.kind})).collect::<Vec<_>>());
            let commit = BotTurnCommit {
                change: ConversationChange {
                    expected_version: current.version,
                    conversation: conversation.clone(),
                    messages: messages.clone(),
                    events,
                },
                state: next_state(ws, id, &outcome.state, meta.state_version, now)?,
                expected_state_version: meta.state_version,
                decision: BotDecisionRecord {
                    id: decision_id,
                    workspace_id: ws,
                    conversation_id: id,
                    message_id: meta.message_id,
                    turn: outcome.state.turns,
                    kind: outcome.decision.kind.into(),
                    rule: outcome.decision.rule.clone(),
                    reason: outcome.decision.reason.clone(),
                    escalation: outcome.decision.escalation.clone(),
                    inputs: outcome.decision.inputs.clone(),
                    outcome: decision_outcome,
                    latency_us: meta.latency_us,
                    external_us: meta.external_us,
                    at: now,
                },
                tasks,
                settle: meta.settle.clone(),
            };
            match self.store.commit_bot_turn(commit).await {
                Ok(stored) => {
                    tracing::info!(
                        conversation.id = %id,
                        kind = outcome.decision.kind,
                        rule = %outcome.decision.rule,
                        latency_us = meta.latency_us,
                        "bot turn"
                    );
                    self.publish(&stored).await;
                    self.sync_routing(&conversation).await;
                    let replies = messages.into_iter().filter(|m| m.kind == MessageKind::Outbound).collect();
                    return Ok(BotTurnReport {
                        decision_id,
                        message_id: meta.message_id,
                        kind: outcome.decision.kind.into(),
                        rule: outcome.decision.rule.clone(),
                        replies,
                        escalated: outcome.handoff.as_ref().map(|h| h.reason.code().to_owned()),
                        resolved: outcome.resolve,
                        turn_us: meta.latency_us,
                    });
                }
                Err(StoreError::Conflict(message)) if attempt < RETRIES => {
                    let (_, version) = parse_state(self.store.bot_state(ws, id).await?, id);
                    if version != meta.state_version {
                        // Another node took this turn first: its answer stands.
                        tracing::info!(conversation.id = %id, "the bot's turn was taken elsewhere");
                        return Err(EngineError::Conflict(message));
                    }
                    if let Some(s) = &meta.settle
                        && self.store.task(ws, s.task_id).await?.status != TaskStatus::Open
                    {
                        return Err(EngineError::Conflict("the task was settled meanwhile".into()));
                    }
                    tracing::debug!(conversation.id = %id, attempt, "the conversation moved during the bot's turn; re-planning the write");
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Conflict(
            "the conversation is changing too fast for the bot; it will answer the next message".into(),
        ))
    }

    /// A person took the conversation while the bot was deciding: it sends nothing. What
    /// it had done in a business system is left as a note for them; the decision (and any
    /// settlement) is kept.
    async fn bot_superseded(
        &self,
        ws: WorkspaceId,
        first_read: &Conversation,
        outcome: &Outcome,
        meta: &TurnMeta,
        decision_id: DecisionId,
    ) -> EngineResult<BotTurnReport> {
        let called = outcome.decision.outcome.get("calls").and_then(|c| c.as_array()).is_some_and(|c| !c.is_empty());
        let mut read = first_read.clone();
        for attempt in 1..=RETRIES {
            let now = self.now();
            let mut messages = Vec::new();
            if called && !outcome.replies.is_empty() {
                let text = format!(
                    "The virtual agent was answering when the conversation was taken; it did not send this:\n{}",
                    outcome.replies.join("\n")
                );
                messages.extend(bot_message(&read, MessageKind::Note, &text, None, now));
            }
            let mut conversation = read.clone();
            conversation.version += 1;
            conversation.updated_at = now;
            let mut events: Vec<StoredEvent> = messages.iter().map(|m| created(&conversation, m, now)).collect();
            let decided = DomainEvent::BotDecided {
                conversation_id: read.id,
                decision_id,
                message_id: meta.message_id,
                kind: "superseded".into(),
                rule: "owner.changed".into(),
            };
            events.push(StoredEvent::for_conversation(&conversation, decided, now));
            let commit = BotTurnCommit {
                change: ConversationChange { expected_version: read.version, conversation, messages, events },
                state: next_state(ws, read.id, &outcome.state, meta.state_version, now)?,
                expected_state_version: meta.state_version,
                decision: BotDecisionRecord {
                    id: decision_id,
                    workspace_id: ws,
                    conversation_id: read.id,
                    message_id: meta.message_id,
                    turn: outcome.state.turns,
                    kind: "superseded".into(),
                    rule: "owner.changed".into(),
                    reason: format!("the conversation went to {} during the turn; the bot said nothing", read.owner),
                    escalation: None,
                    inputs: outcome.decision.inputs.clone(),
                    outcome: json!({ "would_have": outcome.decision.rule, "calls": outcome.decision.outcome.get("calls") }),
                    latency_us: meta.latency_us,
                    external_us: meta.external_us,
                    at: now,
                },
                tasks: Vec::new(),
                settle: meta.settle.clone(),
            };
            match self.store.commit_bot_turn(commit).await {
                Ok(stored) => {
                    self.publish(&stored).await;
                    return Ok(BotTurnReport {
                        decision_id,
                        message_id: meta.message_id,
                        kind: "superseded".into(),
                        rule: "owner.changed".into(),
                        replies: Vec::new(),
                        escalated: None,
                        resolved: false,
                        turn_us: meta.latency_us,
                    });
                }
                // The conversation moved again (a person replying): write on the new version.
                Err(StoreError::Conflict(_)) if attempt < RETRIES => {
                    read = self.store.conversation(ws, read.id).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Conflict("the conversation is changing too fast; the bot's note was not written".into()))
    }
}
