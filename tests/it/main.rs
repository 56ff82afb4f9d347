//! The integration suite: runs the real `appw` binary against temporary stores and holds it
//! to ../shared/CLI.md. One crate, one harness (`harness.rs`), a module per concern.

mod harness;

mod copy_store_whole;
mod core;
mod features;
mod hostile;
mod json_contract;
mod networks_as_written;
mod package;
mod perf;
mod postgres;
mod postgres_client_certificate;
mod reliability;
mod scopes;
mod serve;
mod shell;
mod story;
