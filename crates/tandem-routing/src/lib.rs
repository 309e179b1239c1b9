//! Routing: which agent gets which waiting conversation, and how many agents a queue needs.
//!
//! Everything here is pure: no I/O, no threads, no wall clock. Callers pass `now` in
//! milliseconds, so the server (real time) and the simulator (virtual time) run the very
//! same code.
//!
//! - [`Router`] holds agents, queues and waiting contacts and decides offers: effective
//!   priority (class priority plus aging with wait time), then skill fit, then fairness;
//!   overflow steps that relax required proficiency after a wait; sticky routing to the
//!   previous agent; offers with a timeout; direct transfers.
//! - [`erlang`] computes Erlang-C service level, speed of answer and staffing.
//! - [`sim`] is a seeded discrete-event simulator of a contact-center period that drives a
//!   [`Router`].

pub mod erlang;
mod hash;
mod model;
mod router;
pub mod sim;

pub use model::{
    AgentSpec, ContactSpec, Decision, Millis, OfferId, OverflowStep, PriorityInputs, PriorityWeights, QueueSpec,
    RouteError, RouterConfig, Rule, Score, SkillReq,
};
pub use router::{ContactStatus, Outlook, Router};
