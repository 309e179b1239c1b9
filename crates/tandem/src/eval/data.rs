//! Loaders for the evaluation datasets, laid out like `../shared/datasets` (see its
//! README). Dev splits come from the files provided; where a dataset has none
//! (banking77) a fixed tenth of train is carved out by a hash of the text and never
//! trained on. Test files are read only for `--split test`, from a folder that has them.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Which split to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    Dev,
    Test,
}

/// A labelled text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Example {
    pub text: String,
    pub label: String,
}

/// Train and evaluation examples of one task.
#[derive(Clone, Debug, Default)]
pub struct TaskData {
    pub train: Vec<Example>,
    /// Held-out examples for tuning thresholds (test runs only; dev runs tune on dev).
    pub tune: Vec<Example>,
    pub eval: Vec<Example>,
}

/// Where the datasets are: `TANDEM_DATASETS`, else a `shared/datasets` folder beside
/// an ancestor of the current directory or of this crate.
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_owned());
    }
    if let Some(path) = std::env::var_os("TANDEM_DATASETS") {
        return Some(PathBuf::from(path));
    }
    let starts = [std::env::current_dir().ok(), Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")))];
    for start in starts.into_iter().flatten() {
        for dir in start.ancestors() {
            for candidate in [dir.join("shared/datasets"), dir.join("../shared/datasets")] {
                if candidate.join("README.md").exists() {
                    return Some(candidate);
                }
            }
        }
    }
    let fallback = PathBuf::from("/work/shared/datasets");
    fallback.exists().then_some(fallback)
}

pub(crate) fn open(path: &Path) -> anyhow::Result<Box<dyn Read>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(flate2::read::GzDecoder::new(file)))
    } else {
        Ok(Box::new(file))
    }
}

fn csv_rows(path: &Path, text_col: &str, label_col: &str) -> anyhow::Result<Vec<Example>> {
    let mut reader = csv::Reader::from_reader(open(path)?);
    let headers = reader.headers()?.clone();
    let find = |name: &str| {
        headers.iter().position(|h| h == name).with_context(|| format!("{} has no `{name}` column", path.display()))
    };
    let (t, l) = (find(text_col)?, find(label_col)?);
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record?;
        if let (Some(text), Some(label)) = (record.get(t), record.get(l)) {
            out.push(Example { text: text.to_owned(), label: label.to_owned() });
        }
    }
    Ok(out)
}

/// A stable 1-in-`n` choice by text, for carving dev splits.
pub fn held_out(text: &str, n: u64) -> bool {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    hash % n == 0
}

/// banking77: 77 banking intents.
pub fn banking77(root: &Path, split: Split) -> anyhow::Result<Option<TaskData>> {
    let dir = root.join("banking77");
    let train_path = dir.join("train.csv");
    if !train_path.exists() {
        return Ok(None);
    }
    let all = csv_rows(&train_path, "text", "category")?;
    Ok(Some(match split {
        Split::Dev => {
            let (eval, train): (Vec<_>, Vec<_>) = all.into_iter().partition(|e| held_out(&e.text, 10));
            TaskData { train, tune: Vec::new(), eval }
        }
        Split::Test => {
            let test = dir.join("test.csv");
            if !test.exists() {
                return Ok(None);
            }
            let (tune, train): (Vec<_>, Vec<_>) = all.into_iter().partition(|e| held_out(&e.text, 10));
            TaskData { train, tune, eval: csv_rows(&test, "text", "category")? }
        }
    }))
}

