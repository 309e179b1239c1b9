//! Reading an action's details out of what the customer wrote, and checking them: order
//! and tracking numbers, emails, phones, dates (in five languages, relative or
//! absolute, required to be in the future), times, choices and free text.
//!
//! A slot the bot just asked for is read liberally (the whole reply is the answer); a
//! slot taken from a request ("where is order A1043?") only from unmistakable forms.

use std::sync::LazyLock;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use regex::Regex;
use tandem_domain::Understanding;

use crate::config::{SlotKind, SlotSpec};
use crate::text::{self, fuzzy_eq};

/// What reading a slot found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlotRead {
    /// A valid value, normalised (dates `YYYY-MM-DD`, times `HH:MM`).
    Value(String),
    /// Something that looks like an answer but is not valid.
    Invalid(Problem),
    Missing,
}

/// Why a value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    Format,
    PastDate,
}

fn regex(pattern: &str) -> Regex {
    #[expect(clippy::expect_used, reason = "constant patterns, covered by tests")]
    Regex::new(pattern).expect("a valid built-in pattern")
}

static ORDER_TOKEN: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)^#?([A-Z]{0,4}-?\d{3,12})$"));
static TRACKING_TOKEN: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)^[A-Z0-9]{8,30}$"));
static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b[A-Z0-9._%+\-]+@[A-Z0-9](?:[A-Z0-9\-]*[A-Z0-9])?(?:\.[A-Z0-9\-]+)*\.[A-Z]{2,}\b"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| regex(r"\+?\d[\d\s().\-]{6,18}\d"));
static ISO_DATE: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"));
static SLASH_DATE: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?\b"));
/// `18.12.` or `18.12.2026` (a trailing dot or a year, so `10.30` stays a time).
static DOT_DATE: LazyLock<Regex> = LazyLock::new(|| regex(r"\b(\d{1,2})\.(\d{1,2})\.(\d{2,4})?"));
static CLOCK: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b([01]?\d|2[0-3])(?::|h)([0-5]\d)\s*(a\.?m\.?|p\.?m\.?)?(?:\W|$)"));
static MERIDIEM: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\b(1[0-2]|0?[1-9])\s*(a\.?m\.?|p\.?m\.?)(?:\W|$)"));
static HOUR_WORD: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\b([01]?\d|2[0-3])\s*(?:h|uhr|horas|hrs|heures?)\b"));
static AT_HOUR: LazyLock<Regex> =
    LazyLock::new(|| regex(r"(?i)\b(?:at|a las|a la|à|a|um|às|as|alle)\s+([01]?\d|2[0-3])\b"));

/// Reads `spec` from a message. `asked`: the bot just asked for this slot.
pub fn read(
    spec: &SlotSpec,
    pattern: Option<&Regex>,
    message: &str,
    understanding: Option<&Understanding>,
    today: NaiveDate,
    asked: bool,
) -> SlotRead {
    let entity = |kind: &str| {
        understanding.and_then(|u| u.entities.iter().find(|e| e.kind == kind)).map(|e| e.value.to_uppercase())
    };
    let candidate = match spec.kind {
        // A configured pattern is specific enough to find the number in any request
        // ("¿Dónde está mi pedido A1077?" names no "order").
        SlotKind::OrderNumber => entity("order_number")
            .or_else(|| (asked || pattern.is_some()).then(|| order_token(message, pattern)).flatten()),
        SlotKind::TrackingNumber => {
            entity("tracking_number").or_else(|| asked.then(|| tracking_token(message)).flatten())
        }
        SlotKind::Email => EMAIL.find(message).map(|m| m.as_str().to_lowercase()),
        SlotKind::Phone => {
            if asked {
                PHONE.find(message).map(|m| m.as_str().chars().filter(|c| c.is_ascii_digit() || *c == '+').collect())
            } else {
                None
            }
        }
        SlotKind::Date => {
            return match parse_date(message, today) {
                Some(d) if spec.future && d < today => SlotRead::Invalid(Problem::PastDate),
                Some(d) => SlotRead::Value(d.format("%Y-%m-%d").to_string()),
                None if asked => SlotRead::Invalid(Problem::Format),
                None => SlotRead::Missing,
            };
        }
        SlotKind::Time => {
            return match parse_time(message, !asked) {
                Some(t) => SlotRead::Value(t),
                None if asked => SlotRead::Invalid(Problem::Format),
                None => SlotRead::Missing,
            };
        }
        SlotKind::Choice => choice(&spec.choices, message),
        SlotKind::Text => {
            let t = message.trim();
            (asked && t.chars().count() >= 3).then(|| text::clip(t, 300))
        }
        SlotKind::Pattern => pattern.and_then(|re| pattern_token(re, message, asked)),
    };
    match candidate {
        None if asked => SlotRead::Invalid(Problem::Format),
        None => SlotRead::Missing,
        Some(value) => {
            let checked = match (pattern, spec.kind) {
                (Some(re), SlotKind::OrderNumber | SlotKind::TrackingNumber) => re.is_match(&value.to_uppercase()),
                (Some(re), _) => re.is_match(&value),
                (None, _) => true,
            };
            if checked {
                SlotRead::Value(value)
            } else if asked {
                SlotRead::Invalid(Problem::Format)
            } else {
                SlotRead::Missing
            }
        }
    }
}

