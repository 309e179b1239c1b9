//! `tandem bench routing`: routing decisions at scale and simulator speed.
//!
//! **Decisions.** 1,000 agents (5–8 skills at levels 1–5, one to three languages, 3 chats
//! and 1 voice each), 50 queues (one or two required skills at levels 1–3, overflow after
//! 60 s and 180 s), 100,000 contacts waiting (70% chat, 30% voice, three languages, three
//! priority classes). Every agent is full. One measured step frees a random agent slot
//! (the router picks and offers the best contact, the agent accepts) and enqueues a new
//! contact, so 100,000 keep waiting. Each router call is timed on its own.
//!
//! The baseline, in the same run on the same sequence, is the obvious implementation: on
//! each free slot, scan every waiting contact for the highest-priority one the agent
//! qualifies for (what a help desk does with one `ORDER BY` over its open conversations).
//!
//! **Simulator.** A 50-agent single queue at 90% load and the 50-queue world above, run
//! to 1,000,000 contacts each; contacts per second of CPU time (this thread's user +
//! system time from `/proc`, wall time where that is unavailable).

use std::time::Instant;

use crate::bench::nearest_rank;
use serde::Serialize;
use tandem_domain::{AgentState, Channel};
use tandem_routing::sim::{self, AgentGroup, Distribution, QueueScenario, Rng, Scenario, Sla};
use tandem_routing::{AgentSpec, ContactSpec, Decision, OverflowStep, QueueSpec, Router, RouterConfig, SkillReq};

const SKILLS: usize = 20;
const LANGS: [&str; 3] = ["en", "es", "de"];

