//! A seeded discrete-event simulation of a contact-center period, routed by the production
//! [`Router`].
//!
//! Contacts arrive per queue as a Poisson process whose rate may change per interval; each
//! waits in the router until offered, is answered at once (the simulated agent accepts),
//! is handled for a drawn handle time plus wrap-up, then frees the agent's slot. With a
//! patience distribution, a contact still waiting when its patience runs out abandons.
//! Agents work their shift (no shift: the whole period). After the period no new contacts
//! arrive and the simulation runs until every contact is answered or abandoned, or no agent
//! is left to answer.
//!
//! Definitions in the report: service level = answered within the queue's target ÷
//! (answered + abandoned); ASA = mean wait of answered contacts; occupancy = handle and
//! wrap-up time ÷ staffed time, each contact weighted by 1 ÷ the agent's capacity on its
//! channel (a chat of three concurrent ones is a third of the agent), so it is the share of
//! slots in use and the M/M/N occupancy for voice. Contacts that arrive during the warm-up
//! are served but not counted.

mod rng;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use serde::{Deserialize, Serialize};
use tandem_domain::{AgentState, Channel};

use crate::model::{AgentSpec, ContactSpec, Decision, Millis, OverflowStep, QueueSpec, RouterConfig, SkillReq};
use crate::router::Router;

pub use rng::{Distribution, Rng};

/// A scenario file (`tandem simulate --scenario FILE`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Length of the period in which contacts arrive.
    pub duration_minutes: f64,
    /// Length of one forecast interval (for `arrivals_per_interval`).
    #[serde(default = "default_interval")]
    pub interval_minutes: f64,
    /// Contacts arriving before this are served but not counted.
    #[serde(default)]
    pub warmup_minutes: f64,
    #[serde(default)]
    pub routing: RoutingScenario,
    pub queues: Vec<QueueScenario>,
    pub agents: Vec<AgentGroup>,
}

fn default_seed() -> u64 {
    1
}

fn default_interval() -> f64 {
    30.0
}

/// Router settings a scenario may change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingScenario {
    pub aging_seconds_per_point: Option<f64>,
    pub sticky_window_seconds: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueScenario {
    pub name: String,
    #[serde(default = "default_channel")]
    pub channel: Channel,
    #[serde(default)]
    pub skills: BTreeMap<String, u8>,
    pub language: Option<String>,
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub sla: Sla,
    /// A constant arrival rate…
    pub arrivals_per_hour: Option<f64>,
    /// …or contacts expected in each interval (the last value holds for the rest).
    pub arrivals_per_interval: Option<Vec<f64>>,
    pub handle_time: Distribution,
    /// Without it, nobody abandons.
    pub patience: Option<Distribution>,
    #[serde(default)]
    pub overflow: Vec<OverflowScenario>,
    /// Share of contacts from top-tier customers (routed ahead).
    #[serde(default)]
    pub vip_share: f64,
}

fn default_channel() -> Channel {
    Channel::Voice
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    pub target: f64,
    pub seconds: f64,
}