fn tokens(message: &str) -> impl Iterator<Item = &str> {
    message
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')' | '"'))
        .map(|t| t.trim_matches(|c: char| matches!(c, '.' | '!' | '?' | ':' | '\'')))
        .filter(|t| !t.is_empty())
}

/// The first token that looks like an order number (and fits `pattern`, when given).
fn order_token(message: &str, pattern: Option<&Regex>) -> Option<String> {
    tokens(message)
        .filter_map(|t| ORDER_TOKEN.captures(t).and_then(|c| c.get(1)).map(|m| m.as_str().to_uppercase()))
        .find(|t| pattern.is_none_or(|p| p.is_match(t)))
}

fn tracking_token(message: &str) -> Option<String> {
    tokens(message)
        .find(|t| TRACKING_TOKEN.is_match(t) && t.chars().filter(char::is_ascii_digit).count() >= 6)
        .map(str::to_uppercase)
}

fn pattern_token(re: &Regex, message: &str, asked: bool) -> Option<String> {
    let trimmed = message.trim();
    if asked && re.is_match(trimmed) {
        return Some(trimmed.to_owned());
    }
    tokens(message)
        .find(|t| re.is_match(t) || re.is_match(&t.to_uppercase()))
        .map(|t| if re.is_match(t) { t.to_owned() } else { t.to_uppercase() })
}

fn choice(choices: &[String], message: &str) -> Option<String> {
    let normalized = text::normalize(message);
    let words = text::words(&normalized);
    choices
        .iter()
        .find(|c| text::contains_phrase(&words, &text::phrase(c)))
        .cloned()
        .or_else(|| choices.iter().find(|c| text::normalize(c) == normalized).cloned())
}

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("enero", 1),
    ("janvier", 1),
    ("januar", 1),
    ("janeiro", 1),
    ("february", 2),
    ("feb", 2),
    ("febrero", 2),
    ("fevrier", 2),
    ("februar", 2),
    ("fevereiro", 2),
    ("march", 3),
    ("mar", 3),
    ("marzo", 3),
    ("mars", 3),
    ("marz", 3),
    ("marco", 3),
    ("april", 4),
    ("apr", 4),
    ("abril", 4),
    ("avril", 4),
    ("may", 5),
    ("mayo", 5),
    ("mai", 5),
    ("maio", 5),
    ("june", 6),
    ("jun", 6),
    ("junio", 6),
    ("juin", 6),
    ("juni", 6),
    ("junho", 6),
    ("july", 7),
    ("jul", 7),
    ("julio", 7),
    ("juillet", 7),
    ("juli", 7),
    ("julho", 7),
    ("august", 8),
    ("aug", 8),
    ("agosto", 8),
    ("aout", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septiembre", 9),
    ("setiembre", 9),
    ("septembre", 9),
    ("setembro", 9),
    ("october", 10),
    ("oct", 10),
    ("octubre", 10),
    ("octobre", 10),
    ("oktober", 10),
    ("outubro", 10),
    ("november", 11),
    ("nov", 11),
    ("noviembre", 11),
    ("novembre", 11),
    ("novembro", 11),
    ("december", 12),
    ("dec", 12),
    ("diciembre", 12),
    ("decembre", 12),
    ("dezember", 12),
    ("dezembro", 12),
];

