//! Tandem's application layer. The [`Engine`] runs every use case — the inbound
//! pipeline, the virtual agent, conversation commands, customers, access, routing,
//! knowledge — over the [`Store`] and
//! [`EventBus`] traits: it validates, asks the domain's pure rules what to change,
//! persists the change and its events in one store call, then publishes the events.
//!
//! It knows nothing of HTTP: the server converts wire shapes to the domain types used
//! here, and [`EngineError`] to status codes.

#![forbid(unsafe_code)]

mod access;
mod assist;
pub mod auth;
mod bot;
mod clock;
mod commands;
mod customers;
mod error;
mod ingest;
mod knowledge;
mod refine;
mod routing;
mod supervision;

use std::sync::Arc;

use chrono::Duration;
use tandem_bus::EventBus;
use tandem_domain::StoredEvent;
use tandem_domain::ingest::ContinuityPolicy;
use tandem_store::Store;

pub use access::{Actor, NewAgent, StartedChat};
pub use assist::{Suggestion, WrapUp, WrapUpSuggestion};
pub use bot::{
    ActionCaller, BotConfigView, BotMetrics, BotOptions, BotTurnReport, HttpCaller, ReasonCount, SecretName,
    TaskVerdict,
};
pub use clock::{Clock, SystemClock};
pub use commands::AssignTarget;
pub use customers::CustomerEdit;
pub use error::EngineError;
pub use ingest::InboundRequest;
pub use knowledge::{
    ArticleEdit, ArticleInput, CARDS, ImportSummary, Knowledge, KnowledgeCard, Recommendations, ReindexSummary,
    WEAK_ANSWER,
};
pub use routing::{QueueStaffing, RoutingConfig, WaitingConversation};
pub use supervision::{AgentLive, LiveConversation, Overview, QueueLive};

/// Shorthand for engine results.
pub type EngineResult<T> = Result<T, EngineError>;

/// Behaviour the engine is configured with.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub continuity: ContinuityPolicy,
    /// How long an agent's login session lasts.
    pub session_ttl: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self { continuity: ContinuityPolicy::default(), session_ttl: Duration::hours(12) }
    }
}

/// The application. Cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct Engine {
    store: Arc<dyn Store>,
    bus: Arc<dyn EventBus>,
    clock: Arc<dyn Clock>,
    config: Arc<EngineConfig>,
    enricher: Option<Arc<tandem_nlp::enrich::Enricher>>,
    refiner: Option<tokio::sync::mpsc::Sender<refine::RefineJob>>,
    routing: Arc<routing::Routing>,
    /// The knowledge index: set by `with_knowledge`, else made in memory (BM25 only) on
    /// first use.
    knowledge: Arc<std::sync::OnceLock<Result<Arc<Knowledge>, String>>>,
    recommender: Arc<std::sync::OnceLock<tokio::sync::mpsc::Sender<knowledge::RecommendJob>>>,
    /// The virtual agent, when it runs in this process.
    bot: Option<Arc<bot::BotRuntime>>,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, bus: Arc<dyn EventBus>, config: EngineConfig) -> Self {
        Self {
            store,
            bus,
            clock: Arc::new(SystemClock),
            config: Arc::new(config),
            enricher: None,
            refiner: None,
            routing: Arc::new(routing::Routing::new(RoutingConfig::default())),
            knowledge: Arc::new(std::sync::OnceLock::new()),
            recommender: Arc::new(std::sync::OnceLock::new()),
            bot: None,
        }
    }

    /// Replaces the knowledge index (a directory index, with an embedding model).
    #[must_use]
    pub fn with_knowledge(mut self, knowledge: Knowledge) -> Self {
        self.knowledge = Arc::new(std::sync::OnceLock::from(Ok(Arc::new(knowledge))));
        self
    }

    /// Replaces the routing settings (before any routing happens).
    #[must_use]
    pub fn with_routing(mut self, config: RoutingConfig) -> Self {
        self.routing = Arc::new(routing::Routing::new(config));
        self
    }

    /// Understands every inbound message (language, PII, sentiment, intent, entities)
    /// before it is stored.
    #[must_use]
    pub fn with_enricher(mut self, enricher: Arc<tandem_nlp::enrich::Enricher>) -> Self {
        self.enricher = Some(enricher);
        self
    }

    /// Refines each inbound message's intent and sentiment with sentence embeddings,
    /// asynchronously after the write. Must be called within a Tokio runtime.
    #[must_use]
    pub fn with_refiner(mut self, refiner: Arc<tandem_nlp::refine::Refiner>) -> Self {
        self.refiner = Some(refine::spawn(refiner, Arc::clone(&self.store)));
        self
    }

    /// Replaces the clock (tests, simulations).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The store, for read-only queries the server serves directly.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The bus, for live subscriptions.
    pub fn bus(&self) -> &Arc<dyn EventBus> {
        &self.bus
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    fn now(&self) -> tandem_domain::Timestamp {
        self.clock.now()
    }

    /// Publishes committed events. A bus failure is logged, not returned: the change is
    /// committed and in the event log, where subscribers catch up from.
    async fn publish(&self, events: &[StoredEvent]) {
        if events.is_empty() {
            return;
        }
        if let Err(error) = self.bus.publish(events).await {
            tracing::warn!(%error, count = events.len(), "could not publish events; subscribers will catch up from the log");
        }
    }
}
