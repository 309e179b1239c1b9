//! Text helpers the detectors share: a normal form that survives case, accents,
//! punctuation and stretched letters ("pleeease"), words, typo-tolerant word matching,
//! and a character-trigram similarity for "is this the same request again?".

use std::collections::BTreeSet;

/// Lowercase, accents folded (`é` → `e`, `ß` → `ss`), every run of characters that is
/// not a letter or digit turned into one space, letters repeated three or more times
/// squeezed to one, trimmed. Apostrophes vanish so "don't" and "dont" agree.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last: Option<char> = None;
    let mut run = 0usize;
    let mut pending_space = false;
    for raw in text.chars() {
        if matches!(raw, '\'' | '’' | '`' | '´') {
            continue;
        }
        for c in fold(raw) {
            if c.is_alphanumeric() {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                if Some(c) == last && c.is_alphabetic() {
                    run += 1;
                    if run >= 2 {
                        // A third identical letter: drop the stretch back to one letter.
                        if run == 2 {
                            out.pop();
                        }
                        continue;
                    }
                } else {
                    run = 0;
                }
                out.push(c);
                last = Some(c);
            } else {
                pending_space = true;
                last = None;
                run = 0;
            }
        }
    }
    out
}

/// One character lowercased with its accent removed; `ß` becomes two.
fn fold(c: char) -> impl Iterator<Item = char> {
    let lower = c.to_lowercase().next().unwrap_or(c);
    let folded: &str = match lower {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ā' => "a",
        'é' | 'è' | 'ê' | 'ë' | 'ē' | 'ę' => "e",
        'í' | 'ì' | 'î' | 'ï' => "i",
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => "o",
        'ú' | 'ù' | 'û' | 'ü' => "u",
        'ñ' => "n",
        'ç' => "c",
        'ß' => "ss",
        'ý' | 'ÿ' => "y",
        'œ' => "oe",
        'æ' => "ae",
        _ => "",
    };
    let mut chars: Vec<char> = folded.chars().collect();
    if chars.is_empty() {
        chars.push(lower);
    }
    chars.into_iter()
}

/// The words of a normalised text.
pub fn words(normalized: &str) -> Vec<&str> {
    normalized.split(' ').filter(|w| !w.is_empty()).collect()
}

/// Whether `word` is `target` or a likely typo of it: one edit (insertion, deletion,
/// substitution or swap of neighbours) for words of five letters or more, two for
/// ten or more. Short words must match exactly ("agent" ~ "agnet", but "bot" ≠ "but").
pub fn fuzzy_eq(word: &str, target: &str) -> bool {
    if word == target {
        return true;
    }
    let n = target.chars().count();
    let allowed = match n {
        0..=4 => 0,
        5..=9 => 1,
        _ => 2,
    };
    if allowed == 0 || word.chars().count().abs_diff(n) > allowed {
        return false;
    }
    edit_distance(word, target) <= allowed
}

/// Optimal string alignment distance (Levenshtein with adjacent swaps).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best =
                (d[(i - 1) * width + j] + 1).min(d[i * width + j - 1] + 1).min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// Whether the normalised `text` contains `phrase` (also normalised) as whole words,
/// each word matched with [`fuzzy_eq`]. A phrase word ending in `*` matches any word
/// starting with what precedes the star ("refund*" matches "refunded").
pub fn contains_phrase(text_words: &[&str], phrase: &[String]) -> bool {
    find_phrase(text_words, phrase, Matching::Typos).is_some()
}

/// How phrase words match a message's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matching {
    /// Equal words only.
    Exact,
    /// Typos allowed (see [`fuzzy_eq`]).
    Typos,
    /// Typos allowed in words of eight letters or more only: for workspace keywords,
    /// where "fitting" must not match "sitting".
    LongTypos,
}

/// Where in `text_words` the phrase starts, if it occurs.
pub fn find_phrase(text_words: &[&str], phrase: &[String], matching: Matching) -> Option<usize> {
    if phrase.is_empty() || phrase.len() > text_words.len() {
        return None;
    }
    text_words
        .windows(phrase.len())
        .position(|window| window.iter().zip(phrase).all(|(w, p)| word_matches(w, p, matching)))
}

