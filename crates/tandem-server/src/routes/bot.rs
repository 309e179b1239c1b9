//! The virtual agent: its configuration (JSON or TOML), the secrets its actions use,
//! its decisions and handoff summary per conversation, and its figures.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use tandem_bot::BotConfig;
use tandem_domain::{ConversationId, ValidationError};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::AppState;
use crate::dto::bot::{
    BotConfigDto, BotConfigRequest, BotDecisionDto, BotMetricsDto, HandoffDto, SecretNameDto, SecretRequest,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

/// The bot's configuration (the built-in default until one is saved).
#[utoipa::path(get, path = "/api/v1/bot/config", tag = "bot",
    responses((status = 200, body = BotConfigDto), (status = 403, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn get_config(State(state): State<AppState>, Caller(actor): Caller) -> Result<Json<BotConfigDto>, ApiError> {
    Ok(Json(state.engine.bot_config(actor).await?.into()))
}

fn parse_config(headers: &HeaderMap, body: &[u8]) -> Result<(BotConfig, Option<i64>), ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let text = std::str::from_utf8(body).map_err(|_| ApiError::bad_request("the body is not UTF-8"))?;
    if content_type.starts_with("application/toml") || content_type.starts_with("text/toml") {
        let config = toml::from_str::<BotConfig>(text).map_err(|e| {
            ApiError::validation(ValidationError::new("config", format!("not a valid configuration: {e}")))
        })?;
        let expected = match headers.get(header::IF_MATCH) {
            Some(v) => Some(
                v.to_str()
                    .ok()
                    .and_then(|s| s.trim().trim_matches('"').parse::<i64>().ok())
                    .ok_or_else(|| ApiError::bad_request("If-Match must be the version number you edited"))?,
            ),
            None => None,
        };
        return Ok((config, expected));
    }
    if !content_type.starts_with("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the configuration as application/json ({\"config\": ...}) or application/toml",
        ));
    }
    let request: BotConfigRequest = serde_json::from_str(text)
        .map_err(|e| ApiError::validation(ValidationError::new("body", format!("not a valid request: {e}"))))?;
    let config = serde_json::from_value::<BotConfig>(request.config)
        .map_err(|e| ApiError::validation(ValidationError::new("config", format!("not a valid configuration: {e}"))))?;
    Ok((config, request.expected_version))
}

/// Replace the bot's configuration (admins). Checked whole first: a bad configuration is
/// refused with the field to fix and nothing changes. Send JSON (`{"config": ...,
/// "expected_version": n}`) or TOML (`Content-Type: application/toml`, `If-Match: n`).
#[utoipa::path(put, path = "/api/v1/bot/config", tag = "bot", request_body = BotConfigRequest,
    responses((status = 200, body = BotConfigDto), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn put_config(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<BotConfigDto>, ApiError> {
    let (config, expected) = parse_config(&headers, &body)?;
    Ok(Json(state.engine.set_bot_config(actor, config, expected).await?.into()))
}

/// The names of the secrets action headers refer to as `{secret.name}` (never values).
#[utoipa::path(get, path = "/api/v1/bot/secrets", tag = "bot",
    responses((status = 200, body = Vec<SecretNameDto>), (status = 403, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn list_secrets(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<SecretNameDto>>, ApiError> {
    Ok(Json(state.engine.bot_secret_names(actor).await?.into_iter().map(SecretNameDto::from).collect()))
}

/// Set a secret (admins).
#[utoipa::path(put, path = "/api/v1/bot/secrets/{name}", tag = "bot", request_body = SecretRequest,
    params(("name" = String, Path, description = "Letters, digits and `_`")),
    responses((status = 204), (status = 422, body = ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn put_secret(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(name): ApiPath<String>,
    ApiJson(request): ApiJson<SecretRequest>,
) -> Result<StatusCode, ApiError> {
    state.engine.set_bot_secret(actor, &name, &request.value).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a secret (admins).
#[utoipa::path(delete, path = "/api/v1/bot/secrets/{name}", tag = "bot",
    params(("name" = String, Path, description = "The secret's name")),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn delete_secret(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.engine.delete_bot_secret(actor, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every decision the bot took in a conversation, oldest first: what it saw (intent,
/// language, sentiment, what it was waiting for — never the message text), the rule,
/// the reason and the outcome.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/bot/decisions", tag = "bot",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = Vec<BotDecisionDto>), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn decisions(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<BotDecisionDto>>, ApiError> {
    let list = state.engine.bot_decisions(actor, ConversationId::from_uuid(id)).await?;
    Ok(Json(list.iter().map(BotDecisionDto::from).collect()))
}

/// The handoff summary the bot wrote when it handed the conversation over.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/handoff", tag = "bot",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = HandoffDto), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn handoff(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<HandoffDto>, ApiError> {
    let summary = state.engine.handoff_summary(actor, ConversationId::from_uuid(id)).await?;
    Ok(Json(HandoffDto {
        text: summary.as_ref().map(tandem_bot::HandoffSummary::render),
        summary: summary.map(|s| serde_json::to_value(s).unwrap_or_default()),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    /// The period, in days back from now (1 to 366; default 1).
    days: Option<u32>,
}

/// The bot's figures: containment, escalations by reason, failed-turn rate, action
/// success rate and turn latency p50/p99 (supervisors).
#[utoipa::path(get, path = "/api/v1/bot/metrics", tag = "bot", params(MetricsQuery),
    responses((status = 200, body = BotMetricsDto), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn metrics(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(query): ApiQuery<MetricsQuery>,
) -> Result<Json<BotMetricsDto>, ApiError> {
    Ok(Json(state.engine.bot_metrics(actor, query.days.unwrap_or(1)).await?.into()))
}
