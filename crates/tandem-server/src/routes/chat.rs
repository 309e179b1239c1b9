//! The web-chat customer's side: start (or resume) a chat, send and read messages, and
//! a WebSocket that pushes replies live. A visitor sees only their own conversations'
//! inbound and outbound messages — never notes or system events.

use axum::Json;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use std::collections::HashMap;

use tandem_domain::{AgentId, AgentState, Author, Body, Channel, Identity, InboundMessage, Message, WorkspaceId};
use tandem_engine::InboundRequest;
use tandem_store::{ChatVisitorRecord, StoreError};

use crate::AppState;
use crate::dto::{ChatMessageDto, ChatMessageRequest, ChatStatusDto, StartChatRequest, StartChatResponse};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, bearer};

/// A web-chat visitor, authenticated by the token from `POST /api/v1/chat/sessions`.
pub struct Visitor(pub ChatVisitorRecord);

impl<S> FromRequestParts<S> for Visitor
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = bearer(parts)
            .ok_or_else(|| ApiError::unauthorized("send the chat token as `Authorization: Bearer <token>`"))?;
        Ok(Self(state.engine.chat_visitor(token).await?))
    }
}

pub(crate) fn visitor_identity(visitor: &ChatVisitorRecord) -> Result<Identity, ApiError> {
    Identity::web_visitor(&visitor.visitor_id).map_err(ApiError::from)
}

/// Ingests a web-chat customer's message.
pub(crate) async fn send_as_visitor(
    state: &AppState,
    visitor: &ChatVisitorRecord,
    body: &str,
) -> Result<tandem_store::IngestOutcome, ApiError> {
    let message = InboundMessage {
        workspace_id: visitor.workspace_id,
        channel: Channel::WebChat,
        identities: vec![visitor_identity(visitor)?],
        display_name: None,
        body: Body::parse(body)?,
        subject: None,
        language: None,
        attachments: Vec::new(),
        external_id: None,
        idempotency: None,
        understanding: None,
    };
    let outcome = state.engine.ingest(InboundRequest { message, idempotency_key: None }).await?;
    state.metrics.ingested.inc();
    Ok(outcome)
}

/// Start a chat (or resume one with an earlier token).
#[utoipa::path(post, path = "/api/v1/chat/sessions", tag = "chat", request_body = StartChatRequest,
    responses((status = 200, body = StartChatResponse), (status = 404, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<StartChatRequest>,
) -> Result<Json<StartChatResponse>, ApiError> {
    let started = state.engine.start_chat(&request.chat_key, request.token.as_deref()).await?;
    Ok(Json(StartChatResponse {
        visitor_id: started.visitor_id,
        token: started.token,
        workspace_name: started.workspace.name,
    }))
}

/// Send a message as the visitor.
#[utoipa::path(post, path = "/api/v1/chat/messages", tag = "chat", request_body = ChatMessageRequest,
    responses((status = 201, body = ChatMessageDto), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("chat_token" = [])))]
pub async fn send(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ApiJson(request): ApiJson<ChatMessageRequest>,
) -> Result<(StatusCode, Json<ChatMessageDto>), ApiError> {
    let outcome = send_as_visitor(&state, &visitor, &request.body).await?;
    Ok((StatusCode::CREATED, Json((&outcome.message).into())))
}

/// The visitor's web-chat messages (inbound and outbound only), oldest first.
#[utoipa::path(get, path = "/api/v1/chat/messages", tag = "chat",
    responses((status = 200, body = Vec<ChatMessageDto>), (status = 401, body = ErrorBody)), security(("chat_token" = [])))]
pub async fn history(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
) -> Result<Json<Vec<ChatMessageDto>>, ApiError> {
    let store = state.engine.store();
    let customer = match store.customer_by_identity(visitor.workspace_id, &visitor_identity(&visitor)?).await {
        Ok(customer) => customer,
        Err(StoreError::NotFound(_)) => return Ok(Json(Vec::new())),
        Err(e) => return Err(e.into()),
    };
    let timeline = store.timeline(visitor.workspace_id, customer.id).await?;
    // The web chat's own messages only: never notes, never other channels.
    let visible: Vec<&Message> =
        timeline.messages.iter().filter(|m| m.kind.visible_to_customer() && m.channel == Channel::WebChat).collect();
    Ok(Json(AuthorNames::default().render(&state, visitor.workspace_id, &visible).await))
}

