//! Erlang C: the M/M/N queue behind contact-center staffing.
//!
//! Traffic `A` (erlangs) = arrivals per second × average handle time in seconds. With `n`
//! agents and `n > A`, the probability a contact waits is Erlang C, computed from Erlang B
//! by the stable recurrence `B(k) = A·B(k−1) / (k + A·B(k−1))`, so thousands of agents
//! neither overflow nor lose precision. From it:
//!
//! - service level (answered within `t`): `1 − C · e^{−(n−A)·t/AHT}`
//! - average speed of answer: `C · AHT / (n − A)`
//! - occupancy: `A / n`

use serde::{Deserialize, Serialize};

/// How a queue performs with a given number of agents.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    pub agents: u32,
    /// Probability a contact waits at all.
    pub wait_probability: f64,
    /// Share answered within the target time (0 when the queue is unstable).
    pub service_level: f64,
    /// Average speed of answer in seconds (infinite when unstable).
    pub asa_seconds: f64,
    pub occupancy: f64,
}

/// What to staff for.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffingTarget {
    pub arrivals_per_hour: f64,
    pub aht_seconds: f64,
    /// Share to answer within `target_seconds`, e.g. 0.8.
    pub service_level: f64,
    pub target_seconds: f64,
    /// Share of paid time not on contacts (breaks, training), e.g. 0.3.
    pub shrinkage: f64,
    /// Highest acceptable occupancy, e.g. 0.85.
    pub max_occupancy: f64,
}

/// The answer: agents on the phones, agents to schedule, and performance at that count and
/// one below it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Staffing {
    pub traffic_erlangs: f64,
    /// Agents needed on contacts.
    pub agents: u32,
    /// Agents to schedule once shrinkage is allowed for.
    pub scheduled: u32,
    pub at_agents: Performance,
    pub one_below: Option<Performance>,
}

/// Why a staffing question has no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StaffingError {
    #[error("{0}")]
    Invalid(String),
}

/// Erlang C probability of waiting for `agents` serving `traffic` erlangs (1 when unstable).
pub fn wait_probability(agents: u32, traffic: f64) -> f64 {
    if traffic <= 0.0 {
        return 0.0;
    }
    let n = f64::from(agents);
    if n <= traffic {
        return 1.0;
    }
    let mut b = 1.0;
    for k in 1..=agents {
        b = traffic * b / (f64::from(k) + traffic * b);
    }
    b / (1.0 - (traffic / n) * (1.0 - b))
}

/// Performance of `agents` on `traffic` erlangs with this handle time and answer target.
pub fn performance(agents: u32, traffic: f64, aht_seconds: f64, target_seconds: f64) -> Performance {
    let n = f64::from(agents);
    let c = wait_probability(agents, traffic);
    let (service_level, asa_seconds) = if n > traffic {
        (
            (1.0 - c * (-(n - traffic) * target_seconds / aht_seconds).exp()).clamp(0.0, 1.0),
            c * aht_seconds / (n - traffic),
        )
    } else {
        (0.0, f64::INFINITY)
    };
    Performance {
        agents,
        wait_probability: c,
        service_level,
        asa_seconds,
        occupancy: if n > 0.0 { (traffic / n).min(1.0) } else { 1.0 },
    }
}

