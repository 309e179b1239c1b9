//! Knowledge articles: what the bot may quote and agents look up. An article is written
//! in one language (translations are linked articles of their own), is `public` (the bot
//! may quote it) or `internal` (agents only), and moves between `draft`, `published` and
//! `archived`. Every edit is a new version that records who made it and when; nothing is
//! overwritten.
//!
//! Agents' verdicts on the knowledge cards shown to them, and the customer questions
//! retrieval answered (with how well), are recorded here too: they feed the
//! "missing or weak articles" report.

use serde::{Deserialize, Serialize};

use crate::text::bounded_text;
use crate::{AgentId, ApiKeyId, ArticleId, ConversationId, MessageId, Timestamp, ValidationError, WorkspaceId};

/// Who may see an article.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Customers: the virtual agent may quote it.
    Public,
    /// Agents only.
    Internal,
}

impl Audience {
    pub const ALL: [Self; 2] = [Self::Public, Self::Internal];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Internal => "internal",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == value)
    }
}

/// Where an article is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    /// Being written; not found by search unless asked for.
    Draft,
    /// Live: found by search and recommendations.
    Published,
    /// Retired; kept with its versions, never found by default.
    Archived,
}

impl ArticleStatus {
    pub const ALL: [Self; 3] = [Self::Draft, Self::Published, Self::Archived];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Archived => "archived",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }
}

/// Limits on article fields (characters).
pub const MAX_TITLE: usize = 300;
pub const MAX_BODY: usize = 200_000;
pub const MAX_TAGS: usize = 32;
pub const MAX_TAG: usize = 64;
pub const MAX_LABEL: usize = 100;
pub const MAX_KEY: usize = 300;

/// What an article says and how it is classified: everything a version records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleContent {
    pub title: String,
    /// Markdown.
    pub body: String,
    /// ISO 639-1 code, lower case (`en`, `pt-br` with a region).
    pub language: String,
    /// Lower case, sorted, no duplicates.
    pub tags: Vec<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub audience: Audience,
    pub status: ArticleStatus,
}

/// Parses a language code: two or three letters, optionally a region (`pt-BR` →
/// `pt-br`).
pub fn parse_language(field: &str, value: &str) -> Result<String, ValidationError> {
    let code = value.trim().to_ascii_lowercase().replace('_', "-");
    let mut parts = code.split('-');
    let base = parts.next().unwrap_or_default();
    let region = parts.next();
    let valid = (2..=3).contains(&base.len())
        && base.chars().all(|c| c.is_ascii_lowercase())
        && region.is_none_or(|r| (2..=8).contains(&r.len()) && r.chars().all(|c| c.is_ascii_alphanumeric()))
        && parts.next().is_none();
    if valid {
        Ok(code)
    } else {
        Err(ValidationError::new(
            field,
            format!("`{value}` is not a language code; use ISO 639-1 like `en` or `pt-br`"),
        ))
    }
}

fn optional_label(field: &str, value: Option<&str>) -> Result<Option<String>, ValidationError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => bounded_text(field, v, MAX_LABEL).map(Some),
    }
}

/// Normalises tags: trimmed, lower case, sorted, without duplicates.
pub fn parse_tags(field: &str, tags: &[String]) -> Result<Vec<String>, ValidationError> {
    let mut out = Vec::with_capacity(tags.len());
    for (i, tag) in tags.iter().enumerate() {
        let tag = bounded_text(&format!("{field}[{i}]"), tag, MAX_TAG)?.to_lowercase();
        if tag.contains(',') {
            return Err(ValidationError::new(format!("{field}[{i}]"), "must not contain a comma"));
        }
        out.push(tag);
    }
    out.sort();
    out.dedup();
    if out.len() > MAX_TAGS {
        return Err(ValidationError::new(field, format!("has {} tags; the limit is {MAX_TAGS}", out.len())));
    }
    Ok(out)
}

/// An article's content as given by a caller, before validation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArticleDraft {
    pub title: String,
    pub body: String,
    pub language: String,
    pub tags: Vec<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub audience: Option<Audience>,
    pub status: Option<ArticleStatus>,
}

impl ArticleDraft {
    /// Validated content; audience defaults to `internal` (the safe side) and status
    /// to `published`.
    pub fn parse(&self) -> Result<ArticleContent, ValidationError> {
        Ok(ArticleContent {
            title: bounded_text("title", &self.title, MAX_TITLE)?,
            body: bounded_text("body", &self.body, MAX_BODY)?,
            language: parse_language("language", &self.language)?,
            tags: parse_tags("tags", &self.tags)?,
            product: optional_label("product", self.product.as_deref())?,
            category: optional_label("category", self.category.as_deref())?,
            audience: self.audience.unwrap_or(Audience::Internal),
            status: self.status.unwrap_or(ArticleStatus::Published),
        })
    }
}

