//! The HTTP API, exercised through the router (and, for WebSockets, a real socket).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod assist;
mod auth;
mod bad_input;
mod bot;
mod isolation;
mod knowledge;
mod routing;
mod support;
mod websockets;
