//! Reading articles from files: Markdown with front matter, CSV and JSON. Pure parsing
//! from text (the caller reads the files); every problem names the file, the line or
//! row, and the field to fix, so an import can be refused whole before anything is
//! written.
//!
//! Markdown front matter is a block of `name: value` lines between `---` lines:
//! `key`, `title`, `language`, `tags` (`[a, b]` or `a, b`), `product`, `category`,
//! `audience`, `status`, `translation_of` (the key of the original). Without a `title`
//! the first `# ` heading is the title; without a `key` the file's path is.

use serde::Deserialize;
use tandem_domain::{ArticleDraft, ArticleStatus, Audience};

/// One article read from a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportItem {
    pub key: String,
    /// The key of the article this one translates.
    pub translation_of: Option<String>,
    pub draft: ArticleDraft,
    /// Where it came from (`file` or `file:row`), for messages.
    pub origin: String,
}

/// A problem in an import file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct ImportError {
    pub origin: String,
    pub message: String,
}

fn error(origin: &str, message: impl Into<String>) -> ImportError {
    ImportError { origin: origin.to_owned(), message: message.into() }
}

/// Splits a list value: `[a, b]`, `a, b` or `a; b`.
fn list(value: &str) -> Vec<String> {
    value
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split([',', ';'])
        .map(|t| t.trim().trim_matches(['"', '\'']).to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

fn audience(origin: &str, value: &str) -> Result<Audience, ImportError> {
    Audience::parse(value.trim()).ok_or_else(|| error(origin, format!("audience `{value}`: use public or internal")))
}

fn status(origin: &str, value: &str) -> Result<ArticleStatus, ImportError> {
    ArticleStatus::parse(value.trim())
        .ok_or_else(|| error(origin, format!("status `{value}`: use draft, published or archived")))
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    let quoted =
        v.len() >= 2 && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')));
    if quoted { v[1..v.len() - 1].to_owned() } else { v.to_owned() }
}

/// A Markdown file. `path` is its path relative to the import root (the default key);
/// `language` the default language.
pub fn markdown(path: &str, text: &str, language: &str) -> Result<ImportItem, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut item = ImportItem {
        key: path.trim_end_matches(".markdown").trim_end_matches(".md").to_owned(),
        translation_of: None,
        draft: ArticleDraft { language: language.to_owned(), ..ArticleDraft::default() },
        origin: path.to_owned(),
    };
    let mut body = text;
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) == Some("---") {
        let mut consumed = text.find('\n').map_or(text.len(), |n| n + 1);
        let mut closed = false;
        for (number, line) in lines.enumerate() {
            consumed += line.len() + 1;
            if line.trim_end() == "---" {
                closed = true;
                break;
            }
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let origin = format!("{path}:{}", number + 2);
            let (name, value) =
                line.split_once(':').ok_or_else(|| error(&origin, "front matter lines are `name: value`"))?;
            front_matter(&mut item, &origin, name.trim(), value)?;
        }
        if !closed {
            return Err(error(path, "the front matter has no closing `---` line"));
        }
        body = text.get(consumed.min(text.len())..).unwrap_or_default();
    }
    let body = body.trim();
    if item.draft.title.is_empty() {
        match body.lines().next().and_then(|l| l.strip_prefix("# ")) {
            Some(heading) => {
                item.draft.title = heading.trim().to_owned();
                item.draft.body = body.lines().skip(1).collect::<Vec<_>>().join("\n").trim().to_owned();
            }
            None => {
                let stem = path.rsplit('/').next().unwrap_or(path);
                item.draft.title = stem.trim_end_matches(".markdown").trim_end_matches(".md").replace(['-', '_'], " ");
                item.draft.body = body.to_owned();
            }
        }
    } else {
        item.draft.body = body.to_owned();
    }
    Ok(item)
}

fn front_matter(item: &mut ImportItem, origin: &str, name: &str, value: &str) -> Result<(), ImportError> {
    let v = unquote(value);
    match name {
        "key" | "id" | "slug" => item.key = v,
        "title" => item.draft.title = v,
        "language" | "lang" => item.draft.language = v,
        "tags" => item.draft.tags = list(value),
        "product" => item.draft.product = Some(v),
        "category" => item.draft.category = Some(v),
        "audience" => item.draft.audience = Some(audience(origin, &v)?),
        "status" => item.draft.status = Some(status(origin, &v)?),
        "translation_of" => item.translation_of = Some(v).filter(|v| !v.is_empty()),
        other => {
            return Err(error(
                origin,
                format!(
                    "unknown front matter field `{other}` (known: key, title, language, tags, product, category, audience, status, translation_of)"
                ),
            ));
        }
    }
    Ok(())
}

/// An article as a JSON object or CSV row.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    #[serde(alias = "id", alias = "slug")]
    key: Option<String>,
    title: String,
    #[serde(alias = "content", alias = "answer")]
    body: String,
    #[serde(default, alias = "lang")]
    language: Option<String>,
    #[serde(default)]
    tags: Option<Tags>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    translation_of: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Tags {
    List(Vec<String>),
    Text(String),
}

