//! The web experience, served by the binary itself (no Node.js, no build step): the agent
//! desktop at `/app`, the supervisor's live view at `/app/supervisor`, the customer chat
//! widget (`/widget.js` embeds `/chat-frame` on any site) and, in `tandem demo`, a shop
//! page hosting the widget at `/demo`.
//!
//! The pages are static HTML and JavaScript compiled into the binary from `web/`; they
//! talk to the same JSON API and WebSockets as any client. Every page carries a strict
//! Content-Security-Policy: scripts and styles only from this server, no inline code, no
//! `eval`; text from customers and agents is only ever set as text. Only the chat frame
//! may be framed (by any site: that is what embedding means); every other page refuses.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// Marks a response that other sites may frame (the security layer then leaves out
/// `X-Frame-Options`).
#[derive(Clone, Copy, Debug)]
pub struct Embeddable;

/// The policy for Tandem's own pages.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The chat frame: the same, but any site may embed it.
const FRAME_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors *";

/// The demo shop page, which frames the chat.
const DEMO_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; frame-src 'self'; base-uri 'none'; frame-ancestors 'none'";

const DESKTOP_HTML: &str = include_str!("../web/desktop.html");
const SUPERVISOR_HTML: &str = include_str!("../web/supervisor.html");
const WIDGET_HTML: &str = include_str!("../web/widget.html");
const DEMO_HTML: &str = include_str!("../web/demo.html");
const EMBED_JS: &str = include_str!("../web/embed.js");

/// Files under `/assets/`, by name (nothing else is served from there).
const ASSETS: &[(&str, &str, &str)] = &[
    ("common.js", "text/javascript; charset=utf-8", include_str!("../web/common.js")),
    ("desktop.js", "text/javascript; charset=utf-8", include_str!("../web/desktop.js")),
    ("supervisor.js", "text/javascript; charset=utf-8", include_str!("../web/supervisor.js")),
    ("widget.js", "text/javascript; charset=utf-8", include_str!("../web/widget.js")),
    ("demo.js", "text/javascript; charset=utf-8", include_str!("../web/demo.js")),
    ("app.css", "text/css; charset=utf-8", include_str!("../web/app.css")),
    ("widget.css", "text/css; charset=utf-8", include_str!("../web/widget.css")),
    ("demo.css", "text/css; charset=utf-8", include_str!("../web/demo.css")),
];

fn page(html: &'static str, csp: &'static str) -> Response {
    let mut response = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        html,
    )
        .into_response();
    if csp == FRAME_CSP {
        response.extensions_mut().insert(Embeddable);
    }
    response
}

/// `GET /app`: the agent desktop.
pub async fn desktop() -> Response {
    page(DESKTOP_HTML, PAGE_CSP)
}

/// `GET /app/supervisor`: the supervisor's live view.
pub async fn supervisor() -> Response {
    page(SUPERVISOR_HTML, PAGE_CSP)
}

/// `GET /chat-frame?key=<chat key>`: the chat widget, framed by `/widget.js`.
pub async fn chat_frame() -> Response {
    page(WIDGET_HTML, FRAME_CSP)
}

/// `GET /demo`: a shop page with the chat widget (only in `tandem demo`).
pub async fn demo(State(state): State<AppState>) -> Result<Response, ApiError> {
    if state.settings.demo_chat_key.is_none() {
        return Err(ApiError::not_found("the demo page (it is served by `tandem demo`)"));
    }
    Ok(page(DEMO_HTML, DEMO_CSP))
}

/// `GET /demo/config.json`: the demo page's chat key (the page has no inline script to
/// carry it).
pub async fn demo_config(State(state): State<AppState>) -> Result<Response, ApiError> {
    let Some(key) = state.settings.demo_chat_key.as_deref() else {
        return Err(ApiError::not_found("the demo page (it is served by `tandem demo`)"));
    };
    Ok(axum::Json(serde_json::json!({ "chat_key": key })).into_response())
}

/// `GET /widget.js`: the loader a site includes with
/// `<script src="https://tandem.example/widget.js" data-chat-key="…" defer></script>`.
pub async fn embed() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            // Loaded by other sites' pages.
            (header::HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("cross-origin")),
        ],
        EMBED_JS,
    )
        .into_response()
}

/// `GET /assets/{name}`: the pages' scripts and styles.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
