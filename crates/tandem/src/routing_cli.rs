//! `tandem simulate` and `tandem staffing`: reading scenario and forecast files and printing
//! the results as tables or JSON.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use tandem_routing::erlang::{self, Staffing, StaffingTarget};
use tandem_routing::sim::{self, Report, Scenario};

/// Reads a scenario file; errors name the file and the field.
pub fn load_scenario(path: &Path) -> anyhow::Result<Scenario> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the scenario {}", path.display()))?;
    let scenario: Scenario = toml::from_str(&text).with_context(|| format!("in the scenario {}", path.display()))?;
    scenario.validate().with_context(|| format!("in the scenario {}", path.display()))?;
    Ok(scenario)
}

pub fn simulate(path: &Path, seed: Option<u64>, json: bool) -> anyhow::Result<Report> {
    let mut scenario = load_scenario(path)?;
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    let report = sim::run(&scenario)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render_report(&report));
    }
    Ok(report)
}

/// The simulation report as a table.
pub fn render_report(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Simulated {} contacts (seed {}), {} routing decisions.\n", r.contacts, r.seed, r.decisions);
    let _ = writeln!(
        s,
        "{:<16} {:>9} {:>9} {:>9} {:>7} {:>13} {:>9} {:>10} {:>8} {:>9}",
        "queue",
        "offered",
        "answered",
        "abandoned",
        "waiting",
        "service level",
        "ASA (s)",
        "p90 wait",
        "AHT (s)",
        "erlangs"
    );
    for q in r.queues.iter().chain(std::iter::once(&r.overall)) {
        let target = match (q.sla_target, q.sla_seconds) {
            (Some(t), Some(sec)) => format!("{:.1}% ({:.0}/{:.0})", q.service_level * 100.0, t * 100.0, sec),
            _ => format!("{:.1}%", q.service_level * 100.0),
        };
        let _ = writeln!(
            s,
            "{:<16} {:>9} {:>9} {:>9} {:>7} {:>13} {:>9.1} {:>10.1} {:>8.1} {:>9.2}",
            truncate(&q.name, 16),
            q.offered,
            q.answered,
            q.abandoned,
            q.unanswered,
            target,
            q.asa_seconds,
            q.p90_wait_seconds,
            q.aht_seconds,
            q.workload_erlangs
        );
    }
    let _ = writeln!(s, "\n{:<16} {:>7} {:>10}", "agent group", "agents", "occupancy");
    for g in &r.agent_groups {
        let _ = writeln!(s, "{:<16} {:>7} {:>9.1}%", truncate(&g.name, 16), g.agents, g.occupancy * 100.0);
    }
    let _ = writeln!(s, "{:<16} {:>7} {:>9.1}%", "overall", "", r.occupancy * 100.0);
    s
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// One row of a staffing plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlanRow {
    pub interval: String,
    pub arrivals: f64,
    pub aht_seconds: f64,
    #[serde(flatten)]
    pub staffing: Staffing,
}

/// Reads a forecast: one interval per line, `label,arrivals[,aht_seconds]` or just
/// `arrivals`; a header line and `#` comments are skipped.
pub fn load_forecast(path: &Path, default_aht: f64) -> anyhow::Result<Vec<(String, f64, f64)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the forecast {}", path.display()))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let (label, arrivals, aht) = match cells.as_slice() {
            [a] => ((rows.len() + 1).to_string(), *a, None),
            [l, a] => (l.to_string(), *a, None),
            [l, a, h] => (l.to_string(), *a, Some(*h)),
            _ => anyhow::bail!("{} line {}: use `label,arrivals[,aht_seconds]`", path.display(), n + 1),
        };
        let Ok(value) = arrivals.parse::<f64>() else {
            if rows.is_empty() && n == 0 {
                continue; // a header
            }
            anyhow::bail!("{} line {}: `{arrivals}` is not a number of arrivals", path.display(), n + 1);
        };
        if !(value.is_finite() && value >= 0.0) {
            anyhow::bail!("{} line {}: arrivals must be ≥ 0", path.display(), n + 1);
        }
        let aht =
            match aht {
                Some(h) => h.parse::<f64>().ok().filter(|h| *h > 0.0).with_context(|| {
                    format!("{} line {}: `{h}` is not a handle time in seconds", path.display(), n + 1)
                })?,
                None => default_aht,
            };
        rows.push((label, value, aht));
    }
    if rows.is_empty() {
        anyhow::bail!("{} has no intervals", path.display());
    }
    Ok(rows)
}

/// A staffing plan: each interval's arrivals turned into an hourly rate and staffed.
pub fn plan(rows: &[(String, f64, f64)], interval_minutes: f64, base: &StaffingTarget) -> anyhow::Result<Vec<PlanRow>> {
    if interval_minutes.is_nan() || interval_minutes <= 0.0 {
        anyhow::bail!("--interval-minutes must be > 0");
    }
    rows.iter()
        .map(|(label, arrivals, aht)| {
            let target =
                StaffingTarget { arrivals_per_hour: arrivals * 60.0 / interval_minutes, aht_seconds: *aht, ..*base };
            let staffing = erlang::staffing(&target).with_context(|| format!("interval {label}"))?;
            Ok(PlanRow { interval: label.clone(), arrivals: *arrivals, aht_seconds: *aht, staffing })
        })
        .collect()
}

pub fn render_staffing(target: &StaffingTarget, s: &Staffing) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:.1} contacts/hour × {:.0} s AHT = {:.2} erlangs; target {:.0}% within {:.0} s, occupancy ≤ {:.0}%, shrinkage {:.0}%\n",
        target.arrivals_per_hour,
        target.aht_seconds,
        s.traffic_erlangs,
        target.service_level * 100.0,
        target.target_seconds,
        target.max_occupancy * 100.0,
        target.shrinkage * 100.0
    );
    let _ = writeln!(
        out,
        "{:>7} {:>14} {:>10} {:>10} {:>10}",
        "agents", "service level", "ASA (s)", "occupancy", "P(wait)"
    );
    for p in s.one_below.iter().chain(std::iter::once(&s.at_agents)) {
        let _ = writeln!(
            out,
            "{:>7} {:>13.1}% {:>10.1} {:>9.1}% {:>9.1}%",
            p.agents,
            p.service_level * 100.0,
            p.asa_seconds,
            p.occupancy * 100.0,
            p.wait_probability * 100.0
        );
    }
    let _ = writeln!(out, "\nNeeded: {} agents on contacts, {} scheduled with shrinkage.", s.agents, s.scheduled);
    out
}

pub fn render_plan(rows: &[PlanRow]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<12} {:>9} {:>8} {:>8} {:>7} {:>10} {:>14} {:>9} {:>10}",
        "interval", "arrivals", "AHT (s)", "erlangs", "agents", "scheduled", "service level", "ASA (s)", "occupancy"
    );
    for r in rows {
        let p = &r.staffing.at_agents;
        let _ = writeln!(
            out,
            "{:<12} {:>9.1} {:>8.0} {:>8.2} {:>7} {:>10} {:>13.1}% {:>9.1} {:>9.1}%",
            truncate(&r.interval, 12),
            r.arrivals,
            r.aht_seconds,
            r.staffing.traffic_erlangs,
            r.staffing.agents,
            r.staffing.scheduled,
            p.service_level * 100.0,
            p.asa_seconds,
            p.occupancy * 100.0
        );
    }
    out
}
