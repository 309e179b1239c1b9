//! Conversations: list and read; reply, note, assign/transfer, tag, prioritise,
//! resolve, close, reopen.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use tandem_domain::{AgentId, Body, Command, ConversationId, ConversationStatus, Priority, QueueId, Tag};
use tandem_engine::AssignTarget;
use tandem_store::{ConversationFilter, OwnerFilter};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::AppState;
use crate::dto::{
    AssignRequest, ConversationDetailDto, ConversationDto, ConversationPage, MessageDto, PriorityRequest, ReplyRequest,
    TagsRequest,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller};

/// Filters for listing conversations.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Comma-separated statuses, e.g. `queued,assigned`.
    status: Option<String>,
    /// `bot`, `queue`, `agent`, `me`, `queue:<id>` or `agent:<id>`.
    owner: Option<String>,
    /// Conversations waiting in this queue (the same as `owner=queue:<id>`).
    queue_id: Option<Uuid>,
    /// `web_chat`, `email`, `sms`, `whatsapp`, `voice` or `api`.
    channel: Option<String>,
    customer_id: Option<Uuid>,
    /// The `next_before` of the previous page.
    before: Option<Uuid>,
    /// 1 to 200 (default 50).
    limit: Option<u32>,
}

fn owner_filter(raw: &str, me: Option<AgentId>) -> Result<OwnerFilter, ApiError> {
    let invalid = || {
        ApiError::validation(tandem_domain::ValidationError::new(
            "owner",
            "use bot, queue, agent, me, queue:<id> or agent:<id>",
        ))
    };
    Ok(match raw {
        "bot" => OwnerFilter::Bot,
        "queue" => OwnerFilter::AnyQueue,
        "agent" => OwnerFilter::AnyAgent,
        "me" => OwnerFilter::Agent(me.ok_or_else(|| ApiError::bad_request("`owner=me` needs a logged-in agent"))?),
        other => match other.split_once(':') {
            Some(("queue", id)) => OwnerFilter::Queue(id.parse::<QueueId>().map_err(|_| invalid())?),
            Some(("agent", id)) => OwnerFilter::Agent(id.parse::<AgentId>().map_err(|_| invalid())?),
            _ => return Err(invalid()),
        },
    })
}

/// List conversations, newest first.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ListQuery),
    responses((status = 200, body = ConversationPage), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ConversationPage>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(tandem_domain::ValidationError::new("limit", "use 1 to 200").into());
    }
    let statuses = match query.status.as_deref() {
        Some(list) => list.split(',').map(|s| ConversationStatus::parse(s.trim())).collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
    };
    let owner = match (query.owner.as_deref(), query.queue_id) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("give either owner or queue_id, not both")),
        (None, Some(queue)) => Some(OwnerFilter::Queue(QueueId::from_uuid(queue))),
        (Some(o), None) => Some(owner_filter(o, actor.agent_id())?),
        (None, None) => None,
    };
    let filter = ConversationFilter {
        statuses,
        owner,
        channel: query.channel.as_deref().map(str::parse).transpose()?,
        customer: query.customer_id.map(tandem_domain::CustomerId::from_uuid),
        before: query.before.map(ConversationId::from_uuid),
        limit,
    };
    let conversations = state.engine.store().list_conversations(actor.workspace_id(), &filter).await?;
    let next_before =
        (conversations.len() == limit as usize).then(|| conversations.last().map(|c| c.id.as_uuid())).flatten();
    Ok(Json(ConversationPage { conversations: conversations.iter().map(ConversationDto::from).collect(), next_before }))
}

