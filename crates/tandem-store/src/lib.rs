//! Persistence for Tandem: the [`Store`] trait, which speaks domain types, and its two
//! backends — [`sqlite::SqliteStore`] (embedded, the default) and
//! [`postgres::PostgresStore`] (production, many nodes). Each backend owns its schema
//! and applies its migrations at start; one conformance suite (`tests/it`) runs the
//! same stories against both.
//!
//! Every method that changes state writes the change and its events to the event log in
//! one transaction and returns the stored events (with their `seq`), so the caller can
//! publish them on the bus after the commit.

#![forbid(unsafe_code)]

mod checks;
mod codec;
mod error;
mod merge;
pub mod postgres;
mod records;
pub mod sqlite;

use async_trait::async_trait;
use tandem_domain::{
    Agent, AgentId, AgentState, Article, ArticleId, ArticleVersion, CardFeedback, Conversation, ConversationId,
    Customer, CustomerId, Identity, InboundMessage, KnowledgeQuestion, Message, MessageId, OfferId, Queue, QueueId,
    StoredEvent, Timestamp, Understanding, Workspace, WorkspaceId, ingest::ContinuityPolicy,
};

pub use error::StoreError;
pub use records::{
    ApiKeyRecord, ArticleFilter, ArticleSave, BotConfigRecord, BotDecisionRecord, BotStateRecord, BotTurnCommit,
    CardFeedbackCount, ChatVisitorRecord, ConversationChange, ConversationFilter, CustomerChange, IngestOutcome,
    OfferRecord, OfferStatus, OwnerFilter, RoutingEntry, RoutingEntryRecord, SessionRecord, TaskFilter, TaskSettlement,
    Timeline,
};

