//! The commands the README promises, and configuration errors that say what to fix.

use serde_json::json;
use tandem::http_client::HttpConnection;

use crate::support::{start, tandem};

#[tokio::test]
async fn the_demo_serves_the_api_and_prints_how_to_reach_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (mut child, addr, lines) =
        start(&["demo", "--bind", "127.0.0.1:0", "--data-dir", data], "Tandem demo is running at").await;
    let banner = lines.join("\n");
    assert!(banner.contains("alice@demo.tandem") && banner.contains("tandem-demo-pass"), "{banner}");
    let key = banner.lines().find_map(|l| l.trim().strip_prefix("API key:")).unwrap().trim().to_owned();
    let mut http = HttpConnection::open(addr).await.unwrap();
    let auth = format!("Bearer {key}");
    let list = http.get("/api/v1/conversations", &[("authorization", &auth)]).await.unwrap();
    assert_eq!(list.status, 200);
    let conversations = list.json().unwrap()["conversations"].as_array().unwrap().clone();
    assert_eq!(conversations.len(), 6);
    let channels: std::collections::BTreeSet<_> =
        conversations.iter().map(|c| c["channel"].as_str().unwrap().to_owned()).collect();
    assert!(channels.len() >= 5, "conversations across channels: {channels:?}");
    let login = http
        .post_json(
            "/api/v1/auth/login",
            &[],
            &json!({ "workspace": "demo", "email": "ben@demo.tandem", "password": "tandem-demo-pass" }),
        )
        .await
        .unwrap();
    assert_eq!(login.status, 200);
    assert_eq!(http.get("/readyz", &[]).await.unwrap().status, 200);
    child.kill().await.unwrap();

    // A second run starts fresh (the demo database is recreated).
    let (mut again, _, lines) =
        start(&["demo", "--bind", "127.0.0.1:0", "--data-dir", data], "Tandem demo is running at").await;
    assert!(lines.iter().any(|l| l.starts_with("Workspace: demo ")), "{lines:?}");
    again.kill().await.unwrap();
}

#[tokio::test]
async fn bad_configuration_fails_fast_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: Vec<String>, env: Vec<(&'static str, &'static str)>| {
        let mut command = tandem();
        command.args(&args).current_dir(dir.path());
        for (k, v) in env {
            command.env(k, v);
        }
        async move { command.output().await.unwrap() }
    };
    let out = run(vec!["serve".into()], vec![("TANDEM_SERVER__BIND", "not-an-address")]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("server.bind"), "{}", String::from_utf8_lossy(&out.stderr));

    std::fs::write(dir.path().join("tandem.toml"), "[server]\nbindd = \"127.0.0.1:1\"\n").unwrap();
    let out = run(vec!["serve".into()], vec![]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("bindd"), "{stderr}");
    std::fs::remove_file(dir.path().join("tandem.toml")).unwrap();

    let out = run(vec!["serve".into(), "--database-url".into(), "mysql://x".into()], vec![]).await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("database.url"));

    let out = run(vec!["config".into(), "default".into()], vec![]).await;
    assert!(out.status.success());
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("[server]") && printed.contains("continuity_window_hours"));

    let out = run(vec!["migrate".into(), "--data-dir".into(), "data".into()], vec![]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("applied 0001 init"));
    assert!(dir.path().join("data/tandem.db").exists());
}
