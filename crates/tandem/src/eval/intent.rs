//! Intent tasks: banking77, clinc150 (with out-of-scope), bitext.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use tandem_nlp::features::FeatureConfig;
use tandem_nlp::intent::{IntentClassifier, NgramIntentModel, OUT_OF_SCOPE, tune_threshold};
use tandem_nlp::linear::TrainConfig;

use super::data::{self, Example};
use super::{EvalOptions, TaskReport, macro_f1};

fn pairs(examples: &[Example]) -> Vec<(String, String)> {
    examples.iter().map(|e| (e.text.clone(), e.label.clone())).collect()
}

/// The out-of-scope recall the threshold must reach on the tuning data.
const MIN_OOS_RECALL: f32 = 0.7;

/// Scores predictions `(gold, predicted)` into a report.
fn report(
    task: &str,
    tier: &str,
    predicted: &[(String, String)],
    train_seconds: f64,
    per_second: f64,
    note: Option<String>,
) -> TaskReport {
    let in_scope: Vec<&(String, String)> = predicted.iter().filter(|(g, _)| g != OUT_OF_SCOPE).collect();
    let accuracy = in_scope.iter().filter(|(g, p)| g == p).count() as f64 / in_scope.len().max(1) as f64;
    let mut metrics = vec![("accuracy".to_owned(), accuracy), ("macro_f1".to_owned(), macro_f1(predicted))];
    let oos: Vec<&(String, String)> = predicted.iter().filter(|(g, _)| g == OUT_OF_SCOPE).collect();
    if !oos.is_empty() {
        let recall = oos.iter().filter(|(_, p)| p == OUT_OF_SCOPE).count() as f64 / oos.len() as f64;
        metrics.push(("oos_recall".to_owned(), recall));
    }
    TaskReport {
        task: task.to_owned(),
        tier: tier.to_owned(),
        metrics,
        eval_examples: predicted.len(),
        train_seconds,
        per_second,
        note,
    }
}

/// Decides from class probabilities: the best label, out of scope when it is the
/// out-of-scope class or below `threshold`.
fn decide(labels: &[String], probs: &[f32], threshold: f32) -> String {
    let (i, p) = probs.iter().copied().enumerate().fold((0, f32::MIN), |b, (i, v)| if v > b.1 { (i, v) } else { b });
    if labels[i] == OUT_OF_SCOPE || p < threshold { OUT_OF_SCOPE.to_owned() } else { labels[i].clone() }
}

/// `(best in-scope label or None, probability, gold)` for threshold tuning.
fn for_tuning<'a>(labels: &[String], probs: &[Vec<f32>], gold: &'a [Example]) -> Vec<(Option<String>, f32, &'a str)> {
    probs
        .iter()
        .zip(gold)
        .map(|(p, e)| {
            let (i, v) =
                p.iter().copied().enumerate().fold((0, f32::MIN), |b, (i, v)| if v > b.1 { (i, v) } else { b });
            ((labels[i] != OUT_OF_SCOPE).then(|| labels[i].clone()), v, e.label.as_str())
        })
        .collect()
}

fn texts(set: &[Example]) -> Vec<&str> {
    set.iter().map(|e| e.text.as_str()).collect()
}

/// The embedding tier and the ensemble (mean of n-gram and embedding probabilities).
fn embedding_tiers(
    task: &str,
    encoder: &tandem_embed::BertEncoder,
    ngram: &NgramIntentModel,
    data: &super::data::TaskData,
) -> anyhow::Result<Vec<TaskReport>> {
    let started = Instant::now();
    let (train_vectors, _) = super::embedded::embed_all(encoder, &texts(&data.train))?;
    let labels: Vec<String> = data.train.iter().map(|e| e.label.clone()).collect();
    let head = super::embedded::head(&train_vectors, &labels)?;
    let train_seconds = started.elapsed().as_secs_f64();
    if head.labels != ngram.labels() {
        anyhow::bail!("the n-gram and embedding tiers disagree on labels");
    }
    let (eval_vectors, per_second) = super::embedded::embed_all(encoder, &texts(&data.eval))?;
    let tune_set = if data.tune.is_empty() { &data.eval } else { &data.tune };
    let (tune_vectors, _) = if data.tune.is_empty() {
        (eval_vectors.clone(), 0.0)
    } else {
        super::embedded::embed_all(encoder, &texts(&data.tune))?
    };
    let mut reports = Vec::new();
    for tier in ["embedding", "ensemble"] {
        let probs = |vectors: &[Vec<f32>], set: &[Example]| -> Vec<Vec<f32>> {
            vectors
                .iter()
                .zip(set)
                .map(|(v, e)| {
                    let p = head.predict(v);
                    if tier == "ensemble" {
                        p.iter().zip(ngram.probabilities(&e.text)).map(|(a, b)| (a + b) / 2.0).collect()
                    } else {
                        p
                    }
                })
                .collect()
        };
        let threshold =
            tune_threshold(&for_tuning(&head.labels, &probs(&tune_vectors, tune_set), tune_set), MIN_OOS_RECALL);
        let predicted: Vec<(String, String)> = probs(&eval_vectors, &data.eval)
            .iter()
            .zip(&data.eval)
            .map(|(p, e)| (e.label.clone(), decide(&head.labels, p, threshold)))
            .collect();
        let note = data.eval.iter().any(|e| e.label == OUT_OF_SCOPE).then(|| format!("threshold {threshold:.2}"));
        reports.push(report(task, tier, &predicted, train_seconds, per_second, note));
    }
    Ok(reports)
}

/// Trains the n-gram tier on a task and reports it, with the embedding tiers when an
/// encoder is given.
pub fn evaluate(
    root: &Path,
    task: &str,
    options: &EvalOptions,
    encoder: Option<&tandem_embed::BertEncoder>,
) -> anyhow::Result<Vec<TaskReport>> {
    let loaded = match task {
        "banking77" => data::banking77(root, options.split)?,
        "clinc150" => data::clinc150(root, options.split)?,
        _ => data::bitext(root, options.split)?,
    };
    let Some(mut task_data) = loaded else { return Ok(Vec::new()) };
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
    let oos = task_data.eval.iter().any(|e| e.label == OUT_OF_SCOPE);
    let note = oos.then(|| format!("threshold {:.2}", model.threshold));
    let mut reports = vec![report(task, "ngram", &predicted, train_seconds, per_second, note)];
    if let Some(encoder) = encoder {
        reports.extend(embedding_tiers(task, encoder, &model, &task_data)?);
    }
    Ok(reports)
}
