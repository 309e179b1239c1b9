//! HTTP handlers, one module per resource. Each handler converts its wire shapes at the
//! boundary and calls the engine (writes) or the store (reads).

pub mod agents;
pub mod assist;
pub mod auth;
pub mod bot;
pub mod chat;
pub mod conversations;
pub mod customers;
pub mod events;
pub mod knowledge;
pub mod messages;
pub mod ops;
pub mod routing;
pub mod tasks;
