use std::io::ErrorKind;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Everything appw creates (store, WAL, temporary files) is private to its owner.
    // SAFETY: umask has no memory-safety preconditions.
    unsafe { libc::umask(0o077) };
    let cli = appw::cli::Cli::parse();
    match appw::cmd::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_closed_stdout(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("appw: {}", one_line(&format!("{err:#}")));
            appw::error::exit_code(&err)
        }
    }
}

/// `appw list | head -1`: the reader left; that is not an error worth a message.
fn is_closed_stdout(err: &anyhow::Error) -> bool {
    err.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == ErrorKind::BrokenPipe)
}

/// Errors are one line, whatever text (a path, SQLite's message) went into them.
fn one_line(msg: &str) -> String {
    appw::output::clean(&msg.replace(['\n', '\r'], " ")).into_owned()
}
