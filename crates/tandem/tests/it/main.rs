//! End-to-end tests of the `tandem` binary: the demo, configuration errors, and
//! durability across `kill -9`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bot_scenarios;
mod browser;
mod cli;
mod durability;
mod kb_floors;
mod nlp_floors;
mod planning;
mod support;
