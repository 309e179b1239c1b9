//! Invariants under random sequences of arrivals, state changes, accepts, declines,
//! releases, abandonment and time passing, checked against an independent model:
//!
//! - no agent is ever over capacity;
//! - no agent is offered a contact whose skill or language they lack, unless an overflow
//!   step the contact has reached allows it, and then the decision names that step;
//! - a contact has at most one open offer;
//! - within one priority class of one queue, contacts are offered first come, first served;
//! - nobody idles while a contact they qualify for waits (the router is work-conserving).

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use tandem_domain::{AgentState, Channel};
use tandem_routing::{
    AgentSpec, ContactSpec, ContactStatus, Decision, OverflowStep, QueueSpec, Router, RouterConfig, Rule, SkillReq,
};

const SKILLS: [&str; 2] = ["billing", "tech"];
const LANGS: [&str; 2] = ["en", "es"];
const CHANNELS: [Channel; 2] = [Channel::Voice, Channel::WebChat];

#[derive(Clone, Debug)]
struct AgentModel {
    levels: [u8; 2],
    langs: Vec<usize>,
    cap: [u16; 2],
}

#[derive(Clone, Debug)]
struct QueueModel {
    skill: usize,
    level: u8,
    lang: Option<usize>,
    /// (after_ms, relax_levels, any_language)
    step: Option<(i64, u8, bool)>,
}

#[derive(Clone, Debug)]
enum Op {
    Enqueue { queue: usize, channel: usize, lang: usize, class: i32, previous: Option<usize> },
    Advance(i64),
    SetState { agent: usize, available: bool },
    Accept(usize),
    Decline(usize),
    Release(usize),
    Remove(usize),
}

fn agent_model() -> impl Strategy<Value = AgentModel> {
    ([0u8..=5, 0u8..=5], prop::sample::subsequence(vec![0usize, 1], 1..=2), [0u16..=2, 0u16..=3])
        .prop_map(|(levels, langs, cap)| AgentModel { levels, langs, cap })
}

fn queue_model() -> impl Strategy<Value = QueueModel> {
    (0usize..2, 1u8..=5, prop::option::of(0usize..2), prop::option::of((5_000i64..60_000, 1u8..=4, any::<bool>())))
        .prop_map(|(skill, level, lang, step)| QueueModel { skill, level, lang, step })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..2, 0usize..2, 0usize..2, 0i32..3, prop::option::of(0usize..4)).prop_map(
            |(queue, channel, lang, class, previous)| Op::Enqueue { queue, channel, lang, class: class * 10, previous }
        ),
        3 => (0i64..40_000).prop_map(Op::Advance),
        2 => (0usize..4, any::<bool>()).prop_map(|(agent, available)| Op::SetState { agent, available }),
        3 => any::<usize>().prop_map(Op::Accept),
        1 => any::<usize>().prop_map(Op::Decline),
        2 => any::<usize>().prop_map(Op::Release),
        1 => any::<usize>().prop_map(Op::Remove),
    ]
}

#[derive(Clone, Debug)]
struct ContactModel {
    queue: usize,
    channel: usize,
    lang: usize,
    class: i32,
    order: u32,
    entered: i64,
    excluded: BTreeSet<usize>,
    offer: Option<(u64, usize)>,
}

struct World {
    agents: Vec<AgentModel>,
    queues: Vec<QueueModel>,
    states: Vec<AgentState>,
    contacts: BTreeMap<u32, ContactModel>,
    held: Vec<(usize, usize)>,
    now: i64,
    next_key: u32,
}

impl World {
    /// The first step at which `a` qualifies for contact `c`, by the model's own reckoning.
    fn qualifying_step(&self, a: usize, c: &ContactModel) -> Option<u8> {
        let agent = &self.agents[a];
        let queue = &self.queues[c.queue];
        let have = agent.levels[queue.skill];
        if have == 0 {
            return None;
        }
        let lang = queue.lang.unwrap_or(c.lang);
        let speaks = agent.langs.contains(&lang);
        if have >= queue.level && speaks {
            return Some(0);
        }
        let (_, relax, any_language) = queue.step?;
        (have + relax >= queue.level && (speaks || any_language)).then_some(1)
    }

    fn reached(&self, c: &ContactModel, step: u8) -> bool {
        step == 0 || self.queues[c.queue].step.is_some_and(|(after, _, _)| self.now - c.entered >= after)
    }

