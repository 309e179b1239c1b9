//! Bad input gets a 4xx in the one error shape, with a message saying what to fix, and
//! changes nothing.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::TestApp;

/// One bad request and what it must produce.
struct Case {
    name: &'static str,
    method: Method,
    path: String,
    body: Option<String>,
    content_type: Option<&'static str>,
    status: StatusCode,
    code: &'static str,
    field: Option<&'static str>,
}

fn case(
    name: &'static str,
    method: Method,
    path: impl Into<String>,
    body: Option<String>,
    status: StatusCode,
    code: &'static str,
) -> Case {
    Case { name, method, path: path.into(), body, content_type: Some("application/json"), status, code, field: None }
}

fn inbound(body: serde_json::Value) -> Option<String> {
    Some(body.to_string())
}

#[tokio::test]
async fn bad_requests_are_refused_clearly_and_change_nothing() {
    let app = TestApp::new().await;
    let existing = app.email_message(&app.a.key, "ann@example.com", "hello").await;
    let conversation = existing["conversation"]["id"].as_str().unwrap().to_owned();
    let ingest = "/api/v1/messages/inbound";
    let huge = "x".repeat(70 * 1024);
    let u = StatusCode::UNPROCESSABLE_ENTITY;
    let mut cases = vec![
        case(
            "malformed JSON",
            Method::POST,
            ingest,
            Some("{\"channel\": ".into()),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        case(
            "unknown field",
            Method::POST,
            ingest,
            inbound(json!({ "channel": "sms", "from": { "phone": "+15550100200" }, "body": "x", "bogus": 1 })),
            u,
            "invalid_body",
        ),
        case(
            "unknown nested field",
            Method::POST,
            ingest,
            inbound(json!({ "channel": "sms", "from": { "fax": "1" }, "body": "x" })),
            u,
            "invalid_body",
        ),
        case(
            "missing body",
            Method::POST,
            ingest,
            inbound(json!({ "channel": "sms", "from": { "phone": "+15550100200" } })),
            u,
            "invalid_body",
        ),
        case(
            "wrong type",
            Method::POST,
            ingest,
            inbound(json!({ "channel": 3, "from": {}, "body": "x" })),
            u,
            "invalid_body",
        ),
        case(
            "oversized body",
            Method::POST,
            ingest,
            inbound(json!({ "channel": "sms", "from": { "phone": "+15550100200" }, "body": huge })),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        case(
            "bad uuid in path",
            Method::GET,
            "/api/v1/conversations/not-a-uuid",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_path",
        ),
        case(
            "unknown conversation",
            Method::GET,
            format!("/api/v1/conversations/{}", uuid::Uuid::now_v7()),
            None,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        case("unknown route", Method::GET, "/api/v1/nope", None, StatusCode::NOT_FOUND, "route_not_found"),
        case("wrong method", Method::DELETE, ingest, None, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        case(
            "unknown query parameter",
            Method::GET,
            "/api/v1/conversations?colour=red",
            None,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        case(
            "reply to unknown conversation",
            Method::POST,
            format!("/api/v1/conversations/{}/replies", uuid::Uuid::now_v7()),
            inbound(json!({ "body": "hi", "agent_id": uuid::Uuid::now_v7() })),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        case(
            "assign to two targets",
            Method::POST,
            format!("/api/v1/conversations/{conversation}/assign"),
            inbound(json!({ "to_bot": true, "queue_id": uuid::Uuid::now_v7() })),
            u,
            "validation_failed",
        ),
        case(
            "assign to an unknown queue",
            Method::POST,
            format!("/api/v1/conversations/{conversation}/assign"),
            inbound(json!({ "queue_id": uuid::Uuid::now_v7() })),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        case(
            "reassign to the same owner",
            Method::POST,
            format!("/api/v1/conversations/{conversation}/assign"),
            inbound(json!({ "to_bot": true })),
            StatusCode::CONFLICT,
            "no_change",
        ),
        case(
            "api key reply without agent",
            Method::POST,
            format!("/api/v1/conversations/{conversation}/replies"),
            inbound(json!({ "body": "hi" })),
            u,
            "validation_failed",
        ),
        case(
            "reopen an open conversation",
            Method::POST,
            format!("/api/v1/conversations/{conversation}/reopen"),
            None,
            StatusCode::CONFLICT,
            "invalid_transition",
        ),
        case(
            "bad tag",
            Method::POST,
            format!("/api/v1/conversations/{conversation}/tags"),
            inbound(json!({ "add": ["has space"] })),
            u,
            "validation_failed",
        ),
        case(
            "priority out of range",
            Method::POST,
            format!("/api/v1/conversations/{conversation}/priority"),
            inbound(json!({ "priority": 12 })),
            u,
            "validation_failed",
        ),
        case(
            "bad tier",
            Method::PATCH,
            format!("/api/v1/customers/{}", existing["customer_id"].as_str().unwrap()),
            inbound(json!({ "tier": "diamond" })),
            u,
            "validation_failed",
        ),
        case(
            "bad identity kind",
            Method::POST,
            format!("/api/v1/customers/{}/identities", existing["customer_id"].as_str().unwrap()),
            inbound(json!({ "kind": "fax", "value": "1" })),
            u,
            "validation_failed",
        ),
        case(
            "merge into itself",
            Method::POST,
            format!("/api/v1/customers/{0}/merge", existing["customer_id"].as_str().unwrap()),
            inbound(json!({ "source_customer_id": existing["customer_id"] })),
            u,
            "invalid_request",
        ),
        case(
            "short password",
            Method::POST,
            "/api/v1/agents",
            inbound(json!({ "email": "x@acme.test", "display_name": "X", "role": "agent", "password": "short" })),
            u,
            "validation_failed",
        ),
        case(
            "bad role",
            Method::POST,
            "/api/v1/agents",
            inbound(
                json!({ "email": "x@acme.test", "display_name": "X", "role": "king", "password": "long enough password" }),
            ),
            u,
            "validation_failed",
        ),
        case("bad status filter", Method::GET, "/api/v1/conversations?status=open", None, u, "validation_failed"),
        case("limit out of range", Method::GET, "/api/v1/conversations?limit=0", None, u, "validation_failed"),
        case(
            "bad agent state",
            Method::PUT,
            format!("/api/v1/agents/{}/state", uuid::Uuid::now_v7()),
            inbound(json!({ "state": "asleep" })),
            u,
            "validation_failed",
        ),
    ];
    let field_cases: Vec<(&'static str, serde_json::Value, &'static str)> = vec![
        ("no identity", json!({ "channel": "sms", "from": {}, "body": "x" }), "from"),
        ("invalid email", json!({ "channel": "email", "from": { "email": "ann@" }, "body": "x" }), "from.email"),
        ("local phone number", json!({ "channel": "sms", "from": { "phone": "555 0100" }, "body": "x" }), "from.phone"),
        ("unknown channel", json!({ "channel": "pigeon", "from": { "email": "a@b.co" }, "body": "x" }), "channel"),
        ("empty body", json!({ "channel": "sms", "from": { "email": "a@b.co" }, "body": "   " }), "body"),
        (
            "bad language",
            json!({ "channel": "sms", "from": { "email": "a@b.co" }, "body": "x", "language": "english" }),
            "language",
        ),
        (
            "bad attachment type",
            json!({ "channel": "sms", "from": { "email": "a@b.co" }, "body": "x", "attachments": [{ "name": "a", "content_type": "pdf", "size_bytes": 1 }] }),
            "attachments.content_type",
        ),
        (
            "javascript attachment url",
            json!({ "channel": "sms", "from": { "email": "a@b.co" }, "body": "x", "attachments": [{ "name": "a", "content_type": "text/html", "size_bytes": 1, "url": "javascript:alert(1)" }] }),
            "attachments.url",
        ),
    ];
    for (name, body, field) in field_cases {
        let mut c = case(name, Method::POST, ingest, inbound(body), u, "validation_failed");
        c.field = Some(field);
        cases.push(c);
    }
    let mut no_type = case(
        "no content type",
        Method::POST,
        ingest,
        inbound(json!({ "channel": "sms" })),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    no_type.content_type = None;
    cases.push(no_type);

    let before = app.event_count(app.a.workspace.id).await;
    let auth = format!("Bearer {}", app.a.key);
    for c in cases {
        let mut headers = vec![("authorization", auth.as_str())];
        if let Some(ct) = c.content_type {
            headers.push(("content-type", ct));
        }
        let reply = app.raw(c.method.clone(), &c.path, &headers, c.body.clone()).await;
        assert_eq!(reply.status, c.status, "{}: {}", c.name, reply.json);
        assert_eq!(reply.code(), c.code, "{}: {}", c.name, reply.json);
        let message = reply.json["error"]["message"].as_str().unwrap_or("");
        assert!(message.len() > 10, "{}: the message says what to fix: {message:?}", c.name);
        if let Some(field) = c.field {
            assert_eq!(reply.json["error"]["field"], field, "{}", c.name);
        }
    }
    assert_eq!(app.event_count(app.a.workspace.id).await, before, "no bad request changed anything");
    let list = app.get(&app.a.key, "/api/v1/conversations").await;
    assert_eq!(list.json["conversations"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn requests_without_valid_credentials_are_refused() {
    let app = TestApp::new().await;
    let none = app.raw(Method::GET, "/api/v1/conversations", &[], None).await;
    assert_eq!((none.status, none.code()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    let wrong = app.get("tdm_0000", "/api/v1/conversations").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let garbage = app.raw(Method::GET, "/api/v1/conversations", &[("cookie", "tandem_session=forged")], None).await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
}
