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
    // The demo knowledge base is searchable, in Spanish too.
    let found = http
        .post_json("/api/v1/kb/search", &[("authorization", &auth)], &json!({ "q": "when does my refund arrive" }))
        .await
        .unwrap();
    assert_eq!(found.status, 200);
    assert_eq!(found.json().unwrap()["hits"][0]["title"], "Refunds", "{:?}", found.json());
    let found = http
        .post_json(
            "/api/v1/kb/search",
            &[("authorization", &auth)],
            &json!({ "q": "¿cuándo llega mi reembolso?", "language": "es" }),
        )
        .await
        .unwrap();
    assert_eq!(found.json().unwrap()["hits"][0]["title"], "Reembolsos");
    // The virtual agent tracks an order and books a fitting against the demo shop, and
    // hands a frustrated customer to a person with a summary.
    let mut say = async |visitor: &str, text: &str| {
        let body = json!({ "channel": "web_chat", "from": { "visitor_id": visitor }, "body": text });
        let answer = http
            .post_json("/api/v1/messages/inbound?wait_for_bot=true", &[("authorization", &auth)], &body)
            .await
            .unwrap()
            .json()
            .unwrap();
        let replies: Vec<String> = answer["bot_turns"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|t| t["replies"].as_array().unwrap().iter().map(|r| r["body"].as_str().unwrap().to_owned()))
            .collect();
        (answer, replies.join("\n"))
    };
    let (_, tracked) = say("visitor-cli-1", "Where is my order A1043?").await;
    assert!(tracked.contains("Order A1043 is out for delivery"), "{tracked}");
    let (_, confirm) = say("visitor-cli-2", "Can I book a fitting next thursday at 11am?").await;
    assert!(confirm.contains("Shall I book"), "{confirm}");
    let (_, booked) = say("visitor-cli-2", "yes").await;
    assert!(booked.contains("Booked") && booked.contains("AP-"), "{booked}");
    say("visitor-cli-3", "Where is my order A1102?").await;
    let (angry, handed) = say("visitor-cli-3", "THIS IS RIDICULOUS, IT WAS SUPPOSED TO ARRIVE YESTERDAY").await;
    assert_eq!(angry["bot_turns"][0]["escalated"], "frustration", "{angry}");
    assert!(handed.contains("person"), "{handed}");
    let conversation = angry["conversation"]["id"].as_str().unwrap();
    let handoff = http
        .get(&format!("/api/v1/conversations/{conversation}/handoff"), &[("authorization", &auth)])
        .await
        .unwrap()
        .json()
        .unwrap();
    let summary = handoff["text"].as_str().unwrap();
    assert!(summary.contains("A1102") && summary.contains("frustration"), "{summary}");
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

#[tokio::test]
async fn kb_import_is_idempotent_and_a_bad_file_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/kb");
    let run = |args: &[&str]| {
        let mut command = tandem();
        command.args(args).current_dir(dir.path());
        async move { command.output().await.unwrap() }
    };
    let out = run(&["workspace", "create", "--slug", "acme", "--name", "Acme", "--data-dir", data]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let import = ["kb", "import", examples, "--workspace", "acme", "--data-dir", data];
    let out = run(&import).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("35 created, 0 updated, 0 unchanged"),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&import).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 created, 0 updated, 35 unchanged"));

    // One changed file is one new version; a bad file refuses the whole import.
    let copy = dir.path().join("kb");
    std::fs::create_dir_all(copy.join("returns")).unwrap();
    std::fs::copy(format!("{examples}/returns/refunds.md"), copy.join("returns/refunds.md")).unwrap();
    let text = std::fs::read_to_string(copy.join("returns/refunds.md")).unwrap();
    std::fs::write(copy.join("returns/refunds.md"), text.replace("30 days", "60 days")).unwrap();
    std::fs::write(copy.join("bad.md"), "---\naudience: everyone\n---\nBody").unwrap();
    let from_copy = ["kb", "import", copy.to_str().unwrap(), "--workspace", "acme", "--data-dir", data];
    let out = run(&from_copy).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("bad.md:2") && stderr.contains("public or internal"), "{stderr}");
    std::fs::remove_file(copy.join("bad.md")).unwrap();
    let out = run(&from_copy).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 created, 1 updated, 0 unchanged"));
    let out = run(&["kb", "import", "/no/such/dir", "--workspace", "acme", "--data-dir", data]).await;
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("neither a file nor a folder"));

    let out = run(&["kb", "reindex", "--data-dir", data]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("35 articles"),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
