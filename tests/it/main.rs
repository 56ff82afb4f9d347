//! The integration suite: runs the real `appw` binary against temporary stores and holds it
//! to ../shared/CLI.md. One crate, one harness (`harness.rs`), a module per concern.

mod harness;

mod actors;
mod audit_log;
mod auth_requests;
mod concurrency;
mod copy_store_whole;
mod create_and_list;
mod expiry;
mod hash_evaluations;
mod hostile;
mod hostile_input;
mod interruptions;
mod json_contract;
mod names;
mod networks_as_written;
mod not_found_hints;
mod package;
mod pausing;
mod postgres;
mod postgres_client_certificate;
mod rehash;
mod revoke;
mod revoke_all_whose;
mod rotation;
mod scopes;
mod secrets;
mod serve;
mod shell;
mod store_files;
mod store_opening;
mod story;
mod usage_and_help;
mod verify_arguments;
mod verify_command;
mod warm_path_changes;
mod web;
