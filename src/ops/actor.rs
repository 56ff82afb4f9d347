//! Who made a change: recorded with every event that changes something.

use std::fmt;

/// The actor of a change, shown (and stored) as `cli:USER` or `credential:ID`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// Someone at a terminal: the operating-system user who ran appw.
    Cli { os_user: String },
    /// A request over HTTP, signed in with this credential.
    Credential { id: String },
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Cli { os_user } => write!(f, "cli:{os_user}"),
            Actor::Credential { id } => write!(f, "credential:{id}"),
        }
    }
}

impl Actor {
    /// The operating-system user running this process, by its real uid (not `$USER`, which
    /// anyone can set): its name, or `uid:N` when the user database has none.
    pub fn os_user() -> Actor {
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        let os_user = user_name(uid).unwrap_or_else(|| format!("uid:{uid}"));
        Actor::Cli { os_user }
    }
}

/// The name the user database gives `uid`, if any (and if it is printable text).
fn user_name(uid: libc::uid_t) -> Option<String> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: all-zero is a valid passwd (null pointers, zero ids); getpwuid_r fills it.
        let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: `buf` is valid for `buf.len()` bytes and outlives every use of `pwd`,
        // whose strings point into it; `found` is set to `&pwd` or null.
        let rc = unsafe {
            libc::getpwuid_r(
                uid,
                &mut pwd,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 2, 0);
            continue;
        }
        if rc != 0 || found.is_null() || pwd.pw_name.is_null() {
            return None;
        }
        // SAFETY: on success pw_name is a NUL-terminated string inside `buf`.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        let name = name.to_str().ok()?;
        let usable = !name.is_empty() && !name.chars().any(crate::text::is_unprintable);
        return usable.then(|| name.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_read_as_the_log_shows_them() {
        let cli = Actor::Cli {
            os_user: "root".into(),
        };
        assert_eq!(cli.to_string(), "cli:root");
        let api = Actor::Credential {
            id: "abcd1234efgh".into(),
        };
        assert_eq!(api.to_string(), "credential:abcd1234efgh");
    }
}
