//! Agent login and logout (session cookie + CSRF token), and `me`.

use axum::Json;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use tandem_engine::Actor;

use crate::AppState;
use crate::dto::{LoginRequest, LoginResponse, MeResponse};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller, SESSION_COOKIE, cookie};

fn session_cookie(state: &AppState, value: &str, max_age_secs: i64) -> Result<HeaderValue, ApiError> {
    let secure = if state.settings.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    ))
    .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "could not build the session cookie"))
}

/// Log in as an agent: sets an HttpOnly session cookie and returns the CSRF token to
/// send in `X-CSRF-Token` on state-changing requests.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let (session, agent, token) = state.engine.login(&request.workspace, &request.email, &request.password).await?;
    let max_age = (session.expires_at - session.created_at).num_seconds();
    let cookie = session_cookie(&state, &token, max_age)?;
    let body = LoginResponse { agent: (&agent).into(), csrf_token: session.csrf_token, expires_at: session.expires_at };
    Ok((AppendHeaders([(header::SET_COOKIE, cookie)]), Json(body)).into_response())
}

/// Log out: ends the session and clears the cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Logged out"), (status = 401, body = ErrorBody)), security(("session" = [])))]
pub async fn logout(State(state): State<AppState>, Caller(_): Caller, parts: Parts) -> Result<Response, ApiError> {
    if let Some(token) = cookie(&parts, SESSION_COOKIE) {
        state.engine.logout(token).await?;
    }
    let cookie = session_cookie(&state, "", 0)?;
    Ok((StatusCode::NO_CONTENT, AppendHeaders([(header::SET_COOKIE, cookie)])).into_response())
}

/// Who the caller is.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn me(
    State(state): State<AppState>,
    Caller(actor): Caller,
    parts: Parts,
) -> Result<Json<MeResponse>, ApiError> {
    let agent = match actor {
        Actor::Agent { workspace_id, agent_id, .. } => {
            Some((&state.engine.store().agent(workspace_id, agent_id).await?).into())
        }
        Actor::ApiKey { .. } => None,
    };
    let csrf_token = match cookie(&parts, SESSION_COOKIE) {
        Some(token) if crate::extract::bearer(&parts).is_none() => {
            Some(state.engine.authenticate_session(token).await?.1)
        }
        _ => None,
    };
    Ok(Json(MeResponse { workspace_id: actor.workspace_id().as_uuid(), agent, csrf_token }))
}
