//! Ingest: the endpoint every channel adapter calls.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use crate::AppState;
use crate::convert;
use crate::dto::{InboundRequestDto, IngestResponse};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, Caller};

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
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe (1-200 printable characters)")),
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
    ApiJson(request): ApiJson<InboundRequestDto>,
) -> Result<(StatusCode, Json<IngestResponse>), ApiError> {
    let header_key = headers
        .get("idempotency-key")
        .map(|v| v.to_str())
        .transpose()
        .map_err(|_| ApiError::bad_request("the Idempotency-Key header must be printable ASCII"))?;
    let (message, key) = convert::inbound(actor.workspace_id(), request, header_key)?;
    let outcome = state.engine.ingest(tandem_engine::InboundRequest { message, idempotency_key: key }).await?;
    let status = if outcome.replayed {
        StatusCode::OK
    } else {
        state.metrics.ingested.inc();
        StatusCode::CREATED
    };
    Ok((status, Json(IngestResponse::from(&outcome))))
}
