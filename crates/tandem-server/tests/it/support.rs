//! A test application: SQLite in a temp dir, two workspaces, and a helper to call the
//! router the way a client would.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tandem_bus::InProcessBus;
use tandem_domain::agent::Role;
use tandem_domain::{Workspace, WorkspaceId};
use tandem_engine::{Engine, EngineConfig, NewAgent};
use tandem_server::{AppState, ServerSettings};
use tandem_store::sqlite::{SqliteOptions, SqliteStore};
use tower::ServiceExt;

pub struct Tenant {
    pub workspace: Workspace,
    pub key: String,
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub a: Tenant,
    pub b: Tenant,
    _dir: tempfile::TempDir,
}

pub const PASSWORD: &str = "correct horse battery";

/// What a call returned.
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::build(false).await
    }

    /// With message understanding on (the shipped models, without lingua).
    pub async fn with_nlp() -> Self {
        Self::build(true).await
    }

    /// With the asynchronous embedding tier too, when all-MiniLM-L6-v2 is installed
    /// (`None`, with a notice, when it is not; required in CI).
    pub async fn with_embeddings() -> Option<Self> {
        let Some(dir) = tandem_embed::resolve(tandem_embed::ModelKind::MiniLm, &tandem_embed::models_dir()) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but all-MiniLM-L6-v2 is not installed (run `tandem models install`)"
            );
            eprintln!(
                "skipped: no all-MiniLM-L6-v2 in {} (run `tandem models install`)",
                tandem_embed::models_dir().display()
            );
            return None;
        };
        let mut app = Self::build(true).await;
        let encoder = tandem_embed::BertEncoder::load(&dir, "", 128).unwrap();
        let refiner = tandem_nlp::refine::Refiner::with_defaults(Arc::new(encoder)).unwrap();
        app.state.engine = app.state.engine.clone().with_refiner(Arc::new(refiner));
        app.router = tandem_server::router(app.state.clone());
        Some(app)
    }

    /// With message understanding and the virtual agent (plain HTTP calls).
    pub async fn with_bot() -> Self {
        let mut app = Self::build(true).await;
        app.state.engine = app.state.engine.clone().with_bot(tandem_engine::BotOptions::default());
        app.router = tandem_server::router(app.state.clone());
        app
    }

    /// With routing settings (e.g. a short offer timeout).
    pub async fn with_routing(config: tandem_engine::RoutingConfig) -> Self {
        Self::build_with(false, Some(config)).await
    }

    /// Stops this app and starts a new one on the same database, as a restart would.
    pub async fn restart(self) -> Self {
        let Self { router, state, a, b, _dir: dir } = self;
        drop(router);
        drop(state);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let store = SqliteStore::open(&SqliteOptions::new(dir.path().join("t.db"))).unwrap();
        let engine = Engine::new(Arc::new(store), Arc::new(InProcessBus::default()), EngineConfig::default());
        engine.start_routing().await.unwrap().abort();
        let state =
            AppState::new(engine, ServerSettings { body_limit: 64 * 1024, secure_cookies: true, demo_chat_key: None });
        Self { router: tandem_server::router(state.clone()), state, a, b, _dir: dir }
    }

    async fn build(nlp: bool) -> Self {
        Self::build_with(nlp, None).await
    }

    async fn build_with(nlp: bool, routing: Option<tandem_engine::RoutingConfig>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&SqliteOptions::new(dir.path().join("t.db"))).unwrap();
        let mut engine = Engine::new(Arc::new(store), Arc::new(InProcessBus::default()), EngineConfig::default());
        if let Some(config) = routing {
            engine = engine.with_routing(config);
        }
        if nlp {
            engine = engine.with_enricher(Arc::new(tandem_nlp::enrich::Enricher::with_defaults(false).unwrap()));
        }
        let (wa, ka) = engine.create_workspace("acme", "Acme").await.unwrap();
        let (wb, kb) = engine.create_workspace("globex", "Globex").await.unwrap();
        let state =
            AppState::new(engine, ServerSettings { body_limit: 64 * 1024, secure_cookies: true, demo_chat_key: None });
        Self {
            router: tandem_server::router(state.clone()),
            state,
            a: Tenant { workspace: wa, key: ka },
            b: Tenant { workspace: wb, key: kb },
            _dir: dir,
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.state.engine
    }

    /// Sends a request with optional bearer key, cookie, CSRF token and JSON body.
    pub async fn raw(&self, method: Method, path: &str, headers: &[(&str, &str)], body: Option<String>) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let request = request.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, json }
    }

    pub async fn call(&self, key: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
        let auth = format!("Bearer {key}");
        let mut headers = vec![(header::AUTHORIZATION.as_str(), auth.as_str())];
        if body.is_some() {
            headers.push((header::CONTENT_TYPE.as_str(), "application/json"));
        }
        self.raw(method, path, &headers, body.map(|b| b.to_string())).await
    }

    pub async fn get(&self, key: &str, path: &str) -> Reply {
        self.call(key, Method::GET, path, None).await
    }

    pub async fn post(&self, key: &str, path: &str, body: Value) -> Reply {
        self.call(key, Method::POST, path, Some(body)).await
    }

    /// Ingests a message and returns the response body.
    pub async fn ingest(&self, key: &str, body: Value) -> Value {
        let reply = self.post(key, "/api/v1/messages/inbound", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
        reply.json
    }

    pub async fn email_message(&self, key: &str, email: &str, text: &str) -> Value {
        self.ingest(key, json!({ "channel": "email", "from": { "email": email }, "body": text })).await
    }

    pub async fn agent(&self, workspace: WorkspaceId, email: &str, role: Role) -> tandem_domain::Agent {
        self.skilled_agent(workspace, email, role, &[]).await
    }

    /// An agent with skills (name, level 1–5), speaking English.
    pub async fn skilled_agent(
        &self,
        workspace: WorkspaceId,
        email: &str,
        role: Role,
        skills: &[(&str, u8)],
    ) -> tandem_domain::Agent {
        let new = NewAgent {
            email: email.into(),
            display_name: email.split('@').next().unwrap().into(),
            role,
            password: PASSWORD.into(),
            skills: skills.iter().map(|(n, l)| (n.to_string(), *l)).collect(),
            languages: vec!["en".into()],
        };
        self.engine().create_agent(workspace, new).await.unwrap()
    }

    /// Logs in and returns (cookie header value, csrf token).
    pub async fn login(&self, workspace: &str, email: &str) -> (String, String) {
        let body = json!({ "workspace": workspace, "email": email, "password": PASSWORD }).to_string();
        let reply =
            self.raw(Method::POST, "/api/v1/auth/login", &[("content-type", "application/json")], Some(body)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        let set_cookie = reply.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_owned();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        (cookie, reply.json["csrf_token"].as_str().unwrap().to_owned())
    }

    /// The number of events in a workspace (to prove a failed request changed nothing).
    pub async fn event_count(&self, workspace: WorkspaceId) -> usize {
        self.engine().store().events_since(workspace, 0, 100_000).await.unwrap().len()
    }
}
