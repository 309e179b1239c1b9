//! The embedded backend: one SQLite file in WAL mode.
//!
//! SQLite allows one writer at a time, so all writes go to a single writer thread that
//! owns the write connection and commits in groups: it takes every job waiting in its
//! queue (up to `max_batch`), runs each in its own savepoint inside one transaction, and
//! commits once. A job that fails rolls back to its savepoint without affecting the
//! others; a caller is answered only after the commit that made its write durable.
//! Reads run concurrently on a small pool of read-only connections.

mod ops;
mod rows;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};
use tandem_domain::{
    Agent, AgentId, AgentState, Article, ArticleId, ArticleVersion, CannedResponse, CannedResponseId, CardFeedback,
    Conversation, ConversationId, Customer, CustomerId, Identity, InboundMessage, KnowledgeQuestion, Message,
    MessageId, OfferId, Queue, QueueId, StoredEvent, Task, TaskId, Timestamp, Understanding, Workspace, WorkspaceId,
    ingest::ContinuityPolicy,
};
use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::{
    ApiKeyRecord, ArticleFilter, ArticleSave, Backend, BotConfigRecord, BotDecisionRecord, BotStateRecord,
    BotTurnCommit, CardFeedbackCount, ChatVisitorRecord, ConversationChange, ConversationFilter, CustomerChange,
    IngestOutcome, OfferRecord, OfferStatus, RoutingEntry, RoutingEntryRecord, SessionRecord, Store, StoreError,
    StoreResult, TaskFilter, TaskSettlement, Timeline,
};

pub use schema::{Migration, applied_migrations};

/// How hard SQLite works to make a commit durable.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Synchronous {
    /// fsync the WAL on every commit: an acknowledged write survives a power loss.
    #[default]
    Full,
    /// fsync at checkpoints only: survives a process crash, may lose the last commits
    /// on power loss. Faster on slow disks.
    Normal,
}

/// How to open the embedded store.
#[derive(Clone, Debug)]
pub struct SqliteOptions {
    pub path: PathBuf,
    pub synchronous: Synchronous,
    /// Read-only connections for concurrent reads.
    pub readers: usize,
    /// The most write jobs committed together.
    pub max_batch: usize,
}

impl SqliteOptions {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), synchronous: Synchronous::Full, readers: 4, max_batch: 256 }
    }
}

/// A write job: runs inside the group transaction and returns how to answer its caller
/// once the commit's outcome is known.
type Job = Box<dyn FnOnce(&Connection) -> Pending + Send>;

struct Pending {
    ok: bool,
    deliver: Box<dyn FnOnce(Result<(), StoreError>) + Send>,
}

/// The embedded store.
pub struct SqliteStore {
    writer: mpsc::Sender<Job>,
    readers: Arc<ReaderPool>,
}

struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `options.path`, applies migrations and
    /// starts the writer thread. Must be called within a Tokio runtime.
    pub fn open(options: &SqliteOptions) -> StoreResult<Self> {
        if let Some(parent) = options.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create the data directory {}: {e}", parent.display()))
            })?;
        }
        let mut conn = open_writer(&options.path, options.synchronous)?;
        schema::migrate(&mut conn)?;
        let (tx, rx) = mpsc::channel::<Job>(options.max_batch.max(1) * 16);
        let max_batch = options.max_batch.max(1);
        std::thread::Builder::new()
            .name("tandem-sqlite-writer".into())
            .spawn(move || writer_loop(&conn, rx, max_batch))
            .map_err(|e| StoreError::Other(format!("cannot start the SQLite writer thread: {e}")))?;
        let readers = options.readers.max(1);
        let idle = (0..readers).map(|_| open_reader(&options.path)).collect::<StoreResult<Vec<_>>>()?;
        Ok(Self {
            writer: tx,
            readers: Arc::new(ReaderPool {
                path: options.path.clone(),
                idle: Mutex::new(idle),
                permits: Semaphore::new(readers),
            }),
        })
    }

    /// Applies pending migrations to the database at `path` and returns all applied ones.
    pub fn migrate(path: &Path) -> StoreResult<Vec<Migration>> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        }
        let mut conn = open_writer(path, Synchronous::Full)?;
        schema::migrate(&mut conn)?;
        applied_migrations(&conn)
    }

    /// Runs `f` on the writer thread inside the current group transaction.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            Pending {
                ok: result.is_ok(),
                deliver: Box::new(move |commit| {
                    let _ = tx.send(commit.and(result));
                }),
            }
        });
        self.writer.send(job).await.map_err(|_| StoreError::Unavailable("the SQLite writer has stopped".into()))?;
        rx.await.map_err(|_| StoreError::Unavailable("the SQLite writer stopped before answering".into()))?
    }

    /// Runs `f` on a read-only connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let pool = Arc::clone(&self.readers);
        let _permit = pool.permits.acquire().await.map_err(|_| StoreError::Unavailable("reader pool closed".into()))?;
        let conn = match pool.idle.lock().map_err(|_| StoreError::Other("reader pool poisoned".into()))?.pop() {
            Some(conn) => conn,
            None => open_reader(&pool.path)?,
        };
        let pool_for_return = Arc::clone(&pool);
        tokio::task::spawn_blocking(move || {
            let result = f(&conn);
            if let Ok(mut idle) = pool_for_return.idle.lock() {
                idle.push(conn);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Other(format!("a read task failed: {e}")))?
    }
}

fn open_writer(path: &Path, synchronous: Synchronous) -> StoreResult<Connection> {
    let conn =
        Connection::open(path).map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    let sync = match synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; \
         PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY;"
    ))
    .map_err(ops::db_error)?;
    Ok(conn)
}

fn open_reader(path: &Path) -> StoreResult<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16384; PRAGMA query_only = ON;")
        .map_err(ops::db_error)?;
    Ok(conn)
}

fn writer_loop(conn: &Connection, mut jobs: mpsc::Receiver<Job>, max_batch: usize) {
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = Vec::with_capacity(max_batch.min(64));
        batch.push(first);
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(conn, batch);
    }
    tracing::debug!("SQLite writer stopped");
}

