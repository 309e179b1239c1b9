//! Knowledge gaps: customer questions the knowledge answered poorly, grouped by
//! similarity so an admin sees "missing or weak articles" as topics with counts and
//! examples rather than as a list of messages. Grouping is single-pass leader
//! clustering: each question joins the most similar group above a threshold (cosine of
//! embeddings when there are any, else overlap of stemmed words) or starts its own.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use tandem_domain::{ArticleId, Timestamp};

use crate::analysis::{self, analysis_key};
use crate::search::dot;

/// A question to group.
#[derive(Clone, Debug)]
pub struct GapQuestion {
    pub text: String,
    pub language: Option<String>,
    pub vector: Option<Vec<f32>>,
    pub best_score: f32,
    pub best_article: Option<ArticleId>,
    pub at: Timestamp,
}

/// One topic the knowledge does not cover well.
#[derive(Clone, Debug, Serialize)]
pub struct Gap {
    /// The question nearest the group's centre.
    pub representative: String,
    /// Up to five distinct examples, most recent first.
    pub examples: Vec<String>,
    pub count: usize,
    pub languages: Vec<String>,
    /// The mean of the questions' best confidence.
    pub mean_best_score: f32,
    /// The article retrieval found most often for them (a weak article to improve), if any.
    pub closest_article: Option<ArticleId>,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
}

/// Similarity thresholds for joining a group.
#[derive(Clone, Copy, Debug)]
pub struct GapSettings {
    /// Cosine between a question and a group's centre (model dependent).
    pub cosine: f32,
    /// Share of stemmed words in common (Jaccard) when there are no vectors.
    pub overlap: f32,
}

impl GapSettings {
    pub fn for_model(model: Option<&str>) -> Self {
        match model {
            Some(m) if m.contains("e5") => Self { cosine: 0.88, overlap: 0.34 },
            _ => Self { cosine: 0.62, overlap: 0.34 },
        }
    }
}

struct Group {
    members: Vec<usize>,
    centroid: Vec<f32>,
    /// Each member's content words.
    words: Vec<HashSet<String>>,
}

/// Words that say nothing about a question's topic (beyond the stop words BM25 drops).
const FUNCTION_WORDS: &[&str] = &[
    "i", "me", "my", "you", "your", "we", "our", "can", "could", "would", "do", "doe", "how", "what", "when", "where",
    "why", "which", "who", "pleas", "help", "need", "want", "get", "hi", "hello", "thank", "thanks", "is", "am", "hav",
    "have", "ha",
];

fn words(q: &GapQuestion) -> HashSet<String> {
    let key = q.language.as_deref().map_or(analysis::OTHER, analysis_key);
    analysis::terms(key, &q.text)
        .into_iter()
        .map(|t| t.text)
        .filter(|w| !FUNCTION_WORDS.contains(&w.as_str()) && w.chars().count() > 1)
        .collect()
}

/// The best Jaccard overlap between `w` and any member of a group.
fn overlap(w: &HashSet<String>, group: &Group) -> f32 {
    group.words.iter().map(|m| jaccard(w, m)).fold(0.0, f32::max)
}

fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    let inter = a.intersection(b).count() as f32;
    let union = (a.len() + b.len()) as f32 - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Groups questions into gaps, largest first; groups smaller than `min_count` are left out.
pub fn group(questions: &[GapQuestion], settings: GapSettings, min_count: usize) -> Vec<Gap> {
    let mut order: Vec<usize> = (0..questions.len()).collect();
    order.sort_by_key(|i| questions[*i].at);
    let all_vectors = questions.iter().all(|q| q.vector.is_some()) && !questions.is_empty();
    let mut groups: Vec<Group> = Vec::new();
    for i in order {
        let q = &questions[i];
        let w = words(q);
        let best = groups
            .iter()
            .enumerate()
            .map(|(g, group)| {
                let similarity = match (&q.vector, all_vectors) {
                    (Some(v), true) => dot(v, &group.centroid),
                    _ => overlap(&w, group),
                };
                (g, similarity)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let threshold = if all_vectors { settings.cosine } else { settings.overlap };
        match best {
            Some((g, similarity)) if similarity >= threshold => {
                let group = &mut groups[g];
                group.members.push(i);
                if let Some(v) = &q.vector {
                    let n = group.members.len() as f32;
                    for (c, x) in group.centroid.iter_mut().zip(v) {
                        *c += (x - *c) / n;
                    }
                    normalise(&mut group.centroid);
                }
                group.words.push(w);
            }
            _ => {
                groups.push(Group { members: vec![i], centroid: q.vector.clone().unwrap_or_default(), words: vec![w] })
            }
        }
    }
    let mut gaps: Vec<Gap> = groups
        .into_iter()
        .filter(|g| g.members.len() >= min_count.max(1))
        .map(|g| gap(questions, &g, all_vectors))
        .collect();
    gaps.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_seen.cmp(&a.last_seen)));
    gaps
}

