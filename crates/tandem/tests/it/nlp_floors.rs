//! Accuracy floors on a fast subset of the dev evaluation (`tandem eval nlp`). The
//! floors sit a few points under the full dev figures in the closing note, leaving room
//! for the subset's noise; they fail when a change makes understanding worse.

use tandem::eval::{EvalOptions, Split, TaskReport, run};

fn metric(reports: &[TaskReport], task: &str, tier: &str, name: &str) -> f64 {
    reports
        .iter()
        .find(|r| r.task == task && r.tier == tier)
        .and_then(|r| r.metric(name))
        .unwrap_or_else(|| panic!("no {task}/{tier}/{name} in {reports:#?}"))
}

#[test]
fn understanding_stays_above_its_floors() {
    let Some(datasets) = tandem::eval::data::locate(None) else {
        assert!(std::env::var_os("CI").is_none(), "CI is set but no datasets folder was found (set TANDEM_DATASETS)");
        eprintln!("skipped: no datasets folder (set TANDEM_DATASETS)");
        return;
    };
    let options = EvalOptions {
        datasets: Some(datasets),
        split: Split::Dev,
        limit: Some(600),
        only: Vec::new(),
        embeddings: false,
        models: None,
    };
    let reports = run(&options).unwrap();
    let floors = [
        ("banking77", "ngram", "accuracy", 0.86),
        ("clinc150", "ngram", "accuracy", 0.88),
        ("clinc150", "ngram", "oos_recall", 0.60),
        ("bitext-intent", "ngram", "accuracy", 0.97),
        ("goemotions-3way", "ngram", "macro_f1", 0.67),
        ("goemotions-3way", "lexicon", "macro_f1", 0.56),
        ("nusax-senti", "ngram", "macro_f1", 0.66),
        ("tatoeba-langid", "hybrid", "accuracy", 0.96),
        ("pii-planted", "rules", "recall", 0.99),
        ("pii-planted", "rules", "identifiers_kept", 0.99),
    ];
    for (task, tier, name, floor) in floors {
        let value = metric(&reports, task, tier, name);
        assert!(value >= floor, "{task} {tier} {name} = {value:.4}, below its floor {floor}");
    }
    let flagged = metric(&reports, "pii-false-positives", "rules", "flagged");
    assert!(flagged < 0.005, "{flagged:.4} of GoEmotions dev falsely flagged as personal data");
    let (ngram, lexicon) = (
        metric(&reports, "goemotions-3way", "ngram", "macro_f1"),
        metric(&reports, "goemotions-3way", "lexicon", "macro_f1"),
    );
    assert!(ngram > lexicon + 0.05, "the trained tier beats the lexicon ({ngram:.3} vs {lexicon:.3})");
}
