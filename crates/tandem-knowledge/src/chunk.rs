//! Splitting an article into passages: by headings first (each section keeps the path of
//! headings above it), then by length at paragraph and sentence boundaries, so a card or
//! a bot answer quotes a focused piece rather than a whole article. Markdown markup is
//! reduced to plain text here; what is indexed, embedded and quoted is that text.

/// Passages aim at this many characters at most (about 120–180 tokens: a card, and
/// within what the embedding models read at once).
pub const MAX_CHARS: usize = 900;
/// A section shorter than this joins the next one rather than standing alone.
const MIN_CHARS: usize = 160;

/// A piece of an article.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Passage {
    /// Position in the article, from 0.
    pub ordinal: u32,
    /// The headings above the passage, outermost first, joined with " › " (empty for text
    /// before the first heading).
    pub heading: String,
    /// Plain text.
    pub text: String,
}

struct Section {
    heading: Vec<String>,
    blocks: Vec<String>,
}

/// Splits a Markdown body into passages. Always returns at least one passage when the
/// body has any text.
pub fn passages(markdown: &str) -> Vec<Passage> {
    let sections = merge_small(sections(markdown));
    let mut out = Vec::new();
    for section in sections {
        let heading = section.heading.join(" › ");
        for text in pack(&section.blocks) {
            out.push(Passage { ordinal: out.len() as u32, heading: heading.clone(), text });
        }
    }
    out
}

fn heading_of(line: &str) -> Option<(usize, String)> {
    let trimmed = line.trim_start();
    let level = trimmed.chars().take_while(|c| *c == '#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &trimmed[level..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    let text = plain(rest.trim().trim_end_matches('#').trim());
    Some((level, text))
}

/// Reads the body into sections of paragraph blocks.
fn sections(markdown: &str) -> Vec<Section> {
    let mut sections = vec![Section { heading: Vec::new(), blocks: Vec::new() }];
    let mut levels: Vec<(usize, String)> = Vec::new();
    let mut paragraph: Vec<String> = Vec::new();
    let mut in_code = false;
    let flush = |paragraph: &mut Vec<String>, sections: &mut Vec<Section>| {
        let text = paragraph.join(" ");
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !text.is_empty()
            && let Some(section) = sections.last_mut()
        {
            section.blocks.push(text);
        }
        paragraph.clear();
    };
    let lines: Vec<&str> = markdown.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_code = !in_code;
            flush(&mut paragraph, &mut sections);
            continue;
        }
        if in_code {
            paragraph.push(trimmed.to_owned());
            continue;
        }
        // A setext heading: a text line underlined with === or ---.
        let underline = lines
            .get(i)
            .map(|l| l.trim())
            .filter(|l| l.len() >= 2 && (l.chars().all(|c| c == '=') || l.chars().all(|c| c == '-')));
        let heading = heading_of(line).or_else(|| {
            (paragraph.is_empty() && !trimmed.is_empty())
                .then_some(underline)
                .flatten()
                .map(|u| (if u.starts_with('=') { 1 } else { 2 }, plain(trimmed)))
        });
        if let Some((level, text)) = heading {
            if heading_of(line).is_none() {
                i += 1; // the underline
            }
            flush(&mut paragraph, &mut sections);
            levels.retain(|(l, _)| *l < level);
            levels.push((level, text));
            sections.push(Section { heading: levels.iter().map(|(_, t)| t.clone()).collect(), blocks: Vec::new() });
            continue;
        }
        if trimmed.is_empty() || is_rule(trimmed) {
            flush(&mut paragraph, &mut sections);
            continue;
        }
        // A list item starts a block of its own, so lists split between items.
        if is_list_item(trimmed) {
            flush(&mut paragraph, &mut sections);
        }
        let text = plain(trimmed);
        if !text.is_empty() {
            paragraph.push(text);
        }
    }
    flush(&mut paragraph, &mut sections);
    sections.retain(|s| !s.blocks.is_empty() || !s.heading.is_empty());
    sections
}

fn is_rule(line: &str) -> bool {
    line.len() >= 3 && ["-", "*", "_"].iter().any(|m| line.chars().all(|c| c.to_string() == *m || c == ' '))
}

fn is_list_item(line: &str) -> bool {
    let mut chars = line.chars();
    match chars.next() {
        Some('-' | '*' | '+') => chars.next() == Some(' '),
        Some(c) if c.is_ascii_digit() => {
            let rest: String = line.chars().skip_while(char::is_ascii_digit).take(2).collect();
            rest == ". " || rest == ") "
        }
        _ => false,
    }
}

