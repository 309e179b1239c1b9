//! Intent tasks: banking77, clinc150 (with out-of-scope), bitext.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use tandem_nlp::features::FeatureConfig;
use tandem_nlp::intent::{IntentClassifier, NgramIntentModel, OUT_OF_SCOPE};
use tandem_nlp::linear::TrainConfig;

use super::data::{self, Example};
use super::{EvalOptions, TaskReport, macro_f1};

fn pairs(examples: &[Example]) -> Vec<(String, String)> {
    examples.iter().map(|e| (e.text.clone(), e.label.clone())).collect()
}

/// The out-of-scope recall the threshold must reach on the tuning data.
const MIN_OOS_RECALL: f32 = 0.7;

/// Trains the n-gram tier on a task and reports it.
pub fn evaluate(root: &Path, task: &str, options: &EvalOptions) -> anyhow::Result<Option<TaskReport>> {
    let loaded = match task {
        "banking77" => data::banking77(root, options.split)?,
        "clinc150" => data::clinc150(root, options.split)?,
        _ => data::bitext(root, options.split)?,
    };
    let Some(mut task_data) = loaded else { return Ok(None) };
    task_data.eval = data::subset(task_data.eval, options.limit, |e| e.text.as_str());
    let started = Instant::now();
    let mut model = NgramIntentModel::train(
        &pairs(&task_data.train),
        BTreeMap::new(),
        FeatureConfig::default(),
        &TrainConfig::default(),
    )?;
    let train_seconds = started.elapsed().as_secs_f64();
    let tune = if task_data.tune.is_empty() { &task_data.eval } else { &task_data.tune };
    model.tune_threshold(&pairs(tune), MIN_OOS_RECALL);

    let started = Instant::now();
    let predicted: Vec<(String, String)> = task_data
        .eval
        .iter()
        .map(|e| (e.label.clone(), model.classify(&e.text).intent.unwrap_or_else(|| OUT_OF_SCOPE.to_owned())))
        .collect();
    let per_second = task_data.eval.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    let in_scope: Vec<&(String, String)> = predicted.iter().filter(|(g, _)| g != OUT_OF_SCOPE).collect();
    let accuracy = in_scope.iter().filter(|(g, p)| g == p).count() as f64 / in_scope.len().max(1) as f64;
    let mut metrics = vec![("accuracy".to_owned(), accuracy), ("macro_f1".to_owned(), macro_f1(&predicted))];
    let oos: Vec<&(String, String)> = predicted.iter().filter(|(g, _)| g == OUT_OF_SCOPE).collect();
    let mut note = None;
    if !oos.is_empty() {
        let recall = oos.iter().filter(|(_, p)| p == OUT_OF_SCOPE).count() as f64 / oos.len() as f64;
        metrics.push(("oos_recall".to_owned(), recall));
        note = Some(format!("threshold {:.2}", model.threshold));
    }
    Ok(Some(TaskReport {
        task: task.to_owned(),
        tier: "ngram".to_owned(),
        metrics,
        eval_examples: task_data.eval.len(),
        train_seconds,
        per_second,
        note,
    }))
}
