//! Another workspace's data is never visible or changeable — proved for every endpoint
//! of the OpenAPI document (the test fails if an endpoint is added without a case).

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tandem_domain::agent::Role;

use crate::support::TestApp;

#[tokio::test]
async fn no_endpoint_crosses_workspaces() {
    let app = TestApp::new().await;
    let (ka, kb) = (app.a.key.clone(), app.b.key.clone());
    // Workspace A's data.
    let a = app.email_message(&ka, "only-in-a@example.com", "secret A business").await;
    let (conv_a, cust_a) =
        (a["conversation"]["id"].as_str().unwrap().to_owned(), a["customer_id"].as_str().unwrap().to_owned());
    let ann = app.agent(app.a.workspace.id, "ann@acme.test", Role::Admin).await;
    let queue_a = app.post(&ka, "/api/v1/queues", json!({ "name": "Billing" })).await.json["id"].clone();
    let (cookie_a, _) = app.login("acme", "ann@acme.test").await;
    let chat_a = app.post(&ka, "/api/v1/chat/sessions", json!({ "chat_key": app.a.workspace.chat_key })).await;
    let visitor_token_a = chat_a.json["token"].as_str().unwrap().to_owned();
    app.raw(
        Method::POST,
        "/api/v1/chat/messages",
        &[("authorization", &format!("Bearer {visitor_token_a}")), ("content-type", "application/json")],
        Some(json!({ "body": "A visitor secret" }).to_string()),
    )
    .await;
    // A's conversation queued and offered to Ann.
    app.call(&ka, Method::PUT, &format!("/api/v1/agents/{}/state", ann.id), Some(json!({ "state": "available" })))
        .await;
    app.post(&ka, &format!("/api/v1/conversations/{conv_a}/assign"), json!({ "queue_id": queue_a })).await;
    let offer_a = app.get(&ka, &format!("/api/v1/offers?conversation_id={conv_a}")).await.json[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A's knowledge: an article, a card recommendation (a recorded question) and a verdict.
    let article_a = app
        .post(
            &ka,
            "/api/v1/kb/articles",
            json!({ "title": "secret A article", "body": "secret A business refunds", "language": "en" }),
        )
        .await;
    assert_eq!(article_a.status, StatusCode::CREATED, "{}", article_a.json);
    let article_a = article_a.json["id"].as_str().unwrap().to_owned();
    let cards_a = app.get(&ka, &format!("/api/v1/conversations/{conv_a}/knowledge")).await;
    assert_eq!(cards_a.json["cards"][0]["article_id"], article_a.as_str());
    // The question is recorded after the reply: wait for it, so A's event count holds still.
    for _ in 0..100 {
        let events = app.get(&ka, "/api/v1/events?limit=1000").await.json;
        if events.as_array().unwrap().iter().any(|e| e["type"] == "knowledge_recommended") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let verdict = json!({ "article_id": article_a, "passage": 0, "verdict": "helpful" });
    let given = app.post(&ka, &format!("/api/v1/conversations/{conv_a}/knowledge/feedback"), verdict).await;
    assert_eq!(given.status, StatusCode::CREATED, "{}", given.json);
    // A's virtual agent: a configuration, a secret and an approval task.
    let config_a = json!({ "config": { "name": "Secret A Bot" } });
    assert_eq!(app.call(&ka, Method::PUT, "/api/v1/bot/config", Some(config_a)).await.status, StatusCode::OK);
    let secret_a =
        app.call(&ka, Method::PUT, "/api/v1/bot/secrets/secret_a_token", Some(json!({ "value": "sa" }))).await;
    assert_eq!(secret_a.status, StatusCode::NO_CONTENT);
    let task_a = tandem_domain::Task {
        id: tandem_domain::TaskId::new(),
        workspace_id: app.a.workspace.id,
        conversation_id: Some(conv_a.parse().unwrap()),
        customer_id: None,
        kind: tandem_domain::TaskKind::Approval,
        status: tandem_domain::TaskStatus::Open,
        title: "secret A approval".into(),
        details: json!({}),
        created_at: tandem_domain::time::now(),
        due_at: None,
        settled_at: None,
        settled_by: None,
        note: None,
    };
    app.engine().store().create_task(&task_a, Vec::new()).await.unwrap();
    let task_a = task_a.id.to_string();
    // A's canned response and a wrap-up suggestion's verdict.
    let canned_a = app
        .post(
            &ka,
            "/api/v1/canned-responses",
            json!({ "shortcut": "secret-a", "title": "secret A", "body": "secret A text" }),
        )
        .await;
    assert_eq!(canned_a.status, StatusCode::CREATED, "{}", canned_a.json);
    let canned_a = canned_a.json["id"].as_str().unwrap().to_owned();
    // Workspace B's own things to aim with.
    let bob = app.agent(app.b.workspace.id, "bob@globex.test", Role::Admin).await;
    let queue_b = app.post(&kb, "/api/v1/queues", json!({ "name": "Billing" })).await;
    assert_eq!(queue_b.status, StatusCode::CREATED, "the same queue name is fine in another workspace");
    let b = app.email_message(&kb, "b@example.com", "B business").await;
    let (conv_b, cust_b) =
        (b["conversation"]["id"].as_str().unwrap().to_owned(), b["customer_id"].as_str().unwrap().to_owned());

    let a_events_before = app.event_count(app.a.workspace.id).await;
    let a_snapshot = app.get(&ka, &format!("/api/v1/customers/{cust_a}/timeline")).await.json;
    let mut covered: BTreeSet<(String, String)> = BTreeSet::new();
    let mut cover = |method: &str, path: &str| {
        covered.insert((method.to_owned(), path.to_owned()));
    };
    let not_found = |reply: crate::support::Reply, what: &str| {
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{what}: {}", reply.json);
    };
    let no_a = |body: &Value, what: &str| {
        let text = body.to_string();
        for secret in [conv_a.as_str(), cust_a.as_str(), "only-in-a", "ann@acme.test", "secret A", "A visitor"] {
            assert!(!text.contains(secret), "{what} leaked {secret}: {text}");
        }
    };

    // Messages.
    cover("post", "/api/v1/messages/inbound");
    let b_same_email = app.email_message(&kb, "only-in-a@example.com", "B's own customer").await;
    assert_eq!(b_same_email["customer_created"], true);
    assert_ne!(b_same_email["customer_id"], cust_a.as_str());

    // Conversations.
    cover("get", "/api/v1/conversations");
    no_a(&app.get(&kb, "/api/v1/conversations?limit=200").await.json, "conversation list");
    no_a(
        &app.get(&kb, &format!("/api/v1/conversations?customer_id={cust_a}")).await.json,
        "conversation list by A's customer",
    );
    cover("get", "/api/v1/conversations/{id}");
    not_found(app.get(&kb, &format!("/api/v1/conversations/{conv_a}")).await, "get conversation");
    for (action, body) in [
        ("replies", json!({ "body": "x", "agent_id": bob.id })),
        ("notes", json!({ "body": "x", "agent_id": bob.id })),
        ("assign", json!({ "queue_id": queue_b.json["id"] })),
        ("tags", json!({ "add": ["x"] })),
        ("priority", json!({ "priority": 9 })),
        ("resolve", json!({})),
        ("close", json!({})),
        ("reopen", json!({})),
    ] {
        cover("post", &format!("/api/v1/conversations/{{id}}/{action}"));
        not_found(app.post(&kb, &format!("/api/v1/conversations/{conv_a}/{action}"), body).await, action);
    }
    // B's conversation cannot be pointed at A's agent or queue, nor replied to as A's agent.
    not_found(
        app.post(&kb, &format!("/api/v1/conversations/{conv_b}/assign"), json!({ "agent_id": ann.id })).await,
        "assign to A's agent",
    );
    not_found(
        app.post(&kb, &format!("/api/v1/conversations/{conv_b}/assign"), json!({ "queue_id": queue_a })).await,
        "assign to A's queue",
    );
    not_found(
        app.post(&kb, &format!("/api/v1/conversations/{conv_b}/replies"), json!({ "body": "x", "agent_id": ann.id }))
            .await,
        "reply as A's agent",
    );

    // Customers.
    cover("post", "/api/v1/customers");
    let twin_customer =
        app.post(&kb, "/api/v1/customers", json!({ "email": "only-in-a@example.com", "tier": "gold" })).await;
    assert_eq!(
        twin_customer.status,
        StatusCode::CONFLICT,
        "B already has its own customer with that email: {}",
        twin_customer.json
    );
    let fresh = app.post(&kb, "/api/v1/customers", json!({ "external_id": "crm:b-1", "tier": "gold" })).await;
    assert_eq!(fresh.status, StatusCode::CREATED, "{}", fresh.json);
    no_a(&fresh.json, "created customer");
    cover("get", "/api/v1/customers/lookup");
    let lookup = app.get(&kb, "/api/v1/customers/lookup?kind=email&value=only-in-a@example.com").await;
    assert_ne!(lookup.json["id"], cust_a.as_str(), "B finds only its own customer with that email");
    cover("get", "/api/v1/customers/{id}");
    not_found(app.get(&kb, &format!("/api/v1/customers/{cust_a}")).await, "get customer");
    cover("patch", "/api/v1/customers/{id}");
    not_found(
        app.call(&kb, Method::PATCH, &format!("/api/v1/customers/{cust_a}"), Some(json!({ "tier": "gold" }))).await,
        "edit customer",
    );
    cover("get", "/api/v1/customers/{id}/timeline");
    not_found(app.get(&kb, &format!("/api/v1/customers/{cust_a}/timeline")).await, "timeline");
    cover("post", "/api/v1/customers/{id}/identities");
    not_found(
        app.post(
            &kb,
            &format!("/api/v1/customers/{cust_a}/identities"),
            json!({ "kind": "external", "value": "crm:1" }),
        )
        .await,
        "link",
    );
    cover("post", "/api/v1/customers/{id}/merge");
    not_found(
        app.post(&kb, &format!("/api/v1/customers/{cust_b}/merge"), json!({ "source_customer_id": cust_a })).await,
        "merge A into B",
    );
    not_found(
        app.post(&kb, &format!("/api/v1/customers/{cust_a}/merge"), json!({ "source_customer_id": cust_b })).await,
        "merge B into A",
    );

    // Agents, queues, API keys.
    cover("get", "/api/v1/agents");
    no_a(&app.get(&kb, "/api/v1/agents").await.json, "agent list");
    cover("post", "/api/v1/agents");
    let twin = app.post(&kb, "/api/v1/agents", json!({ "email": "ann@acme.test", "display_name": "Other Ann", "role": "agent", "password": "long enough password" })).await;
    assert_eq!(twin.status, StatusCode::CREATED, "emails are unique per workspace only");
    cover("put", "/api/v1/agents/{id}/state");
    not_found(
        app.call(&kb, Method::PUT, &format!("/api/v1/agents/{}/state", ann.id), Some(json!({ "state": "away" }))).await,
        "agent state",
    );
    cover("get", "/api/v1/queues");
    let queues = app.get(&kb, "/api/v1/queues").await.json;
    assert!(!queues.to_string().contains(queue_a.as_str().unwrap()));
    cover("post", "/api/v1/queues");
    let queue_a_id = queue_a.as_str().unwrap();
    cover("patch", "/api/v1/queues/{id}");
    not_found(
        app.call(&kb, Method::PATCH, &format!("/api/v1/queues/{queue_a_id}"), Some(json!({ "name": "Stolen" }))).await,
        "update A's queue",
    );
    cover("get", "/api/v1/queues/{id}/waiting");
    not_found(app.get(&kb, &format!("/api/v1/queues/{queue_a_id}/waiting")).await, "A's waiting list");
    cover("get", "/api/v1/offers");
    no_a(&app.get(&kb, "/api/v1/offers").await.json, "offers");
    cover("post", "/api/v1/offers/{id}/accept");
    not_found(
        app.post(&kb, &format!("/api/v1/offers/{offer_a}/accept"), json!({ "agent_id": bob.id })).await,
        "accept A's offer",
    );
    cover("post", "/api/v1/offers/{id}/decline");
    not_found(
        app.post(&kb, &format!("/api/v1/offers/{offer_a}/decline"), json!({ "agent_id": bob.id })).await,
        "decline A's offer",
    );
    cover("get", "/api/v1/routing/staffing");
    let staffing = app.get(&kb, "/api/v1/routing/staffing").await.json;
    no_a(&staffing, "staffing");
    assert!(!staffing.to_string().contains(queue_a_id));
    cover("post", "/api/v1/api-keys");
    let new_key = app.post(&kb, "/api/v1/api-keys", json!({ "name": "second" })).await.json["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    not_found(app.get(&new_key, &format!("/api/v1/conversations/{conv_a}")).await, "a new B key");

    // Knowledge.
    cover("get", "/api/v1/kb/articles");
    let listed = app.get(&kb, "/api/v1/kb/articles").await.json;
    no_a(&listed, "article list");
    assert!(!listed.to_string().contains(&article_a));
    cover("post", "/api/v1/kb/articles");
    let article_b = app
        .post(&kb, "/api/v1/kb/articles", json!({ "title": "B refunds", "body": "B refunds text", "language": "en" }))
        .await;
    assert_eq!(article_b.status, StatusCode::CREATED);
    let article_b = article_b.json["id"].as_str().unwrap().to_owned();
    let cross_translation = json!({ "title": "B", "body": "B", "language": "es", "translation_of": article_a });
    assert_eq!(app.post(&kb, "/api/v1/kb/articles", cross_translation).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    cover("get", "/api/v1/kb/articles/{id}");
    not_found(app.get(&kb, &format!("/api/v1/kb/articles/{article_a}")).await, "get A's article");
    cover("patch", "/api/v1/kb/articles/{id}");
    not_found(
        app.call(&kb, Method::PATCH, &format!("/api/v1/kb/articles/{article_a}"), Some(json!({ "title": "x" }))).await,
        "edit A's article",
    );
    cover("get", "/api/v1/kb/articles/{id}/versions");
    not_found(app.get(&kb, &format!("/api/v1/kb/articles/{article_a}/versions")).await, "A's versions");
    cover("post", "/api/v1/kb/search");
    let found = app.post(&kb, "/api/v1/kb/search", json!({ "q": "secret A business refunds" })).await;
    assert_eq!(found.status, StatusCode::OK);
    no_a(&found.json, "search");
    assert!(!found.json.to_string().contains(&article_a));
    cover("get", "/api/v1/conversations/{id}/knowledge");
    not_found(app.get(&kb, &format!("/api/v1/conversations/{conv_a}/knowledge")).await, "cards of A's conversation");
    cover("post", "/api/v1/conversations/{id}/knowledge/feedback");
    let on_a = json!({ "article_id": article_b, "passage": 0, "verdict": "dismissed" });
    not_found(app.post(&kb, &format!("/api/v1/conversations/{conv_a}/knowledge/feedback"), on_a).await, "verdict in A");
    let a_article = json!({ "article_id": article_a, "passage": 0, "verdict": "dismissed" });
    not_found(
        app.post(&kb, &format!("/api/v1/conversations/{conv_b}/knowledge/feedback"), a_article).await,
        "verdict on A's article",
    );
    cover("get", "/api/v1/kb/feedback");
    let report = app.get(&kb, "/api/v1/kb/feedback").await.json;
    assert!(!report.to_string().contains(&article_a), "feedback report: {report}");
    cover("get", "/api/v1/kb/gaps");
    no_a(&app.get(&kb, "/api/v1/kb/gaps?min_count=1").await.json, "gaps");
    cover("post", "/api/v1/kb/reindex");
    let reindexed = app.post(&kb, "/api/v1/kb/reindex", json!({ "full": true })).await;
    assert_eq!((reindexed.status, reindexed.json["articles"].as_u64()), (StatusCode::OK, Some(1)));
    let still = app.post(&ka, "/api/v1/kb/search", json!({ "q": "secret A business refunds" })).await.json;
    assert_eq!(still["hits"][0]["article_id"], article_a.as_str(), "B's re-index left A's index alone");

    // The virtual agent and tasks.
    cover("get", "/api/v1/bot/config");
    let config_b = app.get(&kb, "/api/v1/bot/config").await.json;
    assert_eq!(config_b["version"], 0, "B still runs the default: {config_b}");
    no_a(&config_b, "bot configuration");
    cover("put", "/api/v1/bot/config");
    let saved_b =
        app.call(&kb, Method::PUT, "/api/v1/bot/config", Some(json!({ "config": { "name": "B Bot" } }))).await;
    assert_eq!(
        (saved_b.status, saved_b.json["version"].as_i64()),
        (StatusCode::OK, Some(1)),
        "versions are per workspace"
    );
    cover("get", "/api/v1/bot/secrets");
    assert!(!app.get(&kb, "/api/v1/bot/secrets").await.json.to_string().contains("secret_a_token"));
    cover("put", "/api/v1/bot/secrets/{name}");
    cover("delete", "/api/v1/bot/secrets/{name}");
    not_found(app.call(&kb, Method::DELETE, "/api/v1/bot/secrets/secret_a_token", None).await, "delete A's secret");
    let same_name =
        app.call(&kb, Method::PUT, "/api/v1/bot/secrets/secret_a_token", Some(json!({ "value": "b" }))).await;
    assert_eq!(same_name.status, StatusCode::NO_CONTENT, "secret names are per workspace");
    cover("get", "/api/v1/conversations/{id}/bot/decisions");
    not_found(app.get(&kb, &format!("/api/v1/conversations/{conv_a}/bot/decisions")).await, "A's bot decisions");
    cover("get", "/api/v1/conversations/{id}/handoff");
    not_found(app.get(&kb, &format!("/api/v1/conversations/{conv_a}/handoff")).await, "A's handoff");
    cover("get", "/api/v1/bot/metrics");
    assert_eq!(app.get(&kb, "/api/v1/bot/metrics").await.json["conversations"], 0);
    cover("get", "/api/v1/tasks");
    no_a(&app.get(&kb, "/api/v1/tasks").await.json, "tasks");
    cover("get", "/api/v1/tasks/{id}");
    not_found(app.get(&kb, &format!("/api/v1/tasks/{task_a}")).await, "A's task");
    cover("post", "/api/v1/tasks/{id}/settle");
    not_found(
        app.post(&kb, &format!("/api/v1/tasks/{task_a}/settle"), json!({ "verdict": "cancel" })).await,
        "settle A's task",
    );

    // Assist and supervision.
    cover("get", "/api/v1/canned-responses");
    let canned_b = app.get(&kb, "/api/v1/canned-responses").await;
    assert_eq!(canned_b.json.as_array().map(Vec::len), Some(0), "{}", canned_b.json);
    cover("post", "/api/v1/canned-responses");
    let same_shortcut = json!({ "shortcut": "secret-a", "title": "B's own", "body": "B text" });
    let same_shortcut = app.post(&kb, "/api/v1/canned-responses", same_shortcut).await;
    assert_eq!(same_shortcut.status, StatusCode::CREATED, "shortcuts are per workspace: {}", same_shortcut.json);
    cover("delete", "/api/v1/canned-responses/{id}");
    not_found(
        app.call(&kb, Method::DELETE, &format!("/api/v1/canned-responses/{canned_a}"), None).await,
        "delete A's canned",
    );
    cover("get", "/api/v1/conversations/{id}/suggestions");
    not_found(app.get(&kb, &format!("/api/v1/conversations/{conv_a}/suggestions")).await, "A's suggestions");
    cover("post", "/api/v1/conversations/{id}/suggestions/feedback");
    let verdict = json!({ "source": "canned", "reference": "secret-a", "verdict": "accepted" });
    not_found(
        app.post(&kb, &format!("/api/v1/conversations/{conv_a}/suggestions/feedback"), verdict).await,
        "verdict on A's suggestion",
    );
    cover("get", "/api/v1/conversations/{id}/wrap-up");
    not_found(app.get(&kb, &format!("/api/v1/conversations/{conv_a}/wrap-up")).await, "A's wrap-up");
    cover("post", "/api/v1/conversations/{id}/wrap-up");
    let (bob_cookie, bob_csrf) = app.login("globex", "bob@globex.test").await;
    let wrap = json!({ "disposition": "Stolen", "summary": "B wraps up A" }).to_string();
    let wrapped = app
        .raw(
            Method::POST,
            &format!("/api/v1/conversations/{conv_a}/wrap-up"),
            &[("cookie", &bob_cookie), ("x-csrf-token", &bob_csrf), ("content-type", "application/json")],
            Some(wrap),
        )
        .await;
    not_found(wrapped, "wrap up A's conversation");
    cover("get", "/api/v1/supervisor/overview");
    let overview = app.get(&kb, "/api/v1/supervisor/overview").await.json;
    no_a(&overview, "supervisor overview");
    assert!(!overview.to_string().contains(queue_a.as_str().unwrap()), "{overview}");

    // Auth.
    cover("post", "/api/v1/auth/login");
    let cross_login =
        json!({ "workspace": "globex", "email": "ann@acme.test", "password": crate::support::PASSWORD }).to_string();
    let refused =
        app.raw(Method::POST, "/api/v1/auth/login", &[("content-type", "application/json")], Some(cross_login)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "A's password does not open B's twin account");
    cover("get", "/api/v1/auth/me");
    assert_eq!(app.get(&kb, "/api/v1/auth/me").await.json["workspace_id"], app.b.workspace.id.to_string());
    cover("post", "/api/v1/auth/logout");
    let (cookie_b, csrf_b) = app.login("globex", "bob@globex.test").await;
    let out =
        app.raw(Method::POST, "/api/v1/auth/logout", &[("cookie", &cookie_b), ("x-csrf-token", &csrf_b)], None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.raw(Method::GET, "/api/v1/auth/me", &[("cookie", &cookie_a)], None).await.status,
        StatusCode::OK,
        "A's session survives"
    );

    // Chat.
    cover("post", "/api/v1/chat/sessions");
    let chat_b = app
        .post(&kb, "/api/v1/chat/sessions", json!({ "chat_key": app.b.workspace.chat_key, "token": visitor_token_a }))
        .await;
    let token_b = chat_b.json["token"].as_str().expect("A's visitor token is not resumed in B").to_owned();
    assert_ne!(chat_b.json["visitor_id"], chat_a.json["visitor_id"]);
    cover("post", "/api/v1/chat/messages");
    let auth_b = format!("Bearer {token_b}");
    let sent = app
        .raw(
            Method::POST,
            "/api/v1/chat/messages",
            &[("authorization", &auth_b), ("content-type", "application/json")],
            Some(json!({ "body": "B visitor here" }).to_string()),
        )
        .await;
    assert_eq!(sent.status, StatusCode::CREATED);
    cover("get", "/api/v1/chat/messages");
    let history = app.raw(Method::GET, "/api/v1/chat/messages", &[("authorization", &auth_b)], None).await;
    assert_eq!(history.json.as_array().unwrap().len(), 1);
    no_a(&history.json, "chat history");
    cover("get", "/api/v1/chat/status");
    let status = app.raw(Method::GET, "/api/v1/chat/status", &[("authorization", &auth_b)], None).await;
    assert_eq!(status.status, StatusCode::OK);
    no_a(&status.json, "chat status");
    cover("post", "/api/v1/chat/contact");
    let contact = app
        .raw(
            Method::POST,
            "/api/v1/chat/contact",
            &[("authorization", &auth_b), ("content-type", "application/json")],
            Some(json!({ "email": "b-visitor@example.com" }).to_string()),
        )
        .await;
    assert_eq!(contact.status, StatusCode::NO_CONTENT, "{}", contact.json);
    cover("post", "/api/v1/chat/rating");
    let chat_conversation_b = status.json["conversation_id"].as_str().unwrap().to_owned();
    app.post(&kb, &format!("/api/v1/conversations/{chat_conversation_b}/resolve"), json!({})).await;
    let rated = app
        .raw(
            Method::POST,
            "/api/v1/chat/rating",
            &[("authorization", &auth_b), ("content-type", "application/json")],
            Some(json!({ "rating": 1 }).to_string()),
        )
        .await;
    assert_eq!(rated.status, StatusCode::NO_CONTENT, "B's visitor rates B's conversation only: {}", rated.json);

    // Events.
    cover("get", "/api/v1/events");
    no_a(&app.get(&kb, "/api/v1/events?limit=1000").await.json, "events");

    // A is untouched, and every documented endpoint has a case here.
    assert_eq!(app.event_count(app.a.workspace.id).await, a_events_before, "nothing B did changed A");
    assert_eq!(app.get(&ka, &format!("/api/v1/customers/{cust_a}/timeline")).await.json, a_snapshot);
    let doc = tandem_server::openapi();
    let mut documented = BTreeSet::new();
    for (path, item) in &doc.paths.paths {
        let item = serde_json::to_value(item).unwrap();
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                documented.insert((method.to_owned(), path.clone()));
            }
        }
    }
    let missing: Vec<_> = documented.difference(&covered).collect();
    assert!(missing.is_empty(), "endpoints without an isolation case: {missing:?}");
}
