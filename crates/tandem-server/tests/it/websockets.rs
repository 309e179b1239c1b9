//! Live updates over real sockets: the agent feed (filtered by workspace and role, with
//! replay after reconnect) and the web-chat visitor feed (own messages only, never
//! internal notes).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tandem_domain::agent::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::support::TestApp;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn serve(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

async fn connect(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let mut request = format!("ws://{addr}{path}").into_client_request().unwrap();
    for (k, v) in headers {
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap();
        request.headers_mut().insert(name, v.parse().unwrap());
    }
    tokio_tungstenite::connect_async(request).await.map(|(socket, _)| socket)
}

/// The next JSON frame, or `None` after `wait`.
async fn next(socket: &mut Socket, wait: Duration) -> Option<Value> {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// Frames until `wait` passes without one.
async fn drain(socket: &mut Socket, wait: Duration) -> Vec<Value> {
    let mut frames = Vec::new();
    while let Some(frame) = next(socket, wait).await {
        frames.push(frame);
    }
    frames
}

const SHORT: Duration = Duration::from_millis(400);

fn event_types(frames: &[Value]) -> Vec<String> {
    frames.iter().filter_map(|f| f["event"]["type"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn agents_get_their_workspace_live_with_messages_attached() {
    let app = TestApp::new().await;
    let addr = serve(&app).await;
    let auth_a = format!("Bearer {}", app.a.key);
    let auth_b = format!("Bearer {}", app.b.key);
    let mut feed_a = connect(addr, "/api/v1/ws", &[("authorization", &auth_a)]).await.unwrap();
    let mut feed_b = connect(addr, "/api/v1/ws", &[("authorization", &auth_b)]).await.unwrap();
    let created = app.email_message(&app.a.key, "ann@example.com", "Where is my parcel?").await;
    let frames = drain(&mut feed_a, SHORT).await;
    assert_eq!(event_types(&frames), ["customer_created", "conversation_created", "message_created"]);
    let message = frames.last().unwrap();
    assert_eq!(message["message"]["body"], "Where is my parcel?");
    assert_eq!(message["event"]["conversation_id"], created["conversation"]["id"]);
    assert!(drain(&mut feed_b, SHORT).await.is_empty(), "another workspace's feed stays silent");

    // A client that reconnects with ?after= gets what it missed, from the log.
    let last_seq = message["event"]["seq"].as_i64().unwrap();
    drop(feed_a);
    app.email_message(&app.a.key, "ann@example.com", "Hello?").await;
    let mut again =
        connect(addr, &format!("/api/v1/ws?after={last_seq}"), &[("authorization", &auth_a)]).await.unwrap();
    let replayed = drain(&mut again, SHORT).await;
    assert_eq!(replayed.last().unwrap()["message"]["body"], "Hello?");
    assert!(replayed.iter().all(|f| f["event"]["seq"].as_i64().unwrap() > last_seq));

    again.send(Message::text(json!({ "type": "ping" }).to_string())).await.unwrap();
    assert_eq!(next(&mut again, SHORT).await.unwrap()["type"], "pong");
}

#[tokio::test]
async fn an_agent_sees_queued_and_own_work_only_and_not_from_other_origins() {
    let app = TestApp::new().await;
    let addr = serve(&app).await;
    let ben = app.agent(app.a.workspace.id, "ben@acme.test", Role::Agent).await;
    let (cookie, _) = app.login("acme", "ben@acme.test").await;
    let host = addr.to_string();
    let evil = connect(addr, "/api/v1/ws", &[("cookie", &cookie), ("origin", "http://evil.example")]).await;
    assert!(evil.is_err(), "a cookie-authenticated socket from another origin is refused");
    let origin = format!("http://{host}");
    let mut feed = connect(addr, "/api/v1/ws", &[("cookie", &cookie), ("origin", &origin)]).await.unwrap();

    let created = app.email_message(&app.a.key, "ann@example.com", "hi").await;
    assert!(drain(&mut feed, SHORT).await.is_empty(), "the bot's conversations are not an agent's business");
    let id = created["conversation"]["id"].as_str().unwrap();
    let queue = app.post(&app.a.key, "/api/v1/queues", json!({ "name": "General" })).await.json["id"].clone();
    app.post(&app.a.key, &format!("/api/v1/conversations/{id}/assign"), json!({ "queue_id": queue })).await;
    let queued = event_types(&drain(&mut feed, SHORT).await);
    assert!(queued.contains(&"owner_changed".to_owned()), "{queued:?}");
    app.post(&app.a.key, &format!("/api/v1/conversations/{id}/assign"), json!({ "agent_id": ben.id })).await;
    assert!(!drain(&mut feed, SHORT).await.is_empty(), "assigned to Ben: Ben sees it");

    feed.send(Message::text(json!({ "type": "set_state", "state": "available" }).to_string())).await.unwrap();
    let frames = drain(&mut feed, SHORT).await;
    assert!(frames.iter().any(|f| f["type"] == "state" && f["state"] == "available"), "{frames:?}");
}

#[tokio::test]
async fn a_chat_visitor_sees_replies_but_never_internal_notes() {
    let app = TestApp::new().await;
    let addr = serve(&app).await;
    let ben = app.agent(app.a.workspace.id, "ben@acme.test", Role::Agent).await;
    let started = app.post(&app.a.key, "/api/v1/chat/sessions", json!({ "chat_key": app.a.workspace.chat_key })).await;
    let token = started.json["token"].as_str().unwrap().to_owned();
    assert!(connect(addr, "/api/v1/chat/ws?token=forged", &[]).await.is_err(), "a forged token is refused");
    let mut chat = connect(addr, &format!("/api/v1/chat/ws?token={token}"), &[]).await.unwrap();
    // Another visitor of the same workspace.
    let other = app.post(&app.a.key, "/api/v1/chat/sessions", json!({ "chat_key": app.a.workspace.chat_key })).await;
    let mut other_chat =
        connect(addr, &format!("/api/v1/chat/ws?token={}", other.json["token"].as_str().unwrap()), &[]).await.unwrap();

    chat.send(Message::text(
        json!({ "type": "message", "body": "Hi, I need help <script>alert(1)</script>" }).to_string(),
    ))
    .await
    .unwrap();
    let frames = drain(&mut chat, SHORT).await;
    assert!(frames.iter().any(|f| f["type"] == "ack"));
    let echoed: Vec<_> = frames.iter().filter(|f| f["type"] == "message").collect();
    assert_eq!(echoed.len(), 1);
    assert_eq!(echoed[0]["message"]["author"], "customer");
    assert_eq!(
        echoed[0]["message"]["body"], "Hi, I need help <script>alert(1)</script>",
        "text is data, returned verbatim as JSON"
    );

    let conversations = app.get(&app.a.key, "/api/v1/conversations?channel=web_chat").await;
    let id = conversations.json["conversations"][0]["id"].as_str().unwrap().to_owned();
    app.post(
        &app.a.key,
        &format!("/api/v1/conversations/{id}/notes"),
        json!({ "body": "VIP, be nice", "agent_id": ben.id }),
    )
    .await;
    app.post(
        &app.a.key,
        &format!("/api/v1/conversations/{id}/replies"),
        json!({ "body": "Hello! How can I help?", "agent_id": ben.id }),
    )
    .await;
    let frames = drain(&mut chat, SHORT).await;
    let bodies: Vec<_> = frames.iter().filter_map(|f| f["message"]["body"].as_str()).collect();
    assert_eq!(bodies, ["Hello! How can I help?"], "the reply arrives; the note and system events do not");
    assert!(drain(&mut other_chat, SHORT).await.is_empty(), "another visitor sees nothing");

    let history = app
        .raw(axum::http::Method::GET, "/api/v1/chat/messages", &[("authorization", &format!("Bearer {token}"))], None)
        .await;
    let kinds: Vec<_> =
        history.json.as_array().unwrap().iter().map(|m| m["author"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["customer", "agent"]);

    // Resuming with the token keeps the same visitor.
    let resumed = app
        .post(&app.a.key, "/api/v1/chat/sessions", json!({ "chat_key": app.a.workspace.chat_key, "token": token }))
        .await;
    assert_eq!(resumed.json["visitor_id"], started.json["visitor_id"]);
    assert!(resumed.json["token"].is_null());
}

#[tokio::test]
async fn offers_arrive_live_and_are_accepted_over_the_socket() {
    let app = TestApp::new().await;
    let addr = serve(&app).await;
    let ws = app.a.workspace.id;
    let dee = app.skilled_agent(ws, "dee@acme.test", Role::Agent, &[("billing", 4)]).await;
    app.skilled_agent(ws, "otto@acme.test", Role::Agent, &[("billing", 2)]).await;
    let (cookie, _) = app.login("acme", "dee@acme.test").await;
    let (other_cookie, _) = app.login("acme", "otto@acme.test").await;
    let origin = format!("http://{addr}");
    let mut feed = connect(addr, "/api/v1/ws", &[("cookie", &cookie), ("origin", &origin)]).await.unwrap();
    let mut other_feed = connect(addr, "/api/v1/ws", &[("cookie", &other_cookie), ("origin", &origin)]).await.unwrap();
    feed.send(Message::text(json!({ "type": "set_state", "state": "available" }).to_string())).await.unwrap();
    drain(&mut feed, SHORT).await;
    // Otto stays offline; he must not see Dee's offer.

    let queue = app
        .post(
            &app.a.key,
            "/api/v1/queues",
            json!({ "name": "Billing", "routing": { "required_skills": [{ "name": "billing", "level": 3 }] } }),
        )
        .await
        .json["id"]
        .clone();
    let created = app.email_message(&app.a.key, "fay@example.com", "refund please").await;
    let id = created["conversation"]["id"].as_str().unwrap();
    app.post(&app.a.key, &format!("/api/v1/conversations/{id}/assign"), json!({ "queue_id": queue })).await;
    let frames = drain(&mut feed, SHORT).await;
    let offer = frames
        .iter()
        .find(|f| f["event"]["type"] == "offer_made")
        .unwrap_or_else(|| panic!("no offer in {frames:?}"))
        .clone();
    let others = event_types(&drain(&mut other_feed, SHORT).await);
    assert!(!others.contains(&"offer_made".to_owned()), "an offer is for its agent only: {others:?}");

    let offer_id = offer["event"]["data"]["offer_id"].as_str().unwrap_or_else(|| panic!("{offer}")).to_owned();
    assert_eq!(offer["event"]["data"]["agent_id"], dee.id.to_string());
    assert_eq!(offer["event"]["data"]["rule"], "best");
    feed.send(Message::text(json!({ "type": "accept_offer", "offer_id": offer_id }).to_string())).await.unwrap();
    let frames = drain(&mut feed, SHORT).await;
    assert!(frames.iter().any(|f| f["type"] == "offer_accepted" && f["conversation_id"] == id), "{frames:?}");
    let again = app.post(&app.a.key, &format!("/api/v1/offers/{offer_id}/accept"), json!({ "agent_id": dee.id })).await;
    assert_eq!(again.status, axum::http::StatusCode::CONFLICT);
}

#[tokio::test]
async fn typing_reaches_the_other_side_and_only_it() {
    let app = TestApp::new().await;
    let addr = serve(&app).await;
    let ws = app.a.workspace.id;
    let sam = app.agent(ws, "sam.jones@acme.test", Role::Agent).await;
    app.agent(ws, "otto@acme.test", Role::Agent).await;
    let origin = format!("http://{addr}");
    let (sam_cookie, _) = app.login("acme", "sam.jones@acme.test").await;
    let (otto_cookie, _) = app.login("acme", "otto@acme.test").await;
    let started = app.post(&app.a.key, "/api/v1/chat/sessions", json!({ "chat_key": app.a.workspace.chat_key })).await;
    let token = started.json["token"].as_str().unwrap().to_owned();
    let other = app.post(&app.a.key, "/api/v1/chat/sessions", json!({ "chat_key": app.a.workspace.chat_key })).await;
    let mut chat = connect(addr, &format!("/api/v1/chat/ws?token={token}"), &[]).await.unwrap();
    let mut other_chat =
        connect(addr, &format!("/api/v1/chat/ws?token={}", other.json["token"].as_str().unwrap()), &[]).await.unwrap();
    chat.send(Message::text(json!({ "type": "message", "body": "Hello" }).to_string())).await.unwrap();
    drain(&mut chat, SHORT).await;
    let status = app
        .raw(axum::http::Method::GET, "/api/v1/chat/status", &[("authorization", &format!("Bearer {token}"))], None)
        .await
        .json;
    let conversation = status["conversation_id"].as_str().unwrap().to_owned();
    app.post(&app.a.key, &format!("/api/v1/conversations/{conversation}/assign"), json!({ "agent_id": sam.id })).await;
    let mut sam_feed = connect(addr, "/api/v1/ws", &[("cookie", &sam_cookie), ("origin", &origin)]).await.unwrap();
    let mut otto_feed = connect(addr, "/api/v1/ws", &[("cookie", &otto_cookie), ("origin", &origin)]).await.unwrap();
    drain(&mut chat, SHORT).await;

    // The agent types: their customer sees their first name, no one else sees anything.
    sam_feed
        .send(Message::text(json!({ "type": "typing", "conversation_id": conversation }).to_string()))
        .await
        .unwrap();
    let frames = drain(&mut chat, SHORT).await;
    assert!(frames.iter().any(|f| f["type"] == "typing" && f["name"] == "sam.jones"), "{frames:?}");
    assert!(drain(&mut other_chat, SHORT).await.iter().all(|f| f["type"] != "typing"), "another visitor sees nothing");
    // The customer types: the owning agent sees it; another agent does not.
    chat.send(Message::text(json!({ "type": "typing" }).to_string())).await.unwrap();
    let frames = drain(&mut sam_feed, SHORT).await;
    assert!(
        frames.iter().any(|f| f["type"] == "typing" && f["conversation_id"] == conversation.as_str()),
        "{frames:?}"
    );
    let otto_frames = drain(&mut otto_feed, SHORT).await;
    assert!(otto_frames.iter().all(|f| f["type"] != "typing"), "{otto_frames:?}");
    // Only the conversation's agent types in it.
    otto_feed
        .send(Message::text(json!({ "type": "typing", "conversation_id": conversation }).to_string()))
        .await
        .unwrap();
    let frames = drain(&mut otto_feed, SHORT).await;
    assert!(frames.iter().any(|f| f["type"] == "error" && f["code"] == "forbidden"), "{frames:?}");
    assert!(drain(&mut chat, SHORT).await.iter().all(|f| f["type"] != "typing"));
    // Unknown conversations are refused.
    let bogus = json!({ "type": "typing", "conversation_id": uuid::Uuid::now_v7() }).to_string();
    sam_feed.send(Message::text(bogus)).await.unwrap();
    let frames = drain(&mut sam_feed, SHORT).await;
    assert!(frames.iter().any(|f| f["type"] == "error" && f["code"] == "not_found"), "{frames:?}");
}