    fn load(&self, a: usize, ch: usize) -> u16 {
        let offered =
            self.contacts.values().filter(|c| c.offer.is_some_and(|(_, x)| x == a) && c.channel == ch).count();
        let held = self.held.iter().filter(|&&(x, y)| x == a && y == ch).count();
        (offered + held) as u16
    }

    fn open(&self, a: usize, ch: usize) -> bool {
        self.states[a] == AgentState::Available && self.load(a, ch) < self.agents[a].cap[ch]
    }

    fn apply(
        &mut self,
        out: Vec<Decision<u32, usize>>,
        router: &Router<usize, usize, u32>,
    ) -> Result<(), TestCaseError> {
        for d in out {
            match d {
                Decision::Offered { offer, contact, agent, rule, .. } => {
                    let c =
                        self.contacts.get(&contact).cloned().ok_or_else(|| TestCaseError::fail("unknown contact"))?;
                    prop_assert!(c.offer.is_none(), "contact {contact} offered twice at once");
                    let step = self.qualifying_step(agent, &c);
                    prop_assert!(step.is_some(), "agent {agent} lacks a skill or language for {contact}");
                    let step = step.unwrap_or(0);
                    prop_assert!(self.reached(&c, step), "overflow step {step} not reached for {contact}");
                    if rule != Rule::Sticky {
                        let expected = if step == 0 { Rule::Best } else { Rule::Overflow { step } };
                        prop_assert_eq!(rule, expected);
                        // First come, first served within the class.
                        for (k, other) in &self.contacts {
                            let waiting =
                                other.offer.is_none() && router.contact_status(*k) == Some(ContactStatus::Waiting);
                            if *k != contact
                                && waiting
                                && other.queue == c.queue
                                && other.channel == c.channel
                                && (self.queues[c.queue].lang.is_some() || other.lang == c.lang)
                                && other.class == c.class
                                && other.order < c.order
                                && !other.excluded.contains(&agent)
                                && self.qualifying_step(agent, other).is_some_and(|s| self.reached(other, s))
                            {
                                return Err(TestCaseError::fail(format!(
                                    "{contact} offered to {agent} ahead of earlier {k}"
                                )));
                            }
                        }
                    }
                    if let Some(m) = self.contacts.get_mut(&contact) {
                        m.offer = Some((offer, agent));
                    }
                    prop_assert!(self.load(agent, c.channel) <= self.agents[agent].cap[c.channel], "over capacity");
                }
                Decision::OfferTimedOut { contact, agent, .. } => {
                    if let Some(m) = self.contacts.get_mut(&contact) {
                        m.offer = None;
                        m.excluded.insert(agent);
                    }
                }
                Decision::AgentStateChanged { agent, state } => self.states[agent] = state,
            }
        }
        Ok(())
    }

    fn check(&self, router: &Router<usize, usize, u32>) -> Result<(), TestCaseError> {
        for a in 0..self.agents.len() {
            for (ch, channel) in CHANNELS.iter().enumerate() {
                let load = router.agent_load(a, *channel).unwrap_or(0);
                prop_assert_eq!(load, self.load(a, ch), "load of agent {} on {}", a, channel);
                prop_assert!(load <= self.agents[a].cap[ch], "agent {} over capacity", a);
            }
            prop_assert_eq!(router.agent_state(a), Some(self.states[a]));
        }
        for (k, c) in &self.contacts {
            if router.contact_status(*k) != Some(ContactStatus::Waiting) {
                continue;
            }
            for a in 0..self.agents.len() {
                let qualifies = self.qualifying_step(a, c).is_some_and(|s| self.reached(c, s));
                prop_assert!(
                    !(qualifies && self.open(a, c.channel) && !c.excluded.contains(&a)),
                    "agent {} idles while qualified contact {} waits",
                    a,
                    k
                );
            }
        }
        Ok(())
    }
}

