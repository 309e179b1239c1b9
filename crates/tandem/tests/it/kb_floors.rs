//! Retrieval floors on a fast subset of the dev evaluation (`tandem eval kb --limit 300`):
//! BM25 alone and hybrid with multilingual-e5-small (the default knowledge model), on the
//! COVID FAQ sets (English and German) and the bitext responses. The floors sit a few
//! points under the figures measured on this subset; they fail when retrieval gets worse.

use tandem::eval::Split;
use tandem::eval::kb::{KbEvalOptions, RetrievalReport, run};

fn ndcg(reports: &[RetrievalReport], corpus: &str, retriever: &str) -> f64 {
    reports
        .iter()
        .find(|r| r.corpus == corpus && r.retriever == retriever)
        .map(|r| r.ndcg_at_10)
        .unwrap_or_else(|| panic!("no {corpus}/{retriever} in {reports:#?}"))
}

#[test]
fn retrieval_stays_above_its_floors() {
    let Some(datasets) = tandem::eval::data::locate(None) else {
        assert!(std::env::var_os("CI").is_none(), "CI is set but no datasets folder was found (set TANDEM_DATASETS)");
        eprintln!("skipped: no datasets folder (set TANDEM_DATASETS)");
        return;
    };
    let models = tandem_embed::models_dir();
    let e5 = tandem_embed::resolve(tandem_embed::ModelKind::E5Small, &models).is_some();
    assert!(e5 || std::env::var_os("CI").is_none(), "CI is set but multilingual-e5-small is not installed");
    let options = KbEvalOptions {
        datasets: Some(datasets),
        split: Split::Dev,
        models: Some(models),
        model: if e5 { "e5".into() } else { "none".into() },
        limit: Some(300),
        peer_python: None,
        tune: false,
    };
    let reports = run(&options).unwrap();
    for (corpus, floor) in [("covid-faq-en", 0.64), ("covid-faq-de", 0.32), ("bitext-responses", 0.76)] {
        let value = ndcg(&reports, corpus, "bm25");
        assert!(value >= floor, "{corpus} BM25 nDCG@10 = {value:.4}, below its floor {floor}");
    }
    if !e5 {
        eprintln!("hybrid floors skipped: multilingual-e5-small is not installed (run `tandem models install`)");
        return;
    }
    // Hybrid against its floor and against BM25 (relative nDCG@10 gain).
    for (corpus, floor, gain) in
        [("covid-faq-en", 0.79, 0.15), ("covid-faq-de", 0.57, 0.50), ("bitext-responses", 0.82, 0.05)]
    {
        let (hybrid, bm25) = (ndcg(&reports, corpus, "hybrid"), ndcg(&reports, corpus, "bm25"));
        assert!(hybrid >= floor, "{corpus} hybrid nDCG@10 = {hybrid:.4}, below its floor {floor}");
        assert!(
            hybrid >= bm25 * (1.0 + gain),
            "{corpus}: hybrid {hybrid:.4} gains less than {gain} over BM25 {bm25:.4}"
        );
    }
}
