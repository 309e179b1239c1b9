//! `tandem eval nlp`: accuracy of the message-understanding tiers on held-out data.
//!
//! Each task trains on its train split and reports on dev (or, with `--split test`, on
//! test files from a folder that has them, tuning thresholds on dev). Datasets whose
//! files are absent are skipped and say so.

pub mod bot;
pub mod data;
pub mod embedded;
mod intent;
pub mod kb;
pub mod kb_data;
pub mod language;
mod pii;
mod sentiment;

pub use sentiment::sentiment_training;

use std::path::PathBuf;

use serde::Serialize;

pub use data::Split;

/// What to evaluate.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    pub datasets: Option<PathBuf>,
    pub split: Split,
    /// Evaluate at most this many examples per task (a fast subset for CI).
    pub limit: Option<usize>,
    /// Only these tasks (all when empty).
    pub only: Vec<String>,
    /// Run the embedding tiers (when MiniLM is in `models`); they embed every training
    /// set, which takes minutes.
    pub embeddings: bool,
    /// Where the embedding models are.
    pub models: Option<PathBuf>,
}

/// One task's figures for one tier.
#[derive(Clone, Debug, Serialize)]
pub struct TaskReport {
    pub task: String,
    pub tier: String,
    /// Metric name → value (accuracy, macro_f1, oos_recall...), in [0, 1].
    pub metrics: Vec<(String, f64)>,
    pub eval_examples: usize,
    pub train_seconds: f64,
    /// Predictions per second on one core, over the evaluation examples.
    pub per_second: f64,
    pub note: Option<String>,
}

impl TaskReport {
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

/// Runs every selected task.
pub fn run(options: &EvalOptions) -> anyhow::Result<Vec<TaskReport>> {
    let Some(root) = data::locate(options.datasets.as_deref()) else {
        anyhow::bail!("no datasets folder found; pass --datasets DIR or set TANDEM_DATASETS");
    };
    let wanted = |task: &str| options.only.is_empty() || options.only.iter().any(|o| o == task);
    let mut reports = Vec::new();
    let encoder = if options.embeddings { embedded::encoder(options)? } else { None };
    for task in ["banking77", "clinc150", "bitext-intent"] {
        if wanted(task) {
            let found = intent::evaluate(&root, task, options, encoder.as_ref())?;
            if found.is_empty() {
                eprintln!("skipped {task}: its files are not in {}", root.display());
            }
            reports.extend(found);
        }
    }
    if wanted("goemotions") {
        let found = sentiment::goemotions(&root, options, encoder.as_ref())?;
        if found.is_empty() {
            eprintln!("skipped goemotions: its files are not in {}", root.display());
        }
        reports.extend(found);
    }
    if wanted("nusax-senti") {
        let found = sentiment::nusax(&root, options)?;
        if found.is_empty() {
            eprintln!("skipped nusax-senti: its files are not in {}", root.display());
        }
        reports.extend(found);
    }
    if wanted("pii") {
        reports.extend(pii::evaluate(&root, options)?);
    }
    if wanted("tatoeba-langid") {
        let found = language::evaluate(&root, options)?;
        if found.is_empty() {
            eprintln!("skipped tatoeba-langid: its files are not in {}", root.display());
        }
        reports.extend(found);
    }
    Ok(reports)
}

/// Prints reports as a table.
pub fn print(reports: &[TaskReport]) {
    println!("{:<16} {:<14} {:>7} {:>10} {:>9}  metrics", "task", "tier", "eval n", "train s", "per s");
    for r in reports {
        let metrics: Vec<String> = r.metrics.iter().map(|(n, v)| format!("{n} {:.2}%", v * 100.0)).collect();
        println!(
            "{:<16} {:<14} {:>7} {:>10.1} {:>9.0}  {}{}",
            r.task,
            r.tier,
            r.eval_examples,
            r.train_seconds,
            r.per_second,
            metrics.join("  "),
            r.note.as_deref().map(|n| format!("  ({n})")).unwrap_or_default()
        );
    }
}

/// Macro-averaged F1 over the labels that occur in `gold`.
pub fn macro_f1(pairs: &[(String, String)]) -> f64 {
    let mut labels: Vec<&str> = pairs.iter().map(|(g, _)| g.as_str()).collect();
    labels.sort_unstable();
    labels.dedup();
    let mut total = 0.0;
    for label in &labels {
        let tp = pairs.iter().filter(|(g, p)| g == label && p == label).count() as f64;
        let fp = pairs.iter().filter(|(g, p)| g != label && p == label).count() as f64;
        let fn_ = pairs.iter().filter(|(g, p)| g == label && p != label).count() as f64;
        let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
        let recall = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 0.0 };
        total += if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    }
    total / labels.len().max(1) as f64
}
