//! The virtual agent through the API: configuration (JSON and TOML, refused whole when
//! wrong), secrets, turns with a real HTTP business system, handovers with a summary and
//! silence after, hand-backs, approvals settled once, a person taking over mid-turn,
//! restart recovery and the figures.

use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::{get, post, put};
use serde_json::{Value, json};
use tandem_domain::agent::Role;

use crate::support::TestApp;

/// A small business system on a real port: orders (a bearer token required), a slow
/// order that outlives the action's timeout, appointments, addresses.
async fn shop() -> String {
    async fn order(Path(id): Path<String>, headers: HeaderMap) -> (StatusCode, axum::Json<Value>) {
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer shop-secret") {
            return (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "token" })));
        }
        match id.as_str() {
            "A1043" => (StatusCode::OK, axum::Json(json!({ "status": "out for delivery", "eta": "Saturday" }))),
            "A9500" => {
                tokio::time::sleep(Duration::from_secs(3)).await;
                (StatusCode::OK, axum::Json(json!({ "status": "late" })))
            }
            "A8000" => {
                tokio::time::sleep(Duration::from_millis(600)).await;
                (StatusCode::OK, axum::Json(json!({ "status": "packed", "eta": "Monday" })))
            }
            _ => (StatusCode::NOT_FOUND, axum::Json(json!({ "error": "no such order" }))),
        }
    }
    let app = Router::new()
        .route("/orders/{id}", get(order))
        .route("/appointments", post(|| async { (StatusCode::CREATED, axum::Json(json!({ "id": "AP-2001" }))) }))
        .route("/customers/address", put(|| async { axum::Json(json!({ "ok": true })) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn config(shop: &str) -> String {
    format!(
        r#"
name = "Ava"
[variables]
shop = "{shop}"
[escalation]
default_queue = "General"
[[intents]]
name = "track_order"
action = "order_status"
[[intents]]
name = "change_shipping_address"
action = "update_address"
[[actions]]
name = "order_status"
description = "look up your order"
request.url = "{{var.shop}}/orders/{{order_number}}"
request.headers.Authorization = "Bearer {{secret.shop_token}}"
request.timeout_ms = 1000
response.status = "/status"
response.eta = "/eta"
reply.en = "Order {{order_number}} is {{status}}, expected {{eta}}."
[[actions.on_status]]
status = 404
reply.en = "I couldn't find order {{order_number}}."
ask_again = "order_number"
[[actions.slots]]
name = "order_number"
kind = "order_number"
prompt.en = "What is your order number?"
[[actions]]
name = "update_address"
description = "change your delivery address"
verify_identity = true
needs_approval = true
request.method = "PUT"
request.url = "{{var.shop}}/customers/address"
request.body = {{ address = "{{address}}" }}
reply.en = "Done: your address is now {{address}}."
[[actions.slots]]
name = "address"
kind = "text"
prompt.en = "What is the new address?"
"#
    )
}

async fn configure(app: &TestApp, key: &str) -> String {
    let shop = shop().await;
    let saved = app
        .raw(
            Method::PUT,
            "/api/v1/bot/config",
            &[("authorization", &format!("Bearer {key}")), ("content-type", "application/toml")],
            Some(config(&shop)),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.json);
    let secret =
        app.call(key, Method::PUT, "/api/v1/bot/secrets/shop_token", Some(json!({ "value": "shop-secret" }))).await;
    assert_eq!(secret.status, StatusCode::NO_CONTENT, "{}", secret.json);
    app.post(key, "/api/v1/queues", json!({ "name": "General" })).await;
    shop
}

/// Sends a web-chat message as `visitor` and waits for the bot's turns.
async fn say(app: &TestApp, key: &str, visitor: &str, text: &str) -> Value {
    let body = json!({ "channel": "web_chat", "from": { "visitor_id": format!("visitor-{visitor}"), "email": format!("{visitor}@example.com") }, "body": text });
    let reply = app.post(key, "/api/v1/messages/inbound?wait_for_bot=true", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    reply.json
}

fn replies(answer: &Value) -> String {
    answer["bot_turns"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["replies"].as_array().unwrap().iter().map(|r| r["body"].as_str().unwrap().to_owned()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn configuration_is_checked_whole_and_versioned() {
    let app = TestApp::with_bot().await;
    let key = app.a.key.clone();
    let default = app.get(&key, "/api/v1/bot/config").await;
    assert_eq!((default.status, default.json["version"].as_i64()), (StatusCode::OK, Some(0)));
    let events_before = app.event_count(app.a.workspace.id).await;
    let bad = app
        .raw(
            Method::PUT,
            "/api/v1/bot/config",
            &[("authorization", &format!("Bearer {key}")), ("content-type", "application/toml")],
            Some(config("ftp://nowhere")),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.json);
    assert_eq!(bad.json["error"]["field"], "config.actions[0].request.url");
    let typo = app.call(&key, Method::PUT, "/api/v1/bot/config", Some(json!({ "config": { "nmae": "x" } }))).await;
    assert_eq!(typo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(typo.json["error"]["message"].as_str().unwrap().contains("nmae"), "{}", typo.json);
    assert_eq!(app.event_count(app.a.workspace.id).await, events_before, "refused configurations change nothing");
    let saved = app
        .call(
            &key,
            Method::PUT,
            "/api/v1/bot/config",
            Some(json!({ "config": { "name": "Ava" }, "expected_version": 0 })),
        )
        .await;
    assert_eq!((saved.status, saved.json["version"].as_i64()), (StatusCode::OK, Some(1)), "{}", saved.json);
    let stale = app
        .call(
            &key,
            Method::PUT,
            "/api/v1/bot/config",
            Some(json!({ "config": { "name": "Bo" }, "expected_version": 0 })),
        )
        .await;
    assert_eq!((stale.status, stale.json["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    let agent = app.agent(app.a.workspace.id, "al@acme.test", Role::Agent).await;
    let (cookie, csrf) = app.login("acme", &agent.email).await;
    let forbidden = app
        .raw(
            Method::PUT,
            "/api/v1/bot/config",
            &[("cookie", &cookie), ("x-csrf-token", &csrf), ("content-type", "application/json")],
            Some(json!({ "config": {} }).to_string()),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    // Secrets: set, listed by name only, deleted once.
    app.call(&key, Method::PUT, "/api/v1/bot/secrets/crm_key", Some(json!({ "value": "very-secret" }))).await;
    let names = app.get(&key, "/api/v1/bot/secrets").await.json;
    assert_eq!(names[0]["name"], "crm_key");
    assert!(!names.to_string().contains("very-secret"));
    assert_eq!(
        app.call(&key, Method::DELETE, "/api/v1/bot/secrets/crm_key", None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.call(&key, Method::DELETE, "/api/v1/bot/secrets/crm_key", None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_bot_tracks_an_order_against_a_business_system_and_resolves() {
    let app = TestApp::with_bot().await;
    let key = app.a.key.clone();
    configure(&app, &key).await;
    let first = say(&app, &key, "v1", "Hi, where is my order A1043?").await;
    assert!(replies(&first).contains("Order A1043 is out for delivery, expected Saturday"), "{first}");
    let bye = say(&app, &key, "v1", "no thanks, that's all").await;
    assert_eq!(bye["bot_turns"][0]["resolved"], true, "{bye}");
    let conversation = first["conversation"]["id"].as_str().unwrap();
    let detail = app.get(&key, &format!("/api/v1/conversations/{conversation}")).await.json;
    assert_eq!(detail["conversation"]["status"], "resolved");
    let decisions = app.get(&key, &format!("/api/v1/conversations/{conversation}/bot/decisions")).await.json;
    let rules: Vec<&str> = decisions.as_array().unwrap().iter().map(|d| d["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["action.done", "resolve.done"]);
    let inputs = decisions[0]["inputs"].to_string();
    assert!(
        inputs.contains("track_order") && !inputs.contains("where is my order"),
        "inputs carry features, not text: {inputs}"
    );
    assert_eq!(decisions[0]["outcome"]["calls"][0]["status"], 200);
}

#[tokio::test]
async fn a_handover_carries_a_summary_and_the_bot_stays_silent_until_handed_back() {
    let app = TestApp::with_bot().await;
    let key = app.a.key.clone();
    configure(&app, &key).await;
    say(&app, &key, "v2", "My order A7777 has not arrived").await;
    let asked = say(&app, &key, "v2", "I want to talk to a person, my card 4111 1111 1111 1111 was charged").await;
    let turn = &asked["bot_turns"][0];
    assert_eq!(turn["escalated"], "explicit_request", "{asked}");
    assert!(replies(&asked).contains("connect you with a person"));
    let conversation = asked["conversation"]["id"].as_str().unwrap();
    let detail = app.get(&key, &format!("/api/v1/conversations/{conversation}")).await.json;
    assert_eq!(detail["conversation"]["owner"]["kind"], "queue");
    let note = detail["messages"].as_array().unwrap().iter().find(|m| m["kind"] == "note").expect("a summary note");
    let text = note["body"].as_str().unwrap();
    assert!(text.contains("A7777") && text.contains("explicit_request"), "{text}");
    assert!(!text.contains("4111"), "the summary never holds redacted data: {text}");
    let handoff = app.get(&key, &format!("/api/v1/conversations/{conversation}/handoff")).await.json;
    assert_eq!(handoff["summary"]["reason_code"], "explicit_request");
    // With people now: the bot says nothing, however the customer writes.
    let later = say(&app, &key, "v2", "hello? where is my order A1043").await;
    assert_eq!(later["bot_turns"], json!([]), "{later}");
    // Handed back, the bot answers again, keeping what it learned.
    app.post(&key, &format!("/api/v1/conversations/{conversation}/assign"), json!({ "to_bot": true })).await;
    let resumed = say(&app, &key, "v2", "where is order A1043 please").await;
    assert!(replies(&resumed).contains("out for delivery"), "{resumed}");
    let decisions = app.get(&key, &format!("/api/v1/conversations/{conversation}/bot/decisions")).await.json;
    assert!(decisions.as_array().unwrap().iter().any(|d| d["rule"] == "handed_back"));
}

#[tokio::test]
async fn a_failed_call_is_never_hidden() {
    let app = TestApp::with_bot().await;
    let key = app.a.key.clone();
    configure(&app, &key).await;
    let answer = say(&app, &key, "v3", "where is my order A9500").await;
    assert_eq!(answer["bot_turns"][0]["escalated"], "action_failed", "{answer}");
    assert!(replies(&answer).contains("couldn't look up your order"));
    let conversation = answer["conversation"]["id"].as_str().unwrap();
    let decisions = app.get(&key, &format!("/api/v1/conversations/{conversation}/bot/decisions")).await.json;
    assert!(decisions[0]["external_ms"].as_f64().unwrap() >= 900.0, "the timeout was waited for: {}", decisions[0]);
}

#[tokio::test]
async fn an_approval_runs_once_and_tells_the_customer() {
    let app = TestApp::with_bot().await;
    let key = app.a.key.clone();
    configure(&app, &key).await;
    say(&app, &key, "v4", "I need to change my shipping address").await;
    say(&app, &key, "v4", "12 Harbour Road, Bristol").await;
    let waiting = say(&app, &key, "v4", "v4@example.com").await;
    assert!(replies(&waiting).contains("asked a colleague to approve"), "{waiting}");
    let tasks = app.get(&key, "/api/v1/tasks?kind=approval&status=open").await.json;
    let task = tasks[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(tasks[0]["details"]["slots"]["address"], "12 Harbour Road, Bristol");
    let agent = app.agent(app.a.workspace.id, "al@acme.test", Role::Agent).await;
    let (cookie, csrf) = app.login("acme", &agent.email).await;
    let by_agent = app
        .raw(
            Method::POST,
            &format!("/api/v1/tasks/{task}/settle"),
            &[("cookie", &cookie), ("x-csrf-token", &csrf), ("content-type", "application/json")],
            Some(json!({ "verdict": "approve" }).to_string()),
        )
        .await;
    assert_eq!(by_agent.status, StatusCode::FORBIDDEN, "approvals are a supervisor's call");
    let approved = app.post(&key, &format!("/api/v1/tasks/{task}/settle"), json!({ "verdict": "approve" })).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.json);
    assert_eq!(approved.json["task"]["status"], "approved");
    let told = approved.json["bot_turn"]["replies"][0]["body"].as_str().unwrap();
    assert!(told.contains("your address is now 12 Harbour Road, Bristol"), "{told}");
    let again = app.post(&key, &format!("/api/v1/tasks/{task}/settle"), json!({ "verdict": "approve" })).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "settled once");
}

#[tokio::test]
async fn a_person_taking_over_mid_turn_silences_the_bot() {
    let app = TestApp::with_bot().await;
    let key = app.a.key.clone();
    configure(&app, &key).await;
    let agent = app.agent(app.a.workspace.id, "al@acme.test", Role::Agent).await;
    // Not waiting: the bot's turn runs in the background while the business system is slow.
    let sent = app.ingest(&key, json!({ "channel": "web_chat", "from": { "visitor_id": "visitor-v5" }, "body": "where is my order A8000?" })).await;
    let conversation = sent["conversation"]["id"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let taken =
        app.post(&key, &format!("/api/v1/conversations/{conversation}/assign"), json!({ "agent_id": agent.id })).await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.json);
    let mut decisions = Value::Null;
    for _ in 0..100 {
        decisions = app.get(&key, &format!("/api/v1/conversations/{conversation}/bot/decisions")).await.json;
        if !decisions.as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(decisions[0]["kind"], "superseded", "{decisions}");
    let detail = app.get(&key, &format!("/api/v1/conversations/{conversation}")).await.json;
    let messages = detail["messages"].as_array().unwrap();
    assert!(!messages.iter().any(|m| m["kind"] == "outbound"), "the bot sent nothing once a person had it");
    assert!(
        messages.iter().any(|m| m["kind"] == "note" && m["body"].as_str().unwrap().contains("packed")),
        "what it found is left for the agent"
    );
}

#[tokio::test]
async fn messages_committed_before_a_restart_are_answered_after_it() {
    let app = TestApp::new().await;
    let key = app.a.key.clone();
    app.ingest(&key, json!({ "channel": "web_chat", "from": { "visitor_id": "visitor-v6" }, "body": "human please" }))
        .await;
    let app = app.restart().await;
    let engine = app.engine().clone().with_bot(tandem_engine::BotOptions::default());
    assert!(engine.start_bot().await.unwrap() >= 1);
    let mut escalated = false;
    for _ in 0..100 {
        let list = app.get(&key, "/api/v1/conversations?owner=queue").await.json;
        let bot_list = app.get(&key, "/api/v1/conversations?owner=bot").await.json;
        if list["conversations"].as_array().unwrap().len() + bot_list["conversations"].as_array().unwrap().len() > 0 {
            let events = app.get(&key, "/api/v1/events?limit=1000").await.json;
            if events.as_array().unwrap().iter().any(|e| e["type"] == "bot_decided") {
                escalated = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(escalated, "the message committed before the restart got its turn");
}

#[tokio::test]
async fn the_figures_add_up() {
    let app = TestApp::with_bot().await;
    let key = app.a.key.clone();
    configure(&app, &key).await;
    say(&app, &key, "m1", "where is my order A1043").await;
    say(&app, &key, "m1", "no thanks").await;
    say(&app, &key, "m2", "agent please").await;
    say(&app, &key, "m3", "where is my order A9500").await;
    let m = app.get(&key, "/api/v1/bot/metrics?days=1").await;
    assert_eq!(m.status, StatusCode::OK, "{}", m.json);
    let m = m.json;
    assert_eq!(
        (m["conversations"].as_u64(), m["resolved_by_bot"].as_u64(), m["escalated"].as_u64()),
        (Some(3), Some(1), Some(2)),
        "{m}"
    );
    assert!((m["containment_rate"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    assert_eq!((m["action_calls"].as_u64(), m["action_successes"].as_u64()), (Some(2), Some(1)));
    let reasons = m["escalations_by_reason"].to_string();
    assert!(reasons.contains("explicit_request") && reasons.contains("action_failed"), "{reasons}");
    assert!(m["latency_p99_ms"].as_f64().unwrap() >= m["latency_p50_ms"].as_f64().unwrap());
    assert_eq!(app.get(&key, "/api/v1/bot/metrics?days=0").await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_rejected_approval_is_explained_and_handed_over_and_follow_ups_are_settled() {
    let app = TestApp::with_bot().await;
    let key = app.a.key.clone();
    configure(&app, &key).await;
    say(&app, &key, "v7", "I need to change my shipping address").await;
    say(&app, &key, "v7", "1 Quay Street, Hull").await;
    say(&app, &key, "v7", "v7@example.com").await;
    let task = app.get(&key, "/api/v1/tasks?kind=approval").await.json[0]["id"].as_str().unwrap().to_owned();
    let no_reason = app.post(&key, &format!("/api/v1/tasks/{task}/settle"), json!({ "verdict": "reject" })).await;
    assert_eq!(
        (no_reason.status, no_reason.json["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("note"))
    );
    let done_on_approval = app.post(&key, &format!("/api/v1/tasks/{task}/settle"), json!({ "verdict": "done" })).await;
    assert_eq!(done_on_approval.status, StatusCode::UNPROCESSABLE_ENTITY, "an approval is approved or rejected");
    let rejected = app
        .post(
            &key,
            &format!("/api/v1/tasks/{task}/settle"),
            json!({ "verdict": "reject", "note": "address outside our delivery area" }),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.json);
    let turn = &rejected.json["bot_turn"];
    assert_eq!(turn["escalated"], "approval_rejected", "{turn}");
    assert!(turn["replies"][0]["body"].as_str().unwrap().contains("couldn't approve it"));
    // A follow-up, promised when nobody was working, is settled by whoever makes it.
    let no_agents = say(&app, &key, "v9", "agent please").await;
    assert!(replies(&no_agents).contains("nobody from our team is available"), "{no_agents}");
    let follow_up = app.get(&key, "/api/v1/tasks?kind=follow_up&status=open").await.json;
    let id = follow_up[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(follow_up[0]["details"]["via"], "email");
    let done =
        app.post(&key, &format!("/api/v1/tasks/{id}/settle"), json!({ "verdict": "done", "note": "emailed" })).await;
    assert_eq!((done.status, done.json["task"]["status"].as_str()), (StatusCode::OK, Some("done")));
    let bad = app.post(&key, &format!("/api/v1/tasks/{id}/settle"), json!({ "verdict": "maybe" })).await;
    assert_eq!((bad.status, bad.json["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("verdict")));
}
