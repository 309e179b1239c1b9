//! The happy paths a channel adapter and an agent desktop rely on.

use axum::http::{Method, StatusCode};
use serde_json::json;
use tandem_domain::agent::Role;

use crate::support::TestApp;

#[tokio::test]
async fn an_inbound_message_becomes_a_conversation_with_a_timeline() {
    let app = TestApp::new().await;
    let key = &app.a.key;
    let first = app
        .ingest(
            key,
            json!({
                "channel": "email",
                "from": { "email": "Ann@Example.com", "name": "Ann Lee" },
                "subject": "Order",
                "body": "Where is my order A-1234?",
                "language": "en",
                "attachments": [{ "name": "receipt.pdf", "content_type": "application/pdf", "size_bytes": 1200 }]
            }),
        )
        .await;
    assert_eq!(first["customer_created"], true);
    assert_eq!(first["conversation"]["status"], "bot");
    assert_eq!(first["message"]["attachments"][0]["name"], "receipt.pdf");
    let conversation_id = first["conversation"]["id"].as_str().unwrap();
    let customer_id = first["customer_id"].as_str().unwrap();

    // The same customer on SMS joins the open conversation; the switch is recorded.
    let second = app
        .ingest(key, json!({ "channel": "sms", "from": { "email": "ann@example.com", "phone": "+1 555 010 0200" }, "body": "Any news?" }))
        .await;
    assert_eq!(second["conversation"]["id"], conversation_id);
    assert_eq!(second["conversation"]["channel"], "sms");

    let detail = app.get(key, &format!("/api/v1/conversations/{conversation_id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    let kinds: Vec<_> =
        detail.json["messages"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["inbound", "system", "inbound"]);

    let timeline = app.get(key, &format!("/api/v1/customers/{customer_id}/timeline")).await;
    assert_eq!(timeline.json["customer"]["display_name"], "Ann Lee");
    assert_eq!(timeline.json["customer"]["identities"].as_array().unwrap().len(), 2);
    assert_eq!(timeline.json["messages"].as_array().unwrap().len(), 3);

    let found = app.get(key, "/api/v1/customers/lookup?kind=phone&value=%2B15550100200").await;
    assert_eq!(found.json["id"], customer_id);

    let page = app.get(key, "/api/v1/conversations?status=bot&channel=sms").await;
    assert_eq!(page.json["conversations"].as_array().unwrap().len(), 1);
    let events = app.get(key, "/api/v1/events?after=0&limit=100").await;
    assert!(events.json.as_array().unwrap().iter().any(|e| e["type"] == "channel_switched"));
    assert!(!events.json.to_string().contains("Where is my order"), "events never carry message bodies");
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_returns_the_original() {
    let app = TestApp::new().await;
    let body = json!({ "channel": "api", "from": { "external_id": "crm:7" }, "body": "hello" });
    let auth = format!("Bearer {}", app.a.key);
    let headers =
        [("authorization", auth.as_str()), ("content-type", "application/json"), ("idempotency-key", "evt-1")];
    let first = app.raw(Method::POST, "/api/v1/messages/inbound", &headers, Some(body.to_string())).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app.raw(Method::POST, "/api/v1/messages/inbound", &headers, Some(body.to_string())).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json["replayed"], true);
    assert_eq!(again.json["message"]["id"], first.json["message"]["id"]);
    let events = app.event_count(app.a.workspace.id).await;

    let other = json!({ "channel": "api", "from": { "external_id": "crm:7" }, "body": "something else" });
    let reused = app.raw(Method::POST, "/api/v1/messages/inbound", &headers, Some(other.to_string())).await;
    assert_eq!(reused.status, StatusCode::CONFLICT);
    assert_eq!(reused.code(), "idempotency_key_reused");
    assert_eq!(app.event_count(app.a.workspace.id).await, events, "a refused retry changes nothing");

    let mut mismatched = body.clone();
    mismatched["idempotency_key"] = json!("evt-2");
    let conflicting = app.raw(Method::POST, "/api/v1/messages/inbound", &headers, Some(mismatched.to_string())).await;
    assert_eq!(conflicting.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_agent_works_a_conversation_through_its_lifecycle() {
    let app = TestApp::new().await;
    let key = &app.a.key;
    let ben = app.agent(app.a.workspace.id, "ben@acme.test", Role::Agent).await;
    let queue = app.post(key, "/api/v1/queues", json!({ "name": "Billing" })).await;
    assert_eq!(queue.status, StatusCode::CREATED);
    let queue_id = queue.json["id"].as_str().unwrap().to_owned();
    let created = app.email_message(key, "ann@example.com", "I was charged twice").await;
    let id = created["conversation"]["id"].as_str().unwrap().to_owned();
    let path = |action: &str| format!("/api/v1/conversations/{id}/{action}");

    let queued = app.post(key, &path("assign"), json!({ "queue_id": queue_id })).await;
    assert_eq!(queued.json["status"], "queued");
    let waiting = app.get(key, &format!("/api/v1/conversations?queue_id={queue_id}")).await;
    assert_eq!(waiting.json["conversations"][0]["id"], id.as_str());
    let assigned = app.post(key, &path("assign"), json!({ "agent_id": ben.id })).await;
    assert_eq!(
        (assigned.json["status"].as_str(), assigned.json["owner"]["kind"].as_str()),
        (Some("assigned"), Some("agent"))
    );
    let reply = app.post(key, &path("replies"), json!({ "body": "Refund on its way.", "agent_id": ben.id })).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.json["kind"], "outbound");
    let note = app.post(key, &path("notes"), json!({ "body": "Checked Stripe.", "agent_id": ben.id })).await;
    assert_eq!(note.json["kind"], "note");
    let tagged = app.post(key, &path("tags"), json!({ "add": ["Billing", "refund"] })).await;
    assert_eq!(tagged.json["tags"], json!(["billing", "refund"]));
    let prio = app.post(key, &path("priority"), json!({ "priority": 7 })).await;
    assert_eq!(prio.json["priority"], 7);
    let detail = app.get(key, &format!("/api/v1/conversations/{id}")).await;
    assert_eq!(detail.json["conversation"]["status"], "waiting_on_customer");

    // The customer answers: back to the agent.
    app.email_message(key, "ann@example.com", "Thanks, got it").await;
    let detail = app.get(key, &format!("/api/v1/conversations/{id}")).await;
    assert_eq!(detail.json["conversation"]["status"], "assigned");

    assert_eq!(app.post(key, &path("resolve"), json!({})).await.json["status"], "resolved");
    assert_eq!(app.post(key, &path("reopen"), json!({})).await.json["status"], "assigned");
    assert_eq!(app.post(key, &path("close"), json!({})).await.json["status"], "closed");
    let events = app.event_count(app.a.workspace.id).await;
    let again = app.post(key, &path("reopen"), json!({})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "invalid_transition"));
    assert!(again.json["error"]["message"].as_str().unwrap().contains("closed conversations are final"));
    let late = app.post(key, &path("replies"), json!({ "body": "hello?", "agent_id": ben.id })).await;
    assert_eq!(late.code(), "invalid_transition");
    assert_eq!(app.event_count(app.a.workspace.id).await, events, "refused commands change nothing");

    // A new message after closing starts a new conversation.
    let fresh = app.email_message(key, "ann@example.com", "One more thing").await;
    assert_ne!(fresh["conversation"]["id"], id.as_str());
    let mine = app.get(key, &format!("/api/v1/conversations?owner=agent:{}", ben.id)).await;
    assert_eq!(mine.json["conversations"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn customers_are_edited_linked_and_merged() {
    let app = TestApp::new().await;
    let key = &app.a.key;
    let a = app.email_message(key, "ann@example.com", "hi").await;
    let b =
        app.ingest(key, json!({ "channel": "sms", "from": { "phone": "+15550100200" }, "body": "hi by sms" })).await;
    let (ca, cb) = (a["customer_id"].as_str().unwrap(), b["customer_id"].as_str().unwrap());

    let edited = app
        .call(
            key,
            Method::PATCH,
            &format!("/api/v1/customers/{ca}"),
            Some(json!({ "tier": "gold", "attributes": { "plan": "pro" } })),
        )
        .await;
    assert_eq!((edited.json["tier"].as_str(), edited.json["attributes"]["plan"].as_str()), (Some("gold"), Some("pro")));

    let linked = app
        .post(key, &format!("/api/v1/customers/{ca}/identities"), json!({ "kind": "external", "value": "crm:9" }))
        .await;
    assert_eq!(linked.status, StatusCode::OK);
    let taken = app
        .post(key, &format!("/api/v1/customers/{cb}/identities"), json!({ "kind": "external", "value": "crm:9" }))
        .await;
    assert_eq!((taken.status, taken.code()), (StatusCode::CONFLICT, "conflict"));

    let merged = app.post(key, &format!("/api/v1/customers/{ca}/merge"), json!({ "source_customer_id": cb })).await;
    assert_eq!(merged.status, StatusCode::OK, "{}", merged.json);
    assert_eq!(merged.json["identities"].as_array().unwrap().len(), 3);
    let gone = app.get(key, &format!("/api/v1/customers/{cb}")).await;
    assert_eq!(gone.json["merged_into"], ca);
    let timeline = app.get(key, &format!("/api/v1/customers/{ca}/timeline")).await;
    assert_eq!(timeline.json["conversations"].as_array().unwrap().len(), 2);
    let twice = app.post(key, &format!("/api/v1/customers/{ca}/merge"), json!({ "source_customer_id": cb })).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn operations_endpoints_and_the_openapi_document() {
    let app = TestApp::new().await;
    assert_eq!(app.raw(Method::GET, "/healthz", &[], None).await.status, StatusCode::OK);
    let ready = app.raw(Method::GET, "/readyz", &[], None).await;
    assert_eq!(ready.json["database"], "sqlite");
    app.email_message(&app.a.key, "ann@example.com", "hi").await;
    let metrics = app.router.clone();
    let response = tower::ServiceExt::oneshot(
        metrics,
        axum::http::Request::get("/metrics").body(axum::body::Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    let text =
        String::from_utf8(http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes().to_vec())
            .unwrap();
    assert!(text.contains("tandem_messages_ingested_total 1"), "{text}");
    assert!(text.contains("route=\"/api/v1/messages/inbound\""));
    let doc = app.raw(Method::GET, "/api/openapi.json", &[], None).await;
    assert!(doc.json["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc.json["paths"]["/api/v1/messages/inbound"]["post"].is_object());
    assert!(doc.json["components"]["schemas"]["ErrorBody"].is_object());
}

#[tokio::test]
async fn inbound_messages_are_understood_on_the_way_in() {
    let app = TestApp::with_nlp().await;
    let key = &app.a.key;
    let first = app
        .ingest(
            key,
            json!({ "channel": "web_chat", "from": { "visitor_id": "v_1234567890" },
            "body": "Hola, quiero cancelar mi pedido #A10432, no ha llegado y estoy muy enfadado" }),
        )
        .await;
    let understanding = &first["message"]["understanding"];
    assert_eq!(understanding["language"]["code"], "es");
    assert_eq!(first["message"]["language"], "es");
    assert_eq!(first["conversation"]["language"], "es");
    assert!(
        understanding["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "order_number" && e["value"] == "A10432")
    );

    let second = app
        .ingest(key, json!({ "channel": "web_chat", "from": { "visitor_id": "v_1234567890" },
            "body": "my card is 4111 1111 1111 1111 and my email is ana@example.com. This is crap, the worst service ever!" }))
        .await;
    let understanding = &second["message"]["understanding"];
    let redacted = understanding["redacted"].as_str().unwrap();
    assert!(redacted.contains("[CARD]") && redacted.contains("[EMAIL]") && !redacted.contains("4111"), "{redacted}");
    assert_eq!(understanding["sentiment"]["polarity"], "negative");
    assert!(understanding["signals"].as_array().unwrap().contains(&json!("profanity")));
    let sentiment = &second["conversation"]["sentiment"];
    assert_eq!(sentiment["messages"], 2);
    assert!(sentiment["frustration"].as_array().unwrap().contains(&json!("profanity")), "{sentiment}");

    let events = app.get(key, "/api/v1/events?limit=100").await;
    // (Not just "4111": a random event id may contain that.)
    let text = events.json.to_string();
    assert!(
        !text.contains("4111 1111") && !text.contains("ana@example.com"),
        "events never carry bodies or PII: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedding_tier_refines_understanding_after_the_write() {
    let Some(app) = TestApp::with_embeddings().await else { return };
    let key = &app.a.key;
    let created = app
        .ingest(key, json!({ "channel": "email", "from": { "email": "ann@example.com" }, "body": "I would like to get my money back for this purchase" }))
        .await;
    assert_eq!(created["message"]["understanding"]["refined"], false, "the real-time answer comes first");
    let path = format!("/api/v1/conversations/{}", created["conversation"]["id"].as_str().unwrap());
    let mut refined = serde_json::Value::Null;
    for _ in 0..100 {
        let detail = app.get(key, &path).await;
        let understanding = detail.json["messages"][0]["understanding"].clone();
        if understanding["refined"] == true {
            refined = understanding;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(refined["refined"], true, "refined within 10 s");
    assert_eq!(refined["intent"]["intent"], "get_refund", "{refined}");
    assert!(refined["redacted"].is_string(), "the rest of the understanding is kept");
}
