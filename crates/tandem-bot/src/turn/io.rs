//! What a turn takes and gives: the customer message, the environment it works through,
//! and the outcome with its decision.

use std::collections::BTreeMap;
use std::future::Future;

use serde::{Deserialize, Serialize};
use tandem_domain::{MessageId, SentimentTrajectory, Tier, Timestamp, Understanding};

use crate::policy::Reason;
use crate::state::BotState;
use crate::summary::HandoffSummary;

/// How the customer can be reached outside this conversation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub email: bool,
    pub phone: bool,
}

/// A customer message, with what understanding found and who sent it.
#[derive(Clone, Debug, PartialEq)]
pub struct TurnInput {
    pub message_id: MessageId,
    /// The body as written (read for details; never stored in decisions).
    pub text: String,
    pub understanding: Option<Understanding>,
    /// The conversation's sentiment after this message.
    pub trajectory: SentimentTrajectory,
    /// The conversation's language after this message.
    pub language: Option<String>,
    pub tier: Tier,
    /// The customer's email identities, lowercased (for verification).
    pub customer_emails: Vec<String>,
    pub contact: Contact,
    pub now: Timestamp,
}

/// A knowledge search for the bot: public, published passages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnowledgeQuery {
    /// The customer's words with personal data redacted.
    pub text: String,
    /// Only passages in this language (`None`: any).
    pub language: Option<String>,
    /// The intent the message seems to be: articles tagged with it rank higher.
    pub intent: Option<String>,
}

/// A passage the bot may quote.
#[derive(Clone, Debug, PartialEq)]
pub struct KnowledgeHit {
    pub article_id: String,
    pub passage: u32,
    pub title: String,
    pub text: String,
    pub language: String,
    pub confidence: f32,
    pub tags: Vec<String>,
}

/// An HTTP call to a business system, rendered.
#[derive(Clone, PartialEq)]
pub struct ActionCall {
    pub action: String,
    pub method: String,
    pub url: String,
    /// Values may hold secrets: never log or store these.
    pub headers: Vec<(String, String)>,
    pub body: Option<serde_json::Value>,
    pub timeout_ms: u64,
}

impl std::fmt::Debug for ActionCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActionCall")
            .field("action", &self.action)
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// What a business system answered.
#[derive(Clone, Debug, PartialEq)]
pub struct CallResponse {
    pub status: u16,
    /// The body as JSON (`Null` when it was not JSON).
    pub body: serde_json::Value,
}

/// Why a call did not answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    Timeout,
    Failed(String),
}

/// Who could take the conversation now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outlook {
    /// The queue it would go to (its name), if the workspace has one.
    pub queue: Option<String>,
    /// Agents working (available, busy or in wrap-up) who can serve the queue.
    pub working: u32,
    /// Of those, how many could take it right now.
    pub free: u32,
    /// Conversations already waiting there.
    pub waiting: u32,
}

/// What the bot needs from the world.
pub trait Environment: Sync {
    fn search(&self, query: &KnowledgeQuery) -> impl Future<Output = Result<Vec<KnowledgeHit>, String>> + Send;
    fn call(&self, call: &ActionCall) -> impl Future<Output = Result<CallResponse, CallError>> + Send;
    /// The queue named (or the workspace's default when `None` or unknown).
    fn outlook(&self, queue: Option<&str>) -> impl Future<Output = Outlook> + Send;
    fn secret(&self, name: &str) -> Option<String>;
}

/// The conversation goes to people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    pub reason: Reason,
    /// The queue by name (the engine falls back to the default one).
    pub queue: Option<String>,
    pub priority: u8,
    pub summary: HandoffSummary,
    /// Whether someone can take it now (opening hours and agents working).
    pub available: bool,
    /// Set when nobody is available: a person must get back to the customer.
    pub follow_up: Option<FollowUp>,
}

/// A promise to get back to the customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// `email`, `phone` or `conversation`.
    pub via: String,
    pub reason: String,
}

/// An action waiting for a person's approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalRequest {
    pub action: String,
    pub description: String,
    /// The details the action will run with (shown to the approver).
    pub slots: BTreeMap<String, String>,
}

/// The audit of a turn: what the bot did, the rule, why, and what it saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// `answer`, `ask`, `confirm`, `act`, `clarify`, `resolve`, `escalate`, `reply`, `wait`.
    pub kind: &'static str,
    pub rule: String,
    pub reason: String,
    pub escalation: Option<String>,
    pub inputs: serde_json::Value,
    pub outcome: serde_json::Value,
    /// Whether the turn moved the conversation forward.
    pub progress: bool,
}

/// What a turn produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub state: BotState,
    /// Messages to the customer, in order.
    pub replies: Vec<String>,
    pub resolve: bool,
    pub handoff: Option<Handoff>,
    pub approval: Option<ApprovalRequest>,
    pub decision: Decision,
}
