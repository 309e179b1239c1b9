//! Agent assist and supervision: canned responses, suggested replies and verdicts on
//! them, the wrap-up, and the supervisor's live overview.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tandem_domain::{CannedResponse, CannedResponseId, ConversationId};
use tandem_engine::{Overview, Suggestion, WrapUp, WrapUpSuggestion};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::dto::ConversationDto;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Caller};

#[derive(Serialize, ToSchema)]
pub struct CannedResponseDto {
    pub id: Uuid,
    /// Typed after `/` in the composer.
    pub shortcut: String,
    pub title: String,
    pub body: String,
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<&CannedResponse> for CannedResponseDto {
    fn from(c: &CannedResponse) -> Self {
        Self {
            id: c.id.as_uuid(),
            shortcut: c.shortcut.clone(),
            title: c.title.clone(),
            body: c.body.clone(),
            language: c.language.clone(),
            created_at: c.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedResponseRequest {
    pub shortcut: String,
    pub title: String,
    pub body: String,
    pub language: Option<String>,
}

/// Canned responses, by shortcut.
#[utoipa::path(get, path = "/api/v1/canned-responses", tag = "assist",
    responses((status = 200, body = Vec<CannedResponseDto>)), security(("api_key" = []), ("session" = [])))]
pub async fn list_canned(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<CannedResponseDto>>, ApiError> {
    Ok(Json(state.engine.canned_responses(actor).await?.iter().map(CannedResponseDto::from).collect()))
}

/// Add a canned response (supervisors). 409 if the shortcut is taken.
#[utoipa::path(post, path = "/api/v1/canned-responses", tag = "assist", request_body = CannedResponseRequest,
    responses((status = 201, body = CannedResponseDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn create_canned(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiJson(r): ApiJson<CannedResponseRequest>,
) -> Result<(StatusCode, Json<CannedResponseDto>), ApiError> {
    let canned =
        state.engine.create_canned_response(actor, &r.shortcut, &r.title, &r.body, r.language.as_deref()).await?;
    Ok((StatusCode::CREATED, Json((&canned).into())))
}

/// Delete a canned response (supervisors).
#[utoipa::path(delete, path = "/api/v1/canned-responses/{id}", tag = "assist",
    params(("id" = Uuid, Path, description = "Canned response id")),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn delete_canned(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_canned_response(actor, CannedResponseId::from_uuid(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct SuggestionDto {
    /// `knowledge` or `canned`.
    pub source: String,
    /// The article id or the canned response's shortcut (send it back with a verdict).
    pub reference: String,
    pub title: String,
    pub text: String,
}

impl From<&Suggestion> for SuggestionDto {
    fn from(s: &Suggestion) -> Self {
        Self { source: s.source.clone(), reference: s.reference.clone(), title: s.title.clone(), text: s.text.clone() }
    }
}

/// Suggested replies: the best knowledge cards as replies, and fitting canned responses.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/suggestions", tag = "assist",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = Vec<SuggestionDto>), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn suggestions(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<SuggestionDto>>, ApiError> {
    let list = state.engine.suggestions(actor, ConversationId::from_uuid(id)).await?;
    Ok(Json(list.iter().map(SuggestionDto::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestionFeedbackRequest {
    /// `knowledge` or `canned`.
    pub source: String,
    pub reference: String,
    /// `shown`, `accepted`, `edited` or `rejected`.
    pub verdict: String,
}

/// Record what the agent did with a suggestion.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/suggestions/feedback", tag = "assist",
    params(("id" = Uuid, Path, description = "Conversation id")), request_body = SuggestionFeedbackRequest,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn suggestion_feedback(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(r): ApiJson<SuggestionFeedbackRequest>,
) -> Result<StatusCode, ApiError> {
    state.engine.suggestion_feedback(actor, ConversationId::from_uuid(id), &r.source, &r.reference, &r.verdict).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct WrapUpDto {
    pub disposition: String,
    pub summary: String,
}

impl From<WrapUpSuggestion> for WrapUpDto {
    fn from(s: WrapUpSuggestion) -> Self {
        Self { disposition: s.disposition, summary: s.summary }
    }
}

/// The suggested wrap-up: a disposition and a summary to edit.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/wrap-up", tag = "assist",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = WrapUpDto), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn wrap_up_suggestion(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<WrapUpDto>, ApiError> {
    Ok(Json(state.engine.wrap_up_suggestion(actor, ConversationId::from_uuid(id)).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WrapUpRequest {
    pub disposition: String,
    pub summary: String,
    /// What was suggested (from `GET .../wrap-up`), so what the agent changed is recorded.
    pub suggested: Option<WrapUpDto>,
}

/// Wrap up and resolve (agents): the disposition and summary become an internal note.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/wrap-up", tag = "assist",
    params(("id" = Uuid, Path, description = "Conversation id")), request_body = WrapUpRequest,
    responses((status = 200, body = ConversationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = [])))]
pub async fn wrap_up(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(r): ApiJson<WrapUpRequest>,
) -> Result<Json<ConversationDto>, ApiError> {
    let wrap = WrapUp {
        disposition: r.disposition,
        summary: r.summary,
        suggested: r.suggested.map(|s| WrapUpSuggestion { disposition: s.disposition, summary: s.summary }),
    };
    let conversation = state.engine.wrap_up(actor, ConversationId::from_uuid(id), wrap).await?;
    Ok(Json((&conversation).into()))
}

/// The supervisor's live view: queues (waiting, longest wait, service level today),
/// agents (state, load), open conversations (owner, waiting time, sentiment) and the
/// virtual agent's day.
#[utoipa::path(get, path = "/api/v1/supervisor/overview", tag = "assist",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn overview(State(state): State<AppState>, Caller(actor): Caller) -> Result<Json<Overview>, ApiError> {
    Ok(Json(state.engine.overview(actor).await?))
}
