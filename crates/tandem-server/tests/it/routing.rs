//! Routing in the service: queues with skills, offers over the API, the audit trail,
//! concurrent accepts, declines, timeouts, and a restart that keeps the queue's order.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tandem_domain::agent::Role;

use crate::support::TestApp;

async fn billing_queue(app: &TestApp, key: &str) -> String {
    let reply = app
        .post(
            key,
            "/api/v1/queues",
            json!({ "name": "Billing", "routing": {
                "required_skills": [{ "name": "billing", "level": 3 }],
                "sla_target": 0.8, "sla_seconds": 30,
                "overflow": [{ "after_seconds": 120, "relax_levels": 1 }]
            }}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(reply.json["routing"]["required_skills"][0]["level"], 3);
    reply.json["id"].as_str().unwrap().to_owned()
}

async fn set_state(app: &TestApp, key: &str, agent: &str, state: &str) {
    let reply =
        app.call(key, Method::PUT, &format!("/api/v1/agents/{agent}/state"), Some(json!({ "state": state }))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
}

/// A new conversation from `email`, moved into the queue.
async fn queued_conversation(app: &TestApp, key: &str, queue: &str, email: &str) -> String {
    let ingested = app.email_message(key, email, "My invoice is wrong").await;
    let id = ingested["conversation"]["id"].as_str().unwrap().to_owned();
    let reply = app.post(key, &format!("/api/v1/conversations/{id}/assign"), json!({ "queue_id": queue })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    id
}

async fn offers(app: &TestApp, key: &str, conversation: &str) -> Vec<Value> {
    let reply = app.get(key, &format!("/api/v1/offers?conversation_id={conversation}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_queued_conversation_is_offered_to_a_qualified_agent_and_only_one_accept_wins() {
    let app = TestApp::new().await;
    let key = app.a.key.clone();
    let ws = app.a.workspace.id;
    let queue = billing_queue(&app, &key).await;
    let novice = app.skilled_agent(ws, "nina@acme.test", Role::Agent, &[("billing", 1)]).await;
    let expert = app.skilled_agent(ws, "eve@acme.test", Role::Agent, &[("billing", 5)]).await;
    set_state(&app, &key, &novice.id.to_string(), "available").await;
    set_state(&app, &key, &expert.id.to_string(), "available").await;

    let conversation = queued_conversation(&app, &key, &queue, "ann@example.com").await;
    let list = offers(&app, &key, &conversation).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let offer = &list[0];
    assert_eq!(offer["agent_id"], expert.id.to_string(), "the novice lacks billing level 3");
    assert_eq!(offer["status"], "pending");
    assert_eq!(offer["rule"], "best");
    assert_eq!(offer["score"]["skill_fit"], 5);
    let offer_id = offer["id"].as_str().unwrap().to_owned();

    // Two accepts at once: one wins, the other is told the offer is gone.
    let path = format!("/api/v1/offers/{offer_id}/accept");
    let body = json!({ "agent_id": expert.id });
    let (first, second) = tokio::join!(app.post(&key, &path, body.clone()), app.post(&key, &path, body.clone()));
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{} / {}", first.json, second.json);
    let won = if first.status == StatusCode::OK { &first } else { &second };
    assert_eq!(won.json["owner"]["kind"], "agent");
    assert_eq!(offers(&app, &key, &conversation).await[0]["status"], "accepted");

    // Someone else cannot accept it either.
    let other = app.post(&key, &path, json!({ "agent_id": novice.id })).await;
    assert_eq!(other.status, StatusCode::CONFLICT);

    // The events tell the story for the audit and the live views.
    let events = app.engine().store().events_since(ws, 0, 10_000).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.event.kind()).collect();
    for kind in ["offer_made", "offer_accepted"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
}

#[tokio::test]
async fn a_declined_offer_goes_to_the_next_agent_and_waiting_work_follows_free_capacity() {
    let app = TestApp::new().await;
    let key = app.a.key.clone();
    let ws = app.a.workspace.id;
    let queue = billing_queue(&app, &key).await;
    let first = app.skilled_agent(ws, "fay@acme.test", Role::Agent, &[("billing", 5)]).await;
    let second = app.skilled_agent(ws, "gus@acme.test", Role::Agent, &[("billing", 4)]).await;
    set_state(&app, &key, &first.id.to_string(), "available").await;

    let conversation = queued_conversation(&app, &key, &queue, "bob@example.com").await;
    let offer = offers(&app, &key, &conversation).await[0].clone();
    assert_eq!(offer["agent_id"], first.id.to_string());
    let declined = app
        .post(
            &key,
            &format!("/api/v1/offers/{}/decline", offer["id"].as_str().unwrap()),
            json!({ "agent_id": first.id }),
        )
        .await;
    assert_eq!(declined.status, StatusCode::OK, "{}", declined.json);
    assert_eq!(declined.json["status"], "declined");
    // Nobody else is available: it waits, in the queue, not offered back to the decliner.
    let waiting = app.get(&key, &format!("/api/v1/queues/{queue}/waiting")).await;
    assert_eq!(waiting.json.as_array().unwrap().len(), 1, "{}", waiting.json);
    assert!(waiting.json[0]["offered_to"].is_null());
    set_state(&app, &key, &second.id.to_string(), "available").await;
    let list = offers(&app, &key, &conversation).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["agent_id"], second.id.to_string());
    assert_eq!(list[0]["status"], "pending");

    // An agent who replies takes it: the pending offer is withdrawn.
    let reply = app
        .post(
            &key,
            &format!("/api/v1/conversations/{conversation}/replies"),
            json!({ "agent_id": first.id, "body": "Let me look" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(offers(&app, &key, &conversation).await[0]["status"], "withdrawn");
    let waiting = app.get(&key, &format!("/api/v1/queues/{queue}/waiting")).await;
    assert!(waiting.json.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_unanswered_offer_times_out_moves_on_and_sets_the_agent_away() {
    let mut config = tandem_engine::RoutingConfig::default();
    config.router.offer_timeout_ms = Some(200);
    let app = TestApp::with_routing(config).await;
    let key = app.a.key.clone();
    let ws = app.a.workspace.id;
    let queue = billing_queue(&app, &key).await;
    let sleepy = app.skilled_agent(ws, "sid@acme.test", Role::Agent, &[("billing", 5)]).await;
    let awake = app.skilled_agent(ws, "amy@acme.test", Role::Agent, &[("billing", 3)]).await;
    set_state(&app, &key, &sleepy.id.to_string(), "available").await;
    set_state(&app, &key, &awake.id.to_string(), "available").await;
    let conversation = queued_conversation(&app, &key, &queue, "cat@example.com").await;
    assert_eq!(offers(&app, &key, &conversation).await[0]["agent_id"], sleepy.id.to_string());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.engine().routing_tick().await;
    let list = offers(&app, &key, &conversation).await;
    assert_eq!(list[1]["status"], "timed_out");
    assert_eq!(list[0]["agent_id"], awake.id.to_string());
    let agent = app.engine().store().agent(ws, sleepy.id).await.unwrap();
    assert_eq!(agent.state, tandem_domain::AgentState::Away);
}

#[tokio::test]
async fn after_a_restart_queued_conversations_resume_in_their_original_order() {
    let app = TestApp::new().await;
    let key = app.a.key.clone();
    let ws = app.a.workspace.id;
    let queue = billing_queue(&app, &key).await;
    let agent = app.skilled_agent(ws, "ida@acme.test", Role::Agent, &[("billing", 4)]).await;
    let mut order = Vec::new();
    for email in ["one@example.com", "two@example.com", "three@example.com"] {
        order.push(queued_conversation(&app, &key, &queue, email).await);
    }
    // One is offered (the agent becomes available with room for one voice… web chat 3,
    // email 5: set capacity aside and just make one offer by going available and away).
    let waiting = app.get(&key, &format!("/api/v1/queues/{queue}/waiting")).await;
    let ids: Vec<&str> =
        waiting.json.as_array().unwrap().iter().map(|w| w["conversation_id"].as_str().unwrap()).collect();
    assert_eq!(ids, order.iter().map(String::as_str).collect::<Vec<_>>());
    set_state(&app, &key, &agent.id.to_string(), "available").await;
    let first_offer = offers(&app, &key, &order[0]).await[0]["id"].as_str().unwrap().to_owned();

    let app = app.restart().await;
    // The offer the old process made is withdrawn, so it cannot be accepted twice…
    let stale = app.post(&key, &format!("/api/v1/offers/{first_offer}/accept"), json!({ "agent_id": agent.id })).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.json);
    // …and the same conversations are offered again, oldest first, none lost.
    let mut accepted = Vec::new();
    for expected in &order {
        let list = offers(&app, &key, expected).await;
        let pending = list.iter().find(|o| o["status"] == "pending").unwrap_or_else(|| panic!("{list:?}"));
        let reply = app
            .post(
                &key,
                &format!("/api/v1/offers/{}/accept", pending["id"].as_str().unwrap()),
                json!({ "agent_id": agent.id }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
        accepted.push(expected.clone());
    }
    assert_eq!(accepted, order);
    let waiting = app.get(&key, &format!("/api/v1/queues/{queue}/waiting")).await;
    assert!(waiting.json.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn staffing_from_recorded_arrivals() {
    let app = TestApp::new().await;
    let key = app.a.key.clone();
    let queue = billing_queue(&app, &key).await;
    for i in 0..6 {
        queued_conversation(&app, &key, &queue, &format!("c{i}@example.com")).await;
    }
    let reply = app.get(&key, "/api/v1/routing/staffing?hours=1&aht_seconds=600").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let row = &reply.json[0];
    assert_eq!(row["arrivals"], 6);
    assert_eq!(row["waiting"], 6);
    assert_eq!(row["sla_seconds"], 30.0);
    // 6/h × 600 s = 1 erlang.
    assert!((row["traffic_erlangs"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    assert!(row["agents"].as_u64().unwrap() >= 2);
    let bad = app.get(&key, "/api/v1/routing/staffing?hours=-1").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}