fn item(path: &str, origin: String, row: Row, language: &str, index: usize) -> Result<ImportItem, ImportError> {
    let empty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let draft = ArticleDraft {
        title: row.title,
        body: row.body,
        language: empty(row.language).unwrap_or_else(|| language.to_owned()),
        tags: match row.tags {
            Some(Tags::List(tags)) => tags,
            Some(Tags::Text(text)) => list(&text),
            None => Vec::new(),
        },
        product: empty(row.product),
        category: empty(row.category),
        audience: empty(row.audience).map(|a| audience(&origin, &a)).transpose()?,
        status: empty(row.status).map(|s| status(&origin, &s)).transpose()?,
    };
    let stem = path.trim_end_matches(".csv").trim_end_matches(".json");
    Ok(ImportItem {
        key: empty(row.key).unwrap_or_else(|| format!("{stem}#{}", index + 1)),
        translation_of: empty(row.translation_of),
        draft,
        origin,
    })
}

/// A CSV file with a header row: `title` and `body` (or `answer`) are required;
/// `key`, `language`, `tags` (`a, b`), `product`, `category`, `audience`, `status`,
/// `translation_of` are optional.
pub fn csv(path: &str, text: &str, language: &str) -> Result<Vec<ImportItem>, ImportError> {
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, row) in reader.deserialize::<Row>().enumerate() {
        let origin = format!("{path}:row {}", i + 2);
        let row = row.map_err(|e| error(&origin, e.to_string()))?;
        out.push(item(path, origin, row, language, i)?);
    }
    Ok(out)
}

/// A JSON file: an array of articles, or `{"articles": [...]}`, with the CSV's fields
/// (`tags` may be an array).
pub fn json(path: &str, text: &str, language: &str) -> Result<Vec<ImportItem>, ImportError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum File {
        List(Vec<serde_json::Value>),
        Wrapped { articles: Vec<serde_json::Value> },
    }
    let file: File = serde_json::from_str(text)
        .map_err(|e| error(path, format!("{e} (expected an array of articles or {{\"articles\": [...]}})")))?;
    let values = match file {
        File::List(v) | File::Wrapped { articles: v } => v,
    };
    let mut out = Vec::new();
    for (i, value) in values.into_iter().enumerate() {
        let origin = format!("{path}:article {}", i + 1);
        let row: Row = serde_json::from_value(value).map_err(|e| error(&origin, e.to_string()))?;
        out.push(item(path, origin, row, language, i)?);
    }
    Ok(out)
}

/// Parses one file by its extension.
pub fn file(path: &str, text: &str, language: &str) -> Result<Vec<ImportItem>, ImportError> {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".md") || lower.ends_with(".markdown") {
        markdown(path, text, language).map(|i| vec![i])
    } else if lower.ends_with(".csv") {
        csv(path, text, language)
    } else if lower.ends_with(".json") {
        json(path, text, language)
    } else {
        Err(error(path, "not an article file (use .md, .markdown, .csv or .json)"))
    }
}

/// Whether a path is an article file by its extension.
pub fn is_article_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".md", ".markdown", ".csv", ".json"].iter().any(|e| lower.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_with_front_matter() {
        let text = "---\nkey: returns/refunds\ntitle: \"Refund timing\"\nlanguage: en\ntags: [Refund, returns]\naudience: public\n---\n\n# Ignored heading stays\n\nBody text.";
        let item = markdown("returns/refund.md", text, "de").unwrap();
        assert_eq!(item.key, "returns/refunds");
        assert_eq!(item.draft.title, "Refund timing");
        assert_eq!(item.draft.language, "en");
        assert_eq!(item.draft.tags, vec!["Refund", "returns"]);
        assert_eq!(item.draft.audience, Some(Audience::Public));
        assert!(item.draft.body.starts_with("# Ignored heading stays"));
    }

    #[test]
    fn markdown_without_front_matter_takes_its_title_from_the_heading() {
        let item = markdown("faq/shipping-times.md", "# Shipping times\n\nThree days.", "es").unwrap();
        assert_eq!(
            (item.key.as_str(), item.draft.title.as_str(), item.draft.body.as_str()),
            ("faq/shipping-times", "Shipping times", "Three days.")
        );
        assert_eq!(item.draft.language, "es");
        let item = markdown("faq/gift_cards.md", "No heading here.", "en").unwrap();
        assert_eq!(item.draft.title, "gift cards");
    }

    #[test]
    fn bad_front_matter_says_where_and_what() {
        let e = markdown("a.md", "---\naudience: everyone\n---\nx", "en").unwrap_err();
        assert_eq!(e.origin, "a.md:2");
        assert!(e.message.contains("public or internal"));
        let e = markdown("a.md", "---\ncolour: red\n---\nx", "en").unwrap_err();
        assert!(e.message.contains("unknown front matter field `colour`"));
        assert!(markdown("a.md", "---\ntitle: x\nbody", "en").is_err());
    }

    #[test]
    fn csv_and_json_rows() {
        let csv_text = "key,title,body,tags,audience\nr1,Refunds,Five days.,\"refund, card\",public\n,Second,Text,,\n";
        let items = csv("kb.csv", csv_text, "en").unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].draft.tags, vec!["refund", "card"]);
        assert_eq!(items[1].key, "kb#2");
        let e = csv("kb.csv", "title,body,colour\na,b,c\n", "en").unwrap_err();
        assert_eq!(e.origin, "kb.csv:row 2");
        let items =
            json("kb.json", r#"{"articles":[{"title":"A","body":"B","tags":["x"],"language":"fr"}]}"#, "en").unwrap();
        assert_eq!(items[0].draft.language, "fr");
        assert_eq!(items[0].draft.tags, vec!["x"]);
        assert!(json("kb.json", r#"[{"title":"A"}]"#, "en").unwrap_err().message.contains("body"));
        assert!(file("kb.txt", "", "en").is_err());
    }
}
