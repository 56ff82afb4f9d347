//! Validation of everything a user types that reaches the store: names, users, app ids,
//! sources. Bad values are usage errors (exit 2) that say what is allowed.

use crate::error::{Error, Result};
use crate::text::is_unprintable;

pub const MAX_NAME: usize = 100;
pub const MAX_SOURCE: usize = 200;

/// A credential name: trimmed, 1 to 100 characters, no control characters.
pub fn name(raw: &str) -> Result<String> {
    text("name", raw, MAX_NAME)
}

/// A user name, with the same rules as a credential name.
pub fn user(raw: &str) -> Result<String> {
    text("user", raw, MAX_NAME)
}

/// An application id (free text such as a UUID), with the same rules as a name.
pub fn app_id(raw: &str) -> Result<String> {
    text("app id", raw, MAX_NAME)
}

/// Where a verification came from (an address, a job name): up to 200 characters.
pub fn source(raw: &str) -> Result<String> {
    text("source", raw, MAX_SOURCE)
}

fn text(what: &str, raw: &str, max: usize) -> Result<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Error::Usage(format!("the {what} is empty")));
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(Error::Usage(format!(
            "the {what} is {len} characters long; at most {max} are allowed"
        )));
    }
    if trimmed.chars().any(is_unprintable) {
        return Err(Error::Usage(format!(
            "the {what} contains control or direction-changing characters, which are not allowed"
        )));
    }
    // A password pasted into the wrong field (alone or among other words) would be stored
    // and shown in clear.
    if crate::secret::token::contains_password(trimmed) {
        return Err(Error::Usage(format!(
            "the {what} is an appw password; passwords never go in arguments"
        )));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("  GitHub Actions \t").unwrap(), "GitHub Actions");
        assert_eq!(name(&"é".repeat(100)).unwrap().chars().count(), 100);
        assert!(name(&"é".repeat(101)).is_err());
        assert!(name("   ").is_err());
        assert!(name("").is_err());
    }

    #[test]
    fn control_and_bidi_characters_are_refused() {
        for bad in [
            "a\u{1b}[31mred",
            "nul\0",
            "tab\tinside",
            "bell\u{7}",
            "c1\u{9b}",
            "rtl\u{202E}txt",
            "del\u{7f}",
        ] {
            assert!(name(bad).is_err(), "{bad:?}");
        }
        assert!(name("Zapier → Slack; DROP TABLE credentials;--").is_ok());
    }

    proptest! {
        #[test]
        fn accepted_names_are_clean(raw in "\\PC{0,120}|.{0,120}") {
            if let Ok(n) = name(&raw) {
                prop_assert!(!n.is_empty());
                prop_assert!(n.chars().count() <= MAX_NAME);
                prop_assert!(!n.chars().any(is_unprintable));
                prop_assert_eq!(n.trim(), n.as_str());
            }
        }
    }
}