fn word_matches(word: &str, pattern: &str, matching: Matching) -> bool {
    match (pattern.strip_suffix('*'), matching) {
        (Some(stem), _) => word.starts_with(stem),
        (None, Matching::Typos) => fuzzy_eq(word, pattern),
        (None, Matching::LongTypos) if pattern.chars().count() >= 8 => fuzzy_eq(word, pattern),
        (None, _) => word == pattern,
    }
}

/// A phrase split into normalised words (keeping a trailing `*`).
pub fn phrase(raw: &str) -> Vec<String> {
    let star = raw.trim_end().ends_with('*');
    let normalized = normalize(raw);
    let mut out: Vec<String> = words(&normalized).into_iter().map(str::to_owned).collect();
    if star && let Some(last) = out.last_mut() {
        last.push('*');
    }
    out
}

/// Hashed character trigrams of a normalised text (with word boundaries), for
/// similarity between requests.
pub fn trigrams(normalized: &str) -> BTreeSet<u32> {
    let padded: Vec<char> = format!(" {normalized} ").chars().collect();
    padded
        .windows(3)
        .map(|w| {
            let mut h: u32 = 2_166_136_261;
            for c in w {
                h ^= *c as u32;
                h = h.wrapping_mul(16_777_619);
            }
            h
        })
        .collect()
}

/// Jaccard similarity of two trigram sets (0 when both are empty).
pub fn similarity(a: &BTreeSet<u32>, b: &BTreeSet<u32>) -> f32 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f32 / union as f32
}

/// `text` cut to at most `max` characters at a sentence or word end, with an ellipsis
/// when cut.
pub fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let at_sentence = cut.rfind(['.', '!', '?', '\n']).filter(|i| *i >= max / 3);
    match at_sentence {
        Some(i) => cut[..=i].trim_end().to_owned(),
        None => {
            let at_word = cut.rfind(' ').unwrap_or(cut.len());
            format!("{}…", cut[..at_word].trim_end())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_form() {
        assert_eq!(normalize("  Quiero HABLAR con una persona!!! "), "quiero hablar con una persona");
        assert_eq!(normalize("Pleeeease, I don't know"), "please i dont know");
        assert_eq!(normalize("Straße über Café"), "strasse uber cafe");
        assert_eq!(normalize("order #A1043."), "order a1043");
        assert_eq!(normalize("¿¡Qué!?"), "que");
        assert_eq!(normalize("coffee"), "coffee", "doubled letters stay");
    }

    #[test]
    fn typos_match_long_words_only() {
        assert!(fuzzy_eq("agnet", "agent"));
        assert!(fuzzy_eq("representitive", "representative"));
        assert!(fuzzy_eq("humna", "human"));
        assert!(!fuzzy_eq("but", "bot"));
        assert!(!fuzzy_eq("agents", "agency") || edit_distance("agents", "agency") <= 1);
        assert_eq!(edit_distance("abcd", "abdc"), 1);
    }

    #[test]
    fn phrases_match_as_whole_words() {
        let text = normalize("Can I talk to a real persn please");
        let w = words(&text);
        assert!(contains_phrase(&w, &phrase("real person")));
        assert!(!contains_phrase(&w, &phrase("real people")));
        assert!(contains_phrase(&words("i was refunded"), &phrase("refund*")));
        assert_eq!(find_phrase(&w, &phrase("talk to"), Matching::Exact), Some(2));
        assert_eq!(find_phrase(&words("cancel it"), &phrase("cancer"), Matching::Exact), None);
        assert_eq!(find_phrase(&words("sitting here"), &phrase("fitting"), Matching::LongTypos), None);
        assert!(find_phrase(&words("an apointment"), &phrase("appointment"), Matching::LongTypos).is_some());
    }

    #[test]
    fn similar_requests_score_high() {
        let a = trigrams(&normalize("where is my order A1043"));
        let b = trigrams(&normalize("Where is my order A1043??"));
        let c = trigrams(&normalize("how do I reset my password"));
        assert!(similarity(&a, &b) > 0.9);
        assert!(similarity(&a, &c) < 0.3);
    }

    #[test]
    fn clipping_prefers_sentence_ends() {
        let text = "First sentence here. Second sentence is much longer than the limit allows.";
        assert_eq!(clip(text, 40), "First sentence here.");
        assert!(clip("word ".repeat(30).as_str(), 20).ends_with('…'));
        assert_eq!(clip("short", 40), "short");
    }
}
