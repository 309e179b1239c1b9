//! Tandem's HTTP surface: the JSON API under `/api/v1` with its OpenAPI document at
//! `/api/openapi.json`, the agent and web-chat WebSockets, and the operations endpoints
//! (`/healthz`, `/readyz`, `/metrics`).
//!
//! The web pages (agent desktop, supervisor view, chat widget) are served from [`web`].
//!
//! The server is the only crate that knows HTTP and JSON wire shapes: handlers convert
//! requests into domain values ([`convert`]), call the [`tandem_engine::Engine`], and
//! render results ([`dto`]) or errors ([`error::ApiError`], one JSON shape with a stable
//! code).

#![forbid(unsafe_code)]

pub mod convert;
pub mod dto;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod routes;
pub mod web;
pub mod ws;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use tandem_engine::Engine;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::metrics::Metrics;
use crate::routes::{
    agents, assist, auth, bot, chat, conversations, customers, events, knowledge, messages, ops, routing, tasks,
};

/// Server behaviour set from configuration.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// The largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Mark the session cookie `Secure` (browsers still accept it on localhost).
    pub secure_cookies: bool,
    /// Serve `/demo`, a page hosting the chat widget with this workspace chat key.
    pub demo_chat_key: Option<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self { body_limit: 256 * 1024, secure_cookies: true, demo_chat_key: None }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub metrics: Arc<Metrics>,
    pub settings: Arc<ServerSettings>,
    /// "Someone is typing" signals between the web chat and agents (this node only;
    /// they are not stored).
    pub typing: tokio::sync::broadcast::Sender<ws::Typing>,
}

impl AppState {
    pub fn new(engine: Engine, settings: ServerSettings) -> Self {
        let (typing, _) = tokio::sync::broadcast::channel(256);
        Self { engine, metrics: Arc::new(Metrics::default()), settings: Arc::new(settings), typing }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Tandem API", description = "Tandem's contact-center API. Errors share one shape: `{\"error\": {\"code\", \"message\", \"field\"}}`."),
    modifiers(&SecuritySchemes),
    tags(
        (name = "messages", description = "Inbound messages from any channel"),
        (name = "conversations", description = "Conversations and their lifecycle"),
        (name = "customers", description = "Customers, identities, merges and timelines"),
        (name = "agents", description = "Agents, queues and API keys"),
        (name = "routing", description = "Offers, waiting lists, routing audit and staffing"),
        (name = "knowledge", description = "Articles, hybrid search, knowledge cards, feedback and gaps"),
        (name = "bot", description = "The virtual agent: configuration, secrets, decisions, handoff summaries, figures"),
        (name = "tasks", description = "Follow-ups and approvals for people"),
        (name = "assist", description = "Canned responses, suggested replies, wrap-up, the supervisor's overview"),
        (name = "auth", description = "Agent sessions"),
        (name = "chat", description = "The web-chat visitor's side"),
        (name = "events", description = "The event log"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                extract::SESSION_COOKIE,
                "Set by /api/v1/auth/login; writes also need the X-CSRF-Token header",
            ))),
        );
        components.add_security_scheme(
            "chat_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The documented API routes and the OpenAPI document generated from them.
fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(messages::ingest))
        .routes(routes!(conversations::list))
        .routes(routes!(conversations::get))
        .routes(routes!(conversations::reply))
        .routes(routes!(conversations::note))
        .routes(routes!(conversations::assign))
        .routes(routes!(conversations::tags))
        .routes(routes!(conversations::priority))
        .routes(routes!(conversations::resolve))
        .routes(routes!(conversations::close))
        .routes(routes!(conversations::reopen))
        .routes(routes!(customers::create))
        .routes(routes!(customers::lookup))
        .routes(routes!(customers::get, customers::edit))
        .routes(routes!(customers::timeline))
        .routes(routes!(customers::link_identity))
        .routes(routes!(customers::merge))
        .routes(routes!(agents::list, agents::create))
        .routes(routes!(agents::set_state))
        .routes(routes!(agents::list_queues, agents::create_queue))
        .routes(routes!(agents::update_queue))
        .routes(routes!(routing::waiting))
        .routes(routes!(routing::accept))
        .routes(routes!(routing::decline))
        .routes(routes!(routing::list))
        .routes(routes!(routing::staffing))
        .routes(routes!(knowledge::list, knowledge::create))
        .routes(routes!(knowledge::get, knowledge::edit))
        .routes(routes!(knowledge::versions))
        .routes(routes!(knowledge::search))
        .routes(routes!(knowledge::cards))
        .routes(routes!(knowledge::feedback))
        .routes(routes!(knowledge::feedback_report))
        .routes(routes!(knowledge::gaps))
        .routes(routes!(knowledge::reindex))
        .routes(routes!(bot::get_config, bot::put_config))
        .routes(routes!(bot::list_secrets))
        .routes(routes!(bot::put_secret, bot::delete_secret))
        .routes(routes!(bot::decisions))
        .routes(routes!(bot::handoff))
        .routes(routes!(bot::metrics))
        .routes(routes!(tasks::list))
        .routes(routes!(tasks::get))
        .routes(routes!(tasks::settle))
        .routes(routes!(assist::list_canned, assist::create_canned))
        .routes(routes!(assist::delete_canned))
        .routes(routes!(assist::suggestions))
        .routes(routes!(assist::suggestion_feedback))
        .routes(routes!(assist::wrap_up_suggestion, assist::wrap_up))
        .routes(routes!(assist::overview))
        .routes(routes!(chat::contact))
        .routes(routes!(chat::rating))
        .routes(routes!(chat::status))
        .routes(routes!(agents::create_api_key))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(chat::start))
        .routes(routes!(chat::send, chat::history))
        .routes(routes!(events::list))
        .split_for_parts()
}

