//! Wiring: the only place that names concrete backends. Opens the store the settings
//! ask for, builds the engine and the router, and serves until a shutdown signal.

use std::sync::Arc;

use anyhow::Context;
use chrono::Duration;
use tandem_bus::InProcessBus;
use tandem_domain::ingest::ContinuityPolicy;
use tandem_engine::{Engine, EngineConfig};
use tandem_server::{AppState, ServerSettings};
use tandem_store::Store;
use tandem_store::postgres::PostgresStore;
use tandem_store::sqlite::{SqliteOptions, SqliteStore};
use tokio::net::TcpListener;

use crate::settings::{Settings, redact_url};

/// Opens the configured store, applying migrations.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    match &settings.database.url {
        Some(url) => {
            let store = PostgresStore::connect(url, settings.database.pool_size)
                .await
                .with_context(|| format!("connecting to PostgreSQL at {}", redact_url(url)))?;
            tracing::info!(database = %redact_url(url), "using PostgreSQL");
            Ok(Arc::new(store))
        }
        None => {
            let path = settings.sqlite_path();
            let mut options = SqliteOptions::new(&path);
            options.synchronous = settings.database.sqlite_synchronous;
            let store = SqliteStore::open(&options)
                .with_context(|| format!("opening the SQLite database {}", path.display()))?;
            tracing::info!(path = %path.display(), "using the embedded SQLite database");
            Ok(Arc::new(store))
        }
    }
}

/// The engine over `store`, configured from the settings.
pub fn engine(settings: &Settings, store: Arc<dyn Store>) -> anyhow::Result<Engine> {
    let config = EngineConfig {
        continuity: ContinuityPolicy {
            window: Duration::hours(settings.conversations.continuity_window_hours),
            ..ContinuityPolicy::default()
        },
        session_ttl: Duration::hours(settings.conversations.session_ttl_hours),
    };
    let engine = Engine::new(store, Arc::new(InProcessBus::default()), config);
    if !settings.nlp.enabled {
        return Ok(engine);
    }
    let started = std::time::Instant::now();
    let enricher = tandem_nlp::enrich::Enricher::with_defaults(settings.nlp.lingua)
        .context("loading the message-understanding models")?;
    tracing::info!(
        lingua = settings.nlp.lingua,
        millis = started.elapsed().as_millis() as u64,
        "message understanding ready"
    );
    Ok(engine.with_enricher(Arc::new(enricher)))
}

/// Adds what needs the sentence-embedding models, when installed: the asynchronous
/// refinement of intent and sentiment (all-MiniLM-L6-v2) and the knowledge index with
/// dense retrieval (the `[knowledge] model`). Without models the index is BM25 only.
/// Must run within the Tokio runtime.
pub fn with_models(settings: &Settings, mut engine: Engine) -> anyhow::Result<Engine> {
    use tandem_embed::{BertEncoder, ModelKind};
    use tandem_nlp::embedding::SentenceEmbedder;

    let root = settings.models_dir();
    let load = |kind: ModelKind| -> anyhow::Result<Option<Arc<BertEncoder>>> {
        let Some(dir) = tandem_embed::resolve(kind, &root) else { return Ok(None) };
        let started = std::time::Instant::now();
        let encoder = BertEncoder::load_model(kind, &dir, 256)
            .with_context(|| format!("loading the embedding model in {}", dir.display()))?;
        tracing::info!(
            model = kind.directory(),
            millis = started.elapsed().as_millis() as u64,
            "embedding model loaded"
        );
        Ok(Some(Arc::new(encoder)))
    };
    let minilm = if settings.nlp.enabled && settings.nlp.embeddings { load(ModelKind::MiniLm)? } else { None };
    if let Some(encoder) = &minilm {
        let refiner = tandem_nlp::refine::Refiner::with_defaults(Arc::clone(encoder) as Arc<dyn SentenceEmbedder>)
            .context("loading the embedding heads")?;
        engine = engine.with_refiner(Arc::new(refiner));
    }
    let knowledge_model: Option<Arc<BertEncoder>> = match settings.knowledge.model.as_str() {
        "none" => None,
        "e5" => Some(load(ModelKind::E5Small)?.with_context(|| {
            format!("knowledge.model is e5 but it is not installed in {}; run `tandem models install`", root.display())
        })?),
        "minilm" => match &minilm {
            Some(m) => Some(Arc::clone(m)),
            None => Some(load(ModelKind::MiniLm)?.with_context(|| {
                format!(
                    "knowledge.model is minilm but it is not installed in {}; run `tandem models install`",
                    root.display()
                )
            })?),
        },
        _ => match load(ModelKind::E5Small)? {
            Some(e5) => Some(e5),
            None => match &minilm {
                Some(m) => Some(Arc::clone(m)),
                None => load(ModelKind::MiniLm)?,
            },
        },
    };
    let embedder = knowledge_model.map(|m| m as Arc<dyn SentenceEmbedder>);
    if embedder.is_none() {
        tracing::warn!("no embedding model for knowledge search: BM25 only (run `tandem models install`)");
    }
    let dir = settings.knowledge_index_dir();
    let meta = tandem_engine::Knowledge::meta_for(embedder.as_ref());
    let (index, opened) = tandem_knowledge::KnowledgeIndex::open(&dir, meta)
        .with_context(|| format!("opening the knowledge index in {}", dir.display()))?;
    tracing::info!(dir = %dir.display(), opened = ?opened, "knowledge index");
    Ok(engine.with_knowledge(tandem_engine::Knowledge::new(index, embedder)))
}

/// Runs the virtual agent in `engine`, when the settings ask for it.
pub fn with_bot(settings: &Settings, engine: Engine) -> Engine {
    if !settings.bot.enabled {
        tracing::info!("the virtual agent is off (bot.enabled = false)");
        return engine;
    }
    engine.with_bot(tandem_engine::BotOptions {
        caller: Arc::new(tandem_engine::HttpCaller),
        concurrency: settings.bot.concurrency,
    })
}

/// The HTTP state for `engine`; `demo_chat_key` serves `/demo` with the chat widget.
pub fn state(settings: &Settings, engine: Engine, demo_chat_key: Option<String>) -> AppState {
    AppState::new(
        engine,
        ServerSettings {
            body_limit: settings.server.body_limit_bytes,
            secure_cookies: settings.server.secure_cookies,
            demo_chat_key,
        },
    )
}

/// Binds the configured address.
pub async fn bind(settings: &Settings) -> anyhow::Result<TcpListener> {
    let addr = settings.bind_addr()?;
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (is another process using it? set --bind)"))
}

/// Serves until Ctrl-C or SIGTERM, then drains in-flight requests.
pub async fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<()> {
    // Restores every workspace's queues (in their original order) and runs offer
    // timeouts and overflow steps.
    let _routing = state.engine.start_routing().await.context("starting routing")?;
    // The knowledge index follows the store: what changed while stopped is indexed now.
    let synced = state.engine.sync_knowledge().await.context("bringing the knowledge index up to date")?;
    tracing::info!(articles = synced.articles, indexed = synced.indexed, passages = synced.passages, "knowledge ready");
    state.engine.start_knowledge();
    // The bot answers what was committed but not answered before the restart.
    let pending = state.engine.start_bot().await.context("starting the virtual agent")?;
    if state.engine.bot_enabled() {
        tracing::info!(conversations = pending, "virtual agent ready");
    }
    let router = tandem_server::router(state);
    axum::serve(listener, router).with_graceful_shutdown(shutdown_signal()).await.context("the HTTP server failed")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
