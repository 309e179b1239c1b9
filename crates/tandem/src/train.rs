//! `tandem train`: training the n-gram models in Rust, and regenerating the default
//! models Tandem ships (`crates/tandem-nlp/models/`), so they are reproducible from the
//! datasets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use tandem_nlp::features::FeatureConfig;
use tandem_nlp::intent::{IntentCategory, NgramIntentModel};
use tandem_nlp::language::NgramLanguageModel;
use tandem_nlp::linear::TrainConfig;
use tandem_nlp::sentiment::{NgramSentimentModel, Polarity};

use crate::eval::data::{self, Split};
use crate::eval::language::Labelled;

/// How the virtual agent treats the default model's intents: a complaint needs a
/// person at once; asking for a person, closing an account (retention) and payment
/// problems (billing disputes) are better with one.
pub fn default_category(intent: &str) -> IntentCategory {
    match intent {
        "complaint" => IntentCategory::Sensitive,
        "contact_human_agent" | "contact_customer_service" | "delete_account" | "payment_issue" => {
            IntentCategory::HumanPreferred
        }
        _ => IntentCategory::Routine,
    }
}

/// Reads `(text, intent, category?)` rows from a CSV with a header naming `text` (or
/// `utterance`), `intent` and optionally `category`.
fn read_intents(path: &Path) -> anyhow::Result<(Labelled, BTreeMap<String, IntentCategory>)> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("opening {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h));
    let text = column(&["text", "utterance"])
        .with_context(|| format!("{} needs a `text` (or `utterance`) column", path.display()))?;
    let intent = column(&["intent"]).with_context(|| format!("{} needs an `intent` column", path.display()))?;
    let category = column(&["category"]);
    let mut examples = Vec::new();
    let mut categories = BTreeMap::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.with_context(|| format!("{} row {}", path.display(), line + 2))?;
        let (Some(t), Some(i)) = (record.get(text), record.get(intent)) else { continue };
        if t.trim().is_empty() || i.trim().is_empty() {
            bail!("{} row {}: text and intent must not be empty", path.display(), line + 2);
        }
        if let Some(c) = category.and_then(|c| record.get(c)) {
            let parsed = match c.trim() {
                "routine" => IntentCategory::Routine,
                "sensitive" => IntentCategory::Sensitive,
                "human_preferred" => IntentCategory::HumanPreferred,
                // bitext's own categories (ORDER, REFUND...) are topics, not handling rules.
                _ => default_category(i.trim()),
            };
            categories.insert(i.trim().to_owned(), parsed);
        } else {
            categories.entry(i.trim().to_owned()).or_insert_with(|| default_category(i.trim()));
        }
        examples.push((t.to_owned(), i.trim().to_owned()));
    }
    if examples.is_empty() {
        bail!("{} has no examples", path.display());
    }
    Ok((examples, categories))
}

/// `tandem train intents --data FILE --out FILE`.
pub fn intents(data: &Path, out: &Path) -> anyhow::Result<String> {
    let (examples, categories) = read_intents(data)?;
    let started = std::time::Instant::now();
    let model = NgramIntentModel::train(&examples, categories, FeatureConfig::default(), &TrainConfig::default())?;
    write(out, |f| model.write_to(f))?;
    Ok(format!(
        "trained {} intents on {} examples in {:.1}s; wrote {}",
        tandem_nlp::intent::IntentClassifier::intents(&model).len(),
        examples.len(),
        started.elapsed().as_secs_f64(),
        out.display()
    ))
}

fn write(
    out: &Path,
    body: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<(), tandem_nlp::NlpError>,
) -> anyhow::Result<()> {
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    body(&mut writer)?;
    std::io::Write::flush(&mut writer)?;
    Ok(())
}