fn gap(questions: &[GapQuestion], g: &Group, vectors: bool) -> Gap {
    let members: Vec<&GapQuestion> = g.members.iter().map(|i| &questions[*i]).collect();
    let representative = members
        .iter()
        .max_by(|a, b| {
            let score = |q: &GapQuestion| match (&q.vector, vectors) {
                (Some(v), true) => dot(v, &g.centroid),
                _ => g.words.iter().map(|m| jaccard(&words(q), m)).sum::<f32>(),
            };
            score(a).total_cmp(&score(b))
        })
        .map(|q| q.text.clone())
        .unwrap_or_default();
    let mut examples: Vec<String> = Vec::new();
    for q in members.iter().rev() {
        if examples.len() < 5 && !examples.iter().any(|e| e.eq_ignore_ascii_case(&q.text)) {
            examples.push(q.text.clone());
        }
    }
    let mut languages: Vec<String> = members.iter().filter_map(|q| q.language.clone()).collect();
    languages.sort();
    languages.dedup();
    let mut articles: HashMap<ArticleId, usize> = HashMap::new();
    for q in &members {
        if let Some(a) = q.best_article {
            *articles.entry(a).or_default() += 1;
        }
    }
    Gap {
        representative,
        examples,
        count: members.len(),
        languages,
        mean_best_score: members.iter().map(|q| q.best_score).sum::<f32>() / members.len().max(1) as f32,
        closest_article: articles.into_iter().max_by_key(|(_, n)| *n).map(|(a, _)| a),
        first_seen: members.iter().map(|q| q.at).min().unwrap_or_default(),
        last_seen: members.iter().map(|q| q.at).max().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str, minute: i64) -> GapQuestion {
        GapQuestion {
            text: text.into(),
            language: Some("en".into()),
            vector: None,
            best_score: 0.1,
            best_article: None,
            at: chrono::DateTime::from_timestamp(1_700_000_000 + minute * 60, 0).unwrap_or_default(),
        }
    }

    #[test]
    fn similar_questions_group_and_the_largest_comes_first() {
        let questions = vec![
            q("how do I pair the bluetooth headset", 0),
            q("do you sell gift cards", 1),
            q("pairing my bluetooth headset fails", 2),
            q("bluetooth headset will not pair", 3),
            q("can I buy a gift card", 4),
        ];
        let gaps = group(&questions, GapSettings::for_model(None), 1);
        assert_eq!(gaps.len(), 2, "{gaps:#?}");
        assert_eq!(gaps[0].count, 3);
        assert!(gaps[0].representative.contains("bluetooth"));
        assert_eq!(gaps[0].examples[0], "bluetooth headset will not pair");
        assert_eq!(gaps[1].count, 2);
        assert_eq!(group(&questions, GapSettings::for_model(None), 3).len(), 1);
    }

    #[test]
    fn vectors_group_by_cosine() {
        let mut a = q("one", 0);
        a.vector = Some(vec![1.0, 0.0]);
        let mut b = q("two", 1);
        b.vector = Some(vec![0.99, 0.141]);
        let mut c = q("three", 2);
        c.vector = Some(vec![0.0, 1.0]);
        let gaps = group(&[a, b, c], GapSettings { cosine: 0.9, overlap: 0.3 }, 1);
        assert_eq!(gaps.iter().map(|g| g.count).collect::<Vec<_>>(), vec![2, 1]);
    }
}