/// The OpenAPI document, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

const LANDING: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tandem</title></head>\
<body><h1>Tandem</h1><p>The contact-center API is running.</p><ul>\
<li><a href=\"/app\">Agent desktop</a></li><li><a href=\"/app/supervisor\">Supervisor view</a></li>\
<li><a href=\"/api/openapi.json\">OpenAPI document</a></li><li><a href=\"/healthz\">/healthz</a></li>\
<li><a href=\"/readyz\">/readyz</a></li><li><a href=\"/metrics\">/metrics</a></li></ul></body></html>";

async fn landing() -> impl IntoResponse {
    Html(LANDING)
}

/// Security headers on every response: no sniffing, no framing (but for the chat frame),
/// a default-deny CSP unless the page set its own.
async fn security_headers(request: Request, next: middleware::Next) -> axum::response::Response {
    let mut response = next.run(request).await;
    let embeddable = response.extensions().get::<web::Embeddable>().is_some();
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if !embeddable {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    response
}

/// The whole service.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api();
    let openapi = Arc::new(openapi);
    let body_limit = state.settings.body_limit;
    Router::new()
        .merge(api)
        .route("/api/openapi.json", get(move || async move { axum::Json(openapi.as_ref().clone()) }))
        .route("/api/v1/ws", get(ws::agent_socket))
        .route("/api/v1/chat/ws", get(ws::chat_socket))
        .route("/", get(landing))
        .route("/app", get(web::desktop))
        .route("/app/supervisor", get(web::supervisor))
        .route("/chat-frame", get(web::chat_frame))
        .route("/widget.js", get(web::embed))
        .route("/demo", get(web::demo))
        .route("/demo/config.json", get(web::demo_config))
        .route("/assets/{name}", get(web::asset))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(error::route_not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(middleware::from_fn(security_headers))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            // Method and route template only: never the query string or the body.
            let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
            tracing::debug_span!("http", method = %request.method(), route)
        }))
        .with_state(state)
}
