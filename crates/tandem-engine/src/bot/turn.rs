//! Taking the bot's turns and committing them: read the conversation, the bot's state
//! and the next unanswered customer message; take the turn; write replies, handover
//! (summary note, tags, priority, queue), resolution, tasks, state and decision in one
//! transaction. A conflict with a concurrent change re-plans the write on the fresh
//! conversation without re-running the turn (a business-system call is never repeated);
//! if a person took the conversation meanwhile the bot says nothing and leaves a note of
//! what it had done.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde_json::json;
use tandem_bot::{BotState, Contact, Outcome, TurnInput, take_turn};
use tandem_domain::identity::IdentityKind;
use tandem_domain::{
    Author, Body, Command, Conversation, ConversationId, DecisionId, DomainEvent, Message, MessageId, MessageKind,
    Owner, Priority, Queue, StoredEvent, Tag, Task, TaskId, TaskKind, TaskStatus, Timestamp, TransitionError,
    WorkspaceId,
};
use tandem_store::{BotDecisionRecord, BotStateRecord, BotTurnCommit, ConversationChange, StoreError};

use super::BotRuntime;
use super::env::EngineEnv;
use crate::{Engine, EngineError, EngineResult};

/// The most turns one run takes (a burst of messages is answered in order).
const TURNS_PER_RUN: usize = 20;
const RETRIES: usize = 4;

/// What one bot turn did, for channels that wait for the reply.
#[derive(Clone, Debug, Serialize)]
pub struct BotTurnReport {
    pub decision_id: DecisionId,
    /// The customer message answered.
    pub message_id: Option<MessageId>,
    pub kind: String,
    pub rule: String,
    /// The bot's messages to the customer.
    pub replies: Vec<Message>,
    /// The reason code, when the bot handed over.
    pub escalated: Option<String>,
    pub resolved: bool,
    /// The whole turn — reads, decision, commit — excluding business-system calls.
    pub turn_us: u64,
}

fn parse_state(record: Option<BotStateRecord>, id: ConversationId) -> (BotState, i64) {
    match record {
        None => (BotState::default(), 0),
        Some(r) => match serde_json::from_value(r.state) {
            Ok(state) => (state, r.version),
            Err(error) => {
                tracing::error!(%error, conversation.id = %id, "unreadable bot state; starting afresh");
                (BotState::default(), r.version)
            }
        },
    }
}

/// The next customer message to answer: the first after the last one answered, or,
/// with no turn taken yet, the first after the last message anyone sent the customer.
fn next_unanswered(messages: &[Message], last: Option<MessageId>) -> Option<&Message> {
    let customer = |m: &&Message| m.kind == MessageKind::Inbound && matches!(m.author, Author::Customer(_));
    let start = match last.and_then(|id| messages.iter().position(|m| m.id == id)) {
        Some(i) => i + 1,
        None => messages.iter().rposition(|m| m.kind == MessageKind::Outbound).map_or(0, |i| i + 1),
    };
    messages[start.min(messages.len())..].iter().find(customer)
}

