//! Agent assist and supervision over the API: canned responses, suggested replies and
//! the verdicts on them, the wrap-up (what the agent changed is recorded), the
//! supervisor's overview, the web-chat visitor's status, email and rating, and the web
//! pages' security headers.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tandem_domain::agent::Role;

use crate::support::TestApp;

async fn events_of(app: &TestApp, key: &str, kind: &str) -> Vec<Value> {
    let events = app.get(key, "/api/v1/events?limit=1000").await.json;
    events.as_array().unwrap().iter().filter(|e| e["type"] == kind).cloned().collect()
}

fn session<'a>(cookie: &'a str, csrf: &'a str) -> [(&'static str, &'a str); 3] {
    [("cookie", cookie), ("x-csrf-token", csrf), ("content-type", "application/json")]
}

#[tokio::test]
async fn canned_responses_are_kept_by_shortcut_and_refused_when_wrong() {
    let app = TestApp::new().await;
    let key = app.a.key.clone();
    app.agent(app.a.workspace.id, "sam@acme.test", Role::Agent).await;
    let created = app
        .post(
            &key,
            "/api/v1/canned-responses",
            json!({ "shortcut": "refund-time", "title": "Refund timing", "body": "5 to 10 days." }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    assert_eq!(created.json["shortcut"], "refund-time");
    // A taken shortcut, a bad shortcut and an empty body change nothing.
    let taken = app
        .post(&key, "/api/v1/canned-responses", json!({ "shortcut": "refund-time", "title": "x", "body": "y" }))
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.json);
    let bad = app
        .post(&key, "/api/v1/canned-responses", json!({ "shortcut": "Refund Time!", "title": "x", "body": "y" }))
        .await;
    assert_eq!((bad.status, bad.json["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("shortcut")));
    let empty =
        app.post(&key, "/api/v1/canned-responses", json!({ "shortcut": "empty", "title": "x", "body": " " })).await;
    assert_eq!((empty.status, empty.json["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("body")));
    assert_eq!(app.get(&key, "/api/v1/canned-responses").await.json.as_array().unwrap().len(), 1);
    // Agents use them; supervisors keep them.
    let (cookie, csrf) = app.login("acme", "sam@acme.test").await;
    let listed = app.raw(Method::GET, "/api/v1/canned-responses", &[("cookie", &cookie)], None).await;
    assert_eq!(listed.json[0]["title"], "Refund timing");
    let by_agent = json!({ "shortcut": "mine", "title": "x", "body": "y" }).to_string();
    let refused = app.raw(Method::POST, "/api/v1/canned-responses", &session(&cookie, &csrf), Some(by_agent)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.json);
    let id = created.json["id"].as_str().unwrap();
    assert_eq!(
        app.call(&key, Method::DELETE, &format!("/api/v1/canned-responses/{id}"), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.call(&key, Method::DELETE, &format!("/api/v1/canned-responses/{id}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&key, "/api/v1/canned-responses").await.json, json!([]));
}

#[tokio::test]
async fn suggestions_come_from_knowledge_and_canned_responses_and_verdicts_are_recorded() {
    let app = TestApp::with_nlp().await;
    let key = app.a.key.clone();
    let article = json!({
        "title": "Refunds",
        "body": "Your refund arrives within 5 to 10 working days after the return reaches our warehouse.",
        "language": "en",
    });
    assert_eq!(app.post(&key, "/api/v1/kb/articles", article).await.status, StatusCode::CREATED);
    let canned =
        json!({ "shortcut": "refund-time", "title": "Refund timing", "body": "Refunds take 5 to 10 working days." });
    assert_eq!(app.post(&key, "/api/v1/canned-responses", canned).await.status, StatusCode::CREATED);
    let unrelated = json!({ "shortcut": "hello", "title": "Greeting", "body": "Hi there!" });
    assert_eq!(app.post(&key, "/api/v1/canned-responses", unrelated).await.status, StatusCode::CREATED);
    let message = app.email_message(&key, "rita@example.com", "When does my refund arrive?").await;
    let conversation = message["conversation"]["id"].as_str().unwrap().to_owned();

    let suggestions = app.get(&key, &format!("/api/v1/conversations/{conversation}/suggestions")).await;
    assert_eq!(suggestions.status, StatusCode::OK, "{}", suggestions.json);
    let list = suggestions.json.as_array().unwrap();
    assert!(list.iter().any(|s| s["source"] == "knowledge" && s["title"] == "Refunds"), "{list:?}");
    assert!(list.iter().any(|s| s["source"] == "canned" && s["reference"] == "refund-time"), "{list:?}");
    assert!(!list.iter().any(|s| s["reference"] == "hello"), "an unrelated canned response is not suggested: {list:?}");

    let path = format!("/api/v1/conversations/{conversation}/suggestions/feedback");
    let accepted =
        app.post(&key, &path, json!({ "source": "canned", "reference": "refund-time", "verdict": "accepted" })).await;
    assert_eq!(accepted.status, StatusCode::NO_CONTENT, "{}", accepted.json);
    let bad =
        app.post(&key, &path, json!({ "source": "canned", "reference": "refund-time", "verdict": "loved" })).await;
    assert_eq!((bad.status, bad.json["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("verdict")));
    let bad = app.post(&key, &path, json!({ "source": "magic", "reference": "x", "verdict": "shown" })).await;
    assert_eq!(bad.json["error"]["field"], "source");
    let recorded = events_of(&app, &key, "suggestion_feedback").await;
    assert_eq!(recorded.len(), 1, "refused verdicts are not recorded: {recorded:?}");
    assert_eq!(recorded[0]["data"]["verdict"], "accepted");
}

#[tokio::test]
async fn the_wrap_up_resolves_and_records_what_the_agent_changed() {
    let app = TestApp::with_nlp().await;
    let key = app.a.key.clone();
    let sam = app.agent(app.a.workspace.id, "sam@acme.test", Role::Agent).await;
    let (cookie, csrf) = app.login("acme", "sam@acme.test").await;
    app.agent(app.a.workspace.id, "otto@acme.test", Role::Agent).await;
    let first = app.email_message(&key, "rita@example.com", "I want to cancel my order A1001").await;
    let conversation = first["conversation"]["id"].as_str().unwrap().to_owned();
    app.post(&key, &format!("/api/v1/conversations/{conversation}/assign"), json!({ "agent_id": sam.id })).await;
    let path = format!("/api/v1/conversations/{conversation}/wrap-up");

    let suggested = app.raw(Method::GET, &path, &[("cookie", &cookie)], None).await;
    assert_eq!(suggested.status, StatusCode::OK, "{}", suggested.json);
    let disposition = suggested.json["disposition"].as_str().unwrap().to_owned();
    let summary = suggested.json["summary"].as_str().unwrap().to_owned();
    assert!(!disposition.is_empty() && summary.contains("customer message"), "{}", suggested.json);

    // Bad input changes nothing.
    let empty = json!({ "disposition": " ", "summary": summary }).to_string();
    let refused = app.raw(Method::POST, &path, &session(&cookie, &csrf), Some(empty)).await;
    assert_eq!(
        (refused.status, refused.json["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("disposition"))
    );
    let by_key = app.post(&key, &path, json!({ "disposition": "x", "summary": "y" })).await;
    assert_eq!(by_key.status, StatusCode::FORBIDDEN, "a wrap-up is an agent's: {}", by_key.json);
    let (otto_cookie, otto_csrf) = app.login("acme", "otto@acme.test").await;
    let by_other = json!({ "disposition": "x", "summary": "y" }).to_string();
    let by_other = app.raw(Method::POST, &path, &session(&otto_cookie, &otto_csrf), Some(by_other)).await;
    assert_eq!(by_other.status, StatusCode::FORBIDDEN, "another agent's conversation: {}", by_other.json);
    assert_eq!(
        app.get(&key, &format!("/api/v1/conversations/{conversation}")).await.json["conversation"]["status"],
        "assigned"
    );

    // Taken as suggested: resolved, with the wrap-up as a note.
    let as_suggested =
        json!({ "disposition": disposition, "summary": summary, "suggested": suggested.json }).to_string();
    let done = app.raw(Method::POST, &path, &session(&cookie, &csrf), Some(as_suggested)).await;
    assert_eq!((done.status, done.json["status"].as_str()), (StatusCode::OK, Some("resolved")), "{}", done.json);
    let detail = app.get(&key, &format!("/api/v1/conversations/{conversation}")).await.json;
    let note = detail["messages"].as_array().unwrap().iter().find(|m| m["kind"] == "note").unwrap().clone();
    assert_eq!(note["body"], format!("Wrap-up — {disposition}\n{summary}"));
    assert_eq!(note["author"]["id"], sam.id.to_string());
    let recorded = events_of(&app, &key, "wrap_up_recorded").await;
    assert_eq!(
        (recorded[0]["data"]["disposition_changed"].as_bool(), recorded[0]["data"]["summary_changed"].as_bool()),
        (Some(false), Some(false))
    );

    // Reopened and wrapped up again, edited this time.
    let reopened = app.post(&key, &format!("/api/v1/conversations/{conversation}/reopen"), json!({})).await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.json);
    app.post(&key, &format!("/api/v1/conversations/{conversation}/assign"), json!({ "agent_id": sam.id })).await;
    let edited = json!({ "disposition": "Cancellation", "summary": summary, "suggested": suggested.json }).to_string();
    let done = app.raw(Method::POST, &path, &session(&cookie, &csrf), Some(edited)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.json);
    let recorded = events_of(&app, &key, "wrap_up_recorded").await;
    let last = recorded.last().unwrap();
    assert_eq!(
        (last["data"]["disposition_changed"].as_bool(), last["data"]["summary_changed"].as_bool()),
        (Some(true), Some(false))
    );
}

#[tokio::test]
async fn the_overview_shows_queues_agents_and_frustrated_customers_first_to_supervisors_only() {
    let app = TestApp::with_nlp().await;
    let key = app.a.key.clone();
    let sam = app.agent(app.a.workspace.id, "sam@acme.test", Role::Agent).await;
    app.agent(app.a.workspace.id, "sue@acme.test", Role::Supervisor).await;
    let queue = app.post(&key, "/api/v1/queues", json!({ "name": "Billing" })).await.json["id"].clone();
    let calm = app.email_message(&key, "calm@example.com", "Could you send me my invoice please?").await;
    let angry = app
        .email_message(&key, "angry@example.com", "This is ridiculous!!! Worst service ever, I will cancel everything")
        .await;
    app.email_message(&key, "angry@example.com", "STILL NOTHING. This is absolutely terrible, I am furious").await;
    for c in [&calm, &angry] {
        let id = c["conversation"]["id"].as_str().unwrap();
        app.post(&key, &format!("/api/v1/conversations/{id}/assign"), json!({ "queue_id": queue })).await;
    }

    let (cookie, _) = app.login("acme", "sam@acme.test").await;
    let refused = app.raw(Method::GET, "/api/v1/supervisor/overview", &[("cookie", &cookie)], None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.json);
    let (cookie, _) = app.login("acme", "sue@acme.test").await;
    let overview = app.raw(Method::GET, "/api/v1/supervisor/overview", &[("cookie", &cookie)], None).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.json);
    let o = overview.json;
    let billing = o["queues"].as_array().unwrap().iter().find(|q| q["name"] == "Billing").unwrap();
    assert_eq!(billing["waiting"], 2, "{billing}");
    assert!(billing["longest_wait_seconds"].as_i64().unwrap() >= 0);
    let agents = o["agents"].as_array().unwrap();
    assert!(
        agents.iter().any(|a| a["id"] == sam.id.to_string() && a["state"] == "offline" && a["load"] == 0),
        "{agents:?}"
    );
    let live = o["conversations"].as_array().unwrap();
    assert_eq!(live.len(), 2, "{live:?}");
    assert_eq!(live[0]["id"], angry["conversation"]["id"], "the frustrated customer comes first: {live:?}");
    assert_eq!(live[0]["frustrated"], true);
    assert_eq!(live[1]["frustrated"], false);
    assert_eq!(live[0]["owner"], "Billing");
    assert!(o["bot"]["containment_rate"].is_number());
}

#[tokio::test]
async fn a_chat_visitor_sees_where_the_chat_stands_leaves_an_email_and_rates_it() {
    let app = TestApp::new().await;
    let key = app.a.key.clone();
    let sam = app.agent(app.a.workspace.id, "sam@acme.test", Role::Agent).await;
    let started = app.post(&key, "/api/v1/chat/sessions", json!({ "chat_key": app.a.workspace.chat_key })).await;
    let auth = format!("Bearer {}", started.json["token"].as_str().unwrap());
    let visitor = [("authorization", auth.as_str()), ("content-type", "application/json")];
    let status = app.raw(Method::GET, "/api/v1/chat/status", &visitor, None).await.json;
    assert_eq!(
        status,
        json!({ "conversation_id": null, "conversation_status": null, "owner": null, "agents_available": false })
    );
    // Nothing to rate or leave an email on before the first message.
    let early = app.raw(Method::POST, "/api/v1/chat/rating", &visitor, Some(json!({ "rating": 5 }).to_string())).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", early.json);

    app.raw(Method::POST, "/api/v1/chat/messages", &visitor, Some(json!({ "body": "Hello?" }).to_string())).await;
    let status = app.raw(Method::GET, "/api/v1/chat/status", &visitor, None).await.json;
    let conversation = status["conversation_id"].as_str().unwrap().to_owned();
    assert_eq!(status["conversation_status"], "bot");
    app.call(&key, Method::PUT, &format!("/api/v1/agents/{}/state", sam.id), Some(json!({ "state": "available" })))
        .await;
    assert_eq!(app.raw(Method::GET, "/api/v1/chat/status", &visitor, None).await.json["agents_available"], true);

    // An agent's reply carries their first name.
    app.post(&key, &format!("/api/v1/conversations/{conversation}/assign"), json!({ "agent_id": sam.id })).await;
    app.post(
        &key,
        &format!("/api/v1/conversations/{conversation}/replies"),
        json!({ "body": "Hi!", "agent_id": sam.id }),
    )
    .await;
    let history = app.raw(Method::GET, "/api/v1/chat/messages", &visitor, None).await.json;
    let reply = history.as_array().unwrap().iter().find(|m| m["author"] == "agent").unwrap();
    assert_eq!(reply["author_name"], "sam", "the first word of the agent's name: {reply}");
    assert_eq!(history[0]["author_name"], Value::Null);

    // A wrong email is refused; a right one becomes a note and a follow-up task — not an
    // identity of the customer (nobody verified it: anyone can type anyone's address).
    let wrong = app
        .raw(Method::POST, "/api/v1/chat/contact", &visitor, Some(json!({ "email": "not an email" }).to_string()))
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", wrong.json);
    let left = app
        .raw(Method::POST, "/api/v1/chat/contact", &visitor, Some(json!({ "email": "Vi@Example.com" }).to_string()))
        .await;
    assert_eq!(left.status, StatusCode::NO_CONTENT, "{}", left.json);
    let customer = app.get(&key, "/api/v1/customers/lookup?kind=email&value=vi@example.com").await;
    assert_eq!(customer.status, StatusCode::NOT_FOUND, "the address is not linked: {}", customer.json);
    let tasks = app.get(&key, "/api/v1/tasks").await.json;
    let task = tasks.as_array().unwrap().iter().find(|t| t["kind"] == "follow_up").unwrap_or_else(|| panic!("{tasks}"));
    assert_eq!(task["details"]["email"], "vi@example.com");
    assert_eq!(task["conversation_id"], conversation.as_str());
    let detail = app.get(&key, &format!("/api/v1/conversations/{conversation}")).await.json;
    let noted = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["kind"] == "note" && m["body"].as_str().unwrap().contains("vi@example.com (not verified"));
    assert!(noted, "{detail}");

    // Ratings are 1 to 5, once the conversation has ended.
    let open = app.raw(Method::POST, "/api/v1/chat/rating", &visitor, Some(json!({ "rating": 4 }).to_string())).await;
    assert_eq!(open.status, StatusCode::CONFLICT, "{}", open.json);
    let resolved = app.post(&key, &format!("/api/v1/conversations/{conversation}/resolve"), json!({})).await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.json);
    for bad in [0, 6] {
        let refused =
            app.raw(Method::POST, "/api/v1/chat/rating", &visitor, Some(json!({ "rating": bad }).to_string())).await;
        assert_eq!(
            (refused.status, refused.json["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("rating"))
        );
    }
    let rated = app.raw(Method::POST, "/api/v1/chat/rating", &visitor, Some(json!({ "rating": 4 }).to_string())).await;
    assert_eq!(rated.status, StatusCode::NO_CONTENT, "{}", rated.json);
    let ratings = events_of(&app, &key, "csat_rated").await;
    assert_eq!(ratings.len(), 1);
    assert_eq!(
        (ratings[0]["data"]["rating"].as_u64(), ratings[0]["conversation_id"].as_str()),
        (Some(4), Some(conversation.as_str()))
    );
}

#[tokio::test]
async fn the_pages_carry_a_strict_policy_and_only_the_chat_frame_may_be_framed() {
    let app = TestApp::new().await;
    for page in ["/app", "/app/supervisor", "/chat-frame"] {
        let reply = app.raw(Method::GET, page, &[], None).await;
        assert_eq!(reply.status, StatusCode::OK, "{page}");
        let csp = reply.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"), "{page}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{page}: {csp}");
        let framed = reply.headers.get("x-frame-options").map(|v| v.to_str().unwrap().to_owned());
        if page == "/chat-frame" {
            assert!(csp.contains("frame-ancestors *") && framed.is_none(), "the widget frame embeds anywhere");
        } else {
            assert!(csp.contains("frame-ancestors 'none'") && framed.as_deref() == Some("DENY"), "{page}");
        }
    }
    let loader = app.raw(Method::GET, "/widget.js", &[], None).await;
    assert!(loader.headers["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert_eq!(app.raw(Method::GET, "/assets/desktop.js", &[], None).await.status, StatusCode::OK);
    assert_eq!(app.raw(Method::GET, "/assets/../Cargo.toml", &[], None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.raw(Method::GET, "/assets/secret.txt", &[], None).await.status, StatusCode::NOT_FOUND);
    // The demo page exists only in `tandem demo`.
    assert_eq!(app.raw(Method::GET, "/demo", &[], None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.raw(Method::GET, "/demo/config.json", &[], None).await.status, StatusCode::NOT_FOUND);
}
