//! The web-chat customer's side: start (or resume) a chat, send and read messages, and
//! a WebSocket that pushes replies live. A visitor sees only their own conversations'
//! inbound and outbound messages — never notes or system events.

use axum::Json;
use axum::extract::{FromRef, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use tandem_domain::{Body, Channel, Identity, InboundMessage};
use tandem_engine::InboundRequest;
use tandem_store::{ChatVisitorRecord, StoreError};

use crate::AppState;
use crate::dto::{ChatMessageDto, ChatMessageRequest, StartChatRequest, StartChatResponse};
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

/// The visitor's messages (inbound and outbound only), oldest first.
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
    Ok(Json(timeline.messages.iter().filter(|m| m.kind.visible_to_customer()).map(ChatMessageDto::from).collect()))
}