/// Resolves the names the visitor sees on replies: the agent's first name, the virtual
/// agent's configured name. Looked up once per author.
#[derive(Default)]
pub(crate) struct AuthorNames {
    agents: HashMap<AgentId, Option<String>>,
    bot: Option<String>,
}

impl AuthorNames {
    pub(crate) async fn name(&mut self, state: &AppState, ws: WorkspaceId, author: Author) -> Option<String> {
        match author {
            Author::Agent(id) => {
                if let Some(known) = self.agents.get(&id) {
                    return known.clone();
                }
                let name = state
                    .engine
                    .store()
                    .agent(ws, id)
                    .await
                    .ok()
                    .and_then(|a| a.display_name.split_whitespace().next().map(str::to_owned));
                self.agents.insert(id, name.clone());
                name
            }
            Author::Bot => {
                if self.bot.is_none() {
                    let configured = state
                        .engine
                        .store()
                        .bot_config(ws)
                        .await
                        .ok()
                        .flatten()
                        .and_then(|r| r.config.get("name").and_then(serde_json::Value::as_str).map(str::to_owned));
                    self.bot = Some(configured.unwrap_or_else(|| "Assistant".to_owned()));
                }
                self.bot.clone()
            }
            Author::Customer(_) | Author::System => None,
        }
    }

    pub(crate) async fn render(
        &mut self,
        state: &AppState,
        ws: WorkspaceId,
        messages: &[&Message],
    ) -> Vec<ChatMessageDto> {
        let mut out = Vec::with_capacity(messages.len());
        for m in messages {
            let mut dto = ChatMessageDto::from(*m);
            dto.author_name = self.name(state, ws, m.author).await;
            out.push(dto);
        }
        out
    }
}

/// Where the visitor's latest conversation stands, and whether anyone is available.
#[utoipa::path(get, path = "/api/v1/chat/status", tag = "chat",
    responses((status = 200, body = ChatStatusDto), (status = 401, body = ErrorBody)), security(("chat_token" = [])))]
pub async fn status(State(state): State<AppState>, Visitor(visitor): Visitor) -> Result<Json<ChatStatusDto>, ApiError> {
    let latest = match state.engine.chat_conversation(&visitor).await {
        Ok(c) => Some(c),
        Err(tandem_engine::EngineError::Invalid(_) | tandem_engine::EngineError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let agents = state.engine.store().list_agents(visitor.workspace_id).await?;
    Ok(Json(ChatStatusDto {
        conversation_id: latest.as_ref().map(|c| c.id.as_uuid()),
        conversation_status: latest.as_ref().map(|c| c.status.as_str()),
        owner: latest.as_ref().map(|c| c.owner.kind_str()),
        agents_available: agents.iter().any(|a| a.state == AgentState::Available),
    }))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatContactRequest {
    pub email: String,
}

/// Leave an email so people can write back when nobody is working: a note and a
/// follow-up task for people (the address is not verified, so it is not linked to the
/// customer as an identity).
#[utoipa::path(post, path = "/api/v1/chat/contact", tag = "chat", request_body = ChatContactRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("chat_token" = [])))]
pub async fn contact(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ApiJson(request): ApiJson<ChatContactRequest>,
) -> Result<StatusCode, ApiError> {
    state.engine.chat_contact(&visitor, &request.email).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRatingRequest {
    /// 1 (poor) to 5 (excellent).
    pub rating: u8,
}

/// Rate the conversation once it has ended (CSAT, 1 to 5; a new rating replaces the last).
#[utoipa::path(post, path = "/api/v1/chat/rating", tag = "chat", request_body = ChatRatingRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("chat_token" = [])))]
pub async fn rating(
    State(state): State<AppState>,
    Visitor(visitor): Visitor,
    ApiJson(request): ApiJson<ChatRatingRequest>,
) -> Result<StatusCode, ApiError> {
    state.engine.chat_rating(&visitor, request.rating).await?;
    Ok(StatusCode::NO_CONTENT)
}
