//! Routing behaviour, invariants and the simulator checked against queueing theory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod behaviour;
mod properties;
mod validation;
