//! The router: agents, queues and waiting contacts, and the rules that pair them.
//!
//! ## How it is organised
//!
//! Contacts are grouped by *target*: one queue, one channel, one language and one set of
//! extra skills. For each target and each overflow step the router keeps the agents who
//! qualify at that step (and not before) and are free right now, ordered by skill fit then
//! fairness (load, then longest since their last offer). So "best agent for this contact"
//! is a look at the head of at most a few ordered sets.
//!
//! Within a target, waiting contacts sit in one bucket per class priority, in arrival
//! order. Aging adds the same points per second to everyone, so a contact's effective
//! priority is `class + (now - arrived) / aging` and the order between two contacts never
//! changes while they wait: comparing `class * aging - arrived` is enough, with no
//! re-sorting. An agent who frees capacity looks at the head of each bucket of the targets
//! they serve and takes the highest effective priority they qualify for.
//!
//! Timers (overflow steps, sticky windows, offer timeouts) are kept in one heap; the caller
//! calls [`Router::tick`] at or after [`Router::next_deadline`].

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::hash::Hash;

use tandem_domain::{AgentState, Channel};

use crate::hash::FxMap;
use crate::model::{
    AgentSpec, ContactSpec, Decision, Millis, OfferId, QueueSpec, RouteError, RouterConfig, Rule, Score, SkillReq,
};

const CHANNELS: usize = Channel::ALL.len();

/// Who could take a new contact of a queue (see [`Router::outlook`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outlook {
    pub working: usize,
    pub free: usize,
    pub waiting: usize,
}

/// Where a contact stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactStatus<A> {
    Waiting,
    /// Held for one agent (sticky routing or a direct transfer); `until` ends a sticky hold.
    Reserved {
        agent: A,
        until: Option<Millis>,
    },
    Offered {
        offer: OfferId,
        agent: A,
        expires_at: Millis,
    },
}

type SkillSet = Vec<(u16, u8)>;

/// An agent's place in a free-agents set: better fit first, then lower load, then longest
/// since the last offer, then index for a total order.
type AgentRank = (Reverse<u16>, u16, Millis, u32);

#[derive(Clone, Copy, Debug)]
struct Membership {
    target: u32,
    step: u8,
    fit: u16,
}

struct AgentSlot<A> {
    key: A,
    skills: SkillSet,
    langs: Vec<u16>,
    cap: [u16; CHANNELS],
    load: [u16; CHANNELS],
    state: AgentState,
    last_offer: Millis,
    memberships: Vec<Membership>,
    /// Contacts held for this agent, in the order they arrived.
    reserved: Vec<u32>,
    /// Out of the free-agent sets while the router changes them (see `detach`).
    detached: bool,
}

impl<A> AgentSlot<A> {
    fn open(&self, channel: usize) -> bool {
        self.state == AgentState::Available && self.load[channel] < self.cap[channel]
    }

    fn rank(&self, index: u32, m: Membership, channel: usize) -> AgentRank {
        (Reverse(m.fit), self.load[channel], self.last_offer, index)
    }
}

