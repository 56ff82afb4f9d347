use std::io::ErrorKind;
use std::process::ExitCode;

use clap::Parser;
use clap::error::{ContextKind, ErrorKind as ClapKind};

/// `appw create ... >&-`: the Rust runtime reopens a closed standard output on /dev/null
/// before `main` runs, so the password would go nowhere and appw would exit 0. The C runtime
/// runs the functions in `.init_array` before it calls the Rust runtime's entry point, so
/// this one still sees the descriptor table as it was handed over.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static NOTE_CLOSED_STDOUT: extern "C" fn() = {
    extern "C" fn note() {
        // SAFETY: F_GETFD only reads the descriptor's flags; it fails (EBADF) when closed.
        if unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFD) } == -1 {
            appw::output::note_closed_stdout();
        }
    }
    note
};

fn main() -> ExitCode {
    // Everything appw creates (store, WAL, temporary files) is private to its owner.
    // SAFETY: umask has no memory-safety preconditions.
    unsafe { libc::umask(0o077) };
    let cli = match appw::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if err.kind() == ClapKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            return ExitCode::from(2);
        }
        Err(err) if !err.use_stderr() => {
            // --help and --version: clap prints them in full.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) => {
            eprintln!("appw: {}", usage_line(&err));
            return ExitCode::from(2);
        }
    };
    let run = appw::cmd::Process::from_env()
        .map_err(anyhow::Error::from)
        .and_then(|process| appw::cmd::run(cli, process));
    match run {
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

/// Errors are one line, whatever text (a path, SQLite's message) went into them, and never
/// echo a password someone typed where an argument belonged.
fn one_line(msg: &str) -> String {
    let msg = msg.replace(['\n', '\r'], " ");
    appw::text::clean(&appw::secret::redact::redact(&msg)).into_owned()
}

/// clap's usage error as one line: its message, then where to read more.
fn usage_line(err: &clap::Error) -> String {
    let rendered = err.render().to_string();
    // The message is everything before clap's first blank line (tips and usage follow).
    let message: Vec<&str> = rendered
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    let hint = match err.kind() {
        ClapKind::InvalidSubcommand | ClapKind::MissingSubcommand => {
            "see 'appw --help'".to_string()
        }
        _ => match err.get(ContextKind::Usage) {
            Some(usage) => format!(
                "usage: {}",
                usage.to_string().trim().trim_start_matches("Usage: ")
            ),
            None => "see 'appw --help'".to_string(),
        },
    };
    one_line(&format!("{message}; {hint}"))
}
