//! Routing: offers (accept, decline, the audit trail), queue waiting lists and staffing.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use tandem_domain::{AgentId, ConversationId, OfferId, QueueId, ValidationError};
use tandem_store::OfferStatus;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::AppState;
use crate::dto::{ConversationDto, OfferActionRequest, OfferDto, QueueStaffingDto, WaitingDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

/// Accept an offer: the conversation becomes the agent's. Of two accepts of one offer,
/// one wins and the other gets 409.
#[utoipa::path(post, path = "/api/v1/offers/{id}/accept", tag = "routing",
    params(("id" = Uuid, Path, description = "Offer id")), request_body = OfferActionRequest,
    responses((status = 200, body = ConversationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn accept(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<OfferActionRequest>,
) -> Result<Json<ConversationDto>, ApiError> {
    let agent = body.agent_id.map(AgentId::from_uuid);
    let conversation = state.engine.accept_offer(actor, OfferId::from_uuid(id), agent).await?;
    Ok(Json((&conversation).into()))
}

/// Decline an offer: the conversation goes to the next best agent.
#[utoipa::path(post, path = "/api/v1/offers/{id}/decline", tag = "routing",
    params(("id" = Uuid, Path, description = "Offer id")), request_body = OfferActionRequest,
    responses((status = 200, body = OfferDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn decline(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<OfferActionRequest>,
) -> Result<Json<OfferDto>, ApiError> {
    let agent = body.agent_id.map(AgentId::from_uuid);
    let offer = state.engine.decline_offer(actor, OfferId::from_uuid(id), agent).await?;
    Ok(Json((&offer).into()))
}

/// Filters for the routing audit trail.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OffersQuery {
    conversation_id: Option<Uuid>,
    /// `pending`, `accepted`, `declined`, `timed_out` or `withdrawn`.
    status: Option<String>,
    /// 1 to 500 (default 100).
    limit: Option<u32>,
}

/// Routing decisions, newest first: each offer with its rule, scores and outcome
/// (supervisors).
#[utoipa::path(get, path = "/api/v1/offers", tag = "routing", params(OffersQuery),
    responses((status = 200, body = Vec<OfferDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(query): ApiQuery<OffersQuery>,
) -> Result<Json<Vec<OfferDto>>, ApiError> {
    let status = match query.status.as_deref() {
        Some(s) => Some(OfferStatus::parse(s).ok_or_else(|| {
            ValidationError::new("status", "use pending, accepted, declined, timed_out or withdrawn")
        })?),
        None => None,
    };
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ValidationError::new("limit", "use 1 to 500").into());
    }
    let offers =
        state.engine.offers(actor, query.conversation_id.map(ConversationId::from_uuid), status, limit).await?;
    Ok(Json(offers.iter().map(OfferDto::from).collect()))
}

/// Conversations waiting in a queue, in the order agents will get them (supervisors).
#[utoipa::path(get, path = "/api/v1/queues/{id}/waiting", tag = "routing",
    params(("id" = Uuid, Path, description = "Queue id")),
    responses((status = 200, body = Vec<WaitingDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn waiting(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Vec<WaitingDto>>, ApiError> {
    let list = state.engine.waiting(actor, QueueId::from_uuid(id)).await?;
    Ok(Json(
        list.iter()
            .map(|w| WaitingDto {
                conversation_id: w.conversation_id.as_uuid(),
                offered_to: w.offered_to.map(|a| a.as_uuid()),
            })
            .collect(),
    ))
}

/// Staffing inputs.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StaffingQuery {
    /// Arrivals are counted over this many past hours (default 1).
    hours: Option<f64>,
    /// Average handle time in seconds (default 300).
    aht_seconds: Option<f64>,
    /// Share of paid time away from contacts (default 0).
    shrinkage: Option<f64>,
    /// Highest acceptable occupancy (default 0.85).
    max_occupancy: Option<f64>,
}

/// Agents each queue needs for its service-level target, from its recent arrivals
/// (Erlang C; supervisors).
#[utoipa::path(get, path = "/api/v1/routing/staffing", tag = "routing", params(StaffingQuery),
    responses((status = 200, body = Vec<QueueStaffingDto>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn staffing(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(query): ApiQuery<StaffingQuery>,
) -> Result<Json<Vec<QueueStaffingDto>>, ApiError> {
    let list = state
        .engine
        .staffing(
            actor,
            query.hours.unwrap_or(1.0),
            query.aht_seconds.unwrap_or(300.0),
            query.shrinkage.unwrap_or(0.0),
            query.max_occupancy.unwrap_or(0.85),
        )
        .await?;
    Ok(Json(list.iter().map(QueueStaffingDto::from).collect()))
}
