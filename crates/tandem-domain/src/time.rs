//! Timestamps. Stored with microsecond precision in both backends, so values are
//! truncated to microseconds at creation and round-trip exactly.

use chrono::{DateTime, SubsecRound, Utc};

/// A UTC instant with microsecond precision.
pub type Timestamp = DateTime<Utc>;

/// The current time, truncated to microseconds (what the stores keep).
pub fn now() -> Timestamp {
    Utc::now().trunc_subsecs(6)
}

/// Microseconds since the Unix epoch, the storage representation.
pub fn to_micros(at: Timestamp) -> i64 {
    at.timestamp_micros()
}

/// The inverse of [`to_micros`]; out-of-range values clamp to the epoch.
pub fn from_micros(micros: i64) -> Timestamp {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}
