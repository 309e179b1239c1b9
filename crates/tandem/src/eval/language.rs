//! Language identification: Tatoeba sentences of the supported languages (a fixed
//! tenth of the shared train file held out as dev, English taken from its English
//! side), and xSID's assistant commands as text unlike the training data.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use tandem_nlp::language::{
    HybridLanguageIdentifier, LanguageIdentifier, LinguaIdentifier, NgramLanguageModel, SUPPORTED, iso639_3,
};
use tandem_nlp::linear::TrainConfig;

use super::data::{Split, held_out};
use super::{EvalOptions, TaskReport};

/// The fast model's confidence below which lingua is asked (tuned on Tatoeba dev).
pub const HYBRID_THRESHOLD: f32 = 0.7;

/// Texts with their labels.
pub type Labelled = Vec<(String, String)>;

/// Tatoeba rows of the supported languages: (text, ISO 639-1), split into train and
/// dev (or test) parts.
pub fn tatoeba(root: &Path, split: Split) -> anyhow::Result<Option<(Labelled, Labelled)>> {
    let dir = root.join("tatoeba-laser");
    let train_path = dir.join("tatoeba_xx-eng.train.tsv.gz");
    if !train_path.exists() {
        return Ok(None);
    }
    let read = |path: &Path| -> anyhow::Result<Vec<(String, String)>> {
        let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let reader: Box<dyn std::io::Read> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::read::GzDecoder::new(file))
        } else {
            Box::new(file)
        };
        let mut csv = csv::ReaderBuilder::new().delimiter(b'\t').from_reader(reader);
        let mut rows = Vec::new();
        let mut english = 0;
        for record in csv.records() {
            let record = record?;
            let (Some(lang), Some(text), Some(eng)) = (record.get(0), record.get(2), record.get(3)) else { continue };
            if let Some(code) = SUPPORTED.iter().find(|c| iso639_3(c) == Some(lang)) {
                rows.push((text.to_owned(), (*code).to_owned()));
            }
            // English is every pair's other side; take a language's worth of it.
            if english < 800 && lang != "eng" && held_out(eng, 7) {
                english += 1;
                rows.push((eng.to_owned(), "en".to_owned()));
            }
        }
        Ok(rows)
    };
    let all = read(&train_path)?;
    Ok(Some(match split {
        Split::Dev => all.into_iter().partition(|(t, _)| !held_out(t, 10)),
        Split::Test => {
            let Some(test) = ["tatoeba_xx-eng.test.tsv.gz", "tatoeba_xx-eng.test.tsv"]
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.exists())
            else {
                return Ok(None);
            };
            (all.into_iter().filter(|(t, _)| !held_out(t, 10)).collect(), read(&test)?)
        }
    }))
}

/// xSID sentences of the supported languages, as (text, ISO 639-1).
fn xsid(root: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut rows = Vec::new();
    for (file, code) in [
        ("ar", "ar"),
        ("da", "da"),
        ("de", "de"),
        ("en", "en"),
        ("id", "id"),
        ("it", "it"),
        ("ja", "ja"),
        ("nl", "nl"),
        ("no", "nb"),
        ("tr", "tr"),
        ("zh", "zh"),
    ] {
        let path = root.join("xsid").join(format!("{file}.valid.conll"));
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        rows.extend(text.lines().filter_map(|l| l.strip_prefix("# text = ")).map(|t| (t.to_owned(), code.to_owned())));
    }
    Ok(rows)
}

fn score(
    task: &str,
    tier: &str,
    identifier: &dyn LanguageIdentifier,
    eval: &[(String, String)],
    train_seconds: f64,
) -> TaskReport {
    let mut latencies = Vec::with_capacity(eval.len());
    let mut correct = 0;
    let started = Instant::now();
    for (text, gold) in eval {
        let t = Instant::now();
        let guess = identifier.identify(text);
        latencies.push(t.elapsed());
        correct += usize::from(guess.is_some_and(|g| &g.language == gold));
    }
    let per_second = eval.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    latencies.sort();
    let p99 = latencies.get(latencies.len() * 99 / 100).map_or(0.0, |d| d.as_secs_f64() * 1e6);
    TaskReport {
        task: task.to_owned(),
        tier: tier.to_owned(),
        metrics: vec![("accuracy".to_owned(), correct as f64 / eval.len().max(1) as f64)],
        eval_examples: eval.len(),
        train_seconds,
        per_second,
        note: Some(format!("p99 {p99:.0} µs")),
    }
}

/// The language training settings.
pub fn language_training() -> TrainConfig {
    TrainConfig { epochs: 20, learning_rate: 0.5, min_count: 2, ..TrainConfig::default() }
}

pub fn evaluate(root: &Path, options: &EvalOptions) -> anyhow::Result<Vec<TaskReport>> {
    let Some((train, mut eval)) = tatoeba(root, options.split)? else { return Ok(Vec::new()) };
    eval = super::data::subset(eval, options.limit, |(t, _)| t.as_str());
    let started = Instant::now();
    let fast = NgramLanguageModel::train(&train, &language_training())?;
    let train_seconds = started.elapsed().as_secs_f64();
    let languages: Vec<String> = SUPPORTED.iter().map(|s| (*s).to_owned()).collect();
    let hybrid = HybridLanguageIdentifier {
        fast: fast.clone(),
        careful: Some(LinguaIdentifier::new(&languages)?),
        threshold: HYBRID_THRESHOLD,
    };
    let lingua = LinguaIdentifier::new(&languages)?;
    let mut reports = vec![
        score("tatoeba-langid", "ngram", &fast, &eval, train_seconds),
        score("tatoeba-langid", "lingua", &lingua, &eval, 0.0),
        score("tatoeba-langid", "hybrid", &hybrid, &eval, train_seconds),
    ];
    let mut other = xsid(root)?;
    other = super::data::subset(other, options.limit, |(t, _)| t.as_str());
    if !other.is_empty() {
        reports.push(score("xsid-langid", "ngram", &fast, &other, train_seconds));
        reports.push(score("xsid-langid", "hybrid", &hybrid, &other, train_seconds));
    }
    Ok(reports)
}