/// Trains the embedding heads of the defaults over all-MiniLM-L6-v2 (intent on bitext,
/// sentiment on GoEmotions), train splits only.
fn heads(root: &Path, models: &Path, out: &Path) -> anyhow::Result<Vec<String>> {
    let Some(dir) = tandem_embed::resolve(tandem_embed::ModelKind::MiniLm, models) else {
        return Ok(vec![format!(
            "embedding heads skipped: no all-MiniLM-L6-v2 in {} (run `tandem models install`)",
            models.display()
        )]);
    };
    let encoder = tandem_embed::BertEncoder::load(&dir, "", 128)?;
    let mut done = Vec::new();
    let bitext = root.join("bitext-intent/Bitext_Sample_Customer_Service_Training_Dataset.csv");
    let (examples, _) = read_intents(&bitext)?;
    let texts: Vec<&str> = examples.iter().map(|(t, _)| t.as_str()).collect();
    let vectors = encoder.embed_many(&texts, 32)?;
    let labels: Vec<String> = examples.iter().map(|(_, l)| l.clone()).collect();
    let head = crate::eval::embedded::head(&vectors, &labels)?;
    let path = out.join("intent-default-head.json");
    write(&path, |f| head.write_to(f))?;
    done.push(format!("trained the intent embedding head on {} examples; wrote {}", texts.len(), path.display()));
    let goemotions = data::goemotions(root, Split::Dev)?.context("GoEmotions is missing from the datasets")?;
    let polar: Vec<(String, String)> = goemotions
        .train
        .into_iter()
        .filter(|e| Polarity::parse(&e.label).is_some())
        .map(|e| (e.text, e.label))
        .collect();
    let texts: Vec<&str> = polar.iter().map(|(t, _)| t.as_str()).collect();
    let vectors = encoder.embed_many(&texts, 32)?;
    let labels: Vec<String> = polar.iter().map(|(_, l)| l.clone()).collect();
    let head = crate::eval::embedded::head(&vectors, &labels)?;
    let path = out.join("sentiment-default-head.json");
    write(&path, |f| head.write_to(f))?;
    done.push(format!("trained the sentiment embedding head on {} messages; wrote {}", texts.len(), path.display()));
    Ok(done)
}

/// `tandem train defaults`: the default models from the shared datasets, trained on
/// their train splits only (dev stays unseen, so `tandem eval nlp` is honest); with
/// MiniLM in `models`, also the embedding heads.
pub fn defaults(datasets: Option<&Path>, out: &Path, models: Option<&Path>) -> anyhow::Result<Vec<String>> {
    let root = data::locate(datasets).context("no datasets folder found; pass --datasets DIR")?;
    let mut done = Vec::new();

    let bitext = root.join("bitext-intent/Bitext_Sample_Customer_Service_Training_Dataset.csv");
    done.push(intents(&bitext, &out.join("intent-default.tdl"))?);

    let goemotions = data::goemotions(&root, Split::Dev)?.context("GoEmotions is missing from the datasets")?;
    let polar: Vec<(String, Polarity)> =
        goemotions.train.into_iter().filter_map(|e| Polarity::parse(&e.label).map(|p| (e.text, p))).collect();
    let sentiment = NgramSentimentModel::train(&polar, FeatureConfig::default(), &crate::eval::sentiment_training())?;
    let path = out.join("sentiment-default.tdl");
    write(&path, |f| sentiment.write_to(f))?;
    done.push(format!("trained sentiment on {} GoEmotions messages; wrote {}", polar.len(), path.display()));

    let (train, _) =
        crate::eval::language::tatoeba(&root, Split::Dev)?.context("Tatoeba is missing from the datasets")?;
    let language = NgramLanguageModel::train(&train, &crate::eval::language::language_training())?;
    let path = out.join("language-default.tdl");
    write(&path, |f| language.write_to(f))?;
    done.push(format!("trained language identification on {} sentences; wrote {}", train.len(), path.display()));
    let models = models.map_or_else(tandem_embed::models_dir, Path::to_path_buf);
    done.extend(heads(&root, &models, out)?);
    Ok(done)
}

/// Where the default models live in the source tree.
pub fn default_models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tandem-nlp/models")
}
