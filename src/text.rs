//! Text as appw shows it: what may reach a terminal. A leaf: it imports nothing of appw, so
//! every other module (store, input, when, secret, the server) can clean text without
//! importing `output`.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that can change what a terminal shows or hide what it shows, decided by their
/// Unicode properties rather than a list: controls (Cc: escape, the C1 range), format
/// characters (Cf: bidirectional marks and isolates, soft hyphen, tags), line and paragraph
/// separators (Zl, Zp), and every default-ignorable code point (fillers, variation
/// selectors, the combining grapheme joiner), which a terminal draws as nothing.
pub fn is_unprintable(c: char) -> bool {
    use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory as Gc};
    use icu_properties::{CodePointMapData, CodePointSetData};
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    matches!(
        CodePointMapData::<Gc>::new().get(c),
        Gc::Control | Gc::Format | Gc::LineSeparator | Gc::ParagraphSeparator
    ) || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
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
