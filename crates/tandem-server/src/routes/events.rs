//! The event log, for integrations that poll instead of holding a WebSocket.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::dto::EventDto;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, Caller};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// Return events with `seq` greater than this (default 0).
    after: Option<i64>,
    /// 1 to 1000 (default 100).
    limit: Option<u32>,
}

/// Events of the workspace in order; resume with the last `seq` seen.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventsQuery),
    responses((status = 200, body = Vec<EventDto>), (status = 422, body = ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Json<Vec<EventDto>>, ApiError> {
    let limit = query.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(tandem_domain::ValidationError::new("limit", "use 1 to 1000").into());
    }
    let events = state.engine.store().events_since(actor.workspace_id(), query.after.unwrap_or(0), limit).await?;
    let visible = events.iter().filter(|e| match actor {
        tandem_engine::Actor::Agent { agent_id, role, .. } => e.visible_to_agent(agent_id, role),
        tandem_engine::Actor::ApiKey { .. } => true,
    });
    Ok(Json(visible.map(EventDto::from).collect()))
}
