//! The integration suite: runs the real `appw` binary against temporary stores and holds it
//! to ../shared/CLI.md. One crate, one harness (`harness.rs`), a module per concern.

mod harness;

mod actors;
mod core;
mod features;
mod hostile;
mod json_contract;
mod package;
mod pausing;
mod perf;
mod postgres;
mod reliability;
mod scopes;
mod serve;
mod shell;
mod story;
