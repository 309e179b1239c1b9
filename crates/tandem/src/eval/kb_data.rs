//! Retrieval evaluation sets, read from a folder laid out like `../shared/datasets`:
//!
//! - **covid-faq-sim, English**: each `similar = 1` pair is a query (`question_2`) whose
//!   relevant document is the FAQ entry whose question is `question_1`; the corpus is the
//!   FAQ bank `faq_covidbert.csv` (question as title, answer as body).
//! - **covid-faq-sim, German**: the same pairs; the corpus is the distinct `question_1`
//!   texts (of the training file, plus the test file's for `--split test`).
//! - **bitext-llm-responses**: a customer request is the query; every response of its
//!   intent is relevant. Dev: a fifth of the training rows (index % 5 == 0) are queries and
//!   the other rows' responses the corpus; test: the test file's requests against every
//!   training response.
//!
//! Dev splits are carved from the training files (covid: the even rows), which is where
//! the fusion and calibration were tuned; `--split test` reads the kept-apart files.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::Context;

use super::data::{Split, open};

/// A document of a corpus.
#[derive(Clone, Debug)]
pub struct Doc {
    pub id: String,
    pub title: String,
    pub body: String,
}

/// A query and the ids of its relevant documents.
#[derive(Clone, Debug)]
pub struct Query {
    pub text: String,
    pub relevant: HashSet<String>,
}

/// One evaluation set.
#[derive(Clone, Debug)]
pub struct Corpus {
    pub name: String,
    pub language: String,
    pub docs: Vec<Doc>,
    pub queries: Vec<Query>,
}

pub(crate) fn rows(path: &Path, columns: &[&str]) -> anyhow::Result<Vec<Vec<String>>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(open(path)?);
    let headers = reader.headers()?.clone();
    let index: Vec<usize> = columns
        .iter()
        .map(|c| {
            headers.iter().position(|h| h == *c).with_context(|| format!("{} has no `{c}` column", path.display()))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("reading {}", path.display()))?;
        let row: Vec<String> = index.iter().map(|i| record.get(*i).unwrap_or_default().trim().to_owned()).collect();
        if row.iter().all(String::is_empty) {
            continue;
        }
        out.push(row);
    }
    Ok(out)
}

/// The (question_1, question_2) pairs marked similar, of the split.
fn pairs(root: &Path, language: &str, split: Split) -> anyhow::Result<Option<Vec<(String, String)>>> {
    let dir = root.join("covid-faq-sim");
    let path = match split {
        Split::Dev => dir.join(format!("eval_question_similarity_{language}.train.csv")),
        Split::Test => dir.join(format!("eval_question_similarity_{language}.test.csv")),
    };
    if !path.exists() {
        return Ok(None);
    }
    let all = rows(&path, &["question_1", "question_2", "similar"])?;
    let chosen = all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| split == Split::Test || i % 2 == 0)
        .map(|(_, r)| r)
        .filter(|r| r[2] == "1" && !r[0].is_empty() && !r[1].is_empty())
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    Ok(Some(chosen))
}

/// covid-faq-sim in English against the FAQ bank.
pub fn covid_en(root: &Path, split: Split) -> anyhow::Result<Option<Corpus>> {
    let bank = root.join("covid-faq-sim/faq_covidbert.csv");
    let Some(pairs) = pairs(root, "en", split)? else { return Ok(None) };
    if !bank.exists() {
        return Ok(None);
    }
    let docs: Vec<Doc> = rows(&bank, &["question", "answer"])?
        .into_iter()
        .enumerate()
        .filter(|(_, r)| !r[0].is_empty() && !r[1].is_empty())
        .map(|(i, r)| Doc { id: format!("faq-{i}"), title: r[0].clone(), body: r[1].clone() })
        .collect();
    let mut by_question: HashMap<String, HashSet<String>> = HashMap::new();
    for doc in &docs {
        by_question.entry(normal(&doc.title)).or_default().insert(doc.id.clone());
    }
    let queries = pairs
        .into_iter()
        .filter_map(|(q1, q2)| {
            by_question.get(&normal(&q1)).map(|relevant| Query { text: q2, relevant: relevant.clone() })
        })
        .collect();
    Ok(Some(Corpus { name: "covid-faq-en".into(), language: "en".into(), docs, queries }))
}