struct QueueSlot {
    skills: SkillSet,
    lang: Option<u16>,
    priority: i32,
    /// Per step (0 = none): cumulative relaxation and whether language is waived.
    steps: Vec<(Millis, u8, bool)>,
    targets: Vec<u32>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct TargetKey {
    queue: u32,
    channel: u8,
    lang: Option<u16>,
    extra: SkillSet,
}

struct Target {
    key: TargetKey,
    /// Queue and contact skills merged (highest level wins).
    skills: SkillSet,
    lang: Option<u16>,
    /// Class priority (highest first) → arrival order → contact.
    buckets: BTreeMap<Reverse<i32>, BTreeMap<(Millis, u64), Waiter>>,
    /// Free agents by the overflow step at which they first qualify.
    free: Vec<BTreeSet<AgentRank>>,
}

/// A waiting contact's entry in its bucket, with what an agent checks before taking it,
/// so the common case needs no look-up of the contact itself.
#[derive(Clone, Copy, Debug)]
struct Waiter {
    contact: u32,
    since: Millis,
    /// Someone declined or missed it (then the exclusion list is checked).
    excluded: bool,
}

#[derive(Clone, Debug)]
enum Status {
    Waiting,
    Reserved { agent: u32, until: Option<Millis>, rule: Rule },
    Offered { offer: OfferId, agent: u32, expires_at: Millis },
}

struct ContactSlot<C> {
    key: C,
    target: u32,
    channel: usize,
    class: i32,
    arrived: Millis,
    /// When it entered this queue; overflow steps count from here.
    since: Millis,
    seq: u64,
    status: Status,
    /// Agents who declined or missed this contact.
    excluded: Vec<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Step { contact: u32, seq: u64 },
    ReserveEnd { contact: u32, seq: u64 },
    OfferEnd { offer: OfferId },
}

/// The routing engine. `A`, `Q` and `C` are the caller's keys for agents, queues and
/// contacts (ids in the server, integers in the simulator).
pub struct Router<A, Q, C> {
    config: RouterConfig,
    skill_names: FxMap<String, u16>,
    lang_names: FxMap<String, u16>,
    agents: Vec<AgentSlot<A>>,
    agent_ix: FxMap<A, u32>,
    queues: Vec<QueueSlot>,
    queue_ix: FxMap<Q, u32>,
    targets: Vec<Target>,
    target_ix: FxMap<TargetKey, u32>,
    contacts: Vec<Option<ContactSlot<C>>>,
    free_slots: Vec<u32>,
    contact_ix: FxMap<C, u32>,
    offers: FxMap<OfferId, u32>,
    /// (due, contact order, timer): timers due together fire in contact order, so FIFO holds.
    timers: BinaryHeap<Reverse<(Millis, u64, Timer)>>,
    next_offer: OfferId,
    next_seq: u64,
}

pub trait Key: Copy + Eq + Hash + std::fmt::Debug {}
impl<T: Copy + Eq + Hash + std::fmt::Debug> Key for T {}

impl<A: Key, Q: Key, C: Key> Router<A, Q, C> {
    /// A router with no agents or queues. Refuses non-positive durations.
    pub fn new(config: RouterConfig) -> Result<Self, RouteError> {
        if config.aging_ms_per_point <= 0
            || config.offer_timeout_ms.is_some_and(|t| t <= 0)
            || config.sticky_window_ms < 0
        {
            return Err(RouteError::Invalid(
                "aging and offer timeout must be positive and the sticky window not negative".into(),
            ));
        }
        Ok(Self {
            config,
            skill_names: FxMap::default(),
            lang_names: FxMap::default(),
            agents: Vec::new(),
            agent_ix: FxMap::default(),
            queues: Vec::new(),
            queue_ix: FxMap::default(),
            targets: Vec::new(),
            target_ix: FxMap::default(),
            contacts: Vec::new(),
            free_slots: Vec::new(),
            contact_ix: FxMap::default(),
            offers: FxMap::default(),
            timers: BinaryHeap::new(),
            next_offer: 1,
            next_seq: 0,
        })
    }

    pub fn config(&self) -> &RouterConfig {
        &self.config
    }

    // ---- set-up -------------------------------------------------------------------------

