//! Records the store keeps that are not domain entities (credentials, sessions), and
//! the argument and result types of [`crate::Store`] methods.

use tandem_domain::{
    AgentId, ApiKeyId, Channel, Conversation, ConversationId, ConversationStatus, Customer, CustomerId, Message,
    OfferId, Owner, QueueId, StoredEvent, Timestamp, WorkspaceId, agent::Role,
};

/// An API key. Only the SHA-256 of the secret is kept; `prefix` helps people tell keys
/// apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: ApiKeyId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub key_hash: String,
    pub prefix: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// A logged-in agent's session. Only the SHA-256 of the cookie token is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub workspace_id: WorkspaceId,
    pub agent_id: AgentId,
    pub role: Role,
    /// Sent back in `X-CSRF-Token` on state-changing requests made with the cookie.
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A web-chat visitor's token, handed to the widget when a chat starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatVisitorRecord {
    pub token_hash: String,
    pub workspace_id: WorkspaceId,
    pub visitor_id: String,
    pub created_at: Timestamp,
}

/// Which owner to filter conversations by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerFilter {
    Bot,
    AnyQueue,
    Queue(QueueId),
    AnyAgent,
    Agent(AgentId),
}

impl OwnerFilter {
    pub fn matches(self, owner: Owner) -> bool {
        match (self, owner) {
            (Self::Bot, Owner::Bot) | (Self::AnyQueue, Owner::Queue(_)) | (Self::AnyAgent, Owner::Agent(_)) => true,
            (Self::Queue(q), Owner::Queue(o)) => q == o,
            (Self::Agent(a), Owner::Agent(o)) => a == o,
            _ => false,
        }
    }
}

/// A conversation listing query. Results are newest first; `before` is the keyset
/// cursor (the last id of the previous page).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationFilter {
    pub statuses: Vec<ConversationStatus>,
    pub owner: Option<OwnerFilter>,
    pub channel: Option<Channel>,
    pub customer: Option<CustomerId>,
    pub before: Option<ConversationId>,
    pub limit: u32,
}

/// A conversation changed by a command, ready to save.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationChange {
    pub conversation: Conversation,
    pub expected_version: i64,
    pub messages: Vec<Message>,
    pub events: Vec<StoredEvent>,
}

/// A customer's profile fields changed, ready to save.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerChange {
    pub customer: Customer,
    /// The `updated_at` the customer had when read.
    pub expected_updated_at: Timestamp,
    pub events: Vec<StoredEvent>,
}

/// What an ingest did.
#[derive(Clone, Debug, PartialEq)]
pub struct IngestOutcome {
    pub customer_id: CustomerId,
    pub customer_created: bool,
    pub conversation: Conversation,
    pub conversation_created: bool,
    pub message: Message,
    /// True when this was a retry answered from the idempotency record.
    pub replayed: bool,
    /// The stored events (empty for a replay).
    pub events: Vec<StoredEvent>,
}

/// A customer's history across channels.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// Oldest first.
    pub conversations: Vec<Conversation>,
    /// Every message of those conversations, oldest first.
    pub messages: Vec<Message>,
}

/// A conversation's stay in a routing queue, from entering it to leaving it.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutingEntry {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub queue_id: QueueId,
    pub class_priority: i32,
    /// When it started waiting for a person (a transfer between queues keeps it).
    pub arrived_at: Timestamp,
    /// Entry order, assigned by the store (0 before it is stored).
    pub seq: i64,
}

/// How an offer ended (or that it has not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    Pending,
    Accepted,
    Declined,
    TimedOut,
    Withdrawn,
}

impl OfferStatus {
    pub const ALL: [OfferStatus; 5] = [Self::Pending, Self::Accepted, Self::Declined, Self::TimedOut, Self::Withdrawn];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::TimedOut => "timed_out",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// A routing decision: one conversation offered to one agent, with the rule and scores
/// behind it, and how it ended. Kept for audit.
#[derive(Clone, Debug, PartialEq)]
pub struct OfferRecord {
    pub id: OfferId,
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub agent_id: AgentId,
    pub queue_id: QueueId,
    pub rule: String,
    pub score: serde_json::Value,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub status: OfferStatus,
    pub decided_at: Option<Timestamp>,
}

/// An article to save: a new one (`expected_version` is `None`) or a new version of a
/// stored one, which must still be at `expected_version`.
#[derive(Clone, Debug, PartialEq)]
pub struct ArticleSave {
    pub article: tandem_domain::Article,
    pub expected_version: Option<u32>,
    pub events: Vec<StoredEvent>,
}

/// An article listing query, in id order; `after` is the keyset cursor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArticleFilter {
    pub language: Option<String>,
    pub status: Option<tandem_domain::ArticleStatus>,
    pub audience: Option<tandem_domain::Audience>,
    pub tag: Option<String>,
    pub product: Option<String>,
    /// The original and every translation of it.
    pub translation_root: Option<tandem_domain::ArticleId>,
    pub after: Option<tandem_domain::ArticleId>,
    pub limit: u32,
}

