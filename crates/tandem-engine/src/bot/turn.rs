//! Taking the bot's turns: read the conversation, the bot's state and the next
//! unanswered customer message; take the turn through [`EngineEnv`]; commit it
//! ([`super::commit`]). Turns of one conversation run one at a time, in message order.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use tandem_bot::{BotState, Contact, TurnInput, take_turn};
use tandem_domain::identity::IdentityKind;
use tandem_domain::{
    Author, ConversationId, DecisionId, Message, MessageId, MessageKind, Owner, Timestamp, WorkspaceId,
};
use tandem_store::{BotStateRecord, TaskSettlement};

use super::BotRuntime;
use super::env::EngineEnv;
use crate::commands::HANDED_BACK;
use crate::{Engine, EngineError, EngineResult};

/// The most turns one run takes (a burst of messages is answered in order).
const TURNS_PER_RUN: usize = 20;
/// With no turn taken yet (the bot just switched on, or after a restart), customer
/// messages older than this are left to people: nobody wants yesterday's answer.
const FIRST_TURN_MAX_AGE: chrono::Duration = chrono::Duration::hours(1);

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

/// What a turn hands the commit, besides the outcome.
pub(crate) struct TurnMeta {
    pub message_id: Option<MessageId>,
    pub state_version: i64,
    pub latency_us: u64,
    pub external_us: u64,
    /// A task the turn settles in the same transaction (an approval acted on).
    pub settle: Option<TaskSettlement>,
}

pub(crate) fn parse_state(record: Option<BotStateRecord>, id: ConversationId) -> (BotState, i64) {
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

fn from_customer(m: &Message) -> bool {
    m.kind == MessageKind::Inbound && matches!(m.author, Author::Customer(_))
}

/// The next customer message to answer. Reading starts after the last message the bot
/// answered and after the point people last handed the conversation back (what the
/// customer wrote to them was theirs to answer); with neither, after the last message
/// anyone sent the customer, and then only messages of the last hour.
pub(crate) fn next_unanswered<'m>(messages: &'m [Message], state: &BotState, now: Timestamp) -> Option<&'m Message> {
    let after = |i: Option<usize>| i.map_or(0, |i| i + 1);
    let answered = state.last_message.and_then(|id| messages.iter().position(|m| m.id == id));
    let handed_back = messages.iter().rposition(|m| m.kind == MessageKind::System && m.body.as_str() == HANDED_BACK);
    let first_turn = answered.is_none() && handed_back.is_none();
    let start = if first_turn {
        after(messages.iter().rposition(|m| m.kind == MessageKind::Outbound))
    } else {
        after(answered).max(after(handed_back))
    };
    let oldest = now - FIRST_TURN_MAX_AGE;
    messages[start.min(messages.len())..].iter().find(|m| from_customer(m) && (!first_turn || m.created_at >= oldest))
}

impl Engine {
    /// Takes the bot's turns on every unanswered customer message of a conversation it
    /// owns, in order, and returns what each did. A failure after some turns keeps them
    /// (they are committed) and is logged.
    pub(crate) async fn run_bot(&self, ws: WorkspaceId, id: ConversationId) -> EngineResult<Vec<BotTurnReport>> {
        let Some(runtime) = self.bot.clone() else { return Ok(Vec::new()) };
        // The conversation first, then a permit: runs waiting for one busy conversation
        // hold no permit another conversation could use.
        let lock = runtime.lock_for(id);
        let _turns = lock.lock().await;
        let _permit =
            runtime.permits.acquire().await.map_err(|_| EngineError::Unavailable("the bot is stopping".into()))?;
        let mut reports = Vec::new();
        for _ in 0..TURNS_PER_RUN {
            match self.bot_step(&runtime, ws, id).await {
                Ok(Some(report)) => reports.push(report),
                Ok(None) => break,
                Err(error) if !reports.is_empty() => {
                    tracing::warn!(%error, conversation.id = %id, "the bot stopped after some turns");
                    break;
                }
                Err(error) => return Err(error),
            }
        }
        Ok(reports)
    }

    /// The bot's turns on `message`, taken now, as a channel waiting for the reply needs
    /// them. The turn runs in its own task, so a client that hangs up cannot cut it off
    /// half-way (after a business-system call, before its commit).
    pub(crate) async fn answer_now(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        message: MessageId,
    ) -> EngineResult<Vec<BotTurnReport>> {
        let engine = self.clone();
        let reports = tokio::spawn(async move { engine.run_bot(ws, id).await })
            .await
            .map_err(|e| EngineError::Internal(format!("the bot's turn failed: {e}")))??;
        let mine: Vec<BotTurnReport> = reports.into_iter().filter(|r| r.message_id == Some(message)).collect();
        if !mine.is_empty() {
            return Ok(mine);
        }
        // Another run (an earlier message's) answered this one: read what it did.
        self.reported(ws, id, message).await
    }

    /// A committed turn on `message`, rebuilt from the store.
    async fn reported(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        message: MessageId,
    ) -> EngineResult<Vec<BotTurnReport>> {
        let decisions = self.store.bot_decisions(ws, id).await?;
        let Some(d) = decisions.iter().find(|d| d.message_id == Some(message)) else { return Ok(Vec::new()) };
        let messages = self.store.messages(ws, id).await?;
        let start = messages.iter().position(|m| m.id == message).map_or(messages.len(), |i| i + 1);
        let replies = messages[start..]
            .iter()
            .take_while(|m| !from_customer(m))
            .filter(|m| m.kind == MessageKind::Outbound && m.author == Author::Bot)
            .cloned()
            .collect();
        Ok(vec![BotTurnReport {
            decision_id: d.id,
            message_id: Some(message),
            kind: d.kind.clone(),
            rule: d.rule.clone(),
            replies,
            escalated: d.escalation.clone(),
            resolved: d.kind == "resolve",
            turn_us: d.latency_us,
        }])
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
            // People handed it back but the hand-back hook did not run: resume here.
            state.handed_back();
        }
        let messages = self.store.messages(ws, id).await?;
        let Some(message) = next_unanswered(&messages, &state, self.now()).cloned() else { return Ok(None) };
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
            // Retried or repeated, a call for this message carries the same key.
            idempotency: format!("{id}:{}", message.id),
            question: message.understanding.as_ref().map(|u| (id, message.id, u.redacted.clone())),
            vector: std::sync::Mutex::new(None),
        };
        let outcome = take_turn(&bot, &state, &input, &env).await;
        let external_us = env.external_us.load(Ordering::Relaxed);
        // Reading and deciding; the commit follows.
        let latency_us = (begun.elapsed().as_micros() as u64).saturating_sub(external_us);
        let meta = TurnMeta { message_id: Some(message.id), state_version, latency_us, external_us, settle: None };
        let mut report = self.commit_bot_outcome(ws, id, outcome, meta).await?;
        report.turn_us = (begun.elapsed().as_micros() as u64).saturating_sub(external_us);
        Ok(Some(report))
    }
}