    fn intern_skills(&mut self, skills: &[SkillReq]) -> Result<SkillSet, RouteError> {
        let mut out: SkillSet = Vec::with_capacity(skills.len());
        for s in skills {
            if !(1..=5).contains(&s.level) {
                return Err(RouteError::Invalid(format!(
                    "skill `{}` has level {}; use 1 (basic) to 5 (expert)",
                    s.name, s.level
                )));
            }
            let next =
                u16::try_from(self.skill_names.len()).map_err(|_| RouteError::Invalid("too many skills".into()))?;
            let id = *self.skill_names.entry(s.name.to_lowercase()).or_insert(next);
            match out.iter_mut().find(|(k, _)| *k == id) {
                Some(existing) => existing.1 = existing.1.max(s.level),
                None => out.push((id, s.level)),
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    fn intern_lang(&mut self, lang: &str) -> u16 {
        let next = self.lang_names.len() as u16;
        *self.lang_names.entry(lang.to_lowercase()).or_insert(next)
    }

    /// Adds or updates a queue. Waiting contacts stay in order; agents are re-matched.
    pub fn upsert_queue(
        &mut self,
        spec: QueueSpec<Q>,
        now: Millis,
        out: &mut Vec<Decision<C, A>>,
    ) -> Result<(), RouteError> {
        let skills = self.intern_skills(&spec.required_skills)?;
        let lang = spec.language.as_deref().map(|l| self.intern_lang(l));
        let mut steps = vec![(0, 0u8, false)];
        let mut last_after = 0;
        for step in &spec.overflow {
            if step.after_ms <= last_after {
                return Err(RouteError::Invalid("overflow steps need positive, increasing `after` times".into()));
            }
            last_after = step.after_ms;
            let (_, relax, any) = steps[steps.len() - 1];
            steps.push((step.after_ms, relax.max(step.relax_levels), any || step.any_language));
        }
        if steps.len() > 16 {
            return Err(RouteError::Invalid("at most 15 overflow steps".into()));
        }
        match self.queue_ix.get(&spec.key).copied() {
            Some(q) => {
                let slot = &mut self.queues[q as usize];
                slot.skills = skills;
                slot.lang = lang;
                slot.priority = spec.priority;
                slot.steps = steps;
                for t in self.queues[q as usize].targets.clone() {
                    self.rebuild_target(t);
                }
                self.rematch_all(now, out);
            }
            None => {
                let q = self.queues.len() as u32;
                self.queues.push(QueueSlot { skills, lang, priority: spec.priority, steps, targets: Vec::new() });
                self.queue_ix.insert(spec.key, q);
            }
        }
        Ok(())
    }

    /// Adds or updates an agent (skills, languages, capacity, state) and offers them work.
    pub fn upsert_agent(
        &mut self,
        spec: AgentSpec<A>,
        now: Millis,
        out: &mut Vec<Decision<C, A>>,
    ) -> Result<(), RouteError> {
        let skills = self.intern_skills(&spec.skills)?;
        let langs: Vec<u16> = spec.languages.iter().map(|l| self.intern_lang(l)).collect();
        let mut cap = [0u16; CHANNELS];
        for (channel, n) in &spec.capacity {
            cap[*channel as usize] = *n;
        }
        let a = match self.agent_ix.get(&spec.key).copied() {
            Some(a) => {
                self.detach(a);
                let slot = &mut self.agents[a as usize];
                slot.skills = skills;
                slot.langs = langs;
                slot.cap = cap;
                slot.state = spec.state;
                a
            }
            None => {
                let a = self.agents.len() as u32;
                self.agents.push(AgentSlot {
                    key: spec.key,
                    skills,
                    langs,
                    cap,
                    load: [0; CHANNELS],
                    state: spec.state,
                    last_offer: Millis::MIN,
                    memberships: Vec::new(),
                    reserved: Vec::new(),
                    detached: true,
                });
                self.agent_ix.insert(spec.key, a);
                a
            }
        };
        let memberships = (0..self.targets.len() as u32).filter_map(|t| self.membership(a, t)).collect();
        self.agents[a as usize].memberships = memberships;
        self.attach(a);
        self.route_agent(a, now, out);
        Ok(())
    }

    /// Sets an agent's state; an agent who becomes available is offered waiting work.
    pub fn set_agent_state(
        &mut self,
        agent: A,
        state: AgentState,
        now: Millis,
        out: &mut Vec<Decision<C, A>>,
    ) -> Result<(), RouteError> {
        let a = self.agent(agent)?;
        self.detach(a);
        self.agents[a as usize].state = state;
        self.route_agent(a, now, out);
        Ok(())
    }

    /// Counts a conversation the agent holds that routing did not offer (a manual
    /// assignment, or one restored after a restart). May exceed capacity: a person decided.
    pub fn occupy(&mut self, agent: A, channel: Channel) -> Result<(), RouteError> {
        let a = self.agent(agent)?;
        self.detach(a);
        let load = &mut self.agents[a as usize].load[channel as usize];
        *load = load.saturating_add(1);
        self.attach(a);
        Ok(())
    }

    /// A conversation the agent held ended or moved on: frees the slot and offers new work.
    pub fn release(
        &mut self,
        agent: A,
        channel: Channel,
        now: Millis,
        out: &mut Vec<Decision<C, A>>,
    ) -> Result<(), RouteError> {
        let a = self.agent(agent)?;
        if self.agents[a as usize].load[channel as usize] == 0 {
            return Err(RouteError::Invalid(format!("the agent holds no {channel} conversation to release")));
        }
        self.detach(a);
        self.agents[a as usize].load[channel as usize] -= 1;
        self.route_agent(a, now, out);
        Ok(())
    }

    // ---- contacts -----------------------------------------------------------------------

    /// A contact enters its queue: offered at once if a qualified agent is free, otherwise
    /// it waits. With a `previous_agent` who qualifies, it is held for them for the sticky
    /// window first.
    pub fn enqueue(
        &mut self,
        spec: ContactSpec<C, Q, A>,
        now: Millis,
        out: &mut Vec<Decision<C, A>>,
    ) -> Result<(), RouteError> {
        let previous = match spec.previous_agent {
            Some(p) => self.agent_ix.get(&p).copied(),
            None => None,
        };
        let c = self.insert_contact(&spec, now)?;
        if let Some(a) = previous
            && self.config.sticky_window_ms > 0
            && self.agents[a as usize].cap[spec.channel as usize] > 0
            && self.qualifying_step(a, c, now).is_some()
        {
            self.reserve(c, a, Some(now + self.config.sticky_window_ms), Rule::Sticky, now, out);
            return Ok(());
        }
        self.start_waiting(c, now, out);
        Ok(())
    }

    /// A person transferred the contact to one agent: offered to them when they have room,
    /// held for them until then. Skills are not checked: a person chose.
    pub fn enqueue_for_agent(
        &mut self,
        spec: ContactSpec<C, Q, A>,
        agent: A,
        now: Millis,
        out: &mut Vec<Decision<C, A>>,
    ) -> Result<(), RouteError> {
        let a = self.agent(agent)?;
        let c = self.insert_contact(&spec, now)?;
        self.reserve(c, a, None, Rule::DirectTransfer, now, out);
        Ok(())
    }

    /// The agent accepted: the contact leaves routing and the slot stays taken until
    /// [`Router::release`]. Only the first accept of an open offer succeeds.
    pub fn accept(&mut self, offer: OfferId, agent: A) -> Result<C, RouteError> {
        let c = *self.offers.get(&offer).ok_or(RouteError::OfferGone)?;
        let a = self.agent(agent)?;
        let Some(Status::Offered { agent: holder, .. }) = self.contact_slot(c).map(|s| &s.status) else {
            return Err(RouteError::OfferGone);
        };
        if *holder != a {
            return Err(RouteError::NotYourOffer);
        }
        self.offers.remove(&offer);
        self.remove_slot(c).map(|slot| slot.key).ok_or(RouteError::OfferGone)
    }

    /// The agent declined: the contact goes to the next best agent, never back to this one.
    pub fn decline(
        &mut self,
        offer: OfferId,
        agent: A,
        now: Millis,
        out: &mut Vec<Decision<C, A>>,
    ) -> Result<C, RouteError> {
        let c = *self.offers.get(&offer).ok_or(RouteError::OfferGone)?;
        let a = self.agent(agent)?;
        let Some(Status::Offered { agent: holder, .. }) = self.contact_slot(c).map(|s| &s.status) else {
            return Err(RouteError::OfferGone);
        };
        if *holder != a {
            return Err(RouteError::NotYourOffer);
        }
        let key = self.withdraw_offer(c, offer, a, now).ok_or(RouteError::OfferGone)?;
        self.route_contact(c, now, out);
        self.route_agent(a, now, out);
        Ok(key)
    }

    /// The contact no longer needs routing (abandoned, answered elsewhere, transferred):
    /// it leaves its queue; an open offer is withdrawn and the agent's slot freed.
    pub fn remove(&mut self, contact: C, now: Millis, out: &mut Vec<Decision<C, A>>) -> Result<(), RouteError> {
        let c = *self.contact_ix.get(&contact).ok_or(RouteError::UnknownContact)?;
        let freed = match self.contact_slot(c).map(|s| s.status.clone()) {
            Some(Status::Offered { offer, agent, .. }) => {
                self.offers.remove(&offer);
                let channel = self.contact_slot(c).map_or(0, |s| s.channel);
                self.detach(agent);
                let load = &mut self.agents[agent as usize].load[channel];
                *load = load.saturating_sub(1);
                self.attach(agent);
                Some(agent)
            }
            _ => None,
        };
        self.remove_slot(c);
        if let Some(a) = freed {
            self.route_agent(a, now, out);
        }
        Ok(())
    }

    /// Processes every timer due at `now`: overflow steps, ends of sticky holds, offer
    /// timeouts.
    pub fn tick(&mut self, now: Millis, out: &mut Vec<Decision<C, A>>) {
        while let Some(Reverse((at, _, timer))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            match timer {
                Timer::Step { contact, seq } => {
                    if self.contact_slot(contact).is_some_and(|s| s.seq == seq && matches!(s.status, Status::Waiting)) {
                        self.route_contact(contact, now, out);
                        self.schedule_next_step(contact, now);
                    }
                }
                Timer::ReserveEnd { contact, seq } => {
                    let due = self.contact_slot(contact).and_then(|s| match s.status {
                        Status::Reserved { agent, until: Some(until), .. } if s.seq == seq && until <= now => {
                            Some(agent)
                        }
                        _ => None,
                    });
                    if let Some(agent) = due {
                        self.agents[agent as usize].reserved.retain(|&r| r != contact);
                        self.start_waiting(contact, now, out);
                    }
                }
                Timer::OfferEnd { offer } => {
                    let Some(&c) = self.offers.get(&offer) else { continue };
                    let Some(Status::Offered { agent, expires_at, .. }) =
                        self.contact_slot(c).map(|s| s.status.clone())
                    else {
                        continue;
                    };
                    if expires_at > now {
                        continue;
                    }
                    let Some(key) = self.withdraw_offer(c, offer, agent, now) else { continue };
                    out.push(Decision::OfferTimedOut { offer, contact: key, agent: self.agents[agent as usize].key });
                    if self.config.away_on_missed_offer && self.agents[agent as usize].state == AgentState::Available {
                        self.detach(agent);
                        self.agents[agent as usize].state = AgentState::Away;
                        out.push(Decision::AgentStateChanged {
                            agent: self.agents[agent as usize].key,
                            state: AgentState::Away,
                        });
                    }
                    self.route_contact(c, now, out);
                    self.route_agent(agent, now, out);
                }
            }
        }
    }

    /// The earliest time [`Router::tick`] has work (possibly stale: ticking early is harmless).
    pub fn next_deadline(&self) -> Option<Millis> {
        self.timers.peek().map(|Reverse((at, _, _))| *at)
    }

    // ---- inspection ---------------------------------------------------------------------

    pub fn contact_status(&self, contact: C) -> Option<ContactStatus<A>> {
        let slot = self.contact_slot(*self.contact_ix.get(&contact)?)?;
        Some(match slot.status {
            Status::Waiting => ContactStatus::Waiting,
            Status::Reserved { agent, until, .. } => {
                ContactStatus::Reserved { agent: self.agents[agent as usize].key, until }
            }
            Status::Offered { offer, agent, expires_at } => {
                ContactStatus::Offered { offer, agent: self.agents[agent as usize].key, expires_at }
            }
        })
    }

    /// Contacts waiting in a queue, best effective priority first (the order agents get them).
    pub fn waiting(&self, queue: Q) -> Vec<C> {
        let Some(&q) = self.queue_ix.get(&queue) else { return Vec::new() };
        let mut all: Vec<(i64, u64, C)> = Vec::new();
        for &t in &self.queues[q as usize].targets {
            for (Reverse(class), bucket) in &self.targets[t as usize].buckets {
                for (&(arrived, seq), w) in bucket {
                    if let Some(slot) = self.contact_slot(w.contact) {
                        all.push((self.priority_key(*class, arrived), seq, slot.key));
                    }
                }
            }
        }
        all.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
        all.into_iter().map(|(_, _, c)| c).collect()
    }

    /// Contacts in routing (waiting, held or offered).
    pub fn len(&self) -> usize {
        self.contact_ix.len()
    }

    pub fn is_empty(&self) -> bool {
        self.contact_ix.is_empty()
    }

    pub fn agent_load(&self, agent: A, channel: Channel) -> Option<u16> {
        self.agent_ix.get(&agent).map(|&a| self.agents[a as usize].load[channel as usize])
    }

    pub fn agent_state(&self, agent: A) -> Option<AgentState> {
        self.agent_ix.get(&agent).map(|&a| self.agents[a as usize].state)
    }

    /// Whether `agent` meets the contact's requirements at the overflow step the contact
    /// has reached at `now`; `Some(step)` is the first step at which they qualify.
    pub fn qualifies(&self, agent: A, contact: C, now: Millis) -> Option<u8> {
        let a = *self.agent_ix.get(&agent)?;
        let c = *self.contact_ix.get(&contact)?;
        self.qualifying_step(a, c, now)
    }

    /// Who could take a new contact of `queue` on `channel` in `language`: agents who
    /// meet the queue's skills and language at its loosest overflow step, how many of
    /// them are working (available, busy or wrapping up), how many are free for it now,
    /// and how many contacts already wait in the queue. `None` for an unknown queue.
    pub fn outlook(&self, queue: Q, channel: Channel, language: Option<&str>) -> Option<Outlook> {
        let q = *self.queue_ix.get(&queue)?;
        let slot = &self.queues[q as usize];
        let &(_, relax, any_language) = slot.steps.last()?;
        // A language no agent was ever given is spoken by nobody.
        let wanted = match (slot.lang, language) {
            (Some(l), _) => Some(Some(l)),
            (None, Some(l)) => Some(self.lang_names.get(&l.to_lowercase()).copied()),
            (None, None) => None,
        };
        let ch = channel as usize;
        let mut outlook = Outlook::default();
        for agent in &self.agents {
            if agent.cap[ch] == 0 {
                continue;
            }
            let skilled = slot.skills.iter().all(|&(skill, level)| {
                let have = agent.skills.iter().find(|(k, _)| *k == skill).map_or(0, |s| s.1);
                have > 0 && level.saturating_sub(have) <= relax
            });
            let speaks = any_language
                || match wanted {
                    None => true,
                    Some(None) => false,
                    Some(Some(l)) => agent.langs.contains(&l),
                };
            if !(skilled && speaks) {
                continue;
            }
            if matches!(agent.state, AgentState::Available | AgentState::Busy | AgentState::WrapUp) {
                outlook.working += 1;
            }
            if agent.open(ch) {
                outlook.free += 1;
            }
        }
        outlook.waiting = slot
            .targets
            .iter()
            .map(|&t| self.targets[t as usize].buckets.values().map(BTreeMap::len).sum::<usize>())
            .sum();
        Some(outlook)
    }

    // ---- internals ----------------------------------------------------------------------

    fn agent(&self, agent: A) -> Result<u32, RouteError> {
        self.agent_ix.get(&agent).copied().ok_or(RouteError::UnknownAgent)
    }

    fn contact_slot(&self, c: u32) -> Option<&ContactSlot<C>> {
        self.contacts.get(c as usize).and_then(Option::as_ref)
    }

    fn priority_key(&self, class: i32, arrived: Millis) -> i64 {
        i64::from(class).saturating_mul(self.config.aging_ms_per_point).saturating_sub(arrived)
    }

    fn insert_contact(&mut self, spec: &ContactSpec<C, Q, A>, now: Millis) -> Result<u32, RouteError> {
        let q = *self.queue_ix.get(&spec.queue).ok_or(RouteError::UnknownQueue)?;
        if self.contact_ix.contains_key(&spec.key) {
            return Err(RouteError::AlreadyRouted);
        }
        let extra = self.intern_skills(&spec.skills)?;
        let queue_lang = self.queues[q as usize].lang;
        let lang = match queue_lang {
            Some(l) => Some(l),
            None => spec.language.as_deref().map(|l| self.intern_lang(l)),
        };
        let key = TargetKey { queue: q, channel: spec.channel as u8, lang, extra };
        let target = match self.target_ix.get(&key).copied() {
            Some(t) => t,
            None => self.create_target(key),
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = ContactSlot {
            key: spec.key,
            target,
            channel: spec.channel as usize,
            class: spec.class_priority,
            arrived: spec.arrived_at.min(now),
            since: now,
            seq,
            status: Status::Waiting,
            excluded: Vec::new(),
        };
        let c = match self.free_slots.pop() {
            Some(c) => {
                self.contacts[c as usize] = Some(slot);
                c
            }
            None => {
                self.contacts.push(Some(slot));
                (self.contacts.len() - 1) as u32
            }
        };
        self.contact_ix.insert(spec.key, c);
        Ok(c)
    }

    fn remove_slot(&mut self, c: u32) -> Option<ContactSlot<C>> {
        let slot = self.contacts.get_mut(c as usize).and_then(Option::take)?;
        match slot.status {
            Status::Waiting => {
                if let Some(bucket) = self.targets[slot.target as usize].buckets.get_mut(&Reverse(slot.class)) {
                    bucket.remove(&(slot.arrived, slot.seq));
                    if bucket.is_empty() {
                        self.targets[slot.target as usize].buckets.remove(&Reverse(slot.class));
                    }
                }
            }
            Status::Reserved { agent, .. } => self.agents[agent as usize].reserved.retain(|&r| r != c),
            Status::Offered { .. } => {}
        }
        self.contact_ix.remove(&slot.key);
        self.free_slots.push(c);
        Some(slot)
    }

    fn create_target(&mut self, key: TargetKey) -> u32 {
        let t = self.targets.len() as u32;
        let queue = &self.queues[key.queue as usize];
        let steps = queue.steps.len();
        self.targets.push(Target {
            key: key.clone(),
            skills: Vec::new(),
            lang: None,
            buckets: BTreeMap::new(),
            free: (0..steps).map(|_| BTreeSet::new()).collect(),
        });
        self.queues[key.queue as usize].targets.push(t);
        self.target_ix.insert(key, t);
        self.rebuild_target(t);
        t
    }

    /// Recomputes a target's requirements and which agents qualify at which step.
    fn rebuild_target(&mut self, t: u32) {
        let key = self.targets[t as usize].key.clone();
        let queue = &self.queues[key.queue as usize];
        let mut skills = queue.skills.clone();
        for &(id, level) in &key.extra {
            match skills.iter_mut().find(|(k, _)| *k == id) {
                Some(s) => s.1 = s.1.max(level),
                None => skills.push((id, level)),
            }
        }
        skills.sort_unstable();
        let steps = queue.steps.len();
        let target = &mut self.targets[t as usize];
        target.skills = skills;
        target.lang = key.lang;
        target.free = (0..steps).map(|_| BTreeSet::new()).collect();
        for a in 0..self.agents.len() as u32 {
            self.agents[a as usize].memberships.retain(|m| m.target != t);
            if let Some(m) = self.membership(a, t) {
                self.agents[a as usize].memberships.push(m);
                let agent = &self.agents[a as usize];
                let channel = key.channel as usize;
                if agent.open(channel) && !agent.detached {
                    self.targets[t as usize].free[m.step as usize].insert(agent.rank(a, m, channel));
                }
            }
        }
    }

    /// The first step at which agent `a` qualifies for target `t`, with their skill fit.
    fn membership(&self, a: u32, t: u32) -> Option<Membership> {
        let agent = &self.agents[a as usize];
        let target = &self.targets[t as usize];
        let queue = &self.queues[target.key.queue as usize];
        let mut fit = 0u16;
        let mut needed_relax = 0u8;
        for &(skill, level) in &target.skills {
            let have = agent.skills.iter().find(|(k, _)| *k == skill).map_or(0, |s| s.1);
            if have == 0 {
                // Without the skill at all, relaxation must bring the requirement to zero,
                // which it never does (levels floor at 1).
                return None;
            }
            fit += u16::from(have);
            needed_relax = needed_relax.max(level.saturating_sub(have));
        }
        let lang_ok = target.lang.is_none_or(|l| agent.langs.contains(&l));
        let step =
            queue.steps.iter().position(|&(_, relax, any_lang)| relax >= needed_relax && (lang_ok || any_lang))?;
        Some(Membership { target: t, step: step as u8, fit })
    }

    fn qualifying_step(&self, a: u32, c: u32, now: Millis) -> Option<u8> {
        let slot = self.contact_slot(c)?;
        let m = self.agents[a as usize].memberships.iter().find(|m| m.target == slot.target)?;
        (m.step <= self.step_of(slot, now)).then_some(m.step)
    }

    fn step_of(&self, slot: &ContactSlot<C>, now: Millis) -> u8 {
        let queue = &self.queues[self.targets[slot.target as usize].key.queue as usize];
        let waited = now - slot.since;
        queue.steps.iter().rposition(|&(after, _, _)| after <= waited).unwrap_or(0) as u8
    }

    /// Takes the agent out of the free-agent sets before their load, state or last offer
    /// changes (the sets are ordered by those). A no-op when already out.
    fn detach(&mut self, a: u32) {
        let agent = &self.agents[a as usize];
        if agent.detached {
            return;
        }
        for &m in &agent.memberships {
            let target = &mut self.targets[m.target as usize];
            let channel = target.key.channel as usize;
            if agent.open(channel) {
                target.free[m.step as usize].remove(&agent.rank(a, m, channel));
            }
        }
        self.agents[a as usize].detached = true;
    }

    /// Puts the agent back into the sets where they are free. A no-op when already in.
    fn attach(&mut self, a: u32) {
        let agent = &self.agents[a as usize];
        if !agent.detached {
            return;
        }
        for &m in &agent.memberships {
            let target = &mut self.targets[m.target as usize];
            let channel = target.key.channel as usize;
            if agent.open(channel) {
                target.free[m.step as usize].insert(agent.rank(a, m, channel));
            }
        }
        self.agents[a as usize].detached = false;
    }

    fn start_waiting(&mut self, c: u32, now: Millis, out: &mut Vec<Decision<C, A>>) {
        let Some(slot) = self.contacts.get_mut(c as usize).and_then(Option::as_mut) else { return };
        slot.status = Status::Waiting;
        let (target, class, arrived, seq) = (slot.target, slot.class, slot.arrived, slot.seq);
        let waiter = Waiter { contact: c, since: slot.since, excluded: !slot.excluded.is_empty() };
        self.targets[target as usize].buckets.entry(Reverse(class)).or_default().insert((arrived, seq), waiter);
        self.route_contact(c, now, out);
        self.schedule_next_step(c, now);
    }

    fn schedule_next_step(&mut self, c: u32, now: Millis) {
        let Some(slot) = self.contact_slot(c) else { return };
        if !matches!(slot.status, Status::Waiting) {
            return;
        }
        let queue = &self.queues[self.targets[slot.target as usize].key.queue as usize];
        let waited = now - slot.since;
        if let Some(&(after, _, _)) = queue.steps.iter().find(|&&(after, _, _)| after > waited) {
            let at = slot.since + after;
            let seq = slot.seq;
            self.timers.push(Reverse((at, seq, Timer::Step { contact: c, seq })));
        }
    }

    fn reserve(
        &mut self,
        c: u32,
        a: u32,
        until: Option<Millis>,
        rule: Rule,
        now: Millis,
        out: &mut Vec<Decision<C, A>>,
    ) {
        let channel = match self.contact_slot(c) {
            Some(slot) => slot.channel,
            None => return,
        };
        let agent = &self.agents[a as usize];
        let has_room = agent.load[channel] < agent.cap[channel];
        let available = agent.state == AgentState::Available;
        if has_room && available {
            self.make_offer(c, a, rule, now, out);
            return;
        }
        let Some(slot) = self.contacts.get_mut(c as usize).and_then(Option::as_mut) else { return };
        slot.status = Status::Reserved { agent: a, until, rule };
        let seq = slot.seq;
        self.agents[a as usize].reserved.push(c);
        if let Some(until) = until {
            self.timers.push(Reverse((until, seq, Timer::ReserveEnd { contact: c, seq })));
        }
    }

    /// Takes the contact out of waiting (or its hold) and offers it to the agent.
    fn make_offer(&mut self, c: u32, a: u32, rule: Rule, now: Millis, out: &mut Vec<Decision<C, A>>) {
        let Some(slot) = self.contacts.get(c as usize).and_then(Option::as_ref) else { return };
        let (target, class, arrived, seq, channel) = (slot.target, slot.class, slot.arrived, slot.seq, slot.channel);
        match slot.status {
            Status::Waiting => {
                let t = &mut self.targets[target as usize];
                if let Some(bucket) = t.buckets.get_mut(&Reverse(class)) {
                    bucket.remove(&(arrived, seq));
                    if bucket.is_empty() {
                        t.buckets.remove(&Reverse(class));
                    }
                }
            }
            Status::Reserved { agent, .. } => self.agents[agent as usize].reserved.retain(|&r| r != c),
            Status::Offered { .. } => return,
        }
        let fit = self.agents[a as usize].memberships.iter().find(|m| m.target == target).map_or(0, |m| m.fit);
        let load = self.agents[a as usize].load[channel];
        let was_attached = !self.agents[a as usize].detached;
        self.detach(a);
        let agent = &mut self.agents[a as usize];
        agent.load[channel] += 1;
        agent.last_offer = now;
        if was_attached {
            self.attach(a);
        }
        let offer = self.next_offer;
        self.next_offer += 1;
        let expires_at = self.config.offer_timeout_ms.map_or(Millis::MAX, |t| now.saturating_add(t));
        let waited = now - arrived;
        let score = Score {
            class_priority: class,
            effective_priority: i64::from(class) + waited / self.config.aging_ms_per_point,
            skill_fit: fit,
            agent_load: load,
            waited_ms: waited,
        };
        let key = match self.contacts.get_mut(c as usize).and_then(Option::as_mut) {
            Some(slot) => {
                slot.status = Status::Offered { offer, agent: a, expires_at };
                slot.key
            }
            None => return,
        };
        self.offers.insert(offer, c);
        if expires_at < Millis::MAX {
            self.timers.push(Reverse((expires_at, seq, Timer::OfferEnd { offer })));
        }
        out.push(Decision::Offered {
            offer,
            contact: key,
            agent: self.agents[a as usize].key,
            rule,
            score,
            expires_at,
        });
    }

    /// Ends an open offer without acceptance: the agent's slot is freed, the agent will not
    /// be offered this contact again, and the contact waits again in its original place.
    fn withdraw_offer(&mut self, c: u32, offer: OfferId, a: u32, now: Millis) -> Option<C> {
        self.offers.remove(&offer);
        let slot = self.contacts.get_mut(c as usize).and_then(Option::as_mut)?;
        let channel = slot.channel;
        slot.excluded.push(a);
        slot.status = Status::Waiting;
        let (target, class, arrived, seq, key) = (slot.target, slot.class, slot.arrived, slot.seq, slot.key);
        let waiter = Waiter { contact: c, since: slot.since, excluded: true };
        self.targets[target as usize].buckets.entry(Reverse(class)).or_default().insert((arrived, seq), waiter);
        self.detach(a);
        let load = &mut self.agents[a as usize].load[channel];
        *load = load.saturating_sub(1);
        self.attach(a);
        self.schedule_next_step(c, now);
        Some(key)
    }

    /// Offers a waiting contact to the best free agent who qualifies at its current step.
    fn route_contact(&mut self, c: u32, now: Millis, out: &mut Vec<Decision<C, A>>) {
        let Some(slot) = self.contact_slot(c) else { return };
        if !matches!(slot.status, Status::Waiting) {
            return;
        }
        let step = self.step_of(slot, now) as usize;
        let target = &self.targets[slot.target as usize];
        let mut best: Option<(AgentRank, usize)> = None;
        for (k, free) in target.free.iter().enumerate().take(step + 1) {
            if let Some(rank) = free.iter().find(|r| !slot.excluded.contains(&r.3))
                && best.as_ref().is_none_or(|(b, _)| rank < b)
            {
                best = Some((*rank, k));
            }
        }
        if let Some((rank, k)) = best {
            let rule = if k == 0 { Rule::Best } else { Rule::Overflow { step: k as u8 } };
            self.make_offer(c, rank.3, rule, now, out);
        }
    }

    /// Fills the agent's free capacity: held contacts first, then the highest effective
    /// priority contact they qualify for.
    fn route_agent(&mut self, a: u32, now: Millis, out: &mut Vec<Decision<C, A>>) {
        // Out of the free sets while offers change the agent's rank; back in once at the end.
        self.detach(a);
        self.fill_agent(a, now, out);
        self.attach(a);
    }

    fn fill_agent(&mut self, a: u32, now: Millis, out: &mut Vec<Decision<C, A>>) {
        loop {
            let agent = &self.agents[a as usize];
            if agent.state != AgentState::Available {
                return;
            }
            let held = agent.reserved.iter().copied().find_map(|c| {
                let slot = self.contact_slot(c)?;
                match slot.status {
                    Status::Reserved { rule, .. } if agent.load[slot.channel] < agent.cap[slot.channel] => {
                        Some((c, rule))
                    }
                    _ => None,
                }
            });
            if let Some((c, rule)) = held {
                self.make_offer(c, a, rule, now, out);
                continue;
            }
            let mut best: Option<(i64, u64, u32, u8)> = None;
            for m in &agent.memberships {
                let target = &self.targets[m.target as usize];
                let channel = target.key.channel as usize;
                if agent.load[channel] >= agent.cap[channel] {
                    continue;
                }
                let queue = &self.queues[target.key.queue as usize];
                let cutoff = now - queue.steps[m.step as usize].0;
                for (Reverse(class), bucket) in &target.buckets {
                    let found = bucket.iter().take(self.config.scan_limit).find(|&(_, w)| {
                        (m.step == 0 || w.since <= cutoff)
                            && (!w.excluded || self.contact_slot(w.contact).is_some_and(|s| !s.excluded.contains(&a)))
                    });
                    if let Some((&(arrived, seq), &Waiter { contact: c, .. })) = found {
                        let key = self.priority_key(*class, arrived);
                        if best.is_none_or(|(bk, bs, _, _)| key > bk || (key == bk && seq < bs)) {
                            best = Some((key, seq, c, m.step));
                        }
                    }
                }
            }
            match best {
                Some((_, _, c, step)) => {
                    let rule = if step == 0 { Rule::Best } else { Rule::Overflow { step } };
                    self.make_offer(c, a, rule, now, out);
                }
                None => return,
            }
        }
    }

    fn rematch_all(&mut self, now: Millis, out: &mut Vec<Decision<C, A>>) {
        for a in 0..self.agents.len() as u32 {
            self.route_agent(a, now, out);
        }
    }
}