fn run_batch(conn: &Connection, batch: Vec<Job>) {
    let mut pending = Vec::with_capacity(batch.len());
    let outcome = (|| -> StoreResult<()> {
        conn.execute_batch("BEGIN IMMEDIATE").map_err(ops::db_error)?;
        for job in batch {
            conn.execute_batch("SAVEPOINT job").map_err(ops::db_error)?;
            let result = job(conn);
            if !result.ok {
                conn.execute_batch("ROLLBACK TO job").map_err(ops::db_error)?;
            }
            conn.execute_batch("RELEASE job").map_err(ops::db_error)?;
            pending.push(result);
        }
        conn.execute_batch("COMMIT").map_err(ops::db_error)
    })();
    if let Err(error) = &outcome {
        tracing::error!(%error, jobs = pending.len(), "SQLite group commit failed; rolling back");
        let _ = conn.execute_batch("ROLLBACK");
    }
    for job in pending {
        (job.deliver)(outcome.clone());
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> StoreResult<()> {
        self.read(|conn| conn.query_row("SELECT 1", [], |_| Ok(())).map_err(ops::db_error)).await
    }

    async fn create_workspace(&self, workspace: &Workspace) -> StoreResult<()> {
        let workspace = workspace.clone();
        self.write(move |conn| ops::insert_workspace(conn, &workspace)).await
    }

    async fn workspace(&self, id: WorkspaceId) -> StoreResult<Workspace> {
        self.read(move |conn| ops::workspace_where(conn, "id", &id.to_string())).await
    }

    async fn workspace_by_slug(&self, slug: &str) -> StoreResult<Workspace> {
        let slug = slug.to_owned();
        self.read(move |conn| ops::workspace_where(conn, "slug", &slug)).await
    }

    async fn workspace_by_chat_key(&self, chat_key: &str) -> StoreResult<Workspace> {
        let key = chat_key.to_owned();
        self.read(move |conn| ops::workspace_where(conn, "chat_key", &key)).await
    }

    async fn create_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        let key = key.clone();
        self.write(move |conn| ops::insert_api_key(conn, &key)).await
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> StoreResult<ApiKeyRecord> {
        let hash = key_hash.to_owned();
        self.read(move |conn| ops::api_key_by_hash(conn, &hash)).await
    }

    async fn create_session(&self, session: &SessionRecord) -> StoreResult<()> {
        let session = session.clone();
        self.write(move |conn| ops::insert_session(conn, &session)).await
    }

    async fn session_by_hash(&self, token_hash: &str, now: Timestamp) -> StoreResult<SessionRecord> {
        let hash = token_hash.to_owned();
        self.read(move |conn| ops::session_by_hash(conn, &hash, now)).await
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let hash = token_hash.to_owned();
        self.write(move |conn| ops::delete_session(conn, &hash)).await
    }

    async fn create_chat_visitor(&self, visitor: &ChatVisitorRecord) -> StoreResult<()> {
        let visitor = visitor.clone();
        self.write(move |conn| ops::insert_chat_visitor(conn, &visitor)).await
    }

    async fn chat_visitor_by_hash(&self, token_hash: &str) -> StoreResult<ChatVisitorRecord> {
        let hash = token_hash.to_owned();
        self.read(move |conn| ops::chat_visitor_by_hash(conn, &hash)).await
    }

    async fn create_agent(
        &self,
        agent: &Agent,
        password_hash: &str,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>> {
        let agent = agent.clone();
        let hash = password_hash.to_owned();
        self.write(move |conn| {
            ops::insert_agent(conn, &agent, &hash)?;
            ops::insert_events(conn, events)
        })
        .await
    }

    async fn agent(&self, workspace: WorkspaceId, id: AgentId) -> StoreResult<Agent> {
        self.read(move |conn| ops::agent(conn, workspace, id)).await
    }

    async fn agent_credentials(&self, workspace: WorkspaceId, email: &str) -> StoreResult<(Agent, String)> {
        let email = email.trim().to_lowercase();
        self.read(move |conn| ops::agent_credentials(conn, workspace, &email)).await
    }

    async fn list_agents(&self, workspace: WorkspaceId) -> StoreResult<Vec<Agent>> {
        self.read(move |conn| ops::list_agents(conn, workspace)).await
    }

    async fn set_agent_state(
        &self,
        workspace: WorkspaceId,
        id: AgentId,
        state: AgentState,
        now: Timestamp,
    ) -> StoreResult<(Agent, Vec<StoredEvent>)> {
        self.write(move |conn| ops::set_agent_state(conn, workspace, id, state, now)).await
    }

    async fn create_queue(&self, queue: &Queue, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>> {
        let queue = queue.clone();
        self.write(move |conn| {
            ops::insert_queue(conn, &queue)?;
            ops::insert_events(conn, events)
        })
        .await
    }

    async fn queue(&self, workspace: WorkspaceId, id: QueueId) -> StoreResult<Queue> {
        self.read(move |conn| ops::queue(conn, workspace, id)).await
    }

    async fn list_queues(&self, workspace: WorkspaceId) -> StoreResult<Vec<Queue>> {
        self.read(move |conn| ops::list_queues(conn, workspace)).await
    }

    async fn update_queue(&self, queue: &Queue, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>> {
        let queue = queue.clone();
        self.write(move |conn| {
            ops::update_queue(conn, &queue)?;
            ops::insert_events(conn, events)
        })
        .await
    }

    async fn customer(&self, workspace: WorkspaceId, id: CustomerId) -> StoreResult<Customer> {
        self.read(move |conn| ops::customer(conn, workspace, id)).await
    }

    async fn customer_by_identity(&self, workspace: WorkspaceId, identity: &Identity) -> StoreResult<Customer> {
        let identity = identity.clone();
        self.read(move |conn| {
            let id = ops::identity_owner(conn, workspace, &identity)?.ok_or(StoreError::NotFound("customer"))?;
            ops::customer(conn, workspace, id)
        })
        .await
    }

    async fn update_customer(&self, change: CustomerChange) -> StoreResult<Vec<StoredEvent>> {
        self.write(move |conn| ops::update_customer(conn, change)).await
    }

    async fn create_customer(&self, customer: &Customer, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>> {
        let customer = customer.clone();
        self.write(move |conn| ops::create_customer(conn, &customer, events)).await
    }

    async fn link_identity(
        &self,
        workspace: WorkspaceId,
        customer: CustomerId,
        identity: &Identity,
        now: Timestamp,
    ) -> StoreResult<Vec<StoredEvent>> {
        let identity = identity.clone();
        self.write(move |conn| ops::link_identity(conn, workspace, customer, &identity, now)).await
    }

    async fn merge_customers(
        &self,
        workspace: WorkspaceId,
        target: CustomerId,
        source: CustomerId,
        now: Timestamp,
    ) -> StoreResult<Vec<StoredEvent>> {
        self.write(move |conn| ops::merge_customers(conn, workspace, target, source, now)).await
    }

    async fn timeline(&self, workspace: WorkspaceId, customer: CustomerId) -> StoreResult<Timeline> {
        self.read(move |conn| ops::timeline(conn, workspace, customer)).await
    }

    async fn ingest(
        &self,
        message: InboundMessage,
        policy: ContinuityPolicy,
        now: Timestamp,
    ) -> StoreResult<IngestOutcome> {
        self.write(move |conn| ops::ingest(conn, &message, &policy, now)).await
    }

    async fn conversation(&self, workspace: WorkspaceId, id: ConversationId) -> StoreResult<Conversation> {
        self.read(move |conn| ops::conversation(conn, workspace, id)).await
    }

    async fn list_conversations(
        &self,
        workspace: WorkspaceId,
        filter: &ConversationFilter,
    ) -> StoreResult<Vec<Conversation>> {
        let filter = filter.clone();
        self.read(move |conn| ops::list_conversations(conn, workspace, &filter)).await
    }

    async fn messages(&self, workspace: WorkspaceId, conversation: ConversationId) -> StoreResult<Vec<Message>> {
        self.read(move |conn| ops::messages(conn, workspace, conversation)).await
    }

    async fn message(&self, workspace: WorkspaceId, id: MessageId) -> StoreResult<Message> {
        self.read(move |conn| ops::message(conn, workspace, id)).await
    }

    async fn update_understanding(
        &self,
        workspace: WorkspaceId,
        id: MessageId,
        understanding: &Understanding,
    ) -> StoreResult<()> {
        let understanding = understanding.clone();
        self.write(move |conn| ops::update_understanding(conn, workspace, id, &understanding)).await
    }

    async fn save_conversation(&self, change: ConversationChange) -> StoreResult<Vec<StoredEvent>> {
        self.write(move |conn| ops::save_conversation(conn, change)).await
    }

    async fn workspace_ids(&self) -> StoreResult<Vec<WorkspaceId>> {
        self.read(ops::workspace_ids).await
    }

    async fn open_routing_entry(&self, entry: &RoutingEntry) -> StoreResult<RoutingEntry> {
        let entry = entry.clone();
        let now = tandem_domain::time::now();
        self.write(move |conn| ops::open_routing_entry(conn, &entry, now)).await
    }

    async fn close_routing_entry(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
        outcome: &str,
        at: Timestamp,
    ) -> StoreResult<()> {
        let outcome = outcome.to_owned();
        self.write(move |conn| ops::close_routing_entry(conn, workspace, conversation, &outcome, at)).await
    }

    async fn open_routing_entries(&self, workspace: WorkspaceId) -> StoreResult<Vec<RoutingEntry>> {
        self.read(move |conn| ops::open_routing_entries(conn, workspace)).await
    }

    async fn routing_arrivals(&self, workspace: WorkspaceId, since: Timestamp) -> StoreResult<Vec<(QueueId, u64)>> {
        self.read(move |conn| ops::routing_arrivals(conn, workspace, since)).await
    }

    async fn routing_entries_since(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> StoreResult<Vec<RoutingEntryRecord>> {
        self.read(move |conn| ops::routing_entries_since(conn, workspace, since)).await
    }

    async fn record_offer(&self, offer: &OfferRecord, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>> {
        let offer = offer.clone();
        self.write(move |conn| {
            ops::record_offer(conn, &offer)?;
            ops::insert_events(conn, events)
        })
        .await
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
        self.write(move |conn| {
            ops::settle_offer(conn, workspace, offer, None, status, at)?;
            ops::insert_events(conn, events)
        })
        .await
    }

    async fn accept_offer(
        &self,
        workspace: WorkspaceId,
        offer: OfferId,
        agent: AgentId,
        at: Timestamp,
        change: ConversationChange,
    ) -> StoreResult<Vec<StoredEvent>> {
        self.write(move |conn| {
            let record = ops::settle_offer(conn, workspace, offer, Some(agent), OfferStatus::Accepted, at)?;
            ops::close_routing_entry(conn, workspace, record.conversation_id, "answered", at)?;
            ops::save_conversation(conn, change)
        })
        .await
    }

    async fn offer(&self, workspace: WorkspaceId, offer: OfferId) -> StoreResult<OfferRecord> {
        self.read(move |conn| ops::offer_record(conn, workspace, offer)).await
    }

    async fn offers(
        &self,
        workspace: WorkspaceId,
        conversation: Option<ConversationId>,
        status: Option<OfferStatus>,
        limit: u32,
    ) -> StoreResult<Vec<OfferRecord>> {
        self.read(move |conn| ops::offers(conn, workspace, conversation, status, limit)).await
    }

    async fn save_articles(&self, saves: Vec<ArticleSave>) -> StoreResult<Vec<StoredEvent>> {
        self.write(move |conn| ops::save_articles(conn, saves)).await
    }

    async fn article(&self, workspace: WorkspaceId, id: ArticleId) -> StoreResult<Article> {
        self.read(move |conn| ops::article(conn, workspace, id)).await
    }

    async fn article_by_key(&self, workspace: WorkspaceId, key: &str) -> StoreResult<Article> {
        let key = key.to_owned();
        self.read(move |conn| ops::article_by_key(conn, workspace, &key)).await
    }

    async fn list_articles(&self, workspace: WorkspaceId, filter: &ArticleFilter) -> StoreResult<Vec<Article>> {
        let filter = filter.clone();
        self.read(move |conn| ops::list_articles(conn, workspace, &filter)).await
    }

    async fn article_versions(&self, workspace: WorkspaceId, id: ArticleId) -> StoreResult<Vec<ArticleVersion>> {
        self.read(move |conn| ops::article_versions(conn, workspace, id)).await
    }

    async fn record_card_feedback(
        &self,
        feedback: &CardFeedback,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>> {
        let feedback = feedback.clone();
        self.write(move |conn| {
            ops::record_card_feedback(conn, &feedback)?;
            ops::insert_events(conn, events)
        })
        .await
    }

    async fn card_feedback(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<CardFeedback>> {
        self.read(move |conn| ops::card_feedback(conn, workspace, conversation)).await
    }

    async fn card_feedback_counts(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
    ) -> StoreResult<Vec<CardFeedbackCount>> {
        self.read(move |conn| ops::card_feedback_counts(conn, workspace, since)).await
    }

    async fn record_knowledge_question(
        &self,
        question: &KnowledgeQuestion,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>> {
        let question = question.clone();
        self.write(move |conn| {
            if ops::record_knowledge_question(conn, &question)? {
                ops::insert_events(conn, events)
            } else {
                Ok(Vec::new())
            }
        })
        .await
    }

    async fn knowledge_questions(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
        below: f32,
        limit: u32,
    ) -> StoreResult<Vec<KnowledgeQuestion>> {
        self.read(move |conn| ops::knowledge_questions(conn, workspace, since, below, limit)).await
    }

    async fn bot_config(&self, workspace: WorkspaceId) -> StoreResult<Option<BotConfigRecord>> {
        self.read(move |conn| ops::bot_config(conn, workspace)).await
    }

    async fn save_bot_config(
        &self,
        record: &BotConfigRecord,
        events: Vec<StoredEvent>,
    ) -> StoreResult<Vec<StoredEvent>> {
        let record = record.clone();
        self.write(move |conn| {
            ops::save_bot_config(conn, &record)?;
            ops::insert_events(conn, events)
        })
        .await
    }

    async fn set_bot_secret(&self, workspace: WorkspaceId, name: &str, value: &str, at: Timestamp) -> StoreResult<()> {
        let (name, value) = (name.to_owned(), value.to_owned());
        self.write(move |conn| ops::set_bot_secret(conn, workspace, &name, &value, at)).await
    }

    async fn delete_bot_secret(&self, workspace: WorkspaceId, name: &str) -> StoreResult<()> {
        let name = name.to_owned();
        self.write(move |conn| ops::delete_bot_secret(conn, workspace, &name)).await
    }

    async fn bot_secrets(&self, workspace: WorkspaceId) -> StoreResult<Vec<(String, String)>> {
        self.read(move |conn| ops::bot_secrets(conn, workspace)).await
    }

    async fn bot_secret_names(&self, workspace: WorkspaceId) -> StoreResult<Vec<(String, Timestamp)>> {
        self.read(move |conn| ops::bot_secret_names(conn, workspace)).await
    }

    async fn bot_state(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Option<BotStateRecord>> {
        self.read(move |conn| ops::bot_state(conn, workspace, conversation)).await
    }

    async fn commit_bot_turn(&self, commit: BotTurnCommit) -> StoreResult<Vec<StoredEvent>> {
        self.write(move |conn| ops::commit_bot_turn(conn, commit)).await
    }

    async fn bot_decisions(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<BotDecisionRecord>> {
        self.read(move |conn| ops::bot_decisions(conn, workspace, conversation)).await
    }

    async fn bot_decisions_since(
        &self,
        workspace: WorkspaceId,
        since: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<BotDecisionRecord>> {
        self.read(move |conn| ops::bot_decisions_since(conn, workspace, since, limit)).await
    }

    async fn create_task(&self, task: &Task, events: Vec<StoredEvent>) -> StoreResult<Vec<StoredEvent>> {
        let task = task.clone();
        self.write(move |conn| {
            ops::insert_task(conn, &task)?;
            ops::insert_events(conn, events)
        })
        .await
    }

    async fn task(&self, workspace: WorkspaceId, id: TaskId) -> StoreResult<Task> {
        self.read(move |conn| ops::task(conn, workspace, id)).await
    }

    async fn tasks(&self, workspace: WorkspaceId, filter: &TaskFilter) -> StoreResult<Vec<Task>> {
        let filter = filter.clone();
        self.read(move |conn| ops::tasks(conn, workspace, &filter)).await
    }

    async fn settle_task(&self, settlement: TaskSettlement) -> StoreResult<(Task, Vec<StoredEvent>)> {
        self.write(move |conn| {
            let task = ops::settle_task(conn, &settlement)?;
            Ok((task, ops::insert_events(conn, settlement.events)?))
        })
        .await
    }

    async fn create_canned_response(&self, canned: &CannedResponse) -> StoreResult<()> {
        let canned = canned.clone();
        self.write(move |conn| ops::insert_canned_response(conn, &canned)).await
    }

    async fn canned_responses(&self, workspace: WorkspaceId) -> StoreResult<Vec<CannedResponse>> {
        self.read(move |conn| ops::canned_responses(conn, workspace)).await
    }

    async fn delete_canned_response(&self, workspace: WorkspaceId, id: CannedResponseId) -> StoreResult<()> {
        self.write(move |conn| ops::delete_canned_response(conn, workspace, id)).await
    }

    async fn events_since(&self, workspace: WorkspaceId, after: i64, limit: u32) -> StoreResult<Vec<StoredEvent>> {
        self.read(move |conn| ops::events_since(conn, workspace, after, limit)).await
    }
}

/// The baseline for the ingest benchmark: inserts `rows` message rows into a fresh
/// database at `path` with a plain autocommit INSERT loop through the same driver and
/// durability settings, and returns how long it took.
pub fn raw_insert_baseline(path: &Path, synchronous: Synchronous, rows: usize) -> StoreResult<std::time::Duration> {
    ops::raw_insert_baseline(path, synchronous, rows)
}
