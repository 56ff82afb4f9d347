//! appw: application passwords for the command line. `main.rs` parses arguments and calls
//! [`cmd::run`]; the modules below are public so tests and benchmarks can reach the same code.

pub mod access;
pub mod auth;
pub mod cli;
pub mod cmd;
pub mod error;
pub mod input;
pub mod json;
pub mod ops;
pub mod output;
pub mod secret;
pub mod serve;
pub mod store;
pub mod text;
pub mod web;
pub mod when;
