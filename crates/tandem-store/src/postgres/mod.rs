//! The production backend: PostgreSQL through a `deadpool` connection pool.
//!
//! Each write is one transaction on a pooled connection; PostgreSQL's own group commit
//! combines the WAL flushes of concurrent transactions. Ingest takes row locks on the
//! conversation it joins and retries on a uniqueness or version conflict, so several
//! `tandem` nodes can ingest into one database.

mod batch;
mod ops;
mod rows;
mod schema;

use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tandem_domain::{
    Agent, AgentId, AgentState, Article, ArticleId, ArticleVersion, CannedResponse, CannedResponseId, CardFeedback,
    Conversation, ConversationId, Customer, CustomerId, Identity, InboundMessage, KnowledgeQuestion, Message,
    MessageId, OfferId, Queue, QueueId, StoredEvent, Task, TaskId, Timestamp, Understanding, Workspace, WorkspaceId,
    ingest::ContinuityPolicy,
};
use tokio_postgres::NoTls;

use crate::{
    ApiKeyRecord, ArticleFilter, ArticleSave, Backend, BotConfigRecord, BotDecisionRecord, BotStateRecord,
    BotTurnCommit, CardFeedbackCount, ChatVisitorRecord, ConversationChange, ConversationFilter, CustomerChange,
    IngestOutcome, OfferRecord, OfferStatus, RoutingEntry, RoutingEntryRecord, SessionRecord, Store, StoreError,
    StoreResult, TaskFilter, TaskSettlement, Timeline,
};

pub use ops::db_error;
pub use schema::Migration;

/// How many ingest batches run at once per node. One: on a 2-core machine a second
/// batch in flight halves batch sizes and lowered throughput by a quarter (measured
/// with `tandem bench ingest`); concurrency comes from batching and pipelining instead.
const INGEST_BATCHES_IN_FLIGHT: usize = 1;

/// How many times a write that lost a race (a uniqueness or version conflict) is retried.
const CONFLICT_RETRIES: usize = 5;

/// The PostgreSQL store.
pub struct PostgresStore {
    pool: Pool,
    ingest: tokio::sync::mpsc::Sender<batch::Job>,
}

impl PostgresStore {
    /// Connects to `url` with a pool of at most `pool_size` connections and applies
    /// pending migrations.
    pub async fn connect(url: &str, pool_size: usize) -> StoreResult<Self> {
        let pool = pool(url, pool_size)?;
        let ingest = batch::spawn(pool.clone(), 256, INGEST_BATCHES_IN_FLIGHT);
        let store = Self { pool, ingest };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations and returns all applied ones.
    pub async fn migrate(&self) -> StoreResult<Vec<Migration>> {
        let mut client = self.client().await?;
        schema::migrate(&mut client).await
    }

    async fn client(&self) -> StoreResult<deadpool_postgres::Client> {
        self.pool.get().await.map_err(|e| StoreError::Unavailable(format!("no PostgreSQL connection: {e}")))
    }
}

fn pool(url: &str, pool_size: usize) -> StoreResult<Pool> {
    let config: tokio_postgres::Config =
        url.parse().map_err(|e| StoreError::Invalid(format!("the database URL is not a valid PostgreSQL URL: {e}")))?;
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(pool_size.max(1))
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(10)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| StoreError::Other(format!("cannot build the PostgreSQL pool: {e}")))
}