fn clinc_part(value: &serde_json::Value, key: &str) -> Vec<Example> {
    value[key]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    Some(Example { text: r.get(0)?.as_str()?.to_owned(), label: r.get(1)?.as_str()?.to_owned() })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// clinc150: 150 intents plus out-of-scope (`oos`).
pub fn clinc150(root: &Path, split: Split) -> anyhow::Result<Option<TaskData>> {
    let dir = root.join("clinc150");
    let path = dir.join("data_full.train_val.json");
    if !path.exists() {
        return Ok(None);
    }
    let mut text = String::new();
    open(&path)?.read_to_string(&mut text)?;
    let data: serde_json::Value = serde_json::from_str(&text)?;
    let mut train = clinc_part(&data, "train");
    train.extend(clinc_part(&data, "oos_train"));
    let mut dev = clinc_part(&data, "val");
    dev.extend(clinc_part(&data, "oos_val"));
    Ok(Some(match split {
        Split::Dev => TaskData { train, tune: Vec::new(), eval: dev },
        Split::Test => {
            let test_path = dir.join("data_full.test.json");
            if !test_path.exists() {
                return Ok(None);
            }
            let mut text = String::new();
            open(&test_path)?.read_to_string(&mut text)?;
            let test: serde_json::Value = serde_json::from_str(&text)?;
            let mut eval = clinc_part(&test, "test");
            eval.extend(clinc_part(&test, "oos_test"));
            TaskData { train, tune: dev, eval }
        }
    }))
}

/// bitext customer-service intents (27), the data of Tandem's default intent model.
pub fn bitext(root: &Path, split: Split) -> anyhow::Result<Option<TaskData>> {
    let dir = root.join("bitext-intent");
    let train = dir.join("Bitext_Sample_Customer_Service_Training_Dataset.csv");
    let dev = dir.join("Bitext_Sample_Customer_Service_Validation_Dataset.csv");
    if !train.exists() || !dev.exists() {
        return Ok(None);
    }
    let train_rows = csv_rows(&train, "utterance", "intent")?;
    let dev_rows = csv_rows(&dev, "utterance", "intent")?;
    Ok(Some(match split {
        Split::Dev => TaskData { train: train_rows, tune: Vec::new(), eval: dev_rows },
        Split::Test => {
            let test = dir.join("Bitext_Sample_Customer_Service_Testing_Dataset.csv");
            if !test.exists() {
                return Ok(None);
            }
            TaskData { train: train_rows, tune: dev_rows, eval: csv_rows(&test, "utterance", "intent")? }
        }
    }))
}

/// bitext's intent → category (ORDER, REFUND, ...) mapping.
pub fn bitext_categories(root: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let path = root.join("bitext-intent/Bitext_Sample_Customer_Service_Training_Dataset.csv");
    let rows = csv_rows(&path, "intent", "category")?;
    let mut pairs: Vec<(String, String)> = rows.into_iter().map(|e| (e.text, e.label)).collect();
    pairs.sort();
    pairs.dedup();
    Ok(pairs)
}

fn goemotions_file(path: &Path, labels: &[String]) -> anyhow::Result<Vec<Example>> {
    let mut out = Vec::new();
    for line in BufReader::new(open(path)?).lines() {
        let line = line?;
        let mut parts = line.split('\t');
        let (Some(text), Some(ids)) = (parts.next(), parts.next()) else { continue };
        // Single-label rows only: multi-label rows have no one right answer.
        if ids.contains(',') {
            continue;
        }
        let Some(label) = ids.parse::<usize>().ok().and_then(|i| labels.get(i)) else { continue };
        out.push(Example { text: text.to_owned(), label: label.clone() });
    }
    Ok(out)
}

/// GoEmotions grouped sentiment (positive, negative, neutral, ambiguous), single-label
/// rows.
pub fn goemotions(root: &Path, split: Split) -> anyhow::Result<Option<TaskData>> {
    let dir = root.join("goemotions/group");
    if !dir.join("labels.txt").exists() {
        return Ok(None);
    }
    let mut labels_text = String::new();
    open(&dir.join("labels.txt"))?.read_to_string(&mut labels_text)?;
    let labels: Vec<String> = labels_text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
    let train = goemotions_file(&dir.join("train.tsv.gz"), &labels)?;
    let dev = goemotions_file(&dir.join("dev.tsv"), &labels)?;
    Ok(Some(match split {
        Split::Dev => TaskData { train, tune: Vec::new(), eval: dev },
        Split::Test => {
            if !dir.join("test.tsv").exists() {
                return Ok(None);
            }
            TaskData { train, tune: dev, eval: goemotions_file(&dir.join("test.tsv"), &labels)? }
        }
    }))
}

/// Tatoeba sentences with ISO 639-3 language codes, at most `per_language` of each.
pub fn tatoeba(root: &Path, split: Split, per_language: usize) -> anyhow::Result<Option<Vec<Example>>> {
    let dir = root.join("tatoeba-laser");
    let names: &[&str] = match split {
        Split::Dev => &["tatoeba_xx-eng.train.tsv.gz", "tatoeba_xx-eng.train.tsv"],
        Split::Test => &["tatoeba_xx-eng.test.tsv.gz", "tatoeba_xx-eng.test.tsv"],
    };
    let Some(path) = names.iter().map(|n| dir.join(n)).find(|p| p.exists()) else { return Ok(None) };
    let mut reader = csv::ReaderBuilder::new().delimiter(b'\t').from_reader(open(&path)?);
    let headers = reader.headers()?.clone();
    let find = |name: &str| {
        headers.iter().position(|h| h == name).with_context(|| format!("{} has no `{name}` column", path.display()))
    };
    let (l, t) = (find("lang")?, find("text")?);
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record?;
        let (Some(lang), Some(text)) = (record.get(l), record.get(t)) else {
            bail!("a short row in {}", path.display())
        };
        let count = counts.entry(lang.to_owned()).or_default();
        if *count < per_language {
            *count += 1;
            out.push(Example { text: text.to_owned(), label: lang.to_owned() });
        }
    }
    Ok(Some(out))
}

/// NusaX sentiment: every language folder's train file, and its valid (dev) or test file.
pub fn nusax(root: &Path, split: Split) -> anyhow::Result<Option<(Vec<Example>, Vec<Example>)>> {
    let dir = root.join("nusax-senti");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(None) };
    let mut languages: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_dir()).collect();
    languages.sort();
    let (mut train, mut eval) = (Vec::new(), Vec::new());
    for language in languages {
        let eval_file = language.join(match split {
            Split::Dev => "valid.csv",
            Split::Test => "test.csv",
        });
        if !language.join("train.csv").exists() || !eval_file.exists() {
            continue;
        }
        train.extend(csv_rows(&language.join("train.csv"), "text", "label")?);
        eval.extend(csv_rows(&eval_file, "text", "label")?);
    }
    Ok((!eval.is_empty()).then_some((train, eval)))
}

/// About `limit` items spread over the whole list (chosen by a hash of each item's
/// text, so every label is represented and the choice is stable).
pub fn subset<T>(items: Vec<T>, limit: Option<usize>, text: impl Fn(&T) -> &str) -> Vec<T> {
    match limit {
        Some(limit) if items.len() > limit => {
            let keep_one_in = (items.len() / limit.max(1)).max(1) as u64;
            items.into_iter().filter(|item| held_out(text(item), keep_one_in)).collect()
        }
        _ => items,
    }
}
