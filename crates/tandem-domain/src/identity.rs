//! Customer identities: the keys an inbound message carries (an email address, a phone
//! number, a web-chat visitor id, an id in an external CRM). Values are normalised on
//! parse, so `Ann@Example.COM` and `ann@example.com` are the same identity.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// What kind of key an identity is. The order is the resolution priority: when one
/// message carries several identities that belong to different customers, the earliest
/// kind wins (an external CRM id is the most deliberate link).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKind {
    External,
    Email,
    Phone,
    WebVisitor,
}

impl IdentityKind {
    pub const ALL: [IdentityKind; 4] = [Self::External, Self::Email, Self::Phone, Self::WebVisitor];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::External => "external",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::WebVisitor => "web_visitor",
        }
    }
}

impl fmt::Display for IdentityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IdentityKind {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            ValidationError::new(
                "kind",
                format!("unknown identity kind `{s}`; use one of external, email, phone, web_visitor"),
            )
        })
    }
}

/// A normalised identity. Construct with [`Identity::parse`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identity {
    pub kind: IdentityKind,
    pub value: String,
}

impl Identity {
    /// Parses and normalises `raw` as an identity of `kind`.
    pub fn parse(kind: IdentityKind, raw: &str) -> Result<Self, ValidationError> {
        let value = match kind {
            IdentityKind::Email => normalize_email(raw)?,
            IdentityKind::Phone => normalize_phone(raw)?,
            IdentityKind::WebVisitor => normalize_visitor(raw)?,
            IdentityKind::External => normalize_external(raw)?,
        };
        Ok(Self { kind, value })
    }

    pub fn email(raw: &str) -> Result<Self, ValidationError> {
        Self::parse(IdentityKind::Email, raw)
    }

    pub fn phone(raw: &str) -> Result<Self, ValidationError> {
        Self::parse(IdentityKind::Phone, raw)
    }

    pub fn web_visitor(raw: &str) -> Result<Self, ValidationError> {
        Self::parse(IdentityKind::WebVisitor, raw)
    }

    pub fn external(raw: &str) -> Result<Self, ValidationError> {
        Self::parse(IdentityKind::External, raw)
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.value)
    }
}

fn normalize_email(raw: &str) -> Result<String, ValidationError> {
    let value = raw.trim().to_lowercase();
    let valid = value.len() <= 254
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(value)
    } else {
        Err(ValidationError::new("email", format!("`{}` is not an email address like name@example.com", raw.trim())))
    }
}

fn normalize_phone(raw: &str) -> Result<String, ValidationError> {
    let trimmed = raw.trim();
    let mut digits = String::with_capacity(trimmed.len());
    let international = if let Some(rest) = trimmed.strip_prefix('+') {
        rest
    } else if let Some(rest) = trimmed.strip_prefix("00") {
        rest
    } else {
        return Err(ValidationError::new(
            "phone",
            "use international format: + then country code and number, e.g. +44 20 7946 0958",
        ));
    };
    for c in international.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => {
                return Err(ValidationError::new("phone", format!("unexpected character `{c}` in phone number")));
            }
        }
    }
    if !(7..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(ValidationError::new("phone", "an international number has 7 to 15 digits after the +"));
    }
    Ok(format!("+{digits}"))
}

fn normalize_visitor(raw: &str) -> Result<String, ValidationError> {
    let value = raw.trim();
    let ok =
        (8..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(ValidationError::new("visitor_id", "use 8 to 128 letters, digits, `-` or `_`"))
    }
}

fn normalize_external(raw: &str) -> Result<String, ValidationError> {
    let value = raw.trim();
    let ok = (1..=200).contains(&value.len()) && !value.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(value.to_owned())
    } else {
        Err(ValidationError::new("external_id", "use 1 to 200 characters without spaces, e.g. `crm:10042`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: IdentityKind, raw: &str, expected: Option<&str>) {
        let parsed = Identity::parse(kind, raw).ok().map(|i| i.value);
        assert_eq!(parsed.as_deref(), expected, "{kind} {raw:?}");
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        check(IdentityKind::Email, " Ann@Example.COM ", Some("ann@example.com"));
        check(IdentityKind::Email, "ann@example", None);
        check(IdentityKind::Email, "ann example@x.com", None);
        check(IdentityKind::Email, "@example.com", None);
        check(IdentityKind::Email, "a@b@c.com", None);
    }

    #[test]
    fn phones_become_e164() {
        check(IdentityKind::Phone, "+44 20 7946 0958", Some("+442079460958"));
        check(IdentityKind::Phone, "0049 (30) 1234-567", Some("+49301234567"));
        check(IdentityKind::Phone, "020 7946 0958", None);
        check(IdentityKind::Phone, "+1 555", None);
        check(IdentityKind::Phone, "+1 555 CALL NOW", None);
    }

    #[test]
    fn visitors_and_external_ids() {
        check(IdentityKind::WebVisitor, "v_1234567890", Some("v_1234567890"));
        check(IdentityKind::WebVisitor, "short", None);
        check(IdentityKind::WebVisitor, "<script>alert(1)</script>", None);
        check(IdentityKind::External, "crm:10042", Some("crm:10042"));
        check(IdentityKind::External, "crm 10042", None);
    }
}
