//! What the router is told (agents, queues, contacts, settings) and what it answers
//! (decisions with their reasons).

use serde::{Deserialize, Serialize};
use tandem_domain::{AgentState, Channel};

/// Milliseconds on the caller's clock (wall clock in the server, virtual in the simulator).
pub type Millis = i64;

/// A skill requirement or holding: name and proficiency 1 (basic) to 5 (expert).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SkillReq {
    pub name: String,
    pub level: u8,
}

impl SkillReq {
    pub fn new(name: impl Into<String>, level: u8) -> Self {
        Self { name: name.into(), level }
    }
}

/// An agent as routing sees them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentSpec<A> {
    pub key: A,
    pub skills: Vec<SkillReq>,
    /// Languages the agent works in (ISO 639-1 codes).
    pub languages: Vec<String>,
    /// Concurrent conversations per channel; a channel not listed takes none.
    pub capacity: Vec<(Channel, u16)>,
    pub state: AgentState,
}

/// One overflow step: after `after_ms` waiting in the queue, required proficiency drops by
/// `relax_levels` (never below 1), and with `any_language` the language requirement goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverflowStep {
    pub after_ms: Millis,
    pub relax_levels: u8,
    #[serde(default)]
    pub any_language: bool,
}

/// A queue as routing sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueSpec<Q> {
    pub key: Q,
    pub required_skills: Vec<SkillReq>,
    /// When set, agents must speak it whatever the contact's language.
    pub language: Option<String>,
    /// Class priority added to every contact of this queue.
    pub priority: i32,
    /// Overflow steps, in increasing `after_ms`.
    pub overflow: Vec<OverflowStep>,
}

/// What raises a contact's class priority.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PriorityInputs {
    /// Customer tier: 0 standard, 1 premium, 2 vip.
    pub tier: u8,
    /// Latest sentiment score in [-1, 1].
    pub sentiment: Option<f32>,
    /// The contact was escalated (by the virtual agent or a person) for a sensitive reason.
    pub escalated: bool,
    /// Explicit priority set by a person (0 normal .. 3 urgent).
    pub manual: u8,
}

/// How many priority points each input is worth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PriorityWeights {
    pub per_tier: i32,
    /// Added when sentiment is at or below `negative_below`.
    pub negative_sentiment: i32,
    pub negative_below: f32,
    pub escalated: i32,
    pub per_manual_level: i32,
}

impl Default for PriorityWeights {
    fn default() -> Self {
        Self { per_tier: 10, negative_sentiment: 10, negative_below: -0.3, escalated: 15, per_manual_level: 10 }
    }
}

impl PriorityInputs {
    /// The class priority of a contact in a queue of `queue_priority`.
    pub fn class_priority(&self, queue_priority: i32, weights: &PriorityWeights) -> i32 {
        let mut p = queue_priority
            + weights.per_tier * i32::from(self.tier)
            + weights.per_manual_level * i32::from(self.manual);
        if self.sentiment.is_some_and(|s| s <= weights.negative_below) {
            p += weights.negative_sentiment;
        }
        if self.escalated {
            p += weights.escalated;
        }
        p
    }
}

/// A conversation that needs a person.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactSpec<C, Q, A> {
    pub key: C,
    pub queue: Q,
    pub channel: Channel,
    pub language: Option<String>,
    /// Skills needed beyond the queue's.
    pub skills: Vec<SkillReq>,
    pub class_priority: i32,
    /// When the contact first started waiting for a person; aging counts from here and a
    /// transfer keeps it.
    pub arrived_at: Millis,
    /// The agent who last served this customer, for sticky routing.
    pub previous_agent: Option<A>,
}

/// Router settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouterConfig {
    /// Waiting this long adds one priority point (aging, so nothing starves).
    pub aging_ms_per_point: Millis,
    /// How long an agent has to accept an offer; `None`: offers wait for an answer (the
    /// simulator's agents answer at once).
    pub offer_timeout_ms: Option<Millis>,
    /// How long a returning customer is held for their previous agent.
    pub sticky_window_ms: Millis,
    /// An agent who lets an offer time out is set away (so offers stop going to an empty desk).
    pub away_on_missed_offer: bool,
    /// How far into a priority class the router looks for a contact an agent may take.
    pub scan_limit: usize,
}

impl Default for RouterConfig {
    fn default() -> Self {
        Self {
            aging_ms_per_point: 10_000,
            offer_timeout_ms: Some(30_000),
            sticky_window_ms: 30_000,
            away_on_missed_offer: true,
            scan_limit: 64,
        }
    }
}

/// An offer's id, unique within one router.
pub type OfferId = u64;

/// Which rule produced an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Best pair by priority, skill fit and fairness, all requirements met.
    Best,
    /// Requirements relaxed by this overflow step (1-based).
    Overflow { step: u8 },
    /// Back to the agent who served this customer before.
    Sticky,
    /// A person transferred the conversation to this agent.
    DirectTransfer,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Best => "best",
            Self::Overflow { .. } => "overflow",
            Self::Sticky => "sticky",
            Self::DirectTransfer => "direct_transfer",
        }
    }
}

/// The scores behind a decision, for audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    /// Class priority of the contact.
    pub class_priority: i32,
    /// Class priority plus aging at decision time.
    pub effective_priority: i64,
    /// Sum of the agent's proficiency on the required skills.
    pub skill_fit: u16,
    /// The agent's conversations on this channel before the offer.
    pub agent_load: u16,
    /// How long the contact had waited.
    pub waited_ms: Millis,
}

/// What the router decided; the caller records and acts on each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Decision<C, A> {
    Offered {
        offer: OfferId,
        contact: C,
        agent: A,
        rule: Rule,
        score: Score,
        expires_at: Millis,
    },
    /// The agent did not answer in time; the contact is back in its queue.
    OfferTimedOut {
        offer: OfferId,
        contact: C,
        agent: A,
    },
    /// The router changed an agent's state (after a missed offer).
    AgentStateChanged {
        agent: A,
        state: AgentState,
    },
}

/// Why a router call was refused. A refused call changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error("unknown agent")]
    UnknownAgent,
    #[error("unknown queue")]
    UnknownQueue,
    #[error("unknown contact")]
    UnknownContact,
    #[error("the contact is already routed")]
    AlreadyRouted,
    #[error("the offer is no longer open (accepted, declined, timed out or withdrawn)")]
    OfferGone,
    #[error("the offer belongs to another agent")]
    NotYourOffer,
    #[error("the agent has no capacity on this channel")]
    NoCapacity,
    #[error("{0}")]
    Invalid(String),
}
