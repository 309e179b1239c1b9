//! `tandem simulate` and `tandem staffing` as a supervisor runs them from the README.

use crate::support::tandem;

fn repo_file(path: &str) -> String {
    format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))
}

#[tokio::test]
async fn simulate_the_example_scenario_reproducibly() {
    let run = |args: Vec<String>| async move { tandem().args(&args).output().await.unwrap() };
    let scenario = repo_file("examples/routing/scenario.toml");
    let args = vec!["simulate".into(), "--scenario".into(), scenario.clone(), "--json".into()];
    let first = run(args.clone()).await;
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let second = run(args).await;
    assert_eq!(first.stdout, second.stdout, "same scenario and seed, same numbers");
    let report: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let queues = report["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 3);
    for q in queues {
        let offered = q["offered"].as_u64().unwrap();
        let settled =
            q["answered"].as_u64().unwrap() + q["abandoned"].as_u64().unwrap() + q["unanswered"].as_u64().unwrap();
        assert_eq!(offered, settled, "every contact is accounted for: {q}");
        assert!(offered > 100);
    }
    let other_seed = run(vec![
        "simulate".into(),
        "--scenario".into(),
        scenario.clone(),
        "--json".into(),
        "--seed".into(),
        "9".into(),
    ])
    .await;
    assert_ne!(first.stdout, other_seed.stdout);

    let table = run(vec!["simulate".into(), "--scenario".into(), scenario]).await;
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("billing-voice") && text.contains("service level") && text.contains("occupancy"), "{text}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "duration_minutes = 60\n[[queues]]\nname = \"q\"\nhandle_time = { distribution = \"exponential\", mean_seconds = 60 }\n[[agents]]\nname = \"a\"\ncount = 1\n").unwrap();
    let out = run(vec!["simulate".into(), "--scenario".into(), bad.display().to_string()]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("arrivals_per_hour"), "{stderr}");
}

#[tokio::test]
async fn staffing_with_erlang_c_and_a_forecast() {
    let run = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        async move { tandem().args(&args).output().await.unwrap() }
    };
    let out = run(&[
        "staffing",
        "--arrivals-per-hour",
        "360",
        "--aht",
        "180",
        "--target-sl",
        "0.8",
        "--target-seconds",
        "20",
        "--shrinkage",
        "0.3",
        "--json",
    ])
    .await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["agents"], 22);
    assert_eq!(s["scheduled"], 32);
    assert!(s["one_below"]["service_level"].as_f64().unwrap() < 0.8);

    let forecast = repo_file("examples/routing/forecast.csv");
    let out = run(&["staffing", "--forecast", &forecast, "--aht", "240", "--max-occupancy", "0.85"]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.lines().count() == 13 && text.contains("09:30"), "{text}");

    let out = run(&["staffing", "--arrivals-per-hour", "100", "--aht", "0"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("handle time"), "{stderr}");
}
