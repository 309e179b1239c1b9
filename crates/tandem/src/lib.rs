//! The `tandem` binary's library half: configuration, wiring of concrete backends, the
//! demo seed, the ingest benchmark and a small HTTP client. `main.rs` is only the CLI.

#![forbid(unsafe_code)]

pub mod app;
pub mod bench;
pub mod bench_bot;
pub mod bench_kb;
pub mod bench_nlp;
pub mod bench_routing;
pub mod demo;
pub mod demo_shop;
pub mod eval;
pub mod http_client;
pub mod kb_cli;
pub mod routing_cli;
pub mod settings;
pub mod train;