fn pick<T: Clone>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()].clone())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn routing_invariants_hold(
        agents in prop::collection::vec(agent_model(), 4),
        queues in prop::collection::vec(queue_model(), 2),
        ops in prop::collection::vec(op(), 1..80),
    ) {
        let mut router: Router<usize, usize, u32> =
            Router::new(RouterConfig { offer_timeout_ms: Some(20_000), sticky_window_ms: 15_000, ..RouterConfig::default() })
                .unwrap();
        let mut world = World {
            agents: agents.clone(),
            queues: queues.clone(),
            states: vec![AgentState::Available; 4],
            contacts: BTreeMap::new(),
            held: Vec::new(),
            now: 0,
            next_key: 0,
        };
        let mut out = Vec::new();
        for (i, q) in queues.iter().enumerate() {
            router.upsert_queue(QueueSpec {
                key: i,
                required_skills: vec![SkillReq::new(SKILLS[q.skill], q.level)],
                language: q.lang.map(|l| LANGS[l].to_string()),
                priority: 0,
                overflow: q.step.iter().map(|&(after_ms, relax_levels, any_language)| OverflowStep { after_ms, relax_levels, any_language }).collect(),
            }, 0, &mut out).unwrap();
        }
        for (i, a) in agents.iter().enumerate() {
            router.upsert_agent(AgentSpec {
                key: i,
                skills: SKILLS.iter().zip(a.levels).filter(|(_, l)| *l > 0).map(|(s, l)| SkillReq::new(*s, l)).collect(),
                languages: a.langs.iter().map(|l| LANGS[*l].to_string()).collect(),
                capacity: vec![(CHANNELS[0], a.cap[0]), (CHANNELS[1], a.cap[1])],
                state: AgentState::Available,
            }, 0, &mut out).unwrap();
        }
        world.apply(std::mem::take(&mut out), &router)?;
        for op in ops {
            match op {
                Op::Enqueue { queue, channel, lang, class, previous } => {
                    let key = world.next_key;
                    world.next_key += 1;
                    world.contacts.insert(key, ContactModel {
                        queue, channel, lang, class, order: key, entered: world.now, excluded: BTreeSet::new(), offer: None,
                    });
                    router.enqueue(ContactSpec {
                        key, queue, channel: CHANNELS[channel], language: Some(LANGS[lang].to_string()),
                        skills: vec![], class_priority: class, arrived_at: world.now, previous_agent: previous,
                    }, world.now, &mut out).unwrap();
                }
                Op::Advance(ms) => {
                    // Tick at each deadline on the way, as the server's timer does.
                    let until = world.now + ms;
                    while let Some(at) = router.next_deadline().filter(|at| *at <= until) {
                        world.now = world.now.max(at);
                        router.tick(world.now, &mut out);
                        world.apply(std::mem::take(&mut out), &router)?;
                        world.check(&router)?;
                    }
                    world.now = until;
                    router.tick(world.now, &mut out);
                }
                Op::SetState { agent, available } => {
                    let state = if available { AgentState::Available } else { AgentState::Away };
                    world.states[agent] = state;
                    router.set_agent_state(agent, state, world.now, &mut out).unwrap();
                }
                Op::Accept(i) | Op::Decline(i) => {
                    let open: Vec<(u32, u64, usize)> = world.contacts.iter()
                        .filter_map(|(k, c)| c.offer.map(|(o, a)| (*k, o, a))).collect();
                    let Some((key, offer, agent)) = pick(&open, i) else { continue };
                    if matches!(op, Op::Accept(_)) {
                        prop_assert_eq!(router.accept(offer, agent), Ok(key));
                        let c = world.contacts.remove(&key).unwrap();
                        world.held.push((agent, c.channel));
                    } else {
                        let c = world.contacts.get_mut(&key).unwrap();
                        c.offer = None;
                        c.excluded.insert(agent);
                        prop_assert_eq!(router.decline(offer, agent, world.now, &mut out), Ok(key));
                    }
                }
                Op::Release(i) => {
                    let Some((agent, ch)) = pick(&world.held, i) else { continue };
                    let at = world.held.iter().position(|h| *h == (agent, ch)).unwrap();
                    world.held.remove(at);
                    router.release(agent, CHANNELS[ch], world.now, &mut out).unwrap();
                }
                Op::Remove(i) => {
                    let keys: Vec<u32> = world.contacts.keys().copied().collect();
                    let Some(key) = pick(&keys, i) else { continue };
                    world.contacts.remove(&key);
                    router.remove(key, world.now, &mut out).unwrap();
                }
            }
            world.apply(std::mem::take(&mut out), &router)?;
            world.check(&router)?;
        }
    }
}
