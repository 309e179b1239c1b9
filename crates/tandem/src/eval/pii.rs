//! PII detection: recall on a generated set of realistic messages with planted personal
//! data of every kind in several formats (and business identifiers that must survive
//! redaction), and the false-positive rate on GoEmotions dev (real messages that should
//! contain none).

use std::path::Path;
use std::time::Instant;

use tandem_nlp::pii::{PiiKind, detect, redact_spans};

use super::{EvalOptions, TaskReport};

/// A deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
}

fn luhn_complete(prefix: &str, length: usize, rng: &mut Rng) -> String {
    let mut number = format!("{prefix}{}", rng.digits(length - prefix.len() - 1));
    for check in 0..10 {
        let candidate = format!("{number}{check}");
        let sum: u32 = candidate
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 1 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d }
            })
            .sum();
        if sum.is_multiple_of(10) {
            number = candidate;
            break;
        }
    }
    number
}

fn group(digits: &str, sizes: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut at = 0;
    for size in sizes {
        if at >= digits.len() {
            break;
        }
        let end = (at + size).min(digits.len());
        out.push(&digits[at..end]);
        at = end;
    }
    if at < digits.len() {
        out.push(&digits[at..]);
    }
    out.join(sep)
}

fn iban(country: &str, bban: &str) -> String {
    let rearranged = format!("{bban}{country}00");
    let mut remainder: u64 = 0;
    for c in rearranged.chars() {
        let value = if c.is_ascii_digit() { u64::from(c as u8 - b'0') } else { u64::from(c as u8 - b'A') + 10 };
        remainder = if value >= 10 { (remainder * 100 + value) % 97 } else { (remainder * 10 + value) % 97 };
    }
    format!("{country}{:02}{bban}", 98 - remainder)
}

fn value(kind: PiiKind, rng: &mut Rng) -> String {
    match kind {
        PiiKind::Email => {
            let name = rng.pick(&["ann", "j.smith", "maria.garcia", "li_wei", "o'brien", "sam+orders", "K.Nguyen"]);
            let domain =
                rng.pick(&["example.com", "mail.example.co.uk", "corp.example.org", "EXAMPLE.NET", "post.example.de"]);
            format!("{name}{}@{domain}", rng.below(100))
        }
        PiiKind::Phone => match rng.below(9) {
            0 => format!("+1 415 555 {}", rng.digits(4)),
            1 => format!("+44 20 7946 {}", rng.digits(4)),
            2 => format!("+49 30 {}", rng.digits(7)),
            3 => format!("+33 1 {} {} {} {}", rng.digits(2), rng.digits(2), rng.digits(2), rng.digits(2)),
            4 => format!("({}) 555-{}", 200 + rng.below(700), rng.digits(4)),
            5 => format!("{}-555-{}", 200 + rng.below(700), rng.digits(4)),
            6 => format!("020 7946 {}", rng.digits(4)),
            7 => format!("+91 98{} {}", rng.digits(3), rng.digits(5)),
            _ => format!("+55 11 9{} {}", rng.digits(4), rng.digits(4)),
        },
        PiiKind::Card => {
            let (prefix, length) =
                [("4", 16), ("51", 16), ("55", 16), ("37", 15), ("6011", 16), ("2221", 16)][rng.below(6)];
            let number = luhn_complete(prefix, length, rng);
            let sizes: &[usize] = if length == 15 { &[4, 6, 5] } else { &[4, 4, 4, 4] };
            match rng.below(3) {
                0 => group(&number, sizes, " "),
                1 => group(&number, sizes, "-"),
                _ => number,
            }
        }
        PiiKind::Iban => {
            let compact = match rng.below(4) {
                0 => iban("DE", &rng.digits(18)),
                1 => iban("GB", &format!("WEST{}", rng.digits(14))),
                2 => iban("NL", &format!("ABNA{}", rng.digits(10))),
                _ => iban("FR", &rng.digits(23)),
            };
            if rng.below(2) == 0 { group(&compact, &[4, 4, 4, 4, 4, 4, 4, 4], " ") } else { compact }
        }
        PiiKind::NationalId => format!("{}-{}-{}", 100 + rng.below(560), 10 + rng.below(89), 1000 + rng.below(8999)),
        PiiKind::IpAddress => {
            if rng.below(3) == 0 {
                format!("2001:db8:{:x}::{:x}", rng.below(65535), rng.below(65535))
            } else {
                format!("{}.{}.{}.{}", 10 + rng.below(200), rng.below(256), rng.below(256), 1 + rng.below(254))
            }
        }
        PiiKind::Secret => {
            format!("{}{}!", rng.pick(&["Sunfl0wer", "hunter", "Qwerty", "tr0ub4dor", "Blue-Sky"]), rng.digits(3))
        }
    }
}