fn normal(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// covid-faq-sim in German against the distinct `question_1` texts.
pub fn covid_de(root: &Path, split: Split) -> anyhow::Result<Option<Corpus>> {
    let Some(pairs) = pairs(root, "de", split)? else { return Ok(None) };
    let dir = root.join("covid-faq-sim");
    let mut files = vec![dir.join("eval_question_similarity_de.train.csv")];
    if split == Split::Test {
        files.push(dir.join("eval_question_similarity_de.test.csv"));
    }
    let mut questions: Vec<String> = Vec::new();
    for file in files {
        for row in rows(&file, &["question_1"])? {
            if !row[0].is_empty() && !questions.iter().any(|q| normal(q) == normal(&row[0])) {
                questions.push(row[0].clone());
            }
        }
    }
    let docs: Vec<Doc> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| Doc { id: format!("q-{i}"), title: q.clone(), body: String::new() })
        .collect();
    let ids: HashMap<String, String> = docs.iter().map(|d| (normal(&d.title), d.id.clone())).collect();
    let queries = pairs
        .into_iter()
        .filter_map(|(q1, q2)| {
            ids.get(&normal(&q1)).map(|id| Query { text: q2, relevant: HashSet::from([id.clone()]) })
        })
        .collect();
    Ok(Some(Corpus { name: "covid-faq-de".into(), language: "de".into(), docs, queries }))
}

/// bitext-llm-responses: requests against responses, relevant by intent.
pub fn bitext(root: &Path, split: Split) -> anyhow::Result<Option<Corpus>> {
    let dir = root.join("bitext-llm-responses");
    let train = ["bitext_llm_train.csv.gz", "bitext_llm_train.csv"].iter().map(|n| dir.join(n)).find(|p| p.exists());
    let Some(train) = train else { return Ok(None) };
    let train_rows = rows(&train, &["instruction", "intent", "response"])?;
    let (query_rows, doc_rows): (Vec<Vec<String>>, Vec<Vec<String>>) = match split {
        Split::Dev => {
            let (q, d): (Vec<_>, Vec<_>) = train_rows.into_iter().enumerate().partition(|(i, _)| i % 5 == 0);
            (q.into_iter().map(|(_, r)| r).collect(), d.into_iter().map(|(_, r)| r).collect())
        }
        Split::Test => {
            let test =
                ["bitext_llm_test.csv.gz", "bitext_llm_test.csv"].iter().map(|n| dir.join(n)).find(|p| p.exists());
            let Some(test) = test else { return Ok(None) };
            (rows(&test, &["instruction", "intent", "response"])?, train_rows)
        }
    };
    let docs: Vec<Doc> = doc_rows
        .iter()
        .enumerate()
        .map(|(i, r)| Doc { id: format!("{}-{i}", r[1]), title: String::new(), body: r[2].clone() })
        .collect();
    let mut by_intent: HashMap<&str, HashSet<String>> = HashMap::new();
    for (doc, row) in docs.iter().zip(&doc_rows) {
        by_intent.entry(row[1].as_str()).or_default().insert(doc.id.clone());
    }
    let queries = query_rows
        .iter()
        .filter_map(|r| {
            by_intent.get(r[1].as_str()).map(|relevant| Query { text: r[0].clone(), relevant: relevant.clone() })
        })
        .collect();
    Ok(Some(Corpus { name: "bitext-responses".into(), language: "en".into(), docs, queries }))
}

/// Every evaluation set found.
pub fn all(root: &Path, split: Split) -> anyhow::Result<Vec<Corpus>> {
    let mut out = Vec::new();
    for (name, corpus) in [
        ("covid-faq-sim (en)", covid_en(root, split)?),
        ("covid-faq-sim (de)", covid_de(root, split)?),
        ("bitext-llm-responses", bitext(root, split)?),
    ] {
        match corpus {
            Some(c) => out.push(c),
            None => eprintln!("skipped {name}: its files are not in {}", root.display()),
        }
    }
    Ok(out)
}