/// The fewest agents that meet the service level without exceeding the occupancy cap.
pub fn staffing(target: &StaffingTarget) -> Result<Staffing, StaffingError> {
    let invalid = |what: &str| Err(StaffingError::Invalid(what.to_string()));
    if !(target.arrivals_per_hour.is_finite() && target.arrivals_per_hour >= 0.0) {
        return invalid("arrivals per hour must be a number ≥ 0");
    }
    if !(target.aht_seconds.is_finite() && target.aht_seconds > 0.0) {
        return invalid("average handle time must be > 0 seconds");
    }
    if !(target.service_level > 0.0 && target.service_level < 1.0) {
        return invalid("target service level must be between 0 and 1 (e.g. 0.8), exclusive");
    }
    if !(target.target_seconds.is_finite() && target.target_seconds >= 0.0) {
        return invalid("target seconds must be ≥ 0");
    }
    if !(0.0..1.0).contains(&target.shrinkage) {
        return invalid("shrinkage must be in [0, 1), e.g. 0.3");
    }
    if !(target.max_occupancy > 0.0 && target.max_occupancy <= 1.0) {
        return invalid("max occupancy must be in (0, 1], e.g. 0.85");
    }
    let traffic = target.arrivals_per_hour / 3600.0 * target.aht_seconds;
    if traffic > 1_000_000.0 {
        return invalid("more than a million erlangs; check arrivals and handle time units");
    }
    let perf = |n| performance(n, traffic, target.aht_seconds, target.target_seconds);
    let mut n = (traffic.floor() as u32).max(if traffic > 0.0 { 1 } else { 0 });
    let at = loop {
        let p = perf(n);
        if (traffic == 0.0 || p.service_level >= target.service_level) && p.occupancy <= target.max_occupancy {
            break p;
        }
        n += 1;
    };
    let scheduled = (f64::from(at.agents) / (1.0 - target.shrinkage)).ceil() as u32;
    Ok(Staffing {
        traffic_erlangs: traffic,
        agents: at.agents,
        scheduled,
        at_agents: at,
        one_below: at.agents.checked_sub(1).map(perf),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(arrivals: f64) -> StaffingTarget {
        StaffingTarget {
            arrivals_per_hour: arrivals,
            aht_seconds: 180.0,
            service_level: 0.8,
            target_seconds: 20.0,
            shrinkage: 0.0,
            max_occupancy: 1.0,
        }
    }

    #[test]
    fn textbook_example() {
        // 360 calls/hour, AHT 3 min: 18 erlangs; 22 agents reach 80/20 and 21 do not.
        // Reference values from the factorial form of Erlang C (computed independently).
        let s = staffing(&target(360.0)).unwrap();
        assert!((s.traffic_erlangs - 18.0).abs() < 1e-9);
        assert_eq!(s.agents, 22);
        assert!(s.at_agents.service_level >= 0.8);
        let below = s.one_below.unwrap();
        assert!(below.service_level < 0.8);
        // C(22, 18) = 0.27808, SL = 0.82170, ASA = C·180/4 = 12.514 s; C(21, 18) = 0.39587.
        assert!((s.at_agents.wait_probability - 0.27808).abs() < 1e-4, "{}", s.at_agents.wait_probability);
        assert!((s.at_agents.service_level - 0.82170).abs() < 1e-4, "{}", s.at_agents.service_level);
        assert!((s.at_agents.asa_seconds - 12.514).abs() < 0.01, "{}", s.at_agents.asa_seconds);
        assert!((below.wait_probability - 0.39587).abs() < 1e-4);
    }

    #[test]
    fn shrinkage_and_occupancy_cap() {
        let mut t = target(360.0);
        t.shrinkage = 0.3;
        t.max_occupancy = 0.75;
        let s = staffing(&t).unwrap();
        assert_eq!(s.agents, 24, "18 / 0.75 = 24 agents to stay at 75% occupancy");
        assert_eq!(s.scheduled, 35, "24 / 0.7 rounded up");
    }

    #[test]
    fn unstable_and_large() {
        assert_eq!(wait_probability(10, 12.0), 1.0);
        let p = performance(10, 12.0, 180.0, 20.0);
        assert_eq!(p.service_level, 0.0);
        assert!(p.asa_seconds.is_infinite());
        // Thousands of agents stay finite.
        let s = staffing(&StaffingTarget { arrivals_per_hour: 100_000.0, ..target(0.0) }).unwrap();
        assert!(s.agents > 5000 && s.at_agents.service_level.is_finite());
    }

    #[test]
    fn zero_arrivals_need_nobody_and_bad_input_is_refused() {
        assert_eq!(staffing(&target(0.0)).unwrap().agents, 0);
        for bad in [
            StaffingTarget { aht_seconds: 0.0, ..target(10.0) },
            StaffingTarget { service_level: 1.0, ..target(10.0) },
            StaffingTarget { shrinkage: 1.0, ..target(10.0) },
            StaffingTarget { max_occupancy: 0.0, ..target(10.0) },
            StaffingTarget { arrivals_per_hour: f64::NAN, ..target(10.0) },
        ] {
            assert!(staffing(&bad).is_err(), "{bad:?}");
        }
    }
}