/// A message with one planted item: its text, where the item is, and identifiers
/// that must survive redaction.
fn message(kind: PiiKind, rng: &mut Rng) -> (String, usize, usize, Vec<String>) {
    let planted = value(kind, rng);
    let order = format!("#A{}", rng.digits(5));
    let amount = format!("${}.{}", 10 + rng.below(900), rng.digits(2));
    let tracking = format!("1Z{}AA{}", rng.digits(3), rng.digits(10));
    let (before, after) = match kind {
        PiiKind::Email => (format!("Hi, order {order} hasn't arrived. You can reach me at "), " if needed.".to_owned()),
        PiiKind::Phone => ("Please call me on ".to_owned(), format!(" about order {order}, thanks")),
        PiiKind::Card => (format!("I was charged {amount} twice on my card "), format!(" for order {order}.")),
        PiiKind::Iban => (format!("Please send the refund of {amount} to IBAN "), format!(" (order {order}).")),
        PiiKind::NationalId => ("For the credit check, my SSN is ".to_owned(), format!(". Tracking {tracking}.")),
        PiiKind::IpAddress => ("I can't log in, the error says blocked from ".to_owned(), format!(" — order {order}")),
        PiiKind::Secret => (
            format!("{} ", rng.pick(&["my password is", "Password:", "my new password is"])),
            format!(" but login fails, order {order}"),
        ),
    };
    let start = before.len();
    let text = format!("{before}{planted}{after}");
    let mut survive = vec![order.trim_start_matches('#').to_owned()];
    if matches!(kind, PiiKind::Card | PiiKind::Iban) {
        survive.push(amount);
    }
    if kind == PiiKind::NationalId {
        survive = vec![tracking];
    }
    (text, start, start + planted.len(), survive)
}

pub fn evaluate(root: &Path, options: &EvalOptions) -> anyhow::Result<Vec<TaskReport>> {
    let per_kind = options.limit.map_or(500, |l| l.clamp(20, 500));
    let mut rng = Rng(0x005e_ed0f_9111);
    let (mut found, mut planted, mut survived, mut survivors) = (0, 0, 0, 0);
    let mut misses: Vec<(PiiKind, String)> = Vec::new();
    let started = Instant::now();
    for kind in PiiKind::ALL {
        for _ in 0..per_kind {
            let (text, start, end, survive) = message(kind, &mut rng);
            let spans = detect(&text);
            planted += 1;
            if spans.iter().any(|s| s.kind == kind && s.start <= start && s.end >= end) {
                found += 1;
            } else {
                misses.push((kind, text.clone()));
            }
            let redacted = redact_spans(&text, &spans);
            for item in survive {
                survivors += 1;
                survived += usize::from(redacted.contains(&item));
            }
        }
    }
    let per_second = planted as f64 / started.elapsed().as_secs_f64().max(1e-9);
    let mut reports = vec![TaskReport {
        task: "pii-planted".to_owned(),
        tier: "rules".to_owned(),
        metrics: vec![
            ("recall".to_owned(), found as f64 / planted as f64),
            ("identifiers_kept".to_owned(), survived as f64 / survivors.max(1) as f64),
        ],
        eval_examples: planted,
        train_seconds: 0.0,
        per_second,
        note: (!misses.is_empty()).then(|| {
            let mut by_kind: Vec<String> = Vec::new();
            for kind in PiiKind::ALL {
                let missed: Vec<&String> = misses.iter().filter(|(k, _)| *k == kind).map(|(_, t)| t).collect();
                if let Some(example) = missed.first() {
                    by_kind.push(format!("{} missed {} e.g. {example:?}", kind.as_str(), missed.len()));
                }
            }
            by_kind.join("; ")
        }),
    }];
    if let Some(task) = super::data::goemotions(root, options.split)? {
        let flagged = task.eval.iter().filter(|e| !detect(&e.text).is_empty()).count();
        reports.push(TaskReport {
            task: "pii-false-positives".to_owned(),
            tier: "rules".to_owned(),
            metrics: vec![("flagged".to_owned(), flagged as f64 / task.eval.len().max(1) as f64)],
            eval_examples: task.eval.len(),
            train_seconds: 0.0,
            per_second: 0.0,
            note: Some("GoEmotions dev messages with anything flagged".to_owned()),
        });
    }
    Ok(reports)
}
