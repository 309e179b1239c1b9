//! Business entities in a message: order numbers, tracking numbers, amounts with
//! currency, dates, and the customer's own contact details (taken before redaction,
//! for the profile). None of these but the contact details is personal data.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::pii::{PiiKind, PiiSpan};

/// What an entity is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    OrderNumber,
    TrackingNumber,
    Amount,
    Date,
    Email,
    Phone,
}

/// A found entity: `text[start..end]`, with a normalised `value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    pub kind: EntityKind,
    pub value: String,
    pub start: usize,
    pub end: usize,
}

fn regex(pattern: &str) -> Regex {
    #[expect(clippy::expect_used, reason = "constant patterns, covered by tests")]
    Regex::new(pattern).expect("a valid built-in pattern")
}

static TRACKING: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b1Z[0-9A-Z]{16}\b|\b(?:94|93|92|95)\d{2}(?:\s?\d{4}){4}\s?\d{2}\b|(?i:tracking(?: number| no\.?| #)?:?\s*#?)([0-9]{12,22})\b",
    )
});
static ORDER: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(?:\border(?:\s+(?:number|no\.?|num|id))?|\bpurchase|\binvoice)\s*(?:is\s+)?[:#]?\s*#?([A-Z]{0,4}-?\d[\dA-Z\-]{2,24})\b|#([A-Z]{0,4}-?\d{3,20})\b|\b((?:ORD|INV|PO|SO)-?\d{3,20})\b",
    )
});
static AMOUNT: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)(?:[$€£¥₹]|\b(?:usd|eur|gbp|jpy|inr|cad|aud|chf|brl|mxn)\s?)\s?\d{1,3}(?:[,.\s]\d{3})*(?:[.,]\d{1,2})?\b|\b\d{1,3}(?:[,.]\d{3})*(?:[.,]\d{1,2})?\s?(?:[$€£¥₹]|\b(?:usd|eur|gbp|dollars?|euros?|pounds?|bucks)\b)",
    )
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    regex(
        r"(?i)\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b(?:\d{1,2}(?:st|nd|rd|th)?\s+)?(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?:\s+\d{1,2}(?:st|nd|rd|th)?)?(?:,?\s+\d{4})?\b|\b(?:today|tomorrow|yesterday|tonight|(?:next|this|last)\s+(?:week|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    )
});

/// Finds entities; `pii` are the spans [`crate::pii::detect`] found in the same text.
pub fn extract(text: &str, pii: &[PiiSpan]) -> Vec<Entity> {
    let mut found: Vec<Entity> = Vec::new();
    let mut push = |kind: EntityKind, start: usize, end: usize, value: String| {
        let inside_pii = pii.iter().any(|s| start < s.end && s.start < end);
        let overlaps = found.iter().any(|e| start < e.end && e.start < end);
        if !inside_pii && !overlaps && start < end {
            found.push(Entity { kind, value, start, end });
        }
    };
    for c in TRACKING.captures_iter(text) {
        if let Some(m) = c.get(1).or_else(|| c.get(0)) {
            push(
                EntityKind::TrackingNumber,
                m.start(),
                m.end(),
                m.as_str().chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase(),
            );
        }
    }
    for c in ORDER.captures_iter(text) {
        if let Some(m) = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)) {
            let value = m.as_str().to_uppercase();
            // "order 2 items": an order number has at least three digits.
            if value.chars().filter(char::is_ascii_digit).count() >= 3 {
                push(EntityKind::OrderNumber, m.start(), m.end(), value);
            }
        }
    }
    for m in AMOUNT.find_iter(text) {
        push(EntityKind::Amount, m.start(), m.end(), m.as_str().trim().to_owned());
    }
    for m in DATE.find_iter(text) {
        push(EntityKind::Date, m.start(), m.end(), m.as_str().to_lowercase());
    }
    for span in pii {
        let kind = match span.kind {
            PiiKind::Email => EntityKind::Email,
            PiiKind::Phone => EntityKind::Phone,
            _ => continue,
        };
        found.push(Entity { kind, value: text[span.start..span.end].to_owned(), start: span.start, end: span.end });
    }
    found.sort_by_key(|e| e.start);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::detect;

    fn kinds(text: &str) -> Vec<(EntityKind, String)> {
        extract(text, &detect(text)).into_iter().map(|e| (e.kind, e.value)).collect()
    }

    #[test]
    fn order_and_tracking_numbers() {
        assert_eq!(kinds("Where is order #A1043?"), [(EntityKind::OrderNumber, "A1043".into())]);
        assert_eq!(kinds("my order number is 113542617735902"), [(EntityKind::OrderNumber, "113542617735902".into())]);
        assert_eq!(kinds("ORD-55512 hasn't shipped"), [(EntityKind::OrderNumber, "ORD-55512".into())]);
        assert_eq!(kinds("tracking 1Z999AA10123456784"), [(EntityKind::TrackingNumber, "1Z999AA10123456784".into())]);
        assert_eq!(kinds("I want to order 2 shirts"), []);
    }

    #[test]
    fn amounts_dates_and_contacts() {
        assert_eq!(kinds("I was charged $1,234.56 twice"), [(EntityKind::Amount, "$1,234.56".into())]);
        assert_eq!(kinds("refund of 89.90 EUR"), [(EntityKind::Amount, "89.90 EUR".into())]);
        assert_eq!(
            kinds("deliver on 2024-01-15 or next Friday"),
            [(EntityKind::Date, "2024-01-15".into()), (EntityKind::Date, "next friday".into())]
        );
        assert_eq!(kinds("arrived March 3rd, 2024"), [(EntityKind::Date, "march 3rd, 2024".into())]);
        assert_eq!(
            kinds("write to ann@example.com or call +44 20 7946 0958"),
            [(EntityKind::Email, "ann@example.com".into()), (EntityKind::Phone, "+44 20 7946 0958".into())]
        );
    }
}
