//! Agent sessions: login, the session cookie, CSRF on writes, roles, logout.

use axum::http::{Method, StatusCode, header};
use serde_json::json;
use tandem_domain::agent::Role;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn login_sets_a_safe_cookie_and_writes_need_the_csrf_token() {
    let app = TestApp::new().await;
    let ben = app.agent(app.a.workspace.id, "ben@acme.test", Role::Agent).await;
    let body = json!({ "workspace": "acme", "email": "BEN@acme.test", "password": PASSWORD }).to_string();
    let reply = app.raw(Method::POST, "/api/v1/auth/login", &[("content-type", "application/json")], Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let set_cookie = reply.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie} lacks {attribute}");
    }
    let (cookie, csrf) = app.login("acme", "ben@acme.test").await;

    let me = app.raw(Method::GET, "/api/v1/auth/me", &[("cookie", &cookie)], None).await;
    assert_eq!(me.json["agent"]["id"], ben.id.to_string());

    let created = app.email_message(&app.a.key, "ann@example.com", "hi").await;
    let path = format!("/api/v1/conversations/{}/replies", created["conversation"]["id"].as_str().unwrap());
    let reply_body = Some(json!({ "body": "Hello from Ben" }).to_string());
    let no_csrf = app
        .raw(Method::POST, &path, &[("cookie", &cookie), ("content-type", "application/json")], reply_body.clone())
        .await;
    assert_eq!((no_csrf.status, no_csrf.code()), (StatusCode::FORBIDDEN, "csrf_failed"));
    let wrong_csrf = app
        .raw(
            Method::POST,
            &path,
            &[("cookie", &cookie), ("content-type", "application/json"), ("x-csrf-token", "nope")],
            reply_body.clone(),
        )
        .await;
    assert_eq!(wrong_csrf.status, StatusCode::FORBIDDEN);
    let ok = app
        .raw(
            Method::POST,
            &path,
            &[("cookie", &cookie), ("content-type", "application/json"), ("x-csrf-token", &csrf)],
            reply_body.clone(),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.json);
    assert_eq!(ok.json["author"]["id"], ben.id.to_string(), "agents reply as themselves");

    let impersonate = json!({ "body": "as someone else", "agent_id": uuid::Uuid::now_v7() }).to_string();
    let refused = app
        .raw(
            Method::POST,
            &path,
            &[("cookie", &cookie), ("content-type", "application/json"), ("x-csrf-token", &csrf)],
            Some(impersonate),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let logout =
        app.raw(Method::POST, "/api/v1/auth/logout", &[("cookie", &cookie), ("x-csrf-token", &csrf)], None).await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert!(logout.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().contains("Max-Age=0"));
    let after = app.raw(Method::GET, "/api/v1/auth/me", &[("cookie", &cookie)], None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_credentials_get_one_answer() {
    let app = TestApp::new().await;
    app.agent(app.a.workspace.id, "ben@acme.test", Role::Agent).await;
    for (workspace, email, password) in [
        ("acme", "ben@acme.test", "wrong password!"),
        ("acme", "nobody@acme.test", PASSWORD),
        ("globex", "ben@acme.test", PASSWORD),
        ("nowhere", "ben@acme.test", PASSWORD),
    ] {
        let body = json!({ "workspace": workspace, "email": email, "password": password }).to_string();
        let reply =
            app.raw(Method::POST, "/api/v1/auth/login", &[("content-type", "application/json")], Some(body)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{workspace} {email}");
        assert_eq!(reply.json["error"]["message"], "wrong workspace, email or password");
    }
}

#[tokio::test]
async fn roles_limit_what_an_agent_may_do() {
    let app = TestApp::new().await;
    app.agent(app.a.workspace.id, "ben@acme.test", Role::Agent).await;
    app.agent(app.a.workspace.id, "sue@acme.test", Role::Supervisor).await;
    let (cookie, csrf) = app.login("acme", "ben@acme.test").await;
    let write = |path: &'static str, body: serde_json::Value| {
        let (cookie, csrf) = (cookie.clone(), csrf.clone());
        let app = &app;
        async move {
            app.raw(
                Method::POST,
                path,
                &[("cookie", &cookie), ("x-csrf-token", &csrf), ("content-type", "application/json")],
                Some(body.to_string()),
            )
            .await
        }
    };
    let agent = write(
        "/api/v1/agents",
        json!({ "email": "x@acme.test", "display_name": "X", "role": "admin", "password": "long enough password" }),
    )
    .await;
    assert_eq!((agent.status, agent.code()), (StatusCode::FORBIDDEN, "forbidden"));
    assert_eq!(write("/api/v1/queues", json!({ "name": "Q" })).await.status, StatusCode::FORBIDDEN);
    assert_eq!(write("/api/v1/api-keys", json!({ "name": "k" })).await.status, StatusCode::FORBIDDEN);

    let a = app.email_message(&app.a.key, "a@example.com", "a").await;
    let b = app.email_message(&app.a.key, "b@example.com", "b").await;
    let merge_path = format!("/api/v1/customers/{}/merge", a["customer_id"].as_str().unwrap());
    let merge_body = json!({ "source_customer_id": b["customer_id"] }).to_string();
    let by_agent = app
        .raw(
            Method::POST,
            &merge_path,
            &[("cookie", &cookie), ("x-csrf-token", &csrf), ("content-type", "application/json")],
            Some(merge_body.clone()),
        )
        .await;
    assert_eq!(by_agent.status, StatusCode::FORBIDDEN);
    let (sue_cookie, sue_csrf) = app.login("acme", "sue@acme.test").await;
    let by_supervisor = app
        .raw(
            Method::POST,
            &merge_path,
            &[("cookie", &sue_cookie), ("x-csrf-token", &sue_csrf), ("content-type", "application/json")],
            Some(merge_body),
        )
        .await;
    assert_eq!(by_supervisor.status, StatusCode::OK, "{}", by_supervisor.json);
}
