//! The virtual agent's behaviour over whole conversations, with the shipped
//! message-understanding models and a fake environment: stories of each path, and
//! property tests over random customer message sequences.

mod properties;
mod stories;
mod support;