/// Shorthand for store results.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which backend a store is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Everything Tandem keeps. All reads and writes are scoped by workspace: a record of
/// another workspace is `NotFound`, never returned.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Checks the database answers (for `/readyz`).
    async fn ping(&self) -> StoreResult<()>;

    // --- workspaces and access -------------------------------------------------------

    async fn create_workspace(&self, workspace: &Workspace) -> StoreResult<()>;
    async fn workspace(&self, id: WorkspaceId) -> StoreResult<Workspace>;
    async fn workspace_by_slug(&self, slug: &str) -> StoreResult<Workspace>;
    async fn workspace_by_chat_key(&self, chat_key: &str) -> StoreResult<Workspace>;
    async fn create_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()>;
    /// An active (not revoked) API key by the hash of its secret.
    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<ApiKeyRecord>;
    async fn create_session(&self, session: &SessionRecord) -> StoreResult<()>;
    /// A session by the hash of its token, if it has not expired at `now`.
    async fn session_by_hash(&self, token_hash: &str, now: Timestamp) -> StoreResult<SessionRecord>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn create_chat_visitor(&self, visitor: &ChatVisitorRecord) -> StoreResult<()>;
    async fn chat_visitor_by_hash(&self, token_hash: &str) -> StoreResult<ChatVisitorRecord>;

    // --- agents and queues -----------------------------------------------------------

    /// Creates an agent; `Conflict` if the email is taken in the workspace.
    async fn create_agent(
        &self,
        agent: &Agent,
        password_hash: &str,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>>;
    async fn agent(&self, workspace: WorkspaceId, id: AgentId) -> StoreResult<Agent>;
    /// An agent and its password hash, by login email.
    async fn agent_credentials(&self, workspace: WorkspaceId, email: &str) -> StoreResult<(Agent, String)>;
    async fn list_agents(&self, workspace: WorkspaceId) -> StoreResult<Vec<Agent>>;
    async fn set_agent_state(
        &self,
        workspace: WorkspaceId,
        id: AgentId,
        state: AgentState,
        now: Timestamp,
    ) -> StoreResult<(Agent, Vec<StoredEvent>)>;
    /// Creates a queue; `Conflict` if the name is taken in the workspace.
    async fn create_queue(&self, queue: &Queue, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>>;
    async fn queue(&self, workspace: WorkspaceId, id: QueueId) -> StoreResult<Queue>;
    async fn list_queues(&self, workspace: WorkspaceId) -> StoreResult<Vec<Queue>>;
    /// Replaces a queue's name and routing; `Conflict` if the new name is taken.
    async fn update_queue(&self, queue: &Queue, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>>;

    // --- customers -------------------------------------------------------------------

    /// Creates a customer with its identities (a CRM import, say), with its events.
    /// `Conflict` naming the identity if one already belongs to a customer.
    async fn create_customer(&self, customer: &Customer, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>>;
    async fn customer(&self, workspace: WorkspaceId, id: CustomerId) -> StoreResult<Customer>;
    async fn customer_by_identity(&self, workspace: WorkspaceId, identity: &Identity) -> StoreResult<Customer>;
    /// Saves profile fields (name, tier, language, attributes) with an optimistic check
    /// on `updated_at`.
    async fn update_customer(&self, change: CustomerChange) -> StoreResult<Vec<StoredEvent>>;
    /// Links `identity` to `customer`. `Conflict` if it belongs to another customer;
    /// linking an identity the customer already has changes nothing.
    async fn link_identity(
        &self,
        workspace: WorkspaceId,
        customer: CustomerId,
        identity: &Identity,
        now: Timestamp,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// Moves everything `source` owns (conversations, identities) to `target` and marks
    /// `source` as merged into it. Both must exist and be distinct and unmerged.
    async fn merge_customers(
        &self,
        workspace: WorkspaceId,
        target: CustomerId,
        source: CustomerId,
        now: Timestamp,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// Every conversation and message of a customer, oldest first.
    async fn timeline(&self, workspace: WorkspaceId, customer: CustomerId) -> StoreResult<Timeline>;

    // --- conversations and messages --------------------------------------------------

    /// The inbound pipeline's write: resolves the customer by identity, joins or opens
    /// a conversation (see [`tandem_domain::ingest::plan_ingest`]), stores the message and
    /// events, and records the idempotency key — all in one transaction. A retry with
    /// the same key returns the original outcome with `replayed` set.
    async fn ingest(
        &self,
        message: InboundMessage,
        policy: ContinuityPolicy,
        now: Timestamp,
    ) -> StoreResult<IngestOutcome>;
    async fn conversation(&self, workspace: WorkspaceId, id: ConversationId) -> StoreResult<Conversation>;
    async fn list_conversations(
        &self,
        workspace: WorkspaceId,
        filter: &ConversationFilter,
    ) -> StoreResult<Vec<Conversation>>;
    /// A conversation's messages, oldest first.
    async fn messages(&self, workspace: WorkspaceId, conversation: ConversationId) -> StoreResult<Vec<Message>>;
    async fn message(&self, workspace: WorkspaceId, id: MessageId) -> StoreResult<Message>;
    /// Replaces a message's understanding (the asynchronous embedding tier refines what
    /// the real-time path stored).
    async fn update_understanding(
        &self,
        workspace: WorkspaceId,
        id: MessageId,
        understanding: &Understanding,
    ) -> StoreResult<()>;
    /// Saves a conversation changed by a command, with new messages and events, if its
    /// stored version is still `expected_version` (else `Conflict`).
    async fn save_conversation(&self, change: ConversationChange) -> StoreResult<Vec<StoredEvent>>;

    // --- routing ---------------------------------------------------------------------

    /// Every workspace (the routing service loads each at start).
    async fn workspace_ids(&self) -> StoreResult<Vec<WorkspaceId>>;
    /// Records that a conversation entered a queue. If it already has an open entry, that
    /// entry is kept and returned (idempotent); else the new one is stored with its `seq`.
    async fn open_routing_entry(&self, entry: &RoutingEntry) -> StoreResult<RoutingEntry>;
    /// Ends the conversation's open entry (`outcome`: answered, left); no entry is fine.
    async fn close_routing_entry(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
        outcome: &str,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Open entries, in the order they entered (`seq`).
    async fn open_routing_entries(&self, workspace: WorkspaceId) -> StoreResult<Vec<RoutingEntry>>;
    /// Entries per queue that entered at or after `since` (arrivals for staffing).
    async fn routing_arrivals(&self, workspace: WorkspaceId, since: Timestamp) -> StoreResult<Vec<(QueueId, u64)>>;
    /// Entries still open, and entries that entered a queue at or after `since`, in
    /// entry order (the supervisor's live view).
    async fn routing_entries_since(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> StoreResult<Vec<RoutingEntryRecord>>;
    /// Stores a new (pending) offer with its events.
    async fn record_offer(&self, offer: &OfferRecord, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>>;
    /// Ends a pending offer as declined, timed out or withdrawn; `Conflict` if it is no
    /// longer pending.
    async fn settle_offer(
        &self,
        workspace: WorkspaceId,
        offer: OfferId,
        status: OfferStatus,
        at: Timestamp,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// Accepts a pending offer made to `agent` and saves the conversation change (owner
    /// to the agent) and closes its routing entry, all in one transaction. `Conflict` if
    /// the offer is no longer pending (another accept won) or the conversation changed.
    async fn accept_offer(
        &self,
        workspace: WorkspaceId,
        offer: OfferId,
        agent: AgentId,
        at: Timestamp,
        change: ConversationChange,
    ) -> StoreResult<Vec<StoredEvent>>;
    async fn offer(&self, workspace: WorkspaceId, offer: OfferId) -> StoreResult<OfferRecord>;
    /// Offers, newest first: of one conversation, or with one status, or all; at most `limit`.
    async fn offers(
        &self,
        workspace: WorkspaceId,
        conversation: Option<ConversationId>,
        status: Option<OfferStatus>,
        limit: u32,
    ) -> StoreResult<Vec<OfferRecord>>;

    // --- knowledge ---------------------------------------------------------------------

    /// Saves articles, each new or as a new version, with their events, all or nothing.
    /// Every save also records the version in the article's history. `Conflict` if a new
    /// article's key is taken in the workspace or a stored article is no longer at its
    /// expected version; `NotFound` if a new version's article does not exist.
    async fn save_articles(&self, saves: Vec<ArticleSave>) -> StoreResult<Vec<StoredEvent>>;
    async fn article(&self, workspace: WorkspaceId, id: ArticleId) -> StoreResult<Article>;
    async fn article_by_key(&self, workspace: WorkspaceId, key: &str) -> StoreResult<Article>;
    /// Articles in id order, at most `filter.limit`.
    async fn list_articles(&self, workspace: WorkspaceId, filter: &ArticleFilter) -> StoreResult<Vec<Article>>;
    /// Every version of an article, oldest first.
    async fn article_versions(&self, workspace: WorkspaceId, id: ArticleId) -> StoreResult<Vec<ArticleVersion>>;
    /// Records an agent's verdict on a knowledge card, with its events.
    async fn record_card_feedback(
        &self,
        feedback: &CardFeedback,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// Verdicts given in a conversation, oldest first.
    async fn card_feedback(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<CardFeedback>>;
    /// Verdicts per article given at or after `since`.
    async fn card_feedback_counts(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> StoreResult<Vec<CardFeedbackCount>>;
    /// Records how well retrieval answered a customer message, with its events. Once per
    /// message: a second record for the same message changes nothing and stores no events.
    async fn record_knowledge_question(
        &self,
        question: &KnowledgeQuestion,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// Questions asked at or after `since` whose best score is below `below`, newest
    /// first, at most `limit`.
    async fn knowledge_questions(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
        below: f32,
        limit: u32,
    ) -> StoreResult<Vec<KnowledgeQuestion>>;

    // --- virtual agent -----------------------------------------------------------------

    /// The workspace's bot configuration, if one was saved.
    async fn bot_config(&self, workspace: WorkspaceId) -> StoreResult<Option<BotConfigRecord>>;
    /// Saves a configuration whose `version` is one more than the stored one (or 1 when
    /// none is stored), with its events. `Conflict` if another save came first.
    async fn save_bot_config(
        &self,
        record: &BotConfigRecord,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>>;
    /// Sets (or replaces) a named secret that action headers refer to.
    async fn set_bot_secret(&self, workspace: WorkspaceId, name: &str, value: &str, at: Timestamp) -> StoreResult<()>;
    /// Deletes a secret; `NotFound` if there is none by that name.
    async fn delete_bot_secret(&self, workspace: WorkspaceId, name: &str) -> StoreResult<()>;
    /// The workspace's secrets with their values, by name (for rendering action calls).
    async fn bot_secrets(&self, workspace: WorkspaceId) -> StoreResult<Vec<(String, String)>>;
    /// The names of the workspace's secrets and when each was set, by name.
    async fn bot_secret_names(&self, workspace: WorkspaceId) -> StoreResult<Vec<(String, Timestamp)>>;
    /// The bot's state for a conversation, if it has taken a turn there.
    async fn bot_state(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Option<BotStateRecord>>;
    /// Commits one bot turn (see [`BotTurnCommit`]). `Conflict` if the conversation or
    /// the state changed since they were read; nothing is written then.
    async fn commit_bot_turn(&self, commit: BotTurnCommit) -> StoreResult<Vec<StoredEvent>>;
    /// A conversation's bot decisions, oldest first.
    async fn bot_decisions(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<BotDecisionRecord>>;
    /// Decisions taken at or after `since`, oldest first; the newest `limit` when there
    /// are more.
    async fn bot_decisions_since(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<BotDecisionRecord>>;

    // --- tasks -------------------------------------------------------------------------

    /// Creates a task outside a bot turn, with its events.
    async fn create_task(&self, task: &tandem_domain::Task, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>>;
    async fn task(&self, workspace: WorkspaceId, id: tandem_domain::TaskId) -> StoreResult<tandem_domain::Task>;
    async fn tasks(&self, workspace: WorkspaceId, filter: &TaskFilter) -> StoreResult<Vec<tandem_domain::Task>>;
    /// Settles an open task; `Conflict` if it is no longer open (someone settled it
    /// first), `NotFound` if there is no such task.
    async fn settle_task(&self, settlement: TaskSettlement) -> StoreResult<(tandem_domain::Task, Vec<StoredEvent>)>;

    // --- canned responses ------------------------------------------------------------

    /// Stores a canned response; `Conflict` if its shortcut is taken in the workspace.
    async fn create_canned_response(&self, canned: &tandem_domain::CannedResponse) -> StoreResult<()>;
    /// The workspace's canned responses, by shortcut.
    async fn canned_responses(&self, workspace: WorkspaceId) -> StoreResult<Vec<tandem_domain::CannedResponse>>;
    /// Deletes one; `NotFound` if the workspace has none by that id.
    async fn delete_canned_response(
        &self,
        workspace: WorkspaceId,
        id: tandem_domain::CannedResponseId,
    ) -> StoreResult<()>;

    // --- event log -------------------------------------------------------------------

    /// Events of a workspace with `seq > after`, oldest first, at most `limit`.
    async fn events_since(&self, workspace: WorkspaceId, after: i64, limit: u32) -> StoreResult<Vec<StoredEvent>>;
}
