//! The virtual agent's scenario suite (`examples/bot/scenarios`), played against a live
//! in-process service: every scenario must pass, with BM25 knowledge (always) and with
//! multilingual-e5-small (when installed; required in CI).

use tandem::eval::bot::{BotEvalOptions, default_scenarios, print, run};

async fn suite(model: &str) {
    let options = BotEvalOptions { scenarios: default_scenarios(), model: model.into(), models: None, only: None };
    let report = run(&options).await.unwrap();
    print(&report);
    assert!(report.report.scenarios >= 50, "the suite has at least 50 scenarios");
    let failed: Vec<String> = report
        .report
        .results
        .iter()
        .filter(|r| !r.passed())
        .map(|r| format!("{}: {}", r.file, r.problems.join("; ")))
        .collect();
    assert!(failed.is_empty(), "scenarios failed with {model}:\n{}", failed.join("\n"));
    assert_eq!(report.report.escalation_precision, 1.0);
    assert_eq!(report.report.escalation_recall, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_with_bm25_knowledge() {
    suite("none").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_with_multilingual_embeddings() {
    let installed = tandem_embed::resolve(tandem_embed::ModelKind::E5Small, &tandem_embed::models_dir()).is_some();
    if !installed {
        assert!(std::env::var_os("CI").is_none(), "CI is set but multilingual-e5-small is not installed");
        eprintln!("skipped: multilingual-e5-small is not installed (run `tandem models install`)");
        return;
    }
    suite("e5").await;
}