/// A conversation with its messages (internal notes and system events included).
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = ConversationDetailDto), (status = 404, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ConversationDetailDto>, ApiError> {
    let ws = actor.workspace_id();
    let id = ConversationId::from_uuid(id);
    let store = state.engine.store();
    let conversation = store.conversation(ws, id).await?;
    let messages = store.messages(ws, id).await?;
    Ok(Json(ConversationDetailDto {
        conversation: (&conversation).into(),
        messages: messages.iter().map(MessageDto::from).collect(),
    }))
}

/// Reply to the customer as an agent. Takes an unowned conversation; refused if
/// another agent owns it.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/replies", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")), request_body = ReplyRequest,
    responses((status = 201, body = MessageDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn reply(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<ReplyRequest>,
) -> Result<(axum::http::StatusCode, Json<MessageDto>), ApiError> {
    let body = Body::parse(&request.body)?;
    let agent = request.agent_id.map(AgentId::from_uuid);
    let (_, message) = state.engine.reply(actor, ConversationId::from_uuid(id), agent, body).await?;
    Ok((axum::http::StatusCode::CREATED, Json((&message).into())))
}

/// Add an internal note (never shown to the customer).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/notes", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")), request_body = ReplyRequest,
    responses((status = 201, body = MessageDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn note(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<ReplyRequest>,
) -> Result<(axum::http::StatusCode, Json<MessageDto>), ApiError> {
    let body = Body::parse(&request.body)?;
    let agent = request.agent_id.map(AgentId::from_uuid);
    let message = state.engine.note(actor, ConversationId::from_uuid(id), agent, body).await?;
    Ok((axum::http::StatusCode::CREATED, Json((&message).into())))
}

/// Assign or transfer to an agent, a queue, or back to the bot.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/assign", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")), request_body = AssignRequest,
    responses((status = 200, body = ConversationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn assign(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<AssignRequest>,
) -> Result<Json<ConversationDto>, ApiError> {
    let target = match (request.agent_id, request.queue_id, request.to_bot) {
        (Some(agent), None, false) => AssignTarget::Agent(AgentId::from_uuid(agent)),
        (None, Some(queue), false) => AssignTarget::Queue(QueueId::from_uuid(queue)),
        (None, None, true) => AssignTarget::Bot,
        _ => {
            return Err(tandem_domain::ValidationError::new(
                "agent_id",
                "give exactly one of agent_id, queue_id or to_bot: true",
            )
            .into());
        }
    };
    let conversation = state.engine.assign(actor, ConversationId::from_uuid(id), target).await?;
    Ok(Json((&conversation).into()))
}

/// Add and remove tags.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/tags", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")), request_body = TagsRequest,
    responses((status = 200, body = ConversationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn tags(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<TagsRequest>,
) -> Result<Json<ConversationDto>, ApiError> {
    if request.add.len() + request.remove.len() > 50 {
        return Err(tandem_domain::ValidationError::new("add", "at most 50 tags per request").into());
    }
    let add = request.add.iter().map(|t| Tag::parse(t)).collect::<Result<Vec<_>, _>>()?;
    let remove = request.remove.iter().map(|t| Tag::parse(t)).collect::<Result<Vec<_>, _>>()?;
    let conversation = state.engine.tag(actor, ConversationId::from_uuid(id), add, remove).await?;
    Ok(Json((&conversation).into()))
}

/// Set the priority.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/priority", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")), request_body = PriorityRequest,
    responses((status = 200, body = ConversationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn priority(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<PriorityRequest>,
) -> Result<Json<ConversationDto>, ApiError> {
    let priority = Priority::new(request.priority)?;
    let conversation = state.engine.set_priority(actor, ConversationId::from_uuid(id), priority).await?;
    Ok(Json((&conversation).into()))
}

async fn lifecycle(
    state: AppState,
    actor: tandem_engine::Actor,
    id: Uuid,
    command: Command,
) -> Result<Json<ConversationDto>, ApiError> {
    let conversation = state.engine.set_lifecycle(actor, ConversationId::from_uuid(id), command).await?;
    Ok(Json((&conversation).into()))
}

/// Resolve an open conversation.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/resolve", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = ConversationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn resolve(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ConversationDto>, ApiError> {
    lifecycle(state, actor, id, Command::Resolve).await
}

/// Close a conversation (final).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/close", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = ConversationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn close(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ConversationDto>, ApiError> {
    lifecycle(state, actor, id, Command::Close).await
}

/// Reopen a resolved conversation; it returns to its last owner.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/reopen", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, body = ConversationDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("api_key" = []), ("session" = [])))]
pub async fn reopen(
    State(state): State<AppState>,
    Caller(actor): Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ConversationDto>, ApiError> {
    lifecycle(state, actor, id, Command::Reopen).await
}
