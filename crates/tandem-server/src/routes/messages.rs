//! Ingest: the endpoint every channel adapter calls.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::convert;
use crate::dto::bot::BotTurnDto;
use crate::dto::{InboundRequestDto, IngestResponse};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, Caller};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IngestQuery {
    /// Wait for the virtual agent's reply and include it (`bot_turns`): for channels
    /// that answer in the same exchange, such as a voice gateway.
    wait_for_bot: Option<bool>,
}

/// Ingest an inbound message from any channel.
///
/// Finds the customer by any identity given, joins their open conversation (recording
/// a channel switch) or opens a new one. A 2xx answer means the message is committed.
/// Retrying with the same `Idempotency-Key` returns the original result with 200.
#[utoipa::path(
    post,
    path = "/api/v1/messages/inbound",
    tag = "messages",
    request_body = InboundRequestDto,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe (1-200 printable characters)"), IngestQuery),
    responses(
        (status = 201, description = "Stored", body = IngestResponse),
        (status = 200, description = "A retry: the original result", body = IngestResponse),
        (status = 409, description = "Idempotency key reused for another request", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ),
    security(("api_key" = []), ("session" = []))
)]
pub async fn ingest(
    State(state): State<AppState>,
    Caller(actor): Caller,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<IngestQuery>,
    ApiJson(request): ApiJson<InboundRequestDto>,
) -> Result<(StatusCode, Json<IngestResponse>), ApiError> {
    let header_key = headers
        .get("idempotency-key")
        .map(|v| v.to_str())
        .transpose()
        .map_err(|_| ApiError::bad_request("the Idempotency-Key header must be printable ASCII"))?;
    let (message, key) = convert::inbound(actor.workspace_id(), request, header_key)?;
    let request = tandem_engine::InboundRequest { message, idempotency_key: key };
    let (outcome, turns) = if query.wait_for_bot == Some(true) {
        let (outcome, turns) = state.engine.ingest_and_answer(request).await?;
        (outcome, Some(turns))
    } else {
        (state.engine.ingest(request).await?, None)
    };
    let status = if outcome.replayed {
        StatusCode::OK
    } else {
        state.metrics.ingested.inc();
        StatusCode::CREATED
    };
    let mut response = IngestResponse::from(&outcome);
    response.bot_turns = turns.map(|t| t.iter().map(BotTurnDto::from).collect());
    Ok((status, Json(response)))
}
