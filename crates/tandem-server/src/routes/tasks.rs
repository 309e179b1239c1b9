//! Tasks for people: follow-ups the bot promised and actions waiting for approval.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use tandem_domain::{ConversationId, TaskId, TaskKind, TaskStatus, ValidationError};
use tandem_engine::TaskVerdict;
use tandem_store::TaskFilter;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::AppState;
use crate::dto::bot::{BotTurnDto, SettleTaskRequest, SettledTaskDto, TaskDto};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    /// `open`, `done`, `approved`, `rejected` or `cancelled`.
    status: Option<String>,
    /// `follow_up` or `approval`.
    kind: Option<String>,
    conversation_id: Option<Uuid>,
    /// 1 to 500 (default 50).
    limit: Option<u32>,
}

/// Tasks, newest first.
#[utoipa::path(get, path = "/api/v1/tasks", tag = "tasks", params(TaskQuery),
    responses((status = 200, body = Vec<TaskDto>), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(query): ApiQuery<TaskQuery>,
) -> Result<Json<Vec<TaskDto>>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ValidationError::new("limit", "use 1 to 500").into());
    }
    let filter = TaskFilter {
        status: query.status.as_deref().map(TaskStatus::parse).transpose()?,
        kind: query.kind.as_deref().map(TaskKind::parse).transpose()?,
        conversation: query.conversation_id.map(ConversationId::from_uuid),
        limit,
    };
    Ok(Json(state.engine.tasks(actor, filter).await?.iter().map(TaskDto::from).collect()))
}

/// One task.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "tasks", params(("id" = Uuid, Path, description = "Task id")),
    responses((status = 200, body = TaskDto), (status = 404, body = ErrorBody)), security(("api_key" = []), ("session" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<TaskDto>, ApiError> {
    Ok(Json((&state.engine.task(actor, TaskId::from_uuid(id)).await?).into()))
}

/// Settle a task: a follow-up `done` or `cancel`; an approval `approve` (the action then
/// runs and the bot tells the customer), `reject` (with a `note`; the bot tells the
/// customer and hands over) or `cancel`. Approvals are a supervisor's call. A task is
/// settled once: a second attempt gets `409 conflict`.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/settle", tag = "tasks", request_body = SettleTaskRequest,
    params(("id" = Uuid, Path, description = "Task id")),
    responses((status = 200, body = SettledTaskDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn settle(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<SettleTaskRequest>,
) -> Result<Json<SettledTaskDto>, ApiError> {
    let verdict = match request.verdict.as_str() {
        "done" => TaskVerdict::Done,
        "cancel" => TaskVerdict::Cancelled,
        "approve" => TaskVerdict::Approve,
        "reject" => TaskVerdict::Reject,
        other => {
            return Err(ValidationError::new(
                "verdict",
                format!("unknown verdict `{other}`; use done, cancel, approve or reject"),
            )
            .into());
        }
    };
    let (task, report) =
        state.engine.settle_task(actor, TaskId::from_uuid(id), verdict, request.note.as_deref()).await?;
    Ok(Json(SettledTaskDto { task: (&task).into(), bot_turn: report.as_ref().map(BotTurnDto::from) }))
}
