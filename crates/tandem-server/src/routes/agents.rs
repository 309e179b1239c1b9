//! Agents, queues and API keys (the workspace's people and plumbing).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use tandem_domain::agent::Role;
use tandem_domain::{AgentId, AgentState};
use tandem_engine::NewAgent;
use uuid::Uuid;

use crate::AppState;
use crate::dto::{
    AgentDto, AgentStateRequest, ApiKeyCreated, CreateAgentRequest, CreateApiKeyRequest, CreateQueueRequest, QueueDto,
    UpdateQueueRequest,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, Caller};

/// The workspace's agents.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents",
    responses((status = 200, body = Vec<AgentDto>)), security(("api_key" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, Caller(actor): Caller) -> Result<Json<Vec<AgentDto>>, ApiError> {
    let agents = state.engine.store().list_agents(actor.workspace_id()).await?;
    Ok(Json(agents.iter().map(AgentDto::from).collect()))
}

/// Create an agent account (admins and API keys).
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", request_body = CreateAgentRequest,
    responses((status = 201, body = AgentDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiJson(request): ApiJson<CreateAgentRequest>,
) -> Result<(StatusCode, Json<AgentDto>), ApiError> {
    actor.require(Role::Admin)?;
    let new = NewAgent {
        email: request.email,
        display_name: request.display_name,
        role: Role::parse(&request.role)?,
        password: request.password,
        skills: request.skills.into_iter().map(|s| (s.name, s.level)).collect(),
        languages: request.languages,
    };
    let agent = state.engine.create_agent(actor.workspace_id(), new).await?;
    Ok((StatusCode::CREATED, Json((&agent).into())))
}

/// Set an agent's state (agents their own; supervisors anyone's).
#[utoipa::path(put, path = "/api/v1/agents/{id}/state", tag = "agents",
    params(("id" = Uuid, Path, description = "Agent id")), request_body = AgentStateRequest,
    responses((status = 200, body = AgentDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn set_state(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<AgentStateRequest>,
) -> Result<Json<AgentDto>, ApiError> {
    let new_state = AgentState::parse(&request.state)?;
    let agent = state.engine.set_agent_state(actor, AgentId::from_uuid(id), new_state).await?;
    Ok(Json((&agent).into()))
}

/// The workspace's queues.
#[utoipa::path(get, path = "/api/v1/queues", tag = "agents",
    responses((status = 200, body = Vec<QueueDto>)), security(("api_key" = []), ("session" = [])))]
pub async fn list_queues(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Vec<QueueDto>>, ApiError> {
    let queues = state.engine.store().list_queues(actor.workspace_id()).await?;
    Ok(Json(queues.iter().map(QueueDto::from).collect()))
}

/// Create a queue (admins and API keys).
#[utoipa::path(post, path = "/api/v1/queues", tag = "agents", request_body = CreateQueueRequest,
    responses((status = 201, body = QueueDto), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn create_queue(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiJson(request): ApiJson<CreateQueueRequest>,
) -> Result<(StatusCode, Json<QueueDto>), ApiError> {
    actor.require(Role::Admin)?;
    let routing = request.routing.map(|r| r.into_domain()).unwrap_or_default();
    let queue = state.engine.create_routed_queue(actor.workspace_id(), &request.name, routing).await?;
    Ok((StatusCode::CREATED, Json((&queue).into())))
}

/// Rename a queue or change its routing: required skills, language, priority, SLA target,
/// overflow steps (admins and API keys).
#[utoipa::path(patch, path = "/api/v1/queues/{id}", tag = "agents",
    params(("id" = Uuid, Path, description = "Queue id")), request_body = UpdateQueueRequest,
    responses((status = 200, body = QueueDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn update_queue(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<UpdateQueueRequest>,
) -> Result<Json<QueueDto>, ApiError> {
    let routing = request.routing.map(|r| r.into_domain());
    let queue = state
        .engine
        .update_queue(actor, tandem_domain::QueueId::from_uuid(id), request.name.as_deref(), routing)
        .await?;
    Ok(Json((&queue).into()))
}

/// Create an API key (admins and API keys). The secret is returned once.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "agents", request_body = CreateApiKeyRequest,
    responses((status = 201, body = ApiKeyCreated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn create_api_key(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiJson(request): ApiJson<CreateApiKeyRequest>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), ApiError> {
    actor.require(Role::Admin)?;
    let (record, secret) = state.engine.create_api_key(actor.workspace_id(), &request.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyCreated { id: record.id.as_uuid(), name: record.name, prefix: record.prefix, secret }),
    ))
}
