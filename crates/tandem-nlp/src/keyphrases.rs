//! Keyphrases for insights: the content phrases of a message (runs of words between
//! stopwords and punctuation, scored RAKE-style by word degree over frequency), from
//! the redacted text so they never carry personal data.

use std::collections::HashMap;

const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "don't",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "get",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "hi",
    "hello",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "i'm",
    "i've",
    "i'd",
    "if",
    "in",
    "into",
    "is",
    "it",
    "it's",
    "its",
    "itself",
    "just",
    "let",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "please",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "thank",
    "thanks",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "want",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "yes",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "can't",
    "cannot",
    "won't",
    "isn't",
    "wasn't",
    "didn't",
    "doesn't",
    "still",
    "also",
    "yet",
    "already",
    "like",
    "need",
    "know",
    "help",
    "hey",
    "ok",
    "okay",
    "thx",
    "im",
];

/// Up to `max` keyphrases of `text`, best first.
pub fn extract(text: &str, max: usize) -> Vec<String> {
    let mut phrases: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let flush = |current: &mut Vec<String>, phrases: &mut Vec<Vec<String>>| {
        if !current.is_empty() && current.len() <= 4 {
            phrases.push(std::mem::take(current));
        } else {
            current.clear();
        }
    };
    let mut word = String::new();
    let mut in_placeholder = false;
    for c in text.chars().chain(std::iter::once('.')) {
        match c {
            '[' => in_placeholder = true,
            ']' => {
                in_placeholder = false;
                word.clear();
            }
            _ => {}
        }
        if in_placeholder {
            word.clear();
            flush(&mut current, &mut phrases);
            continue;
        }
        if c.is_alphanumeric() || (c == '\'' && !word.is_empty()) {
            word.extend(c.to_lowercase());
            continue;
        }
        if !word.is_empty() {
            let w = std::mem::take(&mut word);
            let content =
                w.chars().count() >= 3 && !w.chars().all(|c| c.is_ascii_digit()) && !STOPWORDS.contains(&w.as_str());
            if content {
                current.push(w);
            } else {
                flush(&mut current, &mut phrases);
            }
        }
        // Punctuation ends a phrase; `[EMAIL]`-style placeholders are skipped whole.
        if !c.is_whitespace() {
            flush(&mut current, &mut phrases);
        }
    }
    let mut frequency: HashMap<&str, f32> = HashMap::new();
    let mut degree: HashMap<&str, f32> = HashMap::new();
    for phrase in &phrases {
        for w in phrase {
            *frequency.entry(w).or_default() += 1.0;
            *degree.entry(w).or_default() += phrase.len() as f32;
        }
    }
    let mut scored: Vec<(f32, String)> = phrases
        .iter()
        .map(|p| (p.iter().map(|w| degree[w.as_str()] / frequency[w.as_str()]).sum(), p.join(" ")))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, phrase) in scored {
        if out.len() == max {
            break;
        }
        if !out.contains(&phrase) {
            out.push(phrase);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_phrases_come_first() {
        let phrases =
            extract("Hi, my wireless headphones stopped charging after the latest firmware update. Please help!", 3);
        assert_eq!(phrases[0], "wireless headphones stopped charging");
        assert!(phrases.contains(&"latest firmware update".to_owned()), "{phrases:?}");
        assert!(extract("ok thx", 3).is_empty());
        assert_eq!(extract("write to [EMAIL] about my broken zipper", 3), ["broken zipper", "write"]);
    }
}