impl Default for Sla {
    fn default() -> Self {
        Self { target: 0.8, seconds: 20.0 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OverflowScenario {
    pub after_seconds: f64,
    pub relax_levels: u8,
    #[serde(default)]
    pub any_language: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentGroup {
    pub name: String,
    pub count: u32,
    #[serde(default)]
    pub skills: BTreeMap<String, u8>,
    #[serde(default)]
    pub languages: Vec<String>,
    /// Concurrent contacts per channel; default 1 voice, 3 web chats, 5 of the rest.
    pub capacity: Option<BTreeMap<Channel, u16>>,
    pub shift: Option<Shift>,
    #[serde(default)]
    pub wrap_up_seconds: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    pub start_minute: f64,
    pub end_minute: f64,
}

/// Results for one queue (or all together).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueReport {
    pub name: String,
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    /// Still waiting when no agent was left.
    pub unanswered: u64,
    pub service_level: f64,
    pub sla_target: Option<f64>,
    pub sla_seconds: Option<f64>,
    pub asa_seconds: f64,
    pub p90_wait_seconds: f64,
    pub aht_seconds: f64,
    /// Handle time of this queue's contacts per second of the measured period.
    pub workload_erlangs: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupReport {
    pub name: String,
    pub agents: u32,
    pub occupancy: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub seed: u64,
    pub queues: Vec<QueueReport>,
    pub overall: QueueReport,
    pub agent_groups: Vec<GroupReport>,
    pub occupancy: f64,
    /// Contacts simulated (including the warm-up).
    pub contacts: u64,
    /// Routing decisions (offers) made.
    pub decisions: u64,
}

/// Why a scenario cannot run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("scenario: {0}")]
pub struct ScenarioError(pub String);

impl Scenario {
    /// Checks everything a run relies on; the message names the field to fix.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        let err = |m: String| Err(ScenarioError(m));
        if !(self.duration_minutes > 0.0 && self.duration_minutes.is_finite()) {
            return err("duration_minutes must be > 0".into());
        }
        if !(self.interval_minutes > 0.0 && self.interval_minutes.is_finite()) {
            return err("interval_minutes must be > 0".into());
        }
        if !(self.warmup_minutes >= 0.0 && self.warmup_minutes < self.duration_minutes) {
            return err("warmup_minutes must be ≥ 0 and shorter than the duration".into());
        }
        if self.queues.is_empty() {
            return err("add at least one [[queues]]".into());
        }
        if self.queues.len() > usize::from(u16::MAX) {
            return err("too many queues".into());
        }
        for q in &self.queues {
            let at = |field: &str| format!("queues `{}`: {field}", q.name);
            match (&q.arrivals_per_hour, &q.arrivals_per_interval) {
                (Some(r), None) if *r >= 0.0 && r.is_finite() => {}
                (None, Some(v)) if !v.is_empty() && v.iter().all(|r| *r >= 0.0 && r.is_finite()) => {}
                _ => return err(at("give either arrivals_per_hour or a non-empty arrivals_per_interval, all ≥ 0")),
            }
            q.handle_time.validate(&at("handle_time")).map_err(ScenarioError)?;
            if let Some(p) = &q.patience {
                p.validate(&at("patience")).map_err(ScenarioError)?;
            }
            if !(q.sla.target > 0.0 && q.sla.target <= 1.0 && q.sla.seconds >= 0.0) {
                return err(at("sla needs target in (0, 1] and seconds ≥ 0"));
            }
            if !(0.0..=1.0).contains(&q.vip_share) {
                return err(at("vip_share must be in [0, 1]"));
            }
            if q.skills.values().any(|l| !(1..=5).contains(l)) {
                return err(at("skill levels are 1 to 5"));
            }
        }
        if self.agents.is_empty() {
            return err("add at least one [[agents]] group".into());
        }
        for g in &self.agents {
            if g.skills.values().any(|l| !(1..=5).contains(l)) {
                return err(format!("agents `{}`: skill levels are 1 to 5", g.name));
            }
            if let Some(s) = g.shift
                && !(s.start_minute >= 0.0 && s.end_minute > s.start_minute)
            {
                return err(format!("agents `{}`: shift needs 0 ≤ start_minute < end_minute", g.name));
            }
            if !(g.wrap_up_seconds >= 0.0 && g.wrap_up_seconds.is_finite()) {
                return err(format!("agents `{}`: wrap_up_seconds must be ≥ 0", g.name));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Arrival { queue: u16 },
    Done { agent: u32, queue: u16, channel: u8, started: Millis },
    Abandon { contact: u64 },
    ShiftStart { agent: u32 },
    ShiftEnd { agent: u32 },
}

#[derive(Default)]
struct Tally {
    offered: u64,
    answered: u64,
    abandoned: u64,
    within: u64,
    wait_ms_sum: u128,
    waits: Vec<u32>,
    handle_ms: u128,
    handled: u64,
    busy_ms_in_window: u128,
}

struct Live {
    queue: u16,
    arrived: Millis,
    counted: bool,
}

fn ms(seconds: f64) -> Millis {
    (seconds * 1000.0).round() as Millis
}

/// Runs a scenario to completion. Deterministic for a given scenario (seed included).
pub fn run(scenario: &Scenario) -> Result<Report, ScenarioError> {
    scenario.validate()?;
    let mut sim = Sim::new(scenario)?;
    sim.run();
    Ok(sim.report())
}

struct Sim<'a> {
    sc: &'a Scenario,
    rng: Rng,
    router: Router<u32, u16, u64>,
    events: BinaryHeap<Reverse<(Millis, u64, Event)>>,
    event_seq: u64,
    out: Vec<Decision<u64, u32>>,
    live: Vec<Option<Live>>,
    live_free: Vec<u32>,
    generation: u32,
    tallies: Vec<Tally>,
    group_of: Vec<usize>,
    wrap_ms: Vec<Millis>,
    busy_by_group: Vec<f64>,
    capacity: Vec<[u16; Channel::ALL.len()]>,
    end: Millis,
    warmup: Millis,
    contacts: u64,
    decisions: u64,
}

impl<'a> Sim<'a> {
    fn new(sc: &'a Scenario) -> Result<Self, ScenarioError> {
        let mut config = RouterConfig { away_on_missed_offer: false, ..RouterConfig::default() };
        if let Some(a) = sc.routing.aging_seconds_per_point {
            config.aging_ms_per_point = ms(a).max(1);
        }
        if let Some(s) = sc.routing.sticky_window_seconds {
            config.sticky_window_ms = ms(s).max(0);
        }
        // Simulated agents accept at once; offers never time out.
        config.offer_timeout_ms = None;
        let mut router = Router::new(config).map_err(|e| ScenarioError(e.to_string()))?;
        let mut out = Vec::new();
        for (i, q) in sc.queues.iter().enumerate() {
            router
                .upsert_queue(
                    QueueSpec {
                        key: i as u16,
                        required_skills: q.skills.iter().map(|(n, l)| SkillReq::new(n.clone(), *l)).collect(),
                        language: q.language.clone(),
                        priority: q.priority,
                        overflow: q
                            .overflow
                            .iter()
                            .map(|o| OverflowStep {
                                after_ms: ms(o.after_seconds),
                                relax_levels: o.relax_levels,
                                any_language: o.any_language,
                            })
                            .collect(),
                    },
                    0,
                    &mut out,
                )
                .map_err(|e| ScenarioError(format!("queues `{}`: {e}", q.name)))?;
        }
        let mut sim = Self {
            sc,
            rng: Rng::seeded(sc.seed),
            router,
            events: BinaryHeap::new(),
            event_seq: 0,
            out,
            live: Vec::new(),
            live_free: Vec::new(),
            generation: 0,
            tallies: sc.queues.iter().map(|_| Tally::default()).collect(),
            group_of: Vec::new(),
            wrap_ms: Vec::new(),
            busy_by_group: vec![0.0; sc.agents.len()],
            capacity: Vec::new(),
            end: ms(sc.duration_minutes * 60.0),
            warmup: ms(sc.warmup_minutes * 60.0),
            contacts: 0,
            decisions: 0,
        };
        let mut next_agent = 0u32;
        for (g, group) in sc.agents.iter().enumerate() {
            let capacity: Vec<(Channel, u16)> = match &group.capacity {
                Some(c) => c.iter().map(|(ch, n)| (*ch, *n)).collect(),
                None => tandem_domain::agent::default_capacity().into_iter().collect(),
            };
            for _ in 0..group.count {
                let agent = next_agent;
                next_agent += 1;
                sim.group_of.push(g);
                let mut slots = [0u16; 6];
                for (ch, n) in &capacity {
                    slots[*ch as usize] = *n;
                }
                sim.capacity.push(slots);
                sim.wrap_ms.push(ms(group.wrap_up_seconds));
                let on_shift = group.shift.is_none_or(|s| s.start_minute <= 0.0);
                sim.router
                    .upsert_agent(
                        AgentSpec {
                            key: agent,
                            skills: group.skills.iter().map(|(n, l)| SkillReq::new(n.clone(), *l)).collect(),
                            languages: group.languages.clone(),
                            capacity: capacity.clone(),
                            state: if on_shift { AgentState::Available } else { AgentState::Offline },
                        },
                        0,
                        &mut sim.out,
                    )
                    .map_err(|e| ScenarioError(format!("agents `{}`: {e}", group.name)))?;
                if let Some(shift) = group.shift {
                    if shift.start_minute > 0.0 {
                        sim.push(ms(shift.start_minute * 60.0), Event::ShiftStart { agent });
                    }
                    sim.push(ms(shift.end_minute * 60.0), Event::ShiftEnd { agent });
                }
            }
        }
        for q in 0..sc.queues.len() {
            if let Some(t) = sim.next_arrival(q, 0) {
                sim.push(t, Event::Arrival { queue: q as u16 });
            }
        }
        Ok(sim)
    }

    fn push(&mut self, at: Millis, event: Event) {
        self.event_seq += 1;
        self.events.push(Reverse((at, self.event_seq, event)));
    }

    /// Rate (per ms) of queue `q` in the interval containing `t`, and that interval's end.
    fn rate_at(&self, q: usize, t: Millis) -> (f64, Millis) {
        let queue = &self.sc.queues[q];
        let interval = ms(self.sc.interval_minutes * 60.0).max(1);
        let index = (t / interval) as usize;
        let interval_end = ((index as Millis) + 1) * interval;
        let per_ms = match (&queue.arrivals_per_hour, &queue.arrivals_per_interval) {
            (Some(r), _) => return (r / 3_600_000.0, Millis::MAX),
            (None, Some(v)) => v.get(index).or(v.last()).copied().unwrap_or(0.0) / interval as f64,
            (None, None) => 0.0,
        };
        (per_ms, interval_end)
    }

    /// The next Poisson arrival after `t` (piecewise-constant rate), if before the end.
    fn next_arrival(&mut self, q: usize, mut t: Millis) -> Option<Millis> {
        loop {
            if t >= self.end {
                return None;
            }
            let (rate, interval_end) = self.rate_at(q, t);
            if rate > 0.0 {
                let next = t + (self.rng.exponential(1.0 / rate)).round().max(0.0) as Millis;
                if next < interval_end {
                    return (next < self.end).then_some(next);
                }
            }
            t = interval_end;
        }
    }

    fn run(&mut self) {
        loop {
            let next_event = self.events.peek().map(|Reverse((t, _, _))| *t);
            let deadline = self.router.next_deadline();
            match (next_event, deadline) {
                (_, Some(d)) if next_event.is_none_or(|t| d < t) => {
                    self.router.tick(d, &mut self.out);
                    self.drain(d);
                }
                (Some(_), _) => {
                    let Some(Reverse((now, _, event))) = self.events.pop() else { break };
                    self.handle(now, event);
                    self.drain(now);
                }
                (None, _) => break,
            }
        }
    }

    fn handle(&mut self, now: Millis, event: Event) {
        match event {
            Event::Arrival { queue } => {
                let q = usize::from(queue);
                if let Some(t) = self.next_arrival(q, now) {
                    self.push(t, Event::Arrival { queue });
                }
                self.contacts += 1;
                let counted = now >= self.warmup;
                if counted {
                    self.tallies[q].offered += 1;
                }
                let slot = match self.live_free.pop() {
                    Some(s) => s,
                    None => {
                        self.live.push(None);
                        (self.live.len() - 1) as u32
                    }
                };
                self.generation = self.generation.wrapping_add(1);
                let key = (u64::from(self.generation) << 32) | u64::from(slot);
                self.live[slot as usize] = Some(Live { queue, arrived: now, counted });
                let spec = &self.sc.queues[q];
                let vip = spec.vip_share > 0.0 && self.rng.unit() <= spec.vip_share;
                if let Some(p) = &spec.patience {
                    let patience = ms(p.sample(&mut self.rng));
                    self.push(now + patience, Event::Abandon { contact: key });
                }
                let contact = ContactSpec {
                    key,
                    queue,
                    channel: spec.channel,
                    language: None,
                    skills: Vec::new(),
                    class_priority: spec.priority + if vip { 20 } else { 0 },
                    arrived_at: now,
                    previous_agent: None,
                };
                // The queue exists and keys are unique, so this cannot be refused.
                let _ = self.router.enqueue(contact, now, &mut self.out);
            }
            Event::Abandon { contact } => {
                if self.router.remove(contact, now, &mut self.out).is_ok()
                    && let Some(live) = self.take_live(contact)
                    && live.counted
                {
                    self.tallies[usize::from(live.queue)].abandoned += 1;
                }
            }
            Event::Done { agent, queue, channel, started } => {
                let busy = (now.min(self.end).max(self.warmup) - started.min(self.end).max(self.warmup)).max(0);
                let slots = self.capacity[agent as usize][usize::from(channel)].max(1);
                self.busy_by_group[self.group_of[agent as usize]] += busy as f64 / f64::from(slots);
                self.tallies[usize::from(queue)].busy_ms_in_window += busy as u128;
                let _ = self.router.release(agent, Channel::ALL[usize::from(channel)], now, &mut self.out);
            }
            Event::ShiftStart { agent } => {
                let _ = self.router.set_agent_state(agent, AgentState::Available, now, &mut self.out);
            }
            Event::ShiftEnd { agent } => {
                let _ = self.router.set_agent_state(agent, AgentState::Offline, now, &mut self.out);
            }
        }
    }

    fn take_live(&mut self, key: u64) -> Option<Live> {
        let slot = (key & 0xffff_ffff) as u32;
        let live = self.live.get_mut(slot as usize)?.take()?;
        self.live_free.push(slot);
        Some(live)
    }

    /// Simulated agents accept every offer at once.
    fn drain(&mut self, now: Millis) {
        while let Some(decision) = self.out.pop() {
            let Decision::Offered { offer, contact, agent, .. } = decision else { continue };
            self.decisions += 1;
            if self.router.accept(offer, agent).is_err() {
                continue;
            }
            let Some(live) = self.take_live(contact) else { continue };
            let q = usize::from(live.queue);
            let spec = &self.sc.queues[q];
            let handle = ms(spec.handle_time.sample(&mut self.rng)).max(1);
            let wait = now - live.arrived;
            if live.counted {
                let tally = &mut self.tallies[q];
                tally.answered += 1;
                tally.wait_ms_sum += wait as u128;
                tally.waits.push(u32::try_from(wait).unwrap_or(u32::MAX));
                if wait <= ms(spec.sla.seconds) {
                    tally.within += 1;
                }
                tally.handle_ms += handle as u128;
                tally.handled += 1;
            }
            let done = now + handle + self.wrap_ms[agent as usize];
            self.push(done, Event::Done { agent, queue: live.queue, channel: spec.channel as u8, started: now });
        }
    }

    fn report(mut self) -> Report {
        let window_ms = (self.end - self.warmup).max(1) as f64;
        let unanswered = {
            let mut by_queue = vec![0u64; self.sc.queues.len()];
            for live in self.live.iter().flatten() {
                if live.counted {
                    by_queue[usize::from(live.queue)] += 1;
                }
            }
            by_queue
        };
        let mut queues = Vec::new();
        let mut all = Tally::default();
        for (q, tally) in self.tallies.iter_mut().enumerate() {
            let spec = &self.sc.queues[q];
            queues.push(queue_report(&spec.name, tally, unanswered[q], Some(spec.sla), window_ms));
            all.offered += tally.offered;
            all.answered += tally.answered;
            all.abandoned += tally.abandoned;
            all.within += tally.within;
            all.wait_ms_sum += tally.wait_ms_sum;
            all.waits.append(&mut tally.waits);
            all.handle_ms += tally.handle_ms;
            all.handled += tally.handled;
            all.busy_ms_in_window += tally.busy_ms_in_window;
        }
        let overall = queue_report("overall", &mut all, unanswered.iter().sum(), None, window_ms);
        let mut staffed_by_group = vec![0f64; self.sc.agents.len()];
        let mut agents_by_group = vec![0u32; self.sc.agents.len()];
        for (g, group) in self.sc.agents.iter().enumerate() {
            let (start, end) = match group.shift {
                Some(s) => (ms(s.start_minute * 60.0), ms(s.end_minute * 60.0)),
                None => (0, self.end),
            };
            let overlap = (end.min(self.end) - start.max(self.warmup)).max(0) as f64;
            staffed_by_group[g] = overlap * f64::from(group.count);
            agents_by_group[g] = group.count;
        }
        let agent_groups = self
            .sc
            .agents
            .iter()
            .enumerate()
            .map(|(g, group)| GroupReport {
                name: group.name.clone(),
                agents: agents_by_group[g],
                occupancy: ratio(self.busy_by_group[g], staffed_by_group[g]),
            })
            .collect();
        let occupancy = ratio(self.busy_by_group.iter().sum(), staffed_by_group.iter().sum());
        Report {
            seed: self.sc.seed,
            queues,
            overall,
            agent_groups,
            occupancy,
            contacts: self.contacts,
            decisions: self.decisions,
        }
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

fn queue_report(name: &str, t: &mut Tally, unanswered: u64, sla: Option<Sla>, window_ms: f64) -> QueueReport {
    let p90 = if t.waits.is_empty() {
        0.0
    } else {
        let k = ((t.waits.len() as f64) * 0.9).ceil() as usize - 1;
        let k = k.min(t.waits.len() - 1);
        let (_, v, _) = t.waits.select_nth_unstable(k);
        f64::from(*v) / 1000.0
    };
    QueueReport {
        name: name.to_string(),
        offered: t.offered,
        answered: t.answered,
        abandoned: t.abandoned,
        unanswered,
        service_level: ratio(t.within as f64, (t.answered + t.abandoned) as f64),
        sla_target: sla.map(|s| s.target),
        sla_seconds: sla.map(|s| s.seconds),
        asa_seconds: ratio(t.wait_ms_sum as f64, t.answered as f64) / 1000.0,
        p90_wait_seconds: p90,
        aht_seconds: ratio(t.handle_ms as f64, t.handled as f64) / 1000.0,
        workload_erlangs: t.busy_ms_in_window as f64 / window_ms,
    }
}
