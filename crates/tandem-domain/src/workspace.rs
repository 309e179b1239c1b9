//! Workspaces (tenants). Every other entity belongs to exactly one.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{Timestamp, ValidationError, WorkspaceId};

/// A workspace's URL-safe short name (`acme`, `demo`), unique across the installation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Slug(String);

impl Slug {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let ok = (2..=40).contains(&value.len())
            && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(ValidationError::new(
                "slug",
                "use 2 to 40 lowercase letters, digits and inner hyphens (e.g. `acme-support`)",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Slug {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Slug> for String {
    fn from(slug: Slug) -> Self {
        slug.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant of the installation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub slug: Slug,
    pub name: String,
    /// The public key a web-chat widget presents to start a chat (not a secret).
    pub chat_key: String,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for good in ["acme", "demo", "acme-support", "a1"] {
            assert!(Slug::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "a", "Acme", "-acme", "acme-", "ac me", "acme_support"] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