const WEEKDAYS: &[(&str, Weekday)] = &[
    ("monday", Weekday::Mon),
    ("lunes", Weekday::Mon),
    ("lundi", Weekday::Mon),
    ("montag", Weekday::Mon),
    ("segunda", Weekday::Mon),
    ("tuesday", Weekday::Tue),
    ("martes", Weekday::Tue),
    ("mardi", Weekday::Tue),
    ("dienstag", Weekday::Tue),
    ("terca", Weekday::Tue),
    ("wednesday", Weekday::Wed),
    ("miercoles", Weekday::Wed),
    ("mercredi", Weekday::Wed),
    ("mittwoch", Weekday::Wed),
    ("quarta", Weekday::Wed),
    ("thursday", Weekday::Thu),
    ("jueves", Weekday::Thu),
    ("jeudi", Weekday::Thu),
    ("donnerstag", Weekday::Thu),
    ("quinta", Weekday::Thu),
    ("friday", Weekday::Fri),
    ("viernes", Weekday::Fri),
    ("vendredi", Weekday::Fri),
    ("freitag", Weekday::Fri),
    ("sexta", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sabado", Weekday::Sat),
    ("samedi", Weekday::Sat),
    ("samstag", Weekday::Sat),
    ("sunday", Weekday::Sun),
    ("domingo", Weekday::Sun),
    ("dimanche", Weekday::Sun),
    ("sonntag", Weekday::Sun),
];

fn day_number(word: &str) -> Option<u32> {
    let digits: String = word.chars().take_while(char::is_ascii_digit).collect();
    let rest = &word[digits.len()..];
    if digits.is_empty() || !(rest.is_empty() || matches!(rest, "st" | "nd" | "rd" | "th" | "er" | "o" | "a")) {
        return None;
    }
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

/// The next date at or after `today` with this month and day.
fn next_month_day(today: NaiveDate, month: u32, day: u32, year: Option<i32>) -> Option<NaiveDate> {
    match year {
        Some(y) => NaiveDate::from_ymd_opt(y, month, day),
        None => {
            let this = NaiveDate::from_ymd_opt(today.year(), month, day)?;
            if this >= today { Some(this) } else { NaiveDate::from_ymd_opt(today.year() + 1, month, day) }
        }
    }
}

fn full_year(y: u32) -> i32 {
    if y < 100 { 2000 + y as i32 } else { y as i32 }
}

/// A date in `message`, relative to `today`: `2026-12-15`, `15/12`, `Dec 15`, `15 de
/// diciembre`, `tomorrow`, `viernes`, `in 3 days`...
pub fn parse_date(message: &str, today: NaiveDate) -> Option<NaiveDate> {
    if let Some(c) = ISO_DATE.captures(message) {
        let (y, m, d) = (c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?);
        return NaiveDate::from_ymd_opt(y, m, d);
    }
    if let Some(c) = SLASH_DATE.captures(message).or_else(|| DOT_DATE.captures(message)) {
        let a: u32 = c[1].parse().ok()?;
        let b: u32 = c[2].parse().ok()?;
        let year = c.get(3).and_then(|y| y.as_str().parse().ok()).map(full_year);
        // Day first unless that cannot be (12/25): the order most of the world writes.
        let (day, month) = if b > 12 { (b, a) } else { (a, b) };
        if let Some(d) = next_month_day(today, month, day, year) {
            return Some(d);
        }
    }
    let normalized = text::normalize(message);
    let words = text::words(&normalized);
    for (i, w) in words.iter().enumerate() {
        let before = |k: usize| i.checked_sub(k).and_then(|j| words.get(j)).copied().unwrap_or("");
        let after = |k: usize| words.get(i + k).copied().unwrap_or("");
        match *w {
            "today" | "hoy" | "aujourdhui" | "heute" | "hoje" | "oggi" => return Some(today),
            "tomorrow" | "demain" | "amanha" | "domani" => {
                if before(1) == "apres" || before(1) == "de" && before(2) == "depois" {
                    return Some(today + Duration::days(2));
                }
                return Some(today + Duration::days(1));
            }
            "manana" if !matches!(before(1), "la" | "esta") => {
                return Some(today + Duration::days(if before(1) == "pasado" { 2 } else { 1 }));
            }
            "morgen" if !matches!(before(1), "am" | "guten" | "jeden" | "heute") => {
                return Some(today + Duration::days(1));
            }
            "ubermorgen" => return Some(today + Duration::days(2)),
            "in" | "en" | "dans" | "em" | "tra" | "fra" => {
                let n: Option<i64> = after(1).parse().ok();
                let unit = after(2);
                if let Some(n) = n.filter(|n| (0..=365).contains(n))
                    && ["days", "day", "dias", "jours", "tagen", "giorni"].contains(&unit)
                {
                    return Some(today + Duration::days(n));
                }
            }
            _ => {}
        }
        if let Some(&(_, weekday)) = WEEKDAYS.iter().find(|(name, _)| fuzzy_eq(w, name)) {
            let ahead = (weekday.num_days_from_monday() + 7 - today.weekday().num_days_from_monday()) % 7;
            let this = matches!(before(1), "this" | "este" | "ce" | "diesen" | "esta" | "hoje");
            let days = if ahead == 0 && !this { 7 } else { ahead };
            return Some(today + Duration::days(i64::from(days)));
        }
        if let Some(&(_, month)) = MONTHS.iter().find(|(name, _)| *w == *name || (name.len() > 4 && fuzzy_eq(w, name)))
        {
            // "15 december", "15 de diciembre", "december 15th", "le 15 décembre".
            let day_before =
                day_number(before(1)).or_else(|| (before(1) == "de").then(|| day_number(before(2))).flatten());
            let day_after = day_number(after(1));
            let Some(day) = day_before.or(day_after) else { continue };
            let year_at = if day_after.is_some() { 2 } else { 1 };
            let year = after(year_at).parse::<u32>().ok().filter(|y| (2000..=2100).contains(y)).map(full_year);
            if let Some(d) = next_month_day(today, month, day, year) {
                return Some(d);
            }
        }
    }
    // "the 12th", "el 12", "le 12": a day of this month (or the next, once past).
    for pair in words.windows(2) {
        if matches!(pair[0], "the" | "el" | "le" | "am" | "dia" | "o")
            && pair[1].chars().any(|c| c.is_alphabetic())
            && let Some(day) = day_number(pair[1])
        {
            return day_of_month(today, day);
        }
    }
    words
        .iter()
        .filter(|w| w.ends_with("th") || w.ends_with("st") || w.ends_with("nd") || w.ends_with("rd"))
        .find_map(|w| day_number(w))
        .and_then(|d| day_of_month(today, d))
}

fn day_of_month(today: NaiveDate, day: u32) -> Option<NaiveDate> {
    let this = NaiveDate::from_ymd_opt(today.year(), today.month(), day);
    match this {
        Some(d) if d >= today => Some(d),
        _ => {
            let (y, m) = if today.month() == 12 { (today.year() + 1, 1) } else { (today.year(), today.month() + 1) };
            NaiveDate::from_ymd_opt(y, m, day)
        }
    }
}

/// A time of day in `message` as `HH:MM`: `15:30`, `3pm`, `15h`, `um 15 Uhr`, and
/// unless `strict`, `at 3` (read as the afternoon before 8) and `noon`.
pub fn parse_time(message: &str, strict: bool) -> Option<String> {
    let pm = |s: Option<&str>| s.is_some_and(|s| s.to_lowercase().starts_with('p'));
    let am = |s: Option<&str>| s.is_some_and(|s| s.to_lowercase().starts_with('a'));
    let fmt = |h: u32, m: u32| format!("{h:02}:{m:02}");
    if let Some(c) = CLOCK.captures(message) {
        let (mut h, m): (u32, u32) = (c[1].parse().ok()?, c[2].parse().ok()?);
        let suffix = c.get(3).map(|s| s.as_str());
        if pm(suffix) && h < 12 {
            h += 12;
        } else if am(suffix) && h == 12 {
            h = 0;
        }
        return Some(fmt(h, m));
    }
    if let Some(c) = MERIDIEM.captures(message) {
        let mut h: u32 = c[1].parse().ok()?;
        let suffix = c.get(2).map(|s| s.as_str());
        if pm(suffix) && h < 12 {
            h += 12;
        } else if am(suffix) && h == 12 {
            h = 0;
        }
        return Some(fmt(h, 0));
    }
    if let Some(c) = HOUR_WORD.captures(message) {
        return Some(fmt(c[1].parse().ok()?, 0));
    }
    if strict {
        return None;
    }
    let normalized = text::normalize(message);
    let words = text::words(&normalized);
    if ["noon", "midday", "mediodia", "midi", "mittag", "meiodia"].iter().any(|n| words.contains(n))
        || text::contains_phrase(&words, &text::phrase("meio dia"))
    {
        return Some(fmt(12, 0));
    }
    if let Some(c) = AT_HOUR.captures(message) {
        let h: u32 = c[1].parse().ok()?;
        return Some(fmt(if (1..8).contains(&h) { h + 12 } else { h }, 0));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        // A Friday.
        NaiveDate::from_ymd_opt(2026, 12, 4).unwrap()
    }

    fn date(text: &str) -> Option<String> {
        parse_date(text, today()).map(|d| d.format("%Y-%m-%d").to_string())
    }

    #[test]
    fn dates_in_several_languages() {
        let check = |text: &str, expected: &str| assert_eq!(date(text).as_deref(), Some(expected), "{text}");
        check("2026-12-15", "2026-12-15");
        check("on 15/12 please", "2026-12-15");
        check("12/25", "2026-12-25");
        check("3/1/2027", "2027-01-03");
        check("tomorrow at 3pm", "2026-12-05");
        check("next Tuesday", "2026-12-08");
        check("friday", "2026-12-11");
        check("this friday", "2026-12-04");
        check("December 15th", "2026-12-15");
        check("15 de diciembre", "2026-12-15");
        check("le 20 décembre", "2026-12-20");
        check("am 18. Dezember", "2026-12-18");
        check("18.12.", "2026-12-18");
        check("mañana por la tarde", "2026-12-05");
        check("pasado mañana", "2026-12-06");
        check("übermorgen", "2026-12-06");
        check("amanhã", "2026-12-05");
        check("depois de amanhã", "2026-12-06");
        check("in 3 days", "2026-12-07");
        check("January 5", "2027-01-05");
        check("the 10th", "2026-12-10");
        check("the 2nd", "2027-01-02");
        check("el viernes", "2026-12-11");
        check("sexta-feira", "2026-12-11");
        assert_eq!(date("whenever works"), None);
        assert_eq!(date("I may come"), None);
    }

    #[test]
    fn times() {
        let check =
            |text: &str, expected: &str| assert_eq!(parse_time(text, false).as_deref(), Some(expected), "{text}");
        check("15:30", "15:30");
        check("at 3pm", "15:00");
        check("10:15 am", "10:15");
        check("12am", "00:00");
        check("vers 15h", "15:00");
        check("18.12. um 10:30", "10:30");
        check("um 14 Uhr", "14:00");
        check("a las 4", "16:00");
        check("at 10", "10:00");
        check("noon", "12:00");
        assert_eq!(parse_time("sometime", false), None);
        assert_eq!(parse_time("book a 2 hour session", true), None);
        assert_eq!(date("tomorrow at 10.30").as_deref(), Some("2026-12-05"));
    }

    fn spec(kind: SlotKind) -> SlotSpec {
        SlotSpec {
            name: "x".into(),
            kind,
            pattern: None,
            choices: vec!["fitting".into(), "repair".into()],
            prompt: Default::default(),
            invalid: Default::default(),
            private: None,
            future: true,
        }
    }

    #[test]
    fn slots_asked_and_unasked() {
        let order = spec(SlotKind::OrderNumber);
        assert_eq!(read(&order, None, "it's a1043", None, today(), true), SlotRead::Value("A1043".into()));
        assert_eq!(read(&order, None, "it's a1043", None, today(), false), SlotRead::Missing);
        assert_eq!(read(&order, None, "no idea", None, today(), true), SlotRead::Invalid(Problem::Format));
        let pattern = Regex::new("^(?:A\\d{4})$").unwrap();
        assert_eq!(read(&order, Some(&pattern), "#99", None, today(), true), SlotRead::Invalid(Problem::Format));
        let email = spec(SlotKind::Email);
        assert_eq!(
            read(&email, None, "sure: Maya.Chen@Example.com", None, today(), true),
            SlotRead::Value("maya.chen@example.com".into())
        );
        let day = spec(SlotKind::Date);
        assert_eq!(
            read(&day, None, "yesterday? no, 2026-12-01", None, today(), true),
            SlotRead::Invalid(Problem::PastDate)
        );
        assert_eq!(read(&day, None, "tomorrow", None, today(), false), SlotRead::Value("2026-12-05".into()));
        let pick = spec(SlotKind::Choice);
        assert_eq!(read(&pick, None, "a repair please", None, today(), true), SlotRead::Value("repair".into()));
        let id = SlotSpec { pattern: Some("AP-\\d{4}".into()), ..spec(SlotKind::Pattern) };
        let re = Regex::new("^(?:AP-\\d{4})$").unwrap();
        assert_eq!(
            read(&id, Some(&re), "move ap-1002 to friday", None, today(), false),
            SlotRead::Value("AP-1002".into())
        );
    }
}
