//! The error kinds a caller must tell apart, because each maps to its own exit status.
//!
//! No variant ever carries a password or a hash: messages are built from ids, names,
//! paths and the store's own error text.

use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `verify` rejected the credential (exit 1).
    #[error("{0}")]
    Rejected(String),
    /// A bad argument or value that clap could not catch itself (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Refused by the store's contents: no such id, ambiguous prefix, duplicate name,
    /// confirmation declined (exit 3).
    #[error("{0}")]
    Refused(String),
    /// The store cannot be used: unreadable, corrupt, newer schema, I/O error (exit 4).
    #[error("{0}")]
    Store(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Error::Rejected(_) => 1,
            Error::Usage(_) => 2,
            Error::Refused(_) => 3,
            Error::Store(_) => 4,
        })
    }
}

/// The exit status for any error reaching `main`: a typed [`Error`] anywhere in the chain
/// decides; anything else (an I/O failure writing output, say) is an environment problem.
pub fn exit_code(err: &anyhow::Error) -> ExitCode {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<Error>())
        .map_or(ExitCode::from(4), Error::exit_code)
}