/// Card verdicts of one article (for the feedback report).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardFeedbackCount {
    pub article_id: Option<tandem_domain::ArticleId>,
    pub helpful: u64,
    pub not_helpful: u64,
    pub dismissed: u64,
}

/// A workspace's virtual-agent configuration as saved: a JSON document the engine
/// validates before saving (the store keeps it as it is).
#[derive(Clone, Debug, PartialEq)]
pub struct BotConfigRecord {
    pub workspace_id: WorkspaceId,
    pub config: serde_json::Value,
    /// 1 for the first save, then +1 per save.
    pub version: i64,
    pub updated_at: Timestamp,
    /// `agent:<id>`, `api_key:<id>` or `system`.
    pub updated_by: String,
}

/// The virtual agent's memory of one conversation: an opaque JSON document (the engine
/// owns its shape) with a version for optimistic concurrency.
#[derive(Clone, Debug, PartialEq)]
pub struct BotStateRecord {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub state: serde_json::Value,
    /// 1 for the first save, then +1 per save.
    pub version: i64,
    pub updated_at: Timestamp,
}

/// One decision of the virtual agent, with its inputs, rule and reason (the audit).
/// Holds no message text: inputs name messages by id and carry understood features.
#[derive(Clone, Debug, PartialEq)]
pub struct BotDecisionRecord {
    pub id: tandem_domain::DecisionId,
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    /// The customer message the turn answered (none for an approval's outcome).
    pub message_id: Option<tandem_domain::MessageId>,
    /// The bot's turn number in the conversation (1, 2, ...).
    pub turn: u32,
    /// What the bot did: `answer`, `ask`, `act`, `resolve`, `escalate`, `clarify`, ...
    pub kind: String,
    /// The rule that decided, e.g. `escalate.explicit_request`.
    pub rule: String,
    /// Why, for people.
    pub reason: String,
    /// The escalation reason code, when the bot escalated.
    pub escalation: Option<String>,
    pub inputs: serde_json::Value,
    pub outcome: serde_json::Value,
    /// Time spent deciding, excluding calls to business systems.
    pub latency_us: u64,
    /// Time spent in calls to business systems.
    pub external_us: u64,
    pub at: Timestamp,
}

/// Everything one bot turn writes, committed in one transaction: the conversation (with
/// the bot's messages and events, checked against its version, so a conversation an
/// agent took meanwhile is never written to), the bot's state (checked against its
/// version), the decision and any tasks.
#[derive(Clone, Debug, PartialEq)]
pub struct BotTurnCommit {
    pub change: ConversationChange,
    pub state: BotStateRecord,
    /// The state's version when read; 0 when the conversation had none.
    pub expected_state_version: i64,
    pub decision: BotDecisionRecord,
    pub tasks: Vec<tandem_domain::Task>,
    /// A task this turn settles (an approval the turn acted on), in the same
    /// transaction: `Conflict` if it is no longer open, and then nothing is written.
    pub settle: Option<TaskSettlement>,
}

/// A task listing query, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskFilter {
    pub status: Option<tandem_domain::TaskStatus>,
    pub kind: Option<tandem_domain::TaskKind>,
    pub conversation: Option<ConversationId>,
    pub limit: u32,
}

/// A conversation's stay in a routing queue, with how it ended (for the supervisor's
/// live view: waiting times and service level).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutingEntryRecord {
    pub conversation_id: ConversationId,
    pub queue_id: QueueId,
    /// When the conversation started waiting for a person.
    pub arrived_at: Timestamp,
    /// When it entered this queue.
    pub entered_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    /// `answered` (an agent accepted it), `taken`, `left`...; `None` while waiting.
    pub outcome: Option<String>,
}

/// How an open task is settled.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskSettlement {
    pub workspace_id: WorkspaceId,
    pub task_id: tandem_domain::TaskId,
    /// Not `open`.
    pub status: tandem_domain::TaskStatus,
    pub at: Timestamp,
    pub by: String,
    pub note: Option<String>,
    /// Replaces the task's details when given (e.g. with the action's result).
    pub details: Option<serde_json::Value>,
    pub events: Vec<StoredEvent>,
}
