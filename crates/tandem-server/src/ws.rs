//! WebSocket hubs: one for agents (their workspace's events, filtered to what they may
//! see, with the message attached to `message_created`) and one for web-chat visitors
//! (their own conversations' visible messages only).
//!
//! Each socket subscribes to the bus *before* replaying from the event log, so a client
//! reconnecting with `?after=<seq>` misses nothing committed before it connected.

use axum::extract::ws::{Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use tandem_bus::Delivery;
use tandem_domain::{AgentState, Channel, ConversationId, CustomerId, DomainEvent, Owner, StoredEvent, WorkspaceId};
use tandem_engine::Actor;
use tandem_store::ChatVisitorRecord;

use crate::AppState;
use crate::dto::{EventDto, MessageDto};
use crate::error::ApiError;
use crate::extract::{ApiQuery, Caller, SESSION_COOKIE, cookie};
use crate::routes::chat::{AuthorNames, send_as_visitor, visitor_identity};

/// At most one "typing" signal per socket in this time (more are acknowledged, dropped).
const TYPING_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Someone is typing in a conversation (forwarded live, never stored).
#[derive(Clone, Debug)]
pub struct Typing {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub customer_id: CustomerId,
    /// Who has the conversation (so agents' sockets decide without a lookup).
    pub owner: Owner,
    /// The customer (to agents) or an agent (to the customer).
    pub from_customer: bool,
    /// The agent's name.
    pub name: Option<String>,
}

/// Whether an agent may see that the customer of a conversation is typing.
fn sees_typing(actor: Actor, t: &Typing) -> bool {
    if t.workspace_id != actor.workspace_id() || !t.from_customer {
        return false;
    }
    match actor {
        Actor::ApiKey { .. } => true,
        Actor::Agent { role, .. } if role >= tandem_domain::Role::Supervisor => true,
        Actor::Agent { agent_id, .. } => matches!(t.owner, Owner::Queue(_)) || t.owner == Owner::Agent(agent_id),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSocketQuery {
    /// Replay events after this `seq` first.
    after: Option<i64>,
}

/// Refuses a cookie-authenticated upgrade from another origin (cross-site WebSocket
/// hijacking); API-key clients are not browsers and have no Origin to check.
fn same_origin(parts: &Parts) -> bool {
    let Some(origin) = parts.headers.get("origin").and_then(|v| v.to_str().ok()) else { return true };
    let Some(host) = parts.headers.get("host").and_then(|v| v.to_str().ok()) else { return false };
    origin.split_once("://").is_some_and(|(_, rest)| rest == host)
}

/// The agents' live feed: `GET /api/v1/ws[?after=<seq>]`.
pub async fn agent_socket(
    State(state): State<AppState>,
    upgrade: WebSocketUpgrade,
    ApiQuery(query): ApiQuery<AgentSocketQuery>,
    mut parts: Parts,
) -> Result<Response, ApiError> {
    let Caller(actor) = Caller::from_request_parts(&mut parts, &state).await?;
    if cookie(&parts, SESSION_COOKIE).is_some() && !same_origin(&parts) {
        return Err(ApiError::forbidden("WebSocket connections must come from this server's own pages"));
    }
    Ok(upgrade.on_upgrade(move |socket| agent_session(socket, state, actor, query.after)))
}

fn visible(actor: Actor, event: &StoredEvent) -> bool {
    match actor {
        Actor::Agent { agent_id, role, .. } => event.visible_to_agent(agent_id, role),
        Actor::ApiKey { .. } => true,
    }
}

async fn agent_frame(state: &AppState, event: &StoredEvent) -> Option<Utf8Bytes> {
    let message = match &event.event {
        DomainEvent::MessageCreated { message_id, .. } => {
            state.engine.store().message(event.workspace_id, *message_id).await.ok().map(|m| MessageDto::from(&m))
        }
        _ => None,
    };
    let frame = json!({ "type": "event", "event": EventDto::from(event), "message": message });
    Some(frame.to_string().into())
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum AgentCommand {
    Ping,
    Typing { conversation_id: uuid::Uuid },
    SetState { state: String },
    AcceptOffer { offer_id: uuid::Uuid },
    DeclineOffer { offer_id: uuid::Uuid },
}

async fn agent_command(state: &AppState, actor: Actor, text: &str) -> serde_json::Value {
    match serde_json::from_str::<AgentCommand>(text) {
        Ok(AgentCommand::Ping) => json!({ "type": "pong" }),
        Ok(AgentCommand::Typing { conversation_id }) => {
            let id = ConversationId::from_uuid(conversation_id);
            let Ok(conversation) = state.engine.store().conversation(actor.workspace_id(), id).await else {
                return json!({ "type": "error", "code": "not_found", "message": "conversation not found" });
            };
            if let Actor::Agent { agent_id, role, .. } = actor
                && role < tandem_domain::Role::Supervisor
                && conversation.owner != Owner::Agent(agent_id)
            {
                return json!({ "type": "error", "code": "forbidden", "message": "type in your own conversations only" });
            }
            // The customer sees the agent's first name, as on their replies.
            let name = match actor {
                Actor::Agent { workspace_id, agent_id, .. } => {
                    AuthorNames::default().name(state, workspace_id, tandem_domain::Author::Agent(agent_id)).await
                }
                Actor::ApiKey { .. } => None,
            };
            let _ = state.typing.send(Typing {
                workspace_id: actor.workspace_id(),
                conversation_id: id,
                customer_id: conversation.customer_id,
                owner: conversation.owner,
                from_customer: false,
                name,
            });
            json!({ "type": "typing_sent" })
        }
        Ok(AgentCommand::SetState { state: new_state }) => {
            let Some(agent_id) = actor.agent_id() else {
                return json!({ "type": "error", "code": "forbidden", "message": "only agents have a state" });
            };
            let result = match AgentState::parse(&new_state) {
                Ok(s) => state.engine.set_agent_state(actor, agent_id, s).await.map_err(ApiError::from),
                Err(e) => Err(e.into()),
            };
            match result {
                Ok(agent) => json!({ "type": "state", "state": agent.state.as_str() }),
                Err(e) => json!({ "type": "error", "code": e.code, "message": e.message }),
            }
        }
        Ok(AgentCommand::AcceptOffer { offer_id }) => {
            match state.engine.accept_offer(actor, tandem_domain::OfferId::from_uuid(offer_id), None).await {
                Ok(c) => json!({ "type": "offer_accepted", "offer_id": offer_id, "conversation_id": c.id.as_uuid() }),
                Err(e) => {
                    let e = ApiError::from(e);
                    json!({ "type": "error", "code": e.code, "message": e.message })
                }
            }
        }
        Ok(AgentCommand::DeclineOffer { offer_id }) => {
            match state.engine.decline_offer(actor, tandem_domain::OfferId::from_uuid(offer_id), None).await {
                Ok(_) => json!({ "type": "offer_declined", "offer_id": offer_id }),
                Err(e) => {
                    let e = ApiError::from(e);
                    json!({ "type": "error", "code": e.code, "message": e.message })
                }
            }
        }
        Err(e) => json!({ "type": "error", "code": "bad_request", "message": format!("unknown command: {e}") }),
    }
}

async fn agent_session(mut socket: WebSocket, state: AppState, actor: Actor, after: Option<i64>) {
    state.metrics.websockets.inc();
    let mut subscription = state.engine.bus().subscribe(Some(actor.workspace_id()));
    let mut typing = state.typing.subscribe();
    let mut watermark = 0;
    if let Some(mut cursor) = after {
        loop {
            let Ok(page) = state.engine.store().events_since(actor.workspace_id(), cursor, 500).await else { break };
            for event in page.iter().filter(|e| visible(actor, e)) {
                if let Some(frame) = agent_frame(&state, event).await
                    && socket.send(WsMessage::Text(frame)).await.is_err()
                {
                    state.metrics.websockets.dec();
                    return;
                }
            }
            match page.last() {
                Some(last) if page.len() == 500 => cursor = last.seq,
                Some(last) => {
                    watermark = last.seq;
                    break;
                }
                None => {
                    watermark = cursor;
                    break;
                }
            }
        }
    }
    loop {
        tokio::select! {
            signal = typing.recv() => {
                if let Ok(t) = signal
                    && sees_typing(actor, &t)
                {
                    let frame = json!({ "type": "typing", "conversation_id": t.conversation_id, "from": "customer" });
                    if socket.send(WsMessage::Text(frame.to_string().into())).await.is_err() {
                        break;
                    }
                }
            }
            delivery = subscription.next() => match delivery {
                Delivery::Event(event) if event.seq > watermark && visible(actor, &event) => {
                    if let Some(frame) = agent_frame(&state, &event).await
                        && socket.send(WsMessage::Text(frame)).await.is_err()
                    {
                        break;
                    }
                }
                Delivery::Event(_) => {}
                Delivery::Lagged { missed } => {
                    let frame = json!({ "type": "lagged", "missed": missed, "hint": "reconnect with ?after=<last seq> to replay" });
                    if socket.send(WsMessage::Text(frame.to_string().into())).await.is_err() {
                        break;
                    }
                }
                Delivery::Closed => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(text))) => {
                    let reply = agent_command(&state, actor, text.as_str()).await;
                    if socket.send(WsMessage::Text(reply.to_string().into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    state.metrics.websockets.dec();
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSocketQuery {
    token: String,
}

/// The web-chat visitor's live feed: `GET /api/v1/chat/ws?token=<chat token>`.
pub async fn chat_socket(
    State(state): State<AppState>,
    upgrade: WebSocketUpgrade,
    ApiQuery(query): ApiQuery<ChatSocketQuery>,
) -> Result<Response, ApiError> {
    let visitor = state.engine.chat_visitor(&query.token).await?;
    Ok(upgrade.on_upgrade(move |socket| chat_session(socket, state, visitor)))
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ChatCommand {
    Ping,
    Typing,
    Message { body: String },
}

async fn visitor_customer(state: &AppState, visitor: &ChatVisitorRecord) -> Option<CustomerId> {
    let identity = visitor_identity(visitor).ok()?;
    state.engine.store().customer_by_identity(visitor.workspace_id, &identity).await.ok().map(|c| c.id)
}

async fn chat_session(mut socket: WebSocket, state: AppState, visitor: ChatVisitorRecord) {
    state.metrics.websockets.inc();
    let mut subscription = state.engine.bus().subscribe(Some(visitor.workspace_id));
    let mut typing = state.typing.subscribe();
    let mut customer = visitor_customer(&state, &visitor).await;
    let mut names = AuthorNames::default();
    let mut typed_at = std::time::Instant::now() - TYPING_EVERY;
    loop {
        tokio::select! {
            signal = typing.recv() => {
                if let Ok(t) = signal
                    && !t.from_customer
                    && Some(t.customer_id) == customer
                {
                    let frame = json!({ "type": "typing", "from": "agent", "name": t.name });
                    if socket.send(WsMessage::Text(frame.to_string().into())).await.is_err() {
                        break;
                    }
                }
            }
            delivery = subscription.next() => match delivery {
                Delivery::Event(event) => {
                    if let DomainEvent::CustomersMerged { target, source, .. } = event.event
                        && customer == Some(source)
                    {
                        customer = Some(target);
                    }
                    // Until the visitor's first message creates their customer, look them
                    // up only when a customer is created or gains an identity (not on
                    // every message in the workspace).
                    if customer.is_none()
                        && matches!(event.event, DomainEvent::CustomerCreated { .. } | DomainEvent::IdentityLinked { .. })
                    {
                        customer = visitor_customer(&state, &visitor).await;
                    }
                    if let DomainEvent::StatusChanged { to, .. } = event.event
                        && customer.is_some()
                        && event.customer_id == customer
                    {
                        let frame = json!({ "type": "status", "conversation_status": to.as_str() });
                        if socket.send(WsMessage::Text(frame.to_string().into())).await.is_err() {
                            break;
                        }
                        continue;
                    }
                    if let DomainEvent::OwnerChanged { to, .. } = event.event
                        && customer.is_some()
                        && event.customer_id == customer
                    {
                        let frame = json!({ "type": "status", "owner": to.kind_str() });
                        if socket.send(WsMessage::Text(frame.to_string().into())).await.is_err() {
                            break;
                        }
                        continue;
                    }
                    let DomainEvent::MessageCreated { message_id, kind, channel, .. } = event.event else { continue };
                    // The chat shows the web chat: never notes, never other channels.
                    if !kind.visible_to_customer() || channel != Channel::WebChat {
                        continue;
                    }
                    if customer.is_none() || event.customer_id != customer {
                        continue;
                    }
                    let Ok(message) = state.engine.store().message(visitor.workspace_id, message_id).await else { continue };
                    let rendered = names.render(&state, visitor.workspace_id, &[&message]).await;
                    let frame = json!({ "type": "message", "message": rendered.first() });
                    if socket.send(WsMessage::Text(frame.to_string().into())).await.is_err() {
                        break;
                    }
                }
                Delivery::Lagged { .. } => {
                    let frame = json!({ "type": "lagged", "hint": "reload the history from GET /api/v1/chat/messages" });
                    if socket.send(WsMessage::Text(frame.to_string().into())).await.is_err() {
                        break;
                    }
                }
                Delivery::Closed => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(text))) => {
                    let reply = match serde_json::from_str::<ChatCommand>(text.as_str()) {
                        Ok(ChatCommand::Ping) => json!({ "type": "pong" }),
                        Ok(ChatCommand::Typing) if typed_at.elapsed() < TYPING_EVERY => json!({ "type": "typing_sent" }),
                        Ok(ChatCommand::Typing) => {
                            typed_at = std::time::Instant::now();
                            if let Ok(c) = state.engine.chat_conversation(&visitor).await
                                && c.status.is_open()
                            {
                                let _ = state.typing.send(Typing {
                                    workspace_id: visitor.workspace_id,
                                    conversation_id: c.id,
                                    customer_id: c.customer_id,
                                    owner: c.owner,
                                    from_customer: true,
                                    name: None,
                                });
                            }
                            json!({ "type": "typing_sent" })
                        }
                        Ok(ChatCommand::Message { body }) => match send_as_visitor(&state, &visitor, &body).await {
                            Ok(outcome) => {
                                customer = Some(outcome.customer_id);
                                json!({ "type": "ack", "id": outcome.message.id })
                            }
                            Err(e) => json!({ "type": "error", "code": e.code, "message": e.message }),
                        },
        Err(e) => json!({ "type": "error", "code": "bad_request", "message": format!("unknown command: {e}") }),
                    };
                    if socket.send(WsMessage::Text(reply.to_string().into())).await.is_err() {
                        break;
                    }
                }
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    state.metrics.websockets.dec();
}
