//! The knowledge base through the API: articles and versions, search (BM25 only without a
//! model, and saying so), knowledge cards that follow the conversation and leave out
//! dismissed ones, verdicts reported, and unanswered questions grouped into gaps.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tandem_domain::agent::Role;

use crate::support::TestApp;

async fn article(app: &TestApp, key: &str, body: Value) -> String {
    let reply = app.post(key, "/api/v1/kb/articles", body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    reply.json["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn articles_are_versioned_and_searchable_at_once() {
    let app = TestApp::new().await;
    let key = &app.a.key;
    let id = article(
        &app,
        key,
        json!({
            "key": "returns/refunds",
            "title": "Refunds",
            "body": "# Refunds\n\nRefunds reach your card within five working days.\n\n## Store credit\n\nStore credit is issued at once.",
            "language": "en",
            "tags": ["refund"],
        }),
    )
    .await;

    let found = app.post(key, "/api/v1/kb/search", json!({ "q": "when will my refund arrive on my card" })).await;
    assert_eq!(found.status, StatusCode::OK);
    let hit = &found.json["hits"][0];
    assert_eq!((hit["article_id"].as_str(), hit["version"].as_u64()), (Some(id.as_str()), Some(1)));
    assert!(hit["snippet"].as_array().unwrap().iter().any(|s| s["mark"] == true), "{hit}");
    assert_eq!(found.json["mode"], "bm25");
    assert!(found.json["degraded"].as_str().unwrap().contains("no embedding model"), "{}", found.json);

    // An edit is a new version, searchable at once; the old words are gone.
    let path = format!("/api/v1/kb/articles/{id}");
    let edit = json!({ "expected_version": 1, "body": "Refunds are paid as vouchers within ten days." });
    let edited = app.call(key, Method::PATCH, &path, Some(edit.clone())).await;
    assert_eq!((edited.status, edited.json["version"].as_u64()), (StatusCode::OK, Some(2)), "{}", edited.json);
    let stale = app.call(key, Method::PATCH, &path, Some(edit)).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "an edit of an old version is refused");
    let found = app.post(key, "/api/v1/kb/search", json!({ "q": "vouchers" })).await;
    assert_eq!(found.json["hits"][0]["version"], 2);
    assert!(app.post(key, "/api/v1/kb/search", json!({ "q": "store credit" })).await.json["hits"][0].is_null());
    let versions = app.get(key, &format!("{path}/versions")).await.json;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert!(versions[0]["body"].as_str().unwrap().contains("five working days"));
    assert!(versions[1]["edited_by"].as_str().unwrap().starts_with("api_key:"));

    // Archived articles are not found; drafts only when asked for.
    app.call(key, Method::PATCH, &path, Some(json!({ "status": "draft" }))).await;
    assert!(app.post(key, "/api/v1/kb/search", json!({ "q": "vouchers" })).await.json["hits"][0].is_null());
    let drafts = app.post(key, "/api/v1/kb/search", json!({ "q": "vouchers", "status": ["draft"] })).await;
    assert_eq!(drafts.json["hits"][0]["article_id"], id.as_str());

    // Translations are linked; the list filters by language and translation.
    let es = article(
        &app,
        key,
        json!({ "title": "Reembolsos", "body": "Los reembolsos llegan en diez días.", "language": "es", "translation_of": id }),
    )
    .await;
    let family = app.get(key, &format!("/api/v1/kb/articles?translations_of={id}")).await.json;
    assert_eq!(family.as_array().unwrap().len(), 2);
    let spanish = app.get(key, "/api/v1/kb/articles?language=es").await.json;
    assert_eq!(spanish[0]["id"], es.as_str());
    assert_eq!(spanish[0]["translation_of"], id.as_str());
    let same_language = json!({ "title": "x", "body": "y", "language": "en", "translation_of": id });
    let refused = app.post(key, "/api/v1/kb/articles", same_language).await;
    assert_eq!(
        (refused.status, refused.json["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("translation_of"))
    );
}

#[tokio::test]
async fn bad_articles_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let key = &app.a.key;
    for (body, field) in [
        (json!({ "title": "", "body": "x", "language": "en" }), "title"),
        (json!({ "title": "T", "body": "x", "language": "english please" }), "language"),
        (json!({ "title": "T", "body": "x", "language": "en", "audience": "everyone" }), "audience"),
        (json!({ "title": "T", "body": "x", "language": "en", "status": "live" }), "status"),
    ] {
        let reply = app.post(key, "/api/v1/kb/articles", body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", reply.json);
        assert_eq!(reply.json["error"]["field"], field, "{}", reply.json);
    }
    let unknown =
        app.post(key, "/api/v1/kb/articles", json!({ "title": "T", "body": "x", "language": "en", "colour": 1 })).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.get(key, "/api/v1/kb/articles").await.json.as_array().unwrap().is_empty());
    let empty = app.post(key, "/api/v1/kb/search", json!({ "q": "  " })).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mode = app.post(key, "/api/v1/kb/search", json!({ "q": "x", "mode": "magic" })).await;
    assert_eq!(mode.json["error"]["field"], "mode");

    // An agent may search but not write articles or re-index.
    app.agent(app.a.workspace.id, "ann@acme.test", Role::Agent).await;
    let (cookie, csrf) = app.login("acme", "ann@acme.test").await;
    let body = json!({ "title": "T", "body": "x", "language": "en" }).to_string();
    let headers = [("cookie", cookie.as_str()), ("x-csrf-token", csrf.as_str()), ("content-type", "application/json")];
    let forbidden = app.raw(Method::POST, "/api/v1/kb/articles", &headers, Some(body)).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let search = app.raw(Method::POST, "/api/v1/kb/search", &headers, Some(json!({ "q": "x" }).to_string())).await;
    assert_eq!(search.status, StatusCode::OK);
}

#[tokio::test]
async fn cards_follow_the_conversation_and_verdicts_are_kept() {
    let app = TestApp::with_nlp().await;
    let key = &app.a.key;
    let shipping = article(
        &app,
        key,
        json!({ "title": "Delivery times", "body": "Parcels are delivered within three working days. Track the parcel with the link in your email.", "language": "en", "tags": ["shipping"] }),
    )
    .await;
    let tracking = article(
        &app,
        key,
        json!({ "title": "Tracking a parcel", "body": "The tracking link shows where the parcel is.", "language": "en", "audience": "internal" }),
    )
    .await;
    let refunds = article(
        &app,
        key,
        json!({ "title": "Refunds", "body": "Refunds reach your card within five working days.", "language": "en" }),
    )
    .await;

    let first =
        app.email_message(key, "cara@example.com", "Hi, my parcel has not been delivered yet, where is it?").await;
    let conv = first["conversation"]["id"].as_str().unwrap().to_owned();
    let cards = app.get(key, &format!("/api/v1/conversations/{conv}/knowledge")).await.json;
    let ids: Vec<&str> = cards["cards"].as_array().unwrap().iter().map(|c| c["article_id"].as_str().unwrap()).collect();
    assert!(ids.len() <= 3 && ids.contains(&shipping.as_str()) && ids.contains(&tracking.as_str()), "{cards}");
    assert!(!cards["cards"][0]["why"].as_array().unwrap().is_empty(), "every card says why");
    assert_eq!(cards["message_id"], first["message"]["id"]);

    // The conversation moves on: the cards follow.
    let second = app.email_message(key, "cara@example.com", "Also, I want a refund for the broken mug.").await;
    let cards = app.get(key, &format!("/api/v1/conversations/{conv}/knowledge")).await.json;
    assert_eq!(cards["message_id"], second["message"]["id"]);
    assert!(cards["cards"].as_array().unwrap().iter().any(|c| c["article_id"] == refunds.as_str()), "{cards}");

    // Dismissed and not-helpful cards are not shown again here; helpful ones stay.
    let feedback = format!("/api/v1/conversations/{conv}/knowledge/feedback");
    for (article, verdict) in [(&refunds, "dismissed"), (&shipping, "helpful"), (&tracking, "not_helpful")] {
        let reply = app.post(key, &feedback, json!({ "article_id": article, "passage": 0, "verdict": verdict })).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    }
    let bad = app.post(key, &feedback, json!({ "article_id": refunds, "passage": 0, "verdict": "meh" })).await;
    assert_eq!(bad.json["error"]["field"], "verdict");
    app.email_message(key, "cara@example.com", "And where is the parcel now? Still no refund either.").await;
    let cards = app.get(key, &format!("/api/v1/conversations/{conv}/knowledge")).await.json;
    let ids: Vec<&str> = cards["cards"].as_array().unwrap().iter().map(|c| c["article_id"].as_str().unwrap()).collect();
    assert!(!ids.contains(&refunds.as_str()) && !ids.contains(&tracking.as_str()), "{cards}");
    assert!(ids.contains(&shipping.as_str()), "{cards}");

    let report = app.get(key, "/api/v1/kb/feedback").await.json;
    let row = |id: &str| report.as_array().unwrap().iter().find(|r| r["article_id"] == id).cloned().unwrap();
    assert_eq!(row(&refunds)["dismissed"], 1);
    assert_eq!(row(&shipping)["helpful"], 1);
    assert_eq!(row(&tracking)["not_helpful"], 1);
    // Questions are recorded after the reply; wait for them.
    let mut kinds = Vec::new();
    for _ in 0..100 {
        let events = app.get(key, "/api/v1/events?after=0&limit=1000").await.json;
        kinds = events.as_array().unwrap().iter().filter_map(|e| e["type"].as_str().map(str::to_owned)).collect();
        if kinds.iter().any(|k| k == "knowledge_recommended") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(kinds.iter().any(|k| k == "knowledge_recommended"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "card_feedback_given"), "{kinds:?}");
}

#[tokio::test]
async fn poorly_answered_questions_become_gaps() {
    let app = TestApp::with_nlp().await;
    let key = &app.a.key;
    article(
        &app,
        key,
        json!({ "title": "Refunds", "body": "Refunds reach your card within five days.", "language": "en" }),
    )
    .await;
    let questions = [
        ("a@example.com", "Do you deliver to Iceland?"),
        ("b@example.com", "Can you deliver to Iceland please"),
        ("c@example.com", "Is it possible to deliver to Iceland?"),
        ("d@example.com", "My email is dora@example.org, how do I change my password?"),
        ("e@example.com", "How can I change my password?"),
        ("f@example.com", "When will my refund reach my card?"),
    ];
    for (from, text) in questions {
        let m = app.email_message(key, from, text).await;
        let conv = m["conversation"]["id"].as_str().unwrap();
        app.get(key, &format!("/api/v1/conversations/{conv}/knowledge")).await;
        // Asking again records nothing new for the same message.
        app.get(key, &format!("/api/v1/conversations/{conv}/knowledge")).await;
    }
    // Questions are recorded after the reply; wait for all six.
    for _ in 0..100 {
        let gaps = app.get(key, "/api/v1/kb/gaps?min_count=1").await.json;
        let counted: u64 = gaps.as_array().unwrap().iter().map(|g| g["count"].as_u64().unwrap()).sum();
        if counted >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let gaps = app.get(key, "/api/v1/kb/gaps?min_count=2").await.json;
    let gaps = gaps.as_array().unwrap();
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    assert_eq!(gaps[0]["count"], 3);
    assert!(gaps[0]["representative"].as_str().unwrap().contains("Iceland"));
    assert_eq!(gaps[1]["count"], 2);
    let text = serde_json::to_string(gaps).unwrap();
    assert!(!text.contains("dora@example.org"), "gaps show redacted questions: {text}");
    assert!(!text.contains("refund reach"), "a well-answered question is not a gap: {text}");
}
