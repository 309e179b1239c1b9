//! Tandem's virtual agent as pure logic. A workspace's [`config::BotConfig`] says which
//! intents the bot handles and how (knowledge, actions with slots and HTTP calls, fixed
//! answers, people), and tunes the escalation policy; [`turn::take_turn`] takes one turn
//! on a customer message through an injected [`turn::Environment`] (knowledge search,
//! business-system calls, queue outlook, secrets), returning the replies, the new
//! [`state::BotState`], any handoff with its [`summary::HandoffSummary`], and the
//! decision for the audit.
//!
//! No I/O, no clock, no async runtime: the engine drives it in the service, property
//! tests and the scenario suite drive it here.

#![forbid(unsafe_code)]

pub mod config;
pub mod detect;
pub mod hours;
pub mod lang;
pub mod policy;
pub mod scenario;
pub mod slots;
pub mod state;
pub mod summary;
pub mod template;
pub mod text;
pub mod turn;

pub use config::{BotConfig, CompiledBot, ConfigError};
pub use policy::Reason;
pub use state::BotState;
pub use summary::HandoffSummary;
pub use turn::{
    ActionCall, ApprovalRequest, CallError, CallResponse, Contact, Decision, Environment, Handoff, KnowledgeHit,
    KnowledgeQuery, Outcome, Outlook, TurnInput, complete_approval, take_turn,
};