/// Joins a section with little text to the one after it, keeping the first heading.
fn merge_small(sections: Vec<Section>) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut pending: Option<Section> = None;
    for section in sections {
        let section = match pending.take() {
            Some(mut small) => {
                // The heading of an empty parent section leads into its children.
                if small.blocks.is_empty() {
                    Section { heading: section.heading, blocks: section.blocks }
                } else {
                    if !section.heading.is_empty() {
                        small.blocks.push(section.heading.last().cloned().unwrap_or_default());
                    }
                    small.blocks.extend(section.blocks);
                    small
                }
            }
            None => section,
        };
        let chars: usize = section.blocks.iter().map(String::len).sum();
        if chars < MIN_CHARS {
            pending = Some(section);
        } else {
            out.push(section);
        }
    }
    if let Some(last) = pending {
        match out.last_mut() {
            Some(previous) if !last.blocks.is_empty() => {
                if let Some(heading) = last.heading.last() {
                    previous.blocks.push(heading.clone());
                }
                previous.blocks.extend(last.blocks);
            }
            Some(_) => {}
            None if !last.blocks.is_empty() => out.push(last),
            None => {}
        }
    }
    out
}

/// Packs blocks into passages of at most [`MAX_CHARS`], splitting long blocks at
/// sentence ends (and, failing that, between words).
fn pack(blocks: &[String]) -> Vec<String> {
    let mut pieces = Vec::new();
    for block in blocks {
        if block.len() <= MAX_CHARS {
            pieces.push(block.clone());
        } else {
            pieces.extend(split_long(block));
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for piece in pieces {
        if !current.is_empty() && current.len() + 1 + piece.len() > MAX_CHARS {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&piece);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn split_long(block: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    let mut start = 0;
    let bytes = block.as_bytes();
    for (i, c) in block.char_indices() {
        if matches!(c, '.' | '?' | '!' | '。' | '？' | '！') && bytes.get(i + c.len_utf8()).is_none_or(|b| *b == b' ')
        {
            let end = i + c.len_utf8();
            sentences.push(block[start..end].trim().to_owned());
            start = end;
        }
    }
    if start < block.len() {
        sentences.push(block[start..].trim().to_owned());
    }
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for sentence in sentences.into_iter().filter(|s| !s.is_empty()) {
        for part in split_words(&sentence) {
            if !current.is_empty() && current.len() + 1 + part.len() > MAX_CHARS {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&part);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A sentence longer than a passage, cut between words.
fn split_words(sentence: &str) -> Vec<String> {
    if sentence.len() <= MAX_CHARS {
        return vec![sentence.to_owned()];
    }
    let mut out = Vec::new();
    let mut current = String::new();
    for word in sentence.split_whitespace() {
        if !current.is_empty() && current.len() + 1 + word.len() > MAX_CHARS {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        // A single "word" longer than a passage (a URL, a hash) is cut by characters.
        if word.len() > MAX_CHARS {
            let cut: String = word.chars().take(MAX_CHARS / 4).collect();
            current.push_str(&cut);
        } else {
            current.push_str(word);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Markdown inline markup to plain text: links and images keep their text, emphasis and
/// code marks go, list and quote markers go, HTML tags go and common entities decode.
pub fn plain(line: &str) -> String {
    let mut line = line.trim_start();
    while let Some(rest) = line.strip_prefix('>') {
        line = rest.trim_start();
    }
    if is_list_item(line) {
        line = line.split_once(' ').map_or(line, |(_, rest)| rest).trim_start();
        for checkbox in ["[ ] ", "[x] ", "[X] "] {
            line = line.strip_prefix(checkbox).unwrap_or(line);
        }
    }
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '!' if chars.get(i + 1) == Some(&'[') => i += 1,
            '[' => {
                if let Some((text, next)) = link(&chars, i) {
                    out.push_str(&text);
                    i = next;
                    continue;
                }
                out.push(c);
                i += 1;
            }
            '<' => {
                let close = chars[i..].iter().position(|c| *c == '>').map(|p| i + p);
                match close {
                    Some(end) if end > i + 1 && !chars[i + 1].is_whitespace() => {
                        let inner: String = chars[i + 1..end].iter().collect();
                        // An autolink keeps its address; a tag disappears.
                        if inner.starts_with("http://") || inner.starts_with("https://") || inner.contains('@') {
                            out.push_str(&inner);
                        } else {
                            out.push(' ');
                        }
                        i = end + 1;
                    }
                    _ => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            '*' | '`' | '|' => {
                out.push(if c == '|' { ' ' } else { '\u{0}' });
                i += 1;
            }
            '_' if chars.get(i + 1) == Some(&'_') => i += 2,
            '&' => {
                let rest: String = chars[i..chars.len().min(i + 8)].iter().collect();
                let entity =
                    [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&#39;", '\''), ("&nbsp;", ' ')]
                        .into_iter()
                        .find(|(name, _)| rest.starts_with(name));
                match entity {
                    Some((name, value)) => {
                        out.push(value);
                        i += name.len();
                    }
                    None => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            '\\' if chars.get(i + 1).is_some_and(|n| n.is_ascii_punctuation()) => {
                out.push(chars[i + 1]);
                i += 2;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out.replace('\u{0}', "").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `[text](url)` or `[text][ref]` at `start`: the text and the index after the link.
fn link(chars: &[char], start: usize) -> Option<(String, usize)> {
    let close = chars[start..].iter().position(|c| *c == ']').map(|p| start + p)?;
    let text: String = chars[start + 1..close].iter().collect();
    match chars.get(close + 1) {
        Some('(') => {
            let end = chars[close..].iter().position(|c| *c == ')').map(|p| close + p)?;
            Some((text, end + 1))
        }
        Some('[') => {
            let end = chars[close + 1..].iter().position(|c| *c == ']').map(|p| close + 1 + p)?;
            Some((text, end + 1))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_plain_text() {
        let cases = [
            ("See [our policy](https://x.example/p) **now**.", "See our policy now."),
            ("- item with `code`", "item with code"),
            ("> quoted <b>bold</b> text", "quoted bold text"),
            ("1. first step", "first step"),
            ("Tom &amp; Jerry", "Tom & Jerry"),
            ("![logo](a.png) caption", "logo caption"),
            ("mail <help@x.example>", "mail help@x.example"),
            ("snake_case stays", "snake_case stays"),
            ("| a | b |", "a b"),
        ];
        for (input, expected) in cases {
            assert_eq!(plain(input), expected, "{input}");
        }
    }

    #[test]
    fn headings_make_sections_with_their_path() {
        let body = format!(
            "Intro text that is long enough to stand on its own as a passage. {}\n\n# Returns\n\n## Timing\n\nRefunds take five to seven days once the parcel arrives. {}\n\n## Labels\n\nPrint the label from your account. {}",
            "x ".repeat(80),
            "y ".repeat(80),
            "z ".repeat(80)
        );
        let p = passages(&body);
        assert_eq!(p.len(), 3, "{p:#?}");
        assert_eq!(p[0].heading, "");
        assert_eq!(p[1].heading, "Returns › Timing");
        assert!(p[1].text.starts_with("Refunds take"));
        assert_eq!(p[2].heading, "Returns › Labels");
        assert_eq!(p.iter().map(|p| p.ordinal).collect::<Vec<_>>(), vec![0, 1, 2]);
    }

    #[test]
    fn short_sections_join_and_long_ones_split_at_sentences() {
        let p = passages("# A\n\nShort.\n\n# B\n\nAlso short.");
        assert_eq!(p.len(), 1);
        assert!(p[0].text.contains("Short.") && p[0].text.contains("Also short."));
        let long = "This sentence is about refunds and returns. ".repeat(60);
        let p = passages(&long);
        assert!(p.len() >= 3);
        assert!(p.iter().all(|p| p.text.len() <= MAX_CHARS));
        assert!(p.iter().all(|p| p.text.ends_with('.')));
        let unbroken = "a".repeat(5000);
        assert!(passages(&unbroken).iter().all(|p| p.text.len() <= MAX_CHARS));
    }

    #[test]
    fn setext_headings_and_code_blocks() {
        let body = format!("Setup\n=====\n\n```\nrun this\n```\n\n{}", "More words here. ".repeat(20));
        let p = passages(&body);
        assert_eq!(p[0].heading, "Setup");
        assert!(p[0].text.starts_with("run this"));
        assert!(passages("").is_empty());
        assert_eq!(passages("just one line").len(), 1);
    }
}