/// Validates an article's external key (an import path or the caller's own id).
pub fn parse_key(value: &str) -> Result<String, ValidationError> {
    bounded_text("key", value, MAX_KEY)
}

/// Who made a version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Editor {
    Agent(AgentId),
    ApiKey(ApiKeyId),
    /// `tandem kb import` or the demo seed.
    Import,
}

/// An article at its current version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub id: ArticleId,
    pub workspace_id: WorkspaceId,
    /// A stable external key, unique in the workspace: imports find the article again
    /// by it, so a re-import changes nothing that did not change.
    pub key: Option<String>,
    /// The article this one is a translation of (always the original, never a
    /// translation of a translation).
    pub translation_of: Option<ArticleId>,
    pub content: ArticleContent,
    /// 1 for the first version; every edit adds one.
    pub version: u32,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub updated_by: Editor,
}

impl Article {
    /// The id its translations share: the original's.
    pub fn translation_root(&self) -> ArticleId {
        self.translation_of.unwrap_or(self.id)
    }

    /// The version record of the article as it is now.
    pub fn current_version(&self) -> ArticleVersion {
        ArticleVersion {
            article_id: self.id,
            version: self.version,
            content: self.content.clone(),
            edited_by: self.updated_by,
            edited_at: self.updated_at,
        }
    }
}

/// One version of an article, kept for ever.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleVersion {
    pub article_id: ArticleId,
    pub version: u32,
    pub content: ArticleContent,
    pub edited_by: Editor,
    pub edited_at: Timestamp,
}

/// An agent's verdict on a knowledge card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardVerdict {
    Helpful,
    NotHelpful,
    /// Hidden for this conversation: it is not recommended there again.
    Dismissed,
}

impl CardVerdict {
    pub const ALL: [Self; 3] = [Self::Helpful, Self::NotHelpful, Self::Dismissed];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Helpful => "helpful",
            Self::NotHelpful => "not_helpful",
            Self::Dismissed => "dismissed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == value)
    }
}

/// A verdict on one card (a passage of an article) in one conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardFeedback {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub article_id: ArticleId,
    /// The article version the card showed.
    pub version: u32,
    /// The passage's position in the article.
    pub passage: u32,
    pub agent_id: Option<AgentId>,
    pub verdict: CardVerdict,
    pub at: Timestamp,
}

/// A customer question and how well the knowledge answered it (for the gaps report).
/// `text` is the redacted text: no personal data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KnowledgeQuestion {
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub text: String,
    pub language: Option<String>,
    /// The best passage's confidence, in [0, 1].
    pub best_score: f32,
    pub best_article: Option<ArticleId>,
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(draft: ArticleDraft, expected_field: Option<&str>) {
        match (draft.parse(), expected_field) {
            (Ok(_), None) => {}
            (Err(e), Some(field)) => assert_eq!(e.field, field, "{e}"),
            (result, expected) => panic!("{result:?}, expected an error on {expected:?}"),
        }
    }

    fn draft() -> ArticleDraft {
        ArticleDraft {
            title: "Refunds".into(),
            body: "How refunds work.".into(),
            language: "en".into(),
            ..Default::default()
        }
    }

    #[test]
    fn drafts_are_validated_field_by_field() {
        check(draft(), None);
        check(ArticleDraft { title: " ".into(), ..draft() }, Some("title"));
        check(ArticleDraft { body: String::new(), ..draft() }, Some("body"));
        check(ArticleDraft { language: "english".into(), ..draft() }, Some("language"));
        check(ArticleDraft { language: "e1".into(), ..draft() }, Some("language"));
        check(ArticleDraft { tags: vec!["a,b".into()], ..draft() }, Some("tags[0]"));
        check(ArticleDraft { tags: (0..40).map(|i| format!("t{i}")).collect(), ..draft() }, Some("tags"));
        check(ArticleDraft { product: Some("x".repeat(101)), ..draft() }, Some("product"));
    }

    #[test]
    fn defaults_are_internal_and_published_and_tags_normalised() {
        let content =
            ArticleDraft { tags: vec!["Refund".into(), "refund".into(), " Card ".into()], ..draft() }.parse().unwrap();
        assert_eq!(content.audience, Audience::Internal);
        assert_eq!(content.status, ArticleStatus::Published);
        assert_eq!(content.tags, vec!["card", "refund"]);
        assert_eq!(parse_language("language", "pt_BR").unwrap(), "pt-br");
    }

    #[test]
    fn names_round_trip() {
        for a in Audience::ALL {
            assert_eq!(Audience::parse(a.as_str()), Some(a));
        }
        for s in ArticleStatus::ALL {
            assert_eq!(ArticleStatus::parse(s.as_str()), Some(s));
        }
        for v in CardVerdict::ALL {
            assert_eq!(CardVerdict::parse(v.as_str()), Some(v));
        }
    }
}
