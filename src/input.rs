//! Validation of everything a user types that reaches the store: names, users, app ids,
//! sources. A bad value is an invalid value of its field (exit 2, HTTP 400) that says what
//! is allowed.

use crate::error::{Error, Result};
use crate::text::is_unprintable;

pub const MAX_NAME: usize = 100;
pub const MAX_SOURCE: usize = 200;

/// A credential name: trimmed, 1 to 100 characters, no control characters.
pub fn name(raw: &str) -> Result<String> {
    text("name", "name", raw, MAX_NAME)
}

/// A user name, with the same rules as a credential name.
pub fn user(raw: &str) -> Result<String> {
    text("user", "user", raw, MAX_NAME)
}

/// The user of a new credential: as [`user`], and without `:`. HTTP Basic sends
/// `user:password` and splits it at the first colon (RFC 7617), so such a user could never
/// verify. (Existing users are still found with [`user`], so an older store's can be revoked.)
pub fn new_user(raw: &str) -> Result<String> {
    let user = user(raw)?;
    if user.contains(':') {
        return Err(Error::invalid(
            "user",
            "the user contains ':', which HTTP Basic authentication cannot carry (it splits \
             user:password at the first colon); pick a user without one",
        ));
    }
    Ok(user)
}

/// An application id (free text such as a UUID), with the same rules as a name.
pub fn app_id(raw: &str) -> Result<String> {
    text("app_id", "app id", raw, MAX_NAME)
}

/// Where a verification came from (an address, a job name): up to 200 characters.
pub fn source(raw: &str) -> Result<String> {
    text("source", "source", raw, MAX_SOURCE)
}

/// `field` is the value's field; `what` how a message calls it.
fn text(field: &'static str, what: &str, raw: &str, max: usize) -> Result<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(field, format!("the {what} is empty")));
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(Error::invalid(
            field,
            format!("the {what} is {len} characters long; at most {max} are allowed"),
        ));
    }
    if trimmed.chars().any(is_unprintable) {
        return Err(Error::invalid(
            field,
            format!(
                "the {what} contains control or direction-changing characters, which are not allowed"
            ),
        ));
    }
    // A password pasted into the wrong field (alone or among other words) would be stored
    // and shown in clear.
    if crate::secret::redact::contains_password(trimmed) {
        return Err(Error::invalid(
            field,
            format!("the {what} is an appw password; passwords never go in arguments"),
        ));
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

    #[test]
    fn a_new_user_has_no_colon() {
        assert_eq!(new_user(" deploy ").unwrap(), "deploy");
        for bad in ["a:b", ":", "a:", ":b"] {
            assert!(new_user(bad).is_err(), "{bad:?}");
            assert!(
                user(bad).is_ok(),
                "{bad:?}: an existing user is still found"
            );
        }
    }

    /// What hides or reorders text is known by its Unicode properties, not from a list,
    /// so none of these passes (each shows two names alike, or reorders).
    #[test]
    fn invisible_and_bidirectional_characters_are_refused_by_property() {
        for c in [
            '\u{061C}',
            '\u{2028}',
            '\u{2029}',
            '\u{00AD}',
            '\u{034F}',
            '\u{180E}',
            '\u{3164}',
            '\u{E0001}',
            '\u{E0043}',
            '\u{E007F}',
            '\u{FFF9}',
            '\u{FFFA}',
            '\u{FFFB}',
            '\u{200B}',
            '\u{200D}',
            '\u{202E}',
            '\u{2066}',
            '\u{FEFF}',
            '\u{FE0F}',
            '\u{115F}',
            '\u{FFA0}',
            '\u{1D173}',
            '\u{9B}',
            '\u{85}',
        ] {
            assert!(is_unprintable(c), "U+{:04X}", c as u32);
            let bad = format!("C{c}I");
            assert!(name(&bad).is_err(), "U+{:04X}", c as u32);
            assert!(user(&bad).is_err() && app_id(&bad).is_err() && source(&bad).is_err());
        }
        // Letters, marks, spaces and symbols people use in names still pass.
        for ok in [
            "Straße",
            "ΟΔΟΣ",
            "e\u{301}",
            "नमस्ते",
            "CI 🚀",
            "Zürich\u{a0}prod",
            "東京",
        ] {
            assert!(name(ok).is_ok(), "{ok:?}");
        }
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
