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

/// The embedding head alone and averaged with the n-gram model.
struct EmbeddingSentiment<'a> {
    head: &'a tandem_nlp::embedding::DenseHead,
    ngram: Option<&'a NgramSentimentModel>,
    vectors: std::collections::HashMap<&'a str, &'a Vec<f32>>,
}

impl SentimentAnalyzer for EmbeddingSentiment<'_> {
    fn analyze(&self, text: &str) -> tandem_nlp::sentiment::Sentiment {
        let mut p = self.vectors.get(text).map_or_else(|| vec![1.0 / 3.0; 3], |v| self.head.predict(v));
        if let Some(ngram) = self.ngram {
            let q = ngram.probabilities(text);
            for (a, b) in p.iter_mut().zip(q) {
                *a = (*a + b) / 2.0;
            }
        }
        // Head labels are sorted: negative, neutral, positive.
        let (i, _) = p.iter().copied().enumerate().fold((0, f32::MIN), |b, (i, v)| if v > b.1 { (i, v) } else { b });
        let polarity = [Polarity::Negative, Polarity::Neutral, Polarity::Positive][i];
        tandem_nlp::sentiment::Sentiment { polarity, score: p[2] - p[0] }
    }
}

/// GoEmotions: the lexicon tier and the n-gram tier trained on its train split, and the
/// embedding tiers when an encoder is given.
pub fn goemotions(
    root: &Path,
    options: &EvalOptions,
    encoder: Option<&tandem_embed::BertEncoder>,
) -> anyhow::Result<Vec<TaskReport>> {
    let Some(task) = data::goemotions(root, options.split)? else { return Ok(Vec::new()) };
    let train = polar(task.train);
    let eval = data::subset(polar(task.eval), options.limit, |(t, _)| t.as_str());
    let started = Instant::now();
    let model = NgramSentimentModel::train(&train, FeatureConfig::default(), &sentiment_training())?;
    let train_seconds = started.elapsed().as_secs_f64();
    let mut reports = vec![
        score("goemotions-3way", "lexicon", &LexiconAnalyzer, &eval, 0.0),
        score("goemotions-3way", "ngram", &model, &eval, train_seconds),
    ];
    if let Some(encoder) = encoder {
        let started = Instant::now();
        let train_texts: Vec<&str> = train.iter().map(|(t, _)| t.as_str()).collect();
        let (train_vectors, _) = super::embedded::embed_all(encoder, &train_texts)?;
        let labels: Vec<String> = train.iter().map(|(_, p)| p.as_str().to_owned()).collect();
        let head = super::embedded::head(&train_vectors, &labels)?;
        let seconds = started.elapsed().as_secs_f64();
        let eval_texts: Vec<&str> = eval.iter().map(|(t, _)| t.as_str()).collect();
        let (eval_vectors, per_second) = super::embedded::embed_all(encoder, &eval_texts)?;
        let vectors = eval_texts.iter().copied().zip(eval_vectors.iter()).collect();
        let alone = EmbeddingSentiment { head: &head, ngram: None, vectors };
        let mut report = score("goemotions-3way", "embedding", &alone, &eval, seconds);
        report.per_second = per_second;
        reports.push(report);
        let both = EmbeddingSentiment { ngram: Some(&model), ..alone };
        let mut report = score("goemotions-3way", "ensemble", &both, &eval, seconds);
        report.per_second = per_second;
        reports.push(report);
    }
    Ok(reports)
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
