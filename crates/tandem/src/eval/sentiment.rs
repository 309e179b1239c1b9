//! Sentiment tasks: GoEmotions grouped to three classes (positive, negative, neutral;
//! the `ambiguous` group and multi-label rows are left out), and NusaX (three classes,
//! 12 languages).

use std::path::Path;
use std::time::Instant;

use tandem_nlp::features::FeatureConfig;
use tandem_nlp::linear::TrainConfig;
use tandem_nlp::sentiment::{LexiconAnalyzer, NgramSentimentModel, Polarity, SentimentAnalyzer};

use super::data::{self, Example};
use super::{EvalOptions, TaskReport, macro_f1};

fn polar(examples: Vec<Example>) -> Vec<(String, Polarity)> {
    examples.into_iter().filter_map(|e| Polarity::parse(&e.label).map(|p| (e.text, p))).collect()
}

fn score(
    name: &str,
    tier: &str,
    analyzer: &dyn SentimentAnalyzer,
    eval: &[(String, Polarity)],
    train_seconds: f64,
) -> TaskReport {
    let started = Instant::now();
    let pairs: Vec<(String, String)> = eval
        .iter()
        .map(|(t, gold)| (gold.as_str().to_owned(), analyzer.analyze(t).polarity.as_str().to_owned()))
        .collect();
    let per_second = eval.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    let accuracy = pairs.iter().filter(|(g, p)| g == p).count() as f64 / pairs.len().max(1) as f64;
    TaskReport {
        task: name.to_owned(),
        tier: tier.to_owned(),
        metrics: vec![("macro_f1".to_owned(), macro_f1(&pairs)), ("accuracy".to_owned(), accuracy)],
        eval_examples: eval.len(),
        train_seconds,
        per_second,
        note: None,
    }
}

/// GoEmotions: the lexicon tier and the n-gram tier trained on its train split.
pub fn goemotions(root: &Path, options: &EvalOptions) -> anyhow::Result<Vec<TaskReport>> {
    let Some(task) = data::goemotions(root, options.split)? else { return Ok(Vec::new()) };
    let train = polar(task.train);
    let eval = data::subset(polar(task.eval), options.limit, |(t, _)| t.as_str());
    let started = Instant::now();
    let model = NgramSentimentModel::train(&train, FeatureConfig::default(), &sentiment_training())?;
    let train_seconds = started.elapsed().as_secs_f64();
    Ok(vec![
        score("goemotions-3way", "lexicon", &LexiconAnalyzer, &eval, 0.0),
        score("goemotions-3way", "ngram", &model, &eval, train_seconds),
    ])
}

/// The training settings for sentiment models (noisier labels than intents: fewer
/// epochs, and rare features dropped).
pub fn sentiment_training() -> TrainConfig {
    TrainConfig { epochs: 8, learning_rate: 0.6, min_count: 3, ..TrainConfig::default() }
}

/// NusaX: one n-gram model over all languages' train files, scored on their valid files.
pub fn nusax(root: &Path, options: &EvalOptions) -> anyhow::Result<Vec<TaskReport>> {
    let Some((train, eval)) = data::nusax(root, options.split)? else { return Ok(Vec::new()) };
    let train = polar(train);
    let eval = data::subset(polar(eval), options.limit, |(t, _)| t.as_str());
    let started = Instant::now();
    let model = NgramSentimentModel::train(&train, FeatureConfig::default(), &sentiment_training())?;
    let train_seconds = started.elapsed().as_secs_f64();
    Ok(vec![
        score("nusax-senti", "lexicon", &LexiconAnalyzer, &eval, 0.0),
        score("nusax-senti", "ngram", &model, &eval, train_seconds),
    ])
}
