//! The error kinds a front must tell apart: each maps to one exit status (the CLI) and one
//! HTTP status (the API and the screen). Messages are one line in the domain's words; a
//! front adds its own (the CLI its flag names and hints such as "see appw list").
//!
//! No variant ever carries a password or a hash: messages are built from ids, names,
//! paths and the store's own error text.

use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A verification rejected the credential (exit 1, HTTP 401).
    #[error("{0}")]
    Rejected(String),
    /// A bad argument the command line's own rules refuse (exit 2); not an operation's.
    #[error("{0}")]
    Usage(String),
    /// An invalid value of a request's `field` (`name`, `user`, `app_id`, `expires`,
    /// `scopes`, `allow_from`, `id`, ...). When the message names the field, it begins
    /// with it, so a front can put its own name for it there ([`Error::renamed_field`]).
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// No such credential, or no store yet (exit 3, HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// No credential has the id (or id prefix) given: a not-found a front may point to
    /// where ids are listed (exit 3, HTTP 404).
    #[error("{0}")]
    UnknownId(String),
    /// An id prefix that names more than one credential (exit 3, HTTP 400).
    #[error("{0}")]
    Ambiguous(String),
    /// The store's contents forbid it: a duplicate active name, a credential already
    /// revoked, a destination store that is not empty (exit 3, HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// A confirmation was not given (exit 3).
    #[error("{0}")]
    Declined(String),
    /// The store cannot be used: unreadable, corrupt, newer schema, replaceable by
    /// others, unreachable, I/O error (exit 4, HTTP 503).
    #[error("{0}")]
    Unavailable(String),
    /// The server could not start: a socket, its runtime, its signal handlers (exit 4).
    #[error("{0}")]
    Start(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An invalid value of `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Error {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Error::Rejected(_) => 1,
            Error::Usage(_) | Error::Invalid { .. } => 2,
            Error::NotFound(_)
            | Error::UnknownId(_)
            | Error::Ambiguous(_)
            | Error::Conflict(_)
            | Error::Declined(_) => 3,
            Error::Unavailable(_) | Error::Start(_) => 4,
        })
    }

    /// The HTTP status a front answers with.
    pub fn status(&self) -> u16 {
        match self {
            Error::Usage(_) | Error::Invalid { .. } | Error::Ambiguous(_) => 400,
            Error::Rejected(_) => 401,
            Error::NotFound(_) | Error::UnknownId(_) => 404,
            Error::Conflict(_) | Error::Declined(_) => 409,
            Error::Unavailable(_) => 503,
            Error::Start(_) => 500,
        }
    }

    /// An invalid value's message with its field called `name` (a flag, a form label);
    /// other errors' messages as they are.
    pub fn renamed_field(&self, name: impl FnOnce(&str) -> Option<&'static str>) -> String {
        match self {
            Error::Invalid { field, message } => match message.strip_prefix(field) {
                Some(rest) if rest.starts_with([' ', ':']) => match name(field) {
                    Some(new) => format!("{new}{rest}"),
                    None => message.clone(),
                },
                _ => message.clone(),
            },
            other => other.to_string(),
        }
    }

    /// The message for a front that shows fields by their own names (`allow_from`): an
    /// invalid value's message always names its field.
    pub fn naming_field(&self) -> String {
        match self {
            Error::Invalid { field, message } if !starts_with_field(message, field) => {
                format!("{field}: {message}")
            }
            other => other.to_string(),
        }
    }
}

fn starts_with_field(message: &str, field: &str) -> bool {
    message
        .strip_prefix(field)
        .is_some_and(|rest| rest.starts_with([' ', ':']))
}

/// The exit status for any error reaching `main`: a typed [`Error`] anywhere in the chain
/// decides; anything else (an I/O failure writing output, say) is an environment problem.
pub fn exit_code(err: &anyhow::Error) -> ExitCode {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<Error>())
        .map_or(ExitCode::from(4), Error::exit_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_has_one_exit_code_and_one_status() {
        let cases = [
            (Error::Rejected("r".into()), 1, 401),
            (Error::Usage("u".into()), 2, 400),
            (Error::invalid("name", "the name is empty"), 2, 400),
            (Error::NotFound("n".into()), 3, 404),
            (Error::UnknownId("i".into()), 3, 404),
            (Error::Ambiguous("a".into()), 3, 400),
            (Error::Conflict("c".into()), 3, 409),
            (Error::Declined("d".into()), 3, 409),
            (Error::Unavailable("s".into()), 4, 503),
            (Error::Start("s".into()), 4, 500),
        ];
        for (err, code, status) in cases {
            assert_eq!(err.exit_code(), ExitCode::from(code), "{err:?}");
            assert_eq!(err.status(), status, "{err:?}");
        }
    }

    #[test]
    fn a_front_names_the_field_its_own_way() {
        let err = Error::invalid("allow_from", "allow_from 'x': expected a network");
        let flag = |f: &str| (f == "allow_from").then_some("--allow-from");
        assert_eq!(
            err.renamed_field(flag),
            "--allow-from 'x': expected a network"
        );
        assert_eq!(err.naming_field(), "allow_from 'x': expected a network");
        let err = Error::invalid("expires", "'x' is not a duration");
        assert_eq!(err.renamed_field(flag), "'x' is not a duration");
        assert_eq!(err.naming_field(), "expires: 'x' is not a duration");
        // A value that merely starts like the field is not mistaken for it.
        let err = Error::invalid("name", "names are short");
        assert_eq!(err.renamed_field(|_| Some("NAME")), "names are short");
    }
}