#[derive(Debug, Serialize)]
pub struct LatencyStats {
    pub calls: usize,
    pub per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

#[derive(Debug, Serialize)]
pub struct RoutingBenchReport {
    pub agents: usize,
    pub queues: usize,
    pub waiting: usize,
    /// Freeing a slot: pick the best contact for the agent and offer it.
    pub release_and_offer: LatencyStats,
    /// A new contact arriving while everyone is busy.
    pub enqueue: LatencyStats,
    /// Both together: decisions per second.
    pub decisions_per_second: f64,
    pub baseline_release_and_offer: LatencyStats,
    /// Baseline p99 ÷ router p99.
    pub p99_ratio: f64,
    pub simulator: Vec<SimSpeed>,
}

#[derive(Debug, Serialize)]
pub struct SimSpeed {
    pub scenario: String,
    pub contacts: u64,
    pub cpu_seconds: f64,
    pub contacts_per_cpu_second: f64,
}

struct World {
    queue_skills: Vec<Vec<(usize, u8)>>,
    agent_skills: Vec<Vec<(usize, u8)>>,
    agent_langs: Vec<Vec<usize>>,
}

fn world(rng: &mut Rng, agents: usize, queues: usize) -> World {
    let pick = |rng: &mut Rng, n: usize| (rng.next_u64() % n as u64) as usize;
    let queue_skills = (0..queues)
        .map(|_| {
            let n = 1 + pick(rng, 2);
            let mut v: Vec<(usize, u8)> = (0..n).map(|_| (pick(rng, SKILLS), 1 + pick(rng, 3) as u8)).collect();
            v.dedup_by_key(|s| s.0);
            v
        })
        .collect();
    let agent_skills = (0..agents)
        .map(|_| {
            let n = 5 + pick(rng, 4);
            let mut v: Vec<(usize, u8)> = (0..n).map(|_| (pick(rng, SKILLS), 1 + pick(rng, 5) as u8)).collect();
            v.sort_unstable();
            v.dedup_by_key(|s| s.0);
            v
        })
        .collect();
    let agent_langs = (0..agents)
        .map(|_| {
            let mut v = vec![0];
            for l in 1..LANGS.len() {
                if pick(rng, 3) == 0 {
                    v.push(l);
                }
            }
            v
        })
        .collect();
    World { queue_skills, agent_skills, agent_langs }
}

struct Contact {
    queue: usize,
    channel: Channel,
    lang: usize,
    class: i32,
    arrived: i64,
}

fn random_contact(rng: &mut Rng, queues: usize, now: i64) -> Contact {
    let r = rng.next_u64();
    Contact {
        queue: (r % queues as u64) as usize,
        channel: if (r >> 16) % 10 < 7 { Channel::WebChat } else { Channel::Voice },
        lang: match (r >> 24) % 10 {
            0..=6 => 0,
            7 | 8 => 1,
            _ => 2,
        },
        class: ((r >> 32) % 3) as i32 * 10,
        arrived: now,
    }
}

fn stats(mut ns: Vec<f64>, total_seconds: f64) -> LatencyStats {
    ns.sort_by(f64::total_cmp);
    LatencyStats {
        calls: ns.len(),
        per_second: ns.len() as f64 / total_seconds.max(1e-9),
        p50_us: nearest_rank(&ns, 0.5) / 1000.0,
        p99_us: nearest_rank(&ns, 0.99) / 1000.0,
        max_us: ns.last().copied().unwrap_or(0.0) / 1000.0,
    }
}

type BenchRouter = Router<u32, u32, u64>;

/// Runs the benchmark and prints it.
pub fn run(
    agents: usize,
    queues: usize,
    waiting: usize,
    steps: usize,
    json: bool,
) -> anyhow::Result<RoutingBenchReport> {
    anyhow::ensure!(agents > 0 && queues > 0 && steps > 0, "agents, queues and steps must be > 0");
    let mut rng = Rng::seeded(42);
    let w = world(&mut rng, agents, queues);
    let mut router = BenchRouter::new(RouterConfig::default())?;
    let mut out: Vec<Decision<u64, u32>> = Vec::new();
    for (q, skills) in w.queue_skills.iter().enumerate() {
        router.upsert_queue(
            QueueSpec {
                key: q as u32,
                required_skills: skills.iter().map(|(s, l)| SkillReq::new(format!("skill{s}"), *l)).collect(),
                language: None,
                priority: 0,
                overflow: vec![
                    OverflowStep { after_ms: 60_000, relax_levels: 1, any_language: false },
                    OverflowStep { after_ms: 180_000, relax_levels: 2, any_language: false },
                ],
            },
            0,
            &mut out,
        )?;
    }
    for a in 0..agents {
        router.upsert_agent(
            AgentSpec {
                key: a as u32,
                skills: w.agent_skills[a].iter().map(|(s, l)| SkillReq::new(format!("skill{s}"), *l)).collect(),
                languages: w.agent_langs[a].iter().map(|l| LANGS[*l].to_string()).collect(),
                capacity: vec![(Channel::WebChat, 3), (Channel::Voice, 1)],
                state: AgentState::Available,
            },
            0,
            &mut out,
        )?;
    }
    // Fill: contacts arrive one per 10 ms of virtual time; agents accept every offer.
    let mut now = 0i64;
    let mut next_key = 0u64;
    let mut held: Vec<(u32, Channel)> = Vec::new();
    let mut baseline_waiting: Vec<(u64, Contact)> = Vec::new();
    let mut channels: Vec<Channel> = Vec::new();
    while router.len() < waiting {
        now += 10;
        let c = random_contact(&mut rng, queues, now);
        channels.push(c.channel);
        router.enqueue(contact_spec(next_key, &c), now, &mut out)?;
        accept_all(&mut router, &mut out, &mut held, &channels);
        baseline_waiting.push((next_key, c));
        next_key += 1;
    }
    // The baseline keeps only what still waits in the router.
    baseline_waiting.retain(|(k, _)| router.contact_status(*k).is_some());

    // Measured phase.
    let mut release_ns = Vec::with_capacity(steps);
    let mut enqueue_ns = Vec::with_capacity(steps);
    let mut sequence: Vec<(u32, Channel)> = Vec::with_capacity(steps);
    let started = Instant::now();
    for _ in 0..steps {
        now += 10;
        if held.is_empty() {
            break;
        }
        let i = (rng.next_u64() % held.len() as u64) as usize;
        let (agent, channel) = held.swap_remove(i);
        sequence.push((agent, channel));
        let t = Instant::now();
        router.release(agent, channel, now, &mut out)?;
        release_ns.push(t.elapsed().as_nanos() as f64);
        accept_all(&mut router, &mut out, &mut held, &channels);
        let c = random_contact(&mut rng, queues, now);
        channels.push(c.channel);
        let t = Instant::now();
        router.enqueue(contact_spec(next_key, &c), now, &mut out)?;
        enqueue_ns.push(t.elapsed().as_nanos() as f64);
        next_key += 1;
        accept_all(&mut router, &mut out, &mut held, &channels);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let decisions = release_ns.len() + enqueue_ns.len();
    let release = stats(release_ns.clone(), release_ns.iter().sum::<f64>() / 1e9);
    let enqueue = stats(enqueue_ns.clone(), enqueue_ns.iter().sum::<f64>() / 1e9);

    // Baseline: a linear scan per free slot over the same waiting contacts.
    let baseline_steps = sequence.len().min(2_000);
    let mut baseline_ns = Vec::with_capacity(baseline_steps);
    for &(agent, channel) in sequence.iter().take(baseline_steps) {
        let t = Instant::now();
        let best = baseline_pick(&w, &baseline_waiting, agent as usize, channel, now);
        baseline_ns.push(t.elapsed().as_nanos() as f64);
        if let Some(i) = best {
            baseline_waiting.swap_remove(i);
        }
    }
    let baseline = stats(baseline_ns.clone(), baseline_ns.iter().sum::<f64>() / 1e9);

    let simulator = vec![
        sim_speed("single queue, 50 agents, 90% load", single_queue())?,
        sim_speed("50 queues, 1,000 agents", multi_queue(&w))?,
    ];
    let report = RoutingBenchReport {
        agents,
        queues,
        waiting,
        p99_ratio: baseline.p99_us / release.p99_us.max(1e-9),
        release_and_offer: release,
        enqueue,
        decisions_per_second: decisions as f64 / elapsed.max(1e-9),
        baseline_release_and_offer: baseline,
        simulator,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(report)
}

/// The simulated agents accept every offer.
fn accept_all(
    router: &mut BenchRouter,
    out: &mut Vec<Decision<u64, u32>>,
    held: &mut Vec<(u32, Channel)>,
    channels: &[Channel],
) {
    for d in out.drain(..) {
        if let Decision::Offered { offer, agent, contact, .. } = d
            && router.accept(offer, agent).is_ok()
        {
            held.push((agent, channels[contact as usize]));
        }
    }
}

fn contact_spec(key: u64, c: &Contact) -> ContactSpec<u64, u32, u32> {
    ContactSpec {
        key,
        queue: c.queue as u32,
        channel: c.channel,
        language: Some(LANGS[c.lang].to_string()),
        skills: Vec::new(),
        class_priority: c.class,
        arrived_at: c.arrived,
        previous_agent: None,
    }
}

/// The obvious router: look at every waiting contact.
fn baseline_pick(w: &World, waiting: &[(u64, Contact)], agent: usize, channel: Channel, now: i64) -> Option<usize> {
    let mut best: Option<(i64, usize)> = None;
    for (i, (_, c)) in waiting.iter().enumerate() {
        if c.channel != channel || !w.agent_langs[agent].contains(&c.lang) {
            continue;
        }
        let waited = now - c.arrived;
        let relax = if waited >= 180_000 {
            2
        } else if waited >= 60_000 {
            1
        } else {
            0
        };
        let qualifies = w.queue_skills[c.queue]
            .iter()
            .all(|&(s, level)| w.agent_skills[agent].iter().any(|&(have, l)| have == s && l + relax >= level));
        if !qualifies {
            continue;
        }
        let key = i64::from(c.class) * 10_000 - c.arrived;
        if best.is_none_or(|(k, _)| key > k) {
            best = Some((key, i));
        }
    }
    best.map(|(_, i)| i)
}

fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn sim_speed(name: &str, scenario: Scenario) -> anyhow::Result<SimSpeed> {
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let report = sim::run(&scenario)?;
    let wall = t.elapsed().as_secs_f64();
    let cpu = match (cpu0, cpu_seconds()) {
        (Some(a), Some(b)) if b > a => b - a,
        _ => wall,
    };
    Ok(SimSpeed {
        scenario: name.to_string(),
        contacts: report.contacts,
        cpu_seconds: cpu,
        contacts_per_cpu_second: report.contacts as f64 / cpu.max(1e-9),
    })
}

fn queue(name: String, skills: Vec<(String, u8)>, per_hour: f64, aht: f64) -> QueueScenario {
    QueueScenario {
        name,
        channel: Channel::Voice,
        skills: skills.into_iter().collect(),
        language: None,
        priority: 0,
        sla: Sla::default(),
        arrivals_per_hour: Some(per_hour),
        arrivals_per_interval: None,
        handle_time: Distribution::Exponential { mean_seconds: aht },
        patience: Some(Distribution::Exponential { mean_seconds: 300.0 }),
        overflow: Vec::new(),
        vip_share: 0.1,
    }
}

fn single_queue() -> Scenario {
    let per_hour = 0.9 * 50.0 * 3600.0 / 180.0;
    Scenario {
        seed: 1,
        duration_minutes: 1_000_000.0 / per_hour * 60.0,
        interval_minutes: 30.0,
        warmup_minutes: 0.0,
        routing: Default::default(),
        queues: vec![queue("support".into(), vec![("support".into(), 2)], per_hour, 180.0)],
        agents: vec![AgentGroup {
            name: "team".into(),
            count: 50,
            skills: [("support".to_string(), 3)].into(),
            languages: vec!["en".into()],
            capacity: None,
            shift: None,
            wrap_up_seconds: 0.0,
        }],
    }
}

fn multi_queue(w: &World) -> Scenario {
    // Each agent a voice line; queues share 90% of the agents' capacity.
    let agents = w.agent_skills.len() as f64;
    let queues = w.queue_skills.len() as f64;
    let per_hour_each = 0.9 * agents * 3600.0 / 300.0 / queues;
    let queue_list: Vec<QueueScenario> = w
        .queue_skills
        .iter()
        .enumerate()
        .map(|(q, skills)| {
            let mut sc = queue(
                format!("q{q}"),
                skills.iter().map(|(s, l)| (format!("skill{s}"), *l)).collect(),
                per_hour_each,
                300.0,
            );
            sc.overflow = vec![tandem_routing::sim::OverflowScenario {
                after_seconds: 60.0,
                relax_levels: 2,
                any_language: true,
            }];
            sc
        })
        .collect();
    let groups = w
        .agent_skills
        .iter()
        .enumerate()
        .map(|(a, skills)| AgentGroup {
            name: format!("agent{a}"),
            count: 1,
            skills: skills.iter().map(|(s, l)| (format!("skill{s}"), *l)).collect(),
            languages: vec!["en".into()],
            capacity: Some([(Channel::Voice, 1)].into()),
            shift: None,
            wrap_up_seconds: 0.0,
        })
        .collect();
    Scenario {
        seed: 2,
        duration_minutes: 1_000_000.0 / (per_hour_each * queues) * 60.0,
        interval_minutes: 30.0,
        warmup_minutes: 0.0,
        routing: Default::default(),
        queues: queue_list,
        agents: groups,
    }
}

fn print_report(r: &RoutingBenchReport) {
    println!("Routing: {} agents, {} queues, {} contacts waiting, every agent full.\n", r.agents, r.queues, r.waiting);
    println!(
        "{:<34} {:>9} {:>12} {:>10} {:>10} {:>10}",
        "operation", "calls", "per second", "p50 µs", "p99 µs", "max µs"
    );
    for (name, s) in [
        ("free slot → best contact offered", &r.release_and_offer),
        ("new contact enqueued", &r.enqueue),
        ("baseline: scan all waiting", &r.baseline_release_and_offer),
    ] {
        println!(
            "{:<34} {:>9} {:>12.0} {:>10.2} {:>10.2} {:>10.2}",
            name, s.calls, s.per_second, s.p50_us, s.p99_us, s.max_us
        );
    }
    println!("\nDecisions per second (both operations, one core): {:.0}", r.decisions_per_second);
    println!("p99 ratio, baseline ÷ router: {:.1}×\n", r.p99_ratio);
    println!("{:<40} {:>10} {:>12} {:>22}", "simulator", "contacts", "CPU seconds", "contacts per CPU-second");
    for s in &r.simulator {
        println!("{:<40} {:>10} {:>12.2} {:>22.0}", s.scenario, s.contacts, s.cpu_seconds, s.contacts_per_cpu_second);
    }
}
