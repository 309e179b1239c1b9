//! Canned responses: texts agents insert by typing `/` and a shortcut in the composer.

use serde::{Deserialize, Serialize};

use crate::text::bounded_text;
use crate::{CannedResponseId, Timestamp, ValidationError, WorkspaceId};

/// A canned response. The shortcut is unique within the workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedResponse {
    pub id: CannedResponseId,
    pub workspace_id: WorkspaceId,
    /// `refund-policy`: lowercase letters, digits and `-`, 1 to 32 characters.
    pub shortcut: String,
    pub title: String,
    pub body: String,
    /// The language it is written in, when it is not for every language.
    pub language: Option<String>,
    pub created_at: Timestamp,
}

impl CannedResponse {
    /// A new canned response, validated; errors name the field to fix.
    pub fn new(
        workspace_id: WorkspaceId,
        shortcut: &str,
        title: &str,
        body: &str,
        language: Option<&str>,
        now: Timestamp,
    ) -> Result<Self, ValidationError> {
        let shortcut = shortcut.trim().trim_start_matches('/').to_lowercase();
        let valid = (1..=32).contains(&shortcut.len())
            && shortcut.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(ValidationError::new(
                "shortcut",
                "use 1 to 32 lowercase letters, digits or `-`, like `refund-policy`",
            ));
        }
        let language = match language.map(str::trim).filter(|l| !l.is_empty()) {
            Some(l) if (2..=8).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic() || c == '-') => {
                Some(l.to_owned())
            }
            Some(_) => return Err(ValidationError::new("language", "use a language code such as `en` or `pt-BR`")),
            None => None,
        };
        Ok(Self {
            id: CannedResponseId::new(),
            workspace_id,
            shortcut,
            title: bounded_text("title", title, 80)?,
            body: bounded_text("body", body, 4000)?,
            language,
            created_at: now,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_titles_and_bodies_are_checked() {
        let ws = WorkspaceId::new();
        let ok = CannedResponse::new(
            ws,
            "/Refund-Policy",
            "Refunds",
            "Refunds take 5–10 days.",
            Some("en"),
            crate::time::now(),
        );
        assert_eq!(ok.map(|c| c.shortcut), Ok("refund-policy".to_owned()));
        let field = |r: Result<CannedResponse, ValidationError>| r.err().map(|e| e.field);
        assert_eq!(
            field(CannedResponse::new(ws, "no spaces", "t", "b", None, crate::time::now())).as_deref(),
            Some("shortcut")
        );
        assert_eq!(field(CannedResponse::new(ws, "x", " ", "b", None, crate::time::now())).as_deref(), Some("title"));
        assert_eq!(
            field(CannedResponse::new(ws, "x", "t", "b", Some("english!"), crate::time::now())).as_deref(),
            Some("language")
        );
    }
}
