//! Snippets: the part of a passage with the most query words, as segments marked or not.
//! Segments rather than HTML, so whoever renders them escapes the text and draws the
//! marks; a passage can never inject markup.

use std::collections::HashSet;

use serde::Serialize;

use crate::analysis;

/// Characters a snippet shows at most (passages shorter than this are shown whole).
pub const SNIPPET_CHARS: usize = 280;

/// A piece of snippet text, highlighted when it matched a query word.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub text: String,
    pub mark: bool,
}

/// The snippet of `text` for the analysed query `terms`, and the words of `text` that
/// matched (distinct, as written, in order of appearance).
pub fn snippet(key: &str, text: &str, terms: &[String]) -> (Vec<Segment>, Vec<String>) {
    let wanted: HashSet<&str> = terms.iter().map(String::as_str).collect();
    let marks: Vec<(usize, usize)> = analysis::terms(key, text)
        .into_iter()
        .filter(|t| wanted.contains(t.text.as_str()))
        .map(|t| (t.from, t.to))
        .collect();
    let mut matched: Vec<String> = Vec::new();
    for (from, to) in &marks {
        let word = text[*from..*to].to_owned();
        if !matched.iter().any(|m| m.eq_ignore_ascii_case(&word)) {
            matched.push(word);
        }
    }
    let (start, end) = window(text, &marks);
    let mut segments = Vec::new();
    let mut at = start;
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if end < text.len() { "…" } else { "" };
    for (from, to) in marks.iter().filter(|(f, t)| *f >= start && *t <= end) {
        if *from > at {
            segments.push(Segment { text: text[at..*from].to_owned(), mark: false });
        }
        segments.push(Segment { text: text[*from..*to].to_owned(), mark: true });
        at = *to;
    }
    if at < end {
        segments.push(Segment { text: text[at..end].to_owned(), mark: false });
    }
    if let Some(first) = segments.first_mut().filter(|_| !prefix.is_empty()) {
        if first.mark {
            segments.insert(0, Segment { text: prefix.to_owned(), mark: false });
        } else {
            first.text.insert_str(0, prefix);
        }
    }
    if !suffix.is_empty() {
        match segments.last_mut() {
            Some(last) if !last.mark => last.text.push_str(suffix),
            _ => segments.push(Segment { text: suffix.to_owned(), mark: false }),
        }
    }
    (segments, matched)
}

/// The byte range of at most [`SNIPPET_CHARS`] with the most marks, on word boundaries.
fn window(text: &str, marks: &[(usize, usize)]) -> (usize, usize) {
    if text.len() <= SNIPPET_CHARS {
        return (0, text.len());
    }
    let mut best = (0usize, 0usize);
    for (i, (from, _)) in marks.iter().enumerate() {
        let count = marks[i..].iter().take_while(|(_, to)| *to <= from + SNIPPET_CHARS).count();
        if count > best.1 {
            best = (*from, count);
        }
    }
    // Start a little before the first mark, at a word boundary.
    let lead = SNIPPET_CHARS / 6;
    let mut start = best.0.saturating_sub(lead);
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    if start > 0 {
        start = text[start..].find(' ').map_or(start, |p| start + p + 1);
    }
    let mut end = (start + SNIPPET_CHARS).min(text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    if end < text.len() {
        end = text[..end].rfind(' ').filter(|p| *p > start).unwrap_or(end);
    }
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(key: &str, q: &str) -> Vec<String> {
        analysis::terms(key, q).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn marks_stemmed_matches_in_a_short_passage() {
        let (segments, matched) = snippet("en", "Refunds are paid to the card.", &terms("en", "refund my card"));
        let marked: Vec<&str> = segments.iter().filter(|s| s.mark).map(|s| s.text.as_str()).collect();
        assert_eq!(marked, vec!["Refunds", "card"]);
        assert_eq!(matched, vec!["Refunds", "card"]);
        let whole: String = segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(whole, "Refunds are paid to the card.");
    }

    #[test]
    fn long_passages_show_the_window_with_the_matches() {
        let text = format!(
            "{} The refund arrives within five days. {}",
            "Filler words here. ".repeat(30),
            "More filler. ".repeat(30)
        );
        let (segments, _) = snippet("en", &text, &terms("en", "refund"));
        let whole: String = segments.iter().map(|s| s.text.as_str()).collect();
        assert!(whole.chars().count() <= SNIPPET_CHARS + 2, "{}", whole.len());
        assert!(whole.starts_with('…') && whole.ends_with('…'));
        assert!(segments.iter().any(|s| s.mark && s.text == "refund"));
    }

    #[test]
    fn markup_in_passages_stays_text() {
        let (segments, _) = snippet("en", "<script>alert(1)</script> refund", &terms("en", "refund"));
        let whole: String = segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(whole, "<script>alert(1)</script> refund");
    }
}
