//! Opening hours at a fixed UTC offset: whether people are working at an instant.

use chrono::{Datelike, FixedOffset, NaiveTime, Weekday};
use tandem_domain::Timestamp;

use crate::config::{ConfigError, Hours};

/// Parsed opening hours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenHours {
    offset: FixedOffset,
    /// Per weekday (Monday first): opening and closing time.
    days: [Option<(NaiveTime, NaiveTime)>; 7],
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn parse_offset(raw: &str) -> Option<FixedOffset> {
    if raw == "Z" || raw == "UTC" {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match raw.as_bytes().first()? {
        b'+' => (1, &raw[1..]),
        b'-' => (-1, &raw[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

impl OpenHours {
    pub fn parse(hours: &Hours) -> Result<Self, ConfigError> {
        let offset = parse_offset(&hours.utc_offset)
            .ok_or_else(|| ConfigError::new("hours.utc_offset", "use an offset such as `+01:00`, `-05:00` or `Z`"))?;
        if hours.days.is_empty() {
            return Err(ConfigError::new(
                "hours.days",
                "give the hours of at least one day, e.g. mon = \"09:00-17:00\"",
            ));
        }
        let mut days = [None; 7];
        for (day, range) in &hours.days {
            let field = format!("hours.days.{day}");
            let index = DAYS
                .iter()
                .position(|d| d == day)
                .ok_or_else(|| ConfigError::new(&field, "use mon, tue, wed, thu, fri, sat or sun"))?;
            let parsed = range.split_once('-').and_then(|(a, b)| {
                let a = NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?;
                let b = NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?;
                (a < b).then_some((a, b))
            });
            days[index] = Some(
                parsed.ok_or_else(|| ConfigError::new(&field, "use opening and closing times like `09:00-17:30`"))?,
            );
        }
        Ok(Self { offset, days })
    }

    /// Whether `at` falls within opening hours.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let local = at.with_timezone(&self.offset);
        let index = local.weekday().num_days_from_monday() as usize;
        self.days[index].is_some_and(|(open, close)| {
            let t = local.time();
            t >= open && t < close
        })
    }

    /// The weekday names and hours, for telling a customer when people are back.
    pub fn describe(&self) -> String {
        let mut out = Vec::new();
        for (i, day) in self.days.iter().enumerate() {
            if let Some((a, b)) = day {
                let name = Weekday::try_from(i as u8).map(|w| format!("{w}")).unwrap_or_default();
                out.push(format!("{name} {}–{}", a.format("%H:%M"), b.format("%H:%M")));
            }
        }
        out.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn open_and_closed() {
        let hours =
            Hours { utc_offset: "+01:00".into(), days: BTreeMap::from([("mon".to_owned(), "09:00-17:00".to_owned())]) };
        let open = OpenHours::parse(&hours).unwrap();
        // Monday 2026-12-07 08:30 UTC is 09:30 at +01:00.
        let monday = chrono::DateTime::parse_from_rfc3339("2026-12-07T08:30:00Z").unwrap().to_utc();
        assert!(open.is_open(monday));
        assert!(!open.is_open(monday + chrono::Duration::hours(8)));
        assert!(!open.is_open(monday + chrono::Duration::days(1)));
        assert!(open.describe().starts_with("Mon 09:00"));
    }
}
