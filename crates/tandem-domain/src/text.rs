//! Validation of free text that crosses the boundary (names, bodies, tags), and the
//! one error type that says what to fix.

use thiserror::Error;

/// Input that does not satisfy a domain rule. `field` names what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The offending field, as the API names it (`body`, `from.email`, ...).
    pub field: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Trims `value` and checks it is non-empty and at most `max_chars` characters, with no
/// control characters other than newlines and tabs.
pub fn bounded_text(field: &str, value: &str, max_chars: usize) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ValidationError::new(field, "must not be empty"));
    }
    let chars = trimmed.chars().count();
    if chars > max_chars {
        return Err(ValidationError::new(field, format!("is {chars} characters long; the limit is {max_chars}")));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(ValidationError::new(field, "must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(bounded_text("name", "  Ann  ", 10).unwrap(), "Ann");
        assert_eq!(bounded_text("name", "   ", 10).unwrap_err().field, "name");
        assert!(bounded_text("name", "abcdefghijk", 10).unwrap_err().message.contains("limit is 10"));
        assert!(bounded_text("name", "a\u{0}b", 10).is_err());
        assert!(bounded_text("body", "line one\nline two", 100).is_ok());
    }
}
