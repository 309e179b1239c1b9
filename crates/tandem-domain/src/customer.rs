//! Customers: who contacts the workspace, their identities and attributes.

use serde::{Deserialize, Serialize};

use crate::{CustomerId, Identity, Timestamp, ValidationError, WorkspaceId};

/// The value tier of a customer; routing and the escalation policy use it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    #[default]
    Standard,
    Silver,
    Gold,
    Platinum,
}

impl Tier {
    pub const ALL: [Tier; 4] = [Self::Standard, Self::Silver, Self::Gold, Self::Platinum];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Silver => "silver",
            Self::Gold => "gold",
            Self::Platinum => "platinum",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        Self::ALL.into_iter().find(|t| t.as_str() == value).ok_or_else(|| {
            ValidationError::new("tier", format!("unknown tier `{value}`; use standard, silver, gold or platinum"))
        })
    }
}

/// A customer. `merged_into` is set when this record was merged into another one; such a
/// record keeps its id (old links still resolve) but owns nothing any more.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub workspace_id: WorkspaceId,
    pub display_name: Option<String>,
    pub tier: Tier,
    /// BCP-47-ish language code (`en`, `es`, `pt-BR`), when known.
    pub preferred_language: Option<String>,
    /// Free-form attributes from integrations (CRM fields, plan, lifetime value...).
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub identities: Vec<Identity>,
    pub merged_into: Option<CustomerId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Customer {
    /// A new customer known by `identities`.
    pub fn new(
        workspace_id: WorkspaceId,
        identities: Vec<Identity>,
        display_name: Option<String>,
        now: Timestamp,
    ) -> Self {
        Self {
            id: CustomerId::new(),
            workspace_id,
            display_name,
            tier: Tier::default(),
            preferred_language: None,
            attributes: serde_json::Map::new(),
            identities,
            merged_into: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Checks a language code: 2–3 letter primary tag, optional region/script subtags.
pub fn parse_language(value: &str) -> Result<String, ValidationError> {
    let value = value.trim();
    let mut parts = value.split('-');
    let primary_ok =
        parts.next().is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    let rest_ok = parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if primary_ok && rest_ok {
        Ok(value.to_owned())
    } else {
        Err(ValidationError::new("language", format!("`{value}` is not a language code like `en` or `pt-BR`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes() {
        assert!(parse_language("en").is_ok());
        assert!(parse_language("pt-BR").is_ok());
        assert!(parse_language("zh-Hant-TW").is_ok());
        assert!(parse_language("english").is_err());
        assert!(parse_language("e").is_err());
    }
}