/// Runs a transaction body, committing on success; retried on `Conflict` when asked.
macro_rules! transaction {
    ($self:ident, retry = $retry:expr, |$tx:ident| $body:expr) => {{
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut client = $self.client().await?;
            let $tx = client.transaction().await.map_err(ops::db_error)?;
            let result = $body;
            let result = match result {
                Ok(value) => $tx.commit().await.map_err(ops::db_error).map(|()| value),
                Err(e) => Err(e),
            };
            match result {
                Err(StoreError::Conflict(_)) if $retry && attempt < CONFLICT_RETRIES => continue,
                other => break other,
            }
        }
    }};
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> StoreResult<()> {
        let client = self.client().await?;
        client.simple_query("SELECT 1").await.map_err(ops::db_error).map(|_| ())
    }

    async fn create_workspace(&self, workspace: &Workspace) -> StoreResult<()> {
        let client = self.client().await?;
        ops::insert_workspace(&client, workspace).await
    }

    async fn workspace(&self, id: WorkspaceId) -> StoreResult<Workspace> {
        let client = self.client().await?;
        ops::workspace_by_id(&client, id).await
    }

    async fn workspace_by_slug(&self, slug: &str) -> StoreResult<Workspace> {
        let client = self.client().await?;
        ops::workspace_where(&client, "slug", slug).await
    }

    async fn workspace_by_chat_key(&self, chat_key: &str) -> StoreResult<Workspace> {
        let client = self.client().await?;
        ops::workspace_where(&client, "chat_key", chat_key).await
    }

    async fn create_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        let client = self.client().await?;
        ops::insert_api_key(&client, key).await
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<ApiKeyRecord> {
        let client = self.client().await?;
        ops::api_key_by_hash(&client, key_hash).await
    }

    async fn create_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let client = self.client().await?;
        ops::insert_session(&client, session).await
    }

    async fn session_by_hash(&self, token_hash: &str, now: Timestamp) -> StoreResult<SessionRecord> {
        let client = self.client().await?;
        ops::session_by_hash(&client, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let client = self.client().await?;
        ops::delete_session(&client, token_hash).await
    }

    async fn create_chat_visitor(&self, visitor: &ChatVisitorRecord) -> StoreResult<()> {
        let client = self.client().await?;
        ops::insert_chat_visitor(&client, visitor).await
    }

    async fn chat_visitor_by_hash(&self, token_hash: &str) -> StoreResult<ChatVisitorRecord> {
        let client = self.client().await?;
        ops::chat_visitor_by_hash(&client, token_hash).await
    }

    async fn create_agent(
        &self,
        agent: &Agent,
        password_hash: &str,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| {
            match ops::insert_agent(&tx, agent, password_hash).await {
                Ok(()) => ops::insert_events(&tx, events.clone()).await,
                Err(e) => Err(e),
            }
        })
    }

    async fn agent(&self, workspace: WorkspaceId, id: AgentId) -> StoreResult<Agent> {
        let client = self.client().await?;
        ops::agent(&client, workspace, id).await
    }

    async fn agent_credentials(&self, workspace: WorkspaceId, email: &str) -> StoreResult<(Agent, String)> {
        let client = self.client().await?;
        ops::agent_credentials(&client, workspace, &email.trim().to_lowercase()).await
    }

    async fn list_agents(&self, workspace: WorkspaceId) -> StoreResult<Vec<Agent>> {
        let client = self.client().await?;
        ops::list_agents(&client, workspace).await
    }

    async fn set_agent_state(
        &self,
        workspace: WorkspaceId,
        id: AgentId,
        state: AgentState,
        now: Timestamp,
    ) -> StoreResult<(Agent, Vec<StoredEvent>)> {
        transaction!(self, retry = false, |tx| ops::set_agent_state(&tx, workspace, id, state, now).await)
    }

    async fn create_queue(&self, queue: &Queue, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| {
            match ops::insert_queue(&tx, queue).await {
                Ok(()) => ops::insert_events(&tx, events.clone()).await,
                Err(e) => Err(e),
            }
        })
    }

    async fn queue(&self, workspace: WorkspaceId, id: QueueId) -> StoreResult<Queue> {
        let client = self.client().await?;
        ops::queue(&client, workspace, id).await
    }

    async fn list_queues(&self, workspace: WorkspaceId) -> StoreResult<Vec<Queue>> {
        let client = self.client().await?;
        ops::list_queues(&client, workspace).await
    }

    async fn update_queue(&self, queue: &Queue, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| {
            match ops::update_queue(&tx, queue).await {
                Ok(()) => ops::insert_events(&tx, events.clone()).await,
                Err(e) => Err(e),
            }
        })
    }

    async fn customer(&self, workspace: WorkspaceId, id: CustomerId) -> StoreResult<Customer> {
        let client = self.client().await?;
        ops::customer(&client, workspace, id).await
    }

    async fn customer_by_identity(&self, workspace: WorkspaceId, identity: &Identity) -> StoreResult<Customer> {
        let client = self.client().await?;
        let id = ops::identity_owner(&client, workspace, identity).await?.ok_or(StoreError::NotFound("customer"))?;
        ops::customer(&client, workspace, id).await
    }

    async fn update_customer(&self, change: CustomerChange) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| ops::update_customer(&tx, change.clone()).await)
    }

    async fn create_customer(&self, customer: &Customer, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| ops::create_customer(&tx, customer, events.clone()).await)
    }

    async fn link_identity(
        &self,
        workspace: WorkspaceId,
        customer: CustomerId,
        identity: &Identity,
        now: Timestamp,
    ) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| ops::link_identity(&tx, workspace, customer, identity, now).await)
    }

    async fn merge_customers(
        &self,
        workspace: WorkspaceId,
        target: CustomerId,
        source: CustomerId,
        now: Timestamp,
    ) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = true, |tx| ops::merge_customers(&tx, workspace, target, source, now).await)
    }

    async fn timeline(&self, workspace: WorkspaceId, customer: CustomerId) -> StoreResult<Timeline> {
        let client = self.client().await?;
        ops::timeline(&client, workspace, customer).await
    }

    async fn ingest(
        &self,
        message: InboundMessage,
        policy: ContinuityPolicy,
        now: Timestamp,
    ) -> StoreResult<IngestOutcome> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = batch::Job { message, policy, now, reply };
        self.ingest.send(job).await.map_err(|_| StoreError::Unavailable("the ingest batcher has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the ingest batcher stopped before answering".into()))?
    }

    async fn conversation(&self, workspace: WorkspaceId, id: ConversationId) -> StoreResult<Conversation> {
        let client = self.client().await?;
        ops::conversation(&client, workspace, id).await
    }

    async fn list_conversations(
        &self,
        workspace: WorkspaceId,
        filter: &ConversationFilter,
    ) -> StoreResult<Vec<Conversation>> {
        let client = self.client().await?;
        ops::list_conversations(&client, workspace, filter).await
    }

    async fn messages(&self, workspace: WorkspaceId, conversation: ConversationId) -> StoreResult<Vec<Message>> {
        let client = self.client().await?;
        ops::messages(&client, workspace, conversation).await
    }

    async fn message(&self, workspace: WorkspaceId, id: MessageId) -> StoreResult<Message> {
        let client = self.client().await?;
        ops::message(&client, workspace, id).await
    }

    async fn update_understanding(
        &self,
        workspace: WorkspaceId,
        id: MessageId,
        understanding: &Understanding,
    ) -> StoreResult<()> {
        let client = self.client().await?;
        ops::update_understanding(&client, workspace, id, understanding).await
    }

    async fn save_conversation(&self, change: ConversationChange) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| ops::save_conversation(&tx, change.clone()).await)
    }

    async fn workspace_ids(&self) -> StoreResult<Vec<WorkspaceId>> {
        let client = self.client().await?;
        ops::workspace_ids(&client).await
    }

    async fn open_routing_entry(&self, entry: &RoutingEntry) -> StoreResult<RoutingEntry> {
        let client = self.client().await?;
        ops::open_routing_entry(&client, entry, tandem_domain::time::now()).await
    }

    async fn close_routing_entry(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
        outcome: &str,
        at: Timestamp,
    ) -> StoreResult<()> {
        let client = self.client().await?;
        ops::close_routing_entry(&client, workspace, conversation, outcome, at).await
    }

    async fn open_routing_entries(&self, workspace: WorkspaceId) -> StoreResult<Vec<RoutingEntry>> {
        let client = self.client().await?;
        ops::open_routing_entries(&client, workspace).await
    }

    async fn routing_arrivals(&self, workspace: WorkspaceId, since: Timestamp) -> StoreResult<Vec<(QueueId, u64)>> {
        let client = self.client().await?;
        ops::routing_arrivals(&client, workspace, since).await
    }

    async fn routing_entries_since(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> StoreResult<Vec<RoutingEntryRecord>> {
        let client = self.client().await?;
        ops::routing_entries_since(&client, workspace, since).await
    }

    async fn record_offer(&self, offer: &OfferRecord, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| {
            match ops::record_offer(&tx, offer).await {
                Ok(()) => ops::insert_events(&tx, events.clone()).await,
                Err(e) => Err(e),
            }
        })
    }

    async fn settle_offer(
        &self,
        workspace: WorkspaceId,
        offer: OfferId,
        status: OfferStatus,
        at: Timestamp,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>> {
        if status == OfferStatus::Pending || status == OfferStatus::Accepted {
            return Err(StoreError::Other("settle_offer ends an offer; use accept_offer to accept".into()));
        }
        transaction!(self, retry = false, |tx| {
            match ops::settle_offer(&tx, workspace, offer, None, status, at).await {
                Ok(_) => ops::insert_events(&tx, events.clone()).await,
                Err(e) => Err(e),
            }
        })
    }

    async fn accept_offer(
        &self,
        workspace: WorkspaceId,
        offer: OfferId,
        agent: AgentId,
        at: Timestamp,
        change: ConversationChange,
    ) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| ops::accept_offer(&tx, workspace, offer, agent, at, change.clone())
            .await)
    }

    async fn offer(&self, workspace: WorkspaceId, offer: OfferId) -> StoreResult<OfferRecord> {
        let client = self.client().await?;
        ops::offer_record(&client, workspace, offer).await
    }

    async fn offers(
        &self,
        workspace: WorkspaceId,
        conversation: Option<ConversationId>,
        status: Option<OfferStatus>,
        limit: u32,
    ) -> StoreResult<Vec<OfferRecord>> {
        let client = self.client().await?;
        ops::offers(&client, workspace, conversation, status, limit).await
    }

    async fn save_articles(&self, saves: Vec<ArticleSave>) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| ops::save_articles(&tx, saves.clone()).await)
    }

    async fn article(&self, workspace: WorkspaceId, id: ArticleId) -> StoreResult<Article> {
        let client = self.client().await?;
        ops::article(&client, workspace, id).await
    }

    async fn article_by_key(&self, workspace: WorkspaceId, key: &str) -> StoreResult<Article> {
        let client = self.client().await?;
        ops::article_by_key(&client, workspace, key).await
    }

    async fn list_articles(&self, workspace: WorkspaceId, filter: &ArticleFilter) -> StoreResult<Vec<Article>> {
        let client = self.client().await?;
        ops::list_articles(&client, workspace, filter).await
    }

    async fn article_versions(&self, workspace: WorkspaceId, id: ArticleId) -> StoreResult<Vec<ArticleVersion>> {
        let client = self.client().await?;
        ops::article_versions(&client, workspace, id).await
    }

    async fn record_card_feedback(
        &self,
        feedback: &CardFeedback,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| {
            match ops::record_card_feedback(&tx, feedback).await {
                Ok(()) => ops::insert_events(&tx, events.clone()).await,
                Err(e) => Err(e),
            }
        })
    }

    async fn card_feedback(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<CardFeedback>> {
        let client = self.client().await?;
        ops::card_feedback(&client, workspace, conversation).await
    }

    async fn card_feedback_counts(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> StoreResult<Vec<CardFeedbackCount>> {
        let client = self.client().await?;
        ops::card_feedback_counts(&client, workspace, since).await
    }

    async fn record_knowledge_question(
        &self,
        question: &KnowledgeQuestion,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| {
            match ops::record_knowledge_question(&tx, question).await {
                Ok(true) => ops::insert_events(&tx, events.clone()).await,
                Ok(false) => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        })
    }

    async fn knowledge_questions(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
        below: f32,
        limit: u32,
    ) -> StoreResult<Vec<KnowledgeQuestion>> {
        let client = self.client().await?;
        ops::knowledge_questions(&client, workspace, since, below, limit).await
    }

    async fn bot_config(&self, workspace: WorkspaceId) -> StoreResult<Option<BotConfigRecord>> {
        let client = self.client().await?;
        ops::bot_config(&client, workspace).await
    }

    async fn save_bot_config(
        &self,
        record: &BotConfigRecord,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| {
            match ops::save_bot_config(&tx, record).await {
                Ok(()) => ops::insert_events(&tx, events.clone()).await,
                Err(e) => Err(e),
            }
        })
    }

    async fn set_bot_secret(&self, workspace: WorkspaceId, name: &str, value: &str, at: Timestamp) -> StoreResult<()> {
        let client = self.client().await?;
        ops::set_bot_secret(&client, workspace, name, value, at).await
    }

    async fn delete_bot_secret(&self, workspace: WorkspaceId, name: &str) -> StoreResult<()> {
        let client = self.client().await?;
        ops::delete_bot_secret(&client, workspace, name).await
    }

    async fn bot_secrets(&self, workspace: WorkspaceId) -> StoreResult<Vec<(String, String)>> {
        let client = self.client().await?;
        ops::bot_secrets(&client, workspace).await
    }

    async fn bot_secret_names(&self, workspace: WorkspaceId) -> StoreResult<Vec<(String, Timestamp)>> {
        let client = self.client().await?;
        ops::bot_secret_names(&client, workspace).await
    }

    async fn bot_state(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Option<BotStateRecord>> {
        let client = self.client().await?;
        ops::bot_state(&client, workspace, conversation).await
    }

    async fn commit_bot_turn(&self, commit: BotTurnCommit) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| ops::commit_bot_turn(&tx, commit.clone()).await)
    }

    async fn bot_decisions(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<BotDecisionRecord>> {
        let client = self.client().await?;
        ops::bot_decisions(&client, workspace, conversation).await
    }

    async fn bot_decisions_since(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<BotDecisionRecord>> {
        let client = self.client().await?;
        ops::bot_decisions_since(&client, workspace, since, limit).await
    }

    async fn create_task(&self, task: &Task, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>> {
        transaction!(self, retry = false, |tx| {
            match ops::insert_task(&tx, task).await {
                Ok(()) => ops::insert_events(&tx, events.clone()).await,
                Err(e) => Err(e),
            }
        })
    }

    async fn task(&self, workspace: WorkspaceId, id: TaskId) -> StoreResult<Task> {
        let client = self.client().await?;
        ops::task(&client, workspace, id).await
    }

    async fn tasks(&self, workspace: WorkspaceId, filter: &TaskFilter) -> StoreResult<Vec<Task>> {
        let client = self.client().await?;
        ops::tasks(&client, workspace, filter).await
    }

    async fn settle_task(&self, settlement: TaskSettlement) -> StoreResult<(Task, Vec<StoredEvent>)> {
        transaction!(self, retry = false, |tx| {
            match ops::settle_task(&tx, &settlement).await {
                Ok(task) => ops::insert_events(&tx, settlement.events.clone()).await.map(|events| (task, events)),
                Err(e) => Err(e),
            }
        })
    }

    async fn create_canned_response(&self, canned: &CannedResponse) -> StoreResult<()> {
        let client = self.client().await?;
        ops::insert_canned_response(&client, canned).await
    }

    async fn canned_responses(&self, workspace: WorkspaceId) -> StoreResult<Vec<CannedResponse>> {
        let client = self.client().await?;
        ops::canned_responses(&client, workspace).await
    }

    async fn delete_canned_response(&self, workspace: WorkspaceId, id: CannedResponseId) -> StoreResult<()> {
        let client = self.client().await?;
        ops::delete_canned_response(&client, workspace, id).await
    }

    async fn events_since(&self, workspace: WorkspaceId, after: i64, limit: u32) -> StoreResult<Vec<StoredEvent>> {
        let client = self.client().await?;
        ops::events_since(&client, workspace, after, limit).await
    }
}

/// The baseline for the ingest benchmark: inserts `rows` message rows with a plain
/// autocommit INSERT loop through the same driver, `clients` connections in parallel,
/// and returns how long it took.
pub async fn raw_insert_baseline(url: &str, rows: usize, clients: usize) -> StoreResult<std::time::Duration> {
    let store = PostgresStore::connect(url, clients.max(1)).await?;
    ops::raw_insert_baseline(&store.pool, rows, clients.max(1)).await
}

/// `url` with its database name replaced by `name` (for creating scratch databases in
/// tests and benchmarks).
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_names_are_replaced() {
        assert_eq!(with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(with_database("postgres://u@h/db?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
    }
}
