//! Text as appw shows it: what may reach a terminal, and how a value is quoted in a
//! message. A leaf: it knows nothing of stores, commands or output streams, so every other
//! module (store, input, when, secret, the server) can clean text without importing `output`.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that can change what a terminal shows: controls (including escape and the C1
/// range) and Unicode format characters that reorder or hide text.
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Makes stored text safe for a terminal: anything that could be an escape sequence or
/// reorder the line is shown as a visible `\u{..}` escape instead. Stored names are
/// validated on the way in; this also covers stores written by other tools.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unprintable) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unprintable(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` in double quotes for an error message, any password in it already redacted: an
/// echoed value is redacted on its own, so the message's words around it stay readable.
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", crate::secret::token::redact(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_escapes_what_a_terminal_would_act_on() {
        assert_eq!(clean("plain name"), "plain name");
        assert_eq!(clean("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(clean("x\u{202e}y\u{9b}"), "x\\u{202e}y\\u{9b}");
        assert!(!clean("\u{7}\u{0}\r\n").chars().any(is_unprintable));
    }
}