fn bot_message(
    c: &Conversation,
    kind: MessageKind,
    text: &str,
    language: Option<String>,
    now: Timestamp,
) -> EngineResult<Message> {
    let clipped: String = text.chars().take(Body::MAX_CHARS).collect();
    Ok(Message {
        id: MessageId::new(),
        workspace_id: c.workspace_id,
        conversation_id: c.id,
        kind,
        author: if kind == MessageKind::System { Author::System } else { Author::Bot },
        body: Body::parse(&clipped)?,
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
    let mut messages = Vec::new();
    let language = outcome.state.language.clone();
    for reply in &outcome.replies {
        messages.push(bot_message(&c, MessageKind::Outbound, reply, language.clone(), now)?);
    }
    let mut changed = false;
    if let Some(h) = &outcome.handoff {
        messages.push(bot_message(&c, MessageKind::Note, &h.summary.render(), language.clone(), now)?);
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
        messages.push(bot_message(&c, MessageKind::System, &note, None, now)?);
    } else if outcome.resolve {
        changed |= step(&mut c, &Command::Resolve, now, &mut events)?;
        messages.push(bot_message(&c, MessageKind::System, "Resolved by the virtual agent", None, now)?);
    }
    if !changed {
        c.version += 1;
        c.updated_at = now;
    }
    Ok((c, events, messages))
}

fn task(
    ws: WorkspaceId,
    c: &Conversation,
    kind: TaskKind,
    title: String,
    details: serde_json::Value,
    now: Timestamp,
) -> Task {
    Task {
        id: TaskId::new(),
        workspace_id: ws,
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

/// What a turn hands the commit, besides the outcome.
pub(crate) struct TurnMeta {
    pub message_id: Option<MessageId>,
    pub state_version: i64,
    pub latency_us: u64,
    pub external_us: u64,
}

impl Engine {
    /// Takes the bot's turns on every unanswered customer message of a conversation it
    /// owns, in order, and returns what each did.
    pub(crate) async fn run_bot(&self, ws: WorkspaceId, id: ConversationId) -> EngineResult<Vec<BotTurnReport>> {
        let Some(runtime) = self.bot.clone() else { return Ok(Vec::new()) };
        let _permit =
            runtime.permits.acquire().await.map_err(|_| EngineError::Unavailable("the bot is stopping".into()))?;
        let lock = runtime.lock_for(id);
        let _turns = lock.lock().await;
        let mut reports = Vec::new();
        for _ in 0..TURNS_PER_RUN {
            match self.bot_step(&runtime, ws, id).await? {
                Some(report) => reports.push(report),
                None => break,
            }
        }
        Ok(reports)
    }

    async fn bot_step(
        &self,
        runtime: &Arc<BotRuntime>,
        ws: WorkspaceId,
        id: ConversationId,
    ) -> EngineResult<Option<BotTurnReport>> {
        let begun = std::time::Instant::now();
        let conversation = self.store.conversation(ws, id).await?;
        if conversation.owner != Owner::Bot || !conversation.status.is_open() {
            return Ok(None);
        }
        let (mut state, state_version) = parse_state(self.store.bot_state(ws, id).await?, id);
        if state.escalated.is_some() {
            // People handed it back without the hook running (an older node): resume.
            state.handed_back();
        }
        let messages = self.store.messages(ws, id).await?;
        let Some(message) = next_unanswered(&messages, state.last_message).cloned() else { return Ok(None) };
        let bot = self.compiled_bot(runtime, ws).await?;
        if !bot.config.enabled {
            return Ok(None);
        }
        let customer = self.store.customer(ws, conversation.customer_id).await?;
        let emails: Vec<String> = customer
            .identities
            .iter()
            .filter(|i| i.kind == IdentityKind::Email)
            .map(|i| i.value.to_lowercase())
            .collect();
        let contact = Contact {
            email: !emails.is_empty(),
            phone: customer.identities.iter().any(|i| i.kind == IdentityKind::Phone),
        };
        let secrets: HashMap<String, String> = self.store.bot_secrets(ws).await?.into_iter().collect();
        let input = TurnInput {
            message_id: message.id,
            text: message.body.as_str().to_owned(),
            understanding: message.understanding.clone(),
            trajectory: conversation.sentiment.clone(),
            language: conversation.language.clone().or_else(|| message.language.clone()),
            tier: customer.tier,
            customer_emails: emails,
            contact,
            now: self.now(),
        };
        let env = EngineEnv {
            engine: self.clone(),
            workspace_id: ws,
            channel: conversation.channel,
            language: state.language.clone().or_else(|| conversation.language.clone()),
            secrets,
            caller: Arc::clone(&runtime.caller),
            external_us: AtomicU64::new(0),
        };
        let outcome = take_turn(&bot, &state, &input, &env).await;
        let external_us = env.external_us.load(Ordering::Relaxed);
        // Reading and deciding; the commit follows.
        let latency_us = (begun.elapsed().as_micros() as u64).saturating_sub(external_us);
        let meta = TurnMeta { message_id: Some(message.id), state_version, latency_us, external_us };
        let mut report = self.commit_bot_outcome(ws, id, outcome, meta).await?;
        report.turn_us = (begun.elapsed().as_micros() as u64).saturating_sub(external_us);
        Ok(Some(report))
    }

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
        for attempt in 1..=RETRIES {
            let current = self.store.conversation(ws, id).await?;
            let now = self.now();
            if current.owner != Owner::Bot || !current.status.is_open() {
                return self.bot_superseded(ws, &current, outcome, meta, decision_id).await;
            }
            let (conversation, domain_events, messages) = plan(&current, &outcome, queue.as_ref(), now)?;
            let mut tasks = Vec::new();
            if let Some(h) = &outcome.handoff
                && let Some(f) = &h.follow_up
            {
                let title = format!("Get back to the customer ({}): {}", f.via, h.reason.describe());
                let details =
                    json!({ "via": f.via, "reason": f.reason, "queue": queue.as_ref().map(|q| q.name.clone()) });
                tasks.push(task(ws, &conversation, TaskKind::FollowUp, title, details, now));
            }
            if let Some(a) = &outcome.approval {
                let details = json!({ "action": a.action, "description": a.description, "slots": a.slots });
                let t =
                    task(ws, &conversation, TaskKind::Approval, format!("Approve: {}", a.description), details, now);
                outcome.state.approvals.retain(|existing| existing != &t.id.to_string());
                outcome.state.approvals.push(t.id.to_string());
                tasks.push(t);
            }
            let mut events: Vec<StoredEvent> =
                domain_events.into_iter().map(|e| StoredEvent::for_conversation(&conversation, e, now)).collect();
            for m in &messages {
                let created = DomainEvent::MessageCreated {
                    message_id: m.id,
                    conversation_id: conversation.id,
                    kind: m.kind,
                    author: m.author,
                    channel: m.channel,
                };
                events.push(StoredEvent::for_conversation(&conversation, created, now));
            }
            for t in &tasks {
                let created =
                    DomainEvent::TaskCreated { task_id: t.id, kind: t.kind, conversation_id: t.conversation_id };
                events.push(StoredEvent::for_conversation(&conversation, created, now));
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
                state: BotStateRecord {
                    workspace_id: ws,
                    conversation_id: id,
                    state: serde_json::to_value(&outcome.state).map_err(|e| EngineError::Internal(e.to_string()))?,
                    version: meta.state_version + 1,
                    updated_at: now,
                },
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
                tasks: tasks.clone(),
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
                    let (fresh, version) = parse_state(self.store.bot_state(ws, id).await?, id);
                    if version != meta.state_version {
                        // Another node took this turn first: its answer stands.
                        let answered = fresh.last_message == meta.message_id;
                        tracing::info!(conversation.id = %id, answered, "the bot's turn was taken elsewhere");
                        return Err(EngineError::Conflict(message));
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
    /// it had done in a business system is left as a note for them; the decision is kept.
    async fn bot_superseded(
        &self,
        ws: WorkspaceId,
        current: &Conversation,
        outcome: Outcome,
        meta: TurnMeta,
        decision_id: DecisionId,
    ) -> EngineResult<BotTurnReport> {
        let now = self.now();
        let called = outcome.decision.outcome.get("calls").and_then(|c| c.as_array()).is_some_and(|c| !c.is_empty());
        let mut messages = Vec::new();
        if called && !outcome.replies.is_empty() {
            let text = format!(
                "The virtual agent was answering when the conversation was taken; it did not send this:\n{}",
                outcome.replies.join("\n")
            );
            messages.push(bot_message(current, MessageKind::Note, &text, None, now)?);
        }
        let mut conversation = current.clone();
        conversation.version += 1;
        conversation.updated_at = now;
        let mut events: Vec<StoredEvent> = messages
            .iter()
            .map(|m| {
                let created = DomainEvent::MessageCreated {
                    message_id: m.id,
                    conversation_id: current.id,
                    kind: m.kind,
                    author: m.author,
                    channel: m.channel,
                };
                StoredEvent::for_conversation(&conversation, created, now)
            })
            .collect();
        let decided = DomainEvent::BotDecided {
            conversation_id: current.id,
            decision_id,
            message_id: meta.message_id,
            kind: "superseded".into(),
            rule: "owner.changed".into(),
        };
        events.push(StoredEvent::for_conversation(&conversation, decided, now));
        let commit = BotTurnCommit {
            change: ConversationChange { expected_version: current.version, conversation, messages, events },
            state: BotStateRecord {
                workspace_id: ws,
                conversation_id: current.id,
                state: serde_json::to_value(&outcome.state).map_err(|e| EngineError::Internal(e.to_string()))?,
                version: meta.state_version + 1,
                updated_at: now,
            },
            expected_state_version: meta.state_version,
            decision: BotDecisionRecord {
                id: decision_id,
                workspace_id: ws,
                conversation_id: current.id,
                message_id: meta.message_id,
                turn: outcome.state.turns,
                kind: "superseded".into(),
                rule: "owner.changed".into(),
                reason: format!("the conversation went to {} during the turn; the bot said nothing", current.owner),
                escalation: None,
                inputs: outcome.decision.inputs,
                outcome: json!({ "would_have": outcome.decision.rule, "calls": outcome.decision.outcome.get("calls") }),
                latency_us: meta.latency_us,
                external_us: meta.external_us,
                at: now,
            },
            tasks: Vec::new(),
        };
        let stored = self.store.commit_bot_turn(commit).await?;
        self.publish(&stored).await;
        Ok(BotTurnReport {
            decision_id,
            message_id: meta.message_id,
            kind: "superseded".into(),
            rule: "owner.changed".into(),
            replies: Vec::new(),
            escalated: None,
            resolved: false,
            turn_us: meta.latency_us,
        })
    }

    /// People handed the conversation back: the bot keeps its memory, forgets the
    /// failures, and answers only what the customer writes from now on.
    pub(crate) async fn bot_handed_back(&self, ws: WorkspaceId, id: ConversationId) -> EngineResult<()> {
        if self.bot.is_none() {
            return Ok(());
        }
        for _ in 0..RETRIES {
            let current = self.store.conversation(ws, id).await?;
            if current.owner != Owner::Bot {
                return Ok(());
            }
            let (mut state, version) = parse_state(self.store.bot_state(ws, id).await?, id);
            state.handed_back();
            let messages = self.store.messages(ws, id).await?;
            state.last_message =
                messages.iter().rev().find(|m| m.kind == MessageKind::Inbound).map(|m| m.id).or(state.last_message);
            let outcome = Outcome {
                state,
                replies: Vec::new(),
                resolve: false,
                handoff: None,
                approval: None,
                decision: tandem_bot::Decision {
                    kind: "resume",
                    rule: "handed_back".into(),
                    reason: "people handed the conversation back to the bot".into(),
                    escalation: None,
                    inputs: json!({}),
                    outcome: json!({}),
                    progress: true,
                },
            };
            let meta = TurnMeta { message_id: None, state_version: version, latency_us: 0, external_us: 0 };
            match self.commit_bot_outcome(ws, id, outcome, meta).await {
                Ok(_) => return Ok(()),
                Err(EngineError::Conflict(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(EngineError::Conflict("could not hand the conversation back to the bot; try again".into()))
    }
}
