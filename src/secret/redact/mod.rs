//! Passwords where they do not belong: [`redact`] hides any in text that is echoed back
//! (errors, logs), [`contains_password`] finds one pasted into a field. Both know the
//! token format ([`super::token`]) and read leniently: spaced out, cut short, in any case.

use zeroize::Zeroizing;

use super::token::{ID_LEN, TAG, TOKEN_LEN, Token};

/// `text` with every run shaped like an appw password reduced to its public id, for messages
/// that echo what someone typed (so they must not quote it with `{:?}`, whose escapes break
/// the run). It errs towards hiding: a run is a whole or cut-short password, compact or
/// grouped as `create` shows it, in any case, and once it has the shape of one (its first
/// 20 characters) it also takes in stray spaces, invisible characters and mistyped
/// characters up to a password's length; see [`run_at`].
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = None::<String>;
    let mut handled = 0;
    // Every tag is tried, also one inside a run already found: a cut-short password followed
    // by a whole one reads as one run that ends inside the second, and the second's own run
    // is what covers the rest of it.
    for start in tags(text) {
        // A whole password in any letter case is hidden too, even with its id's letters in
        // mixed case, which the shape `run_at` reads does not allow.
        let at = &text[start..];
        let Some(run) = run_at(at, Reading::Lenient).or_else(|| whole_run(at)) else {
            continue;
        };
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        // A run starting inside a hidden one only extends what is hidden.
        if start >= handled {
            out.push_str(&text[handled..start]);
            out.push_str(TAG);
            out.extend(run.id.iter().map(|&b| char::from(b)));
            out.push_str("…(password redacted)");
        }
        handled = handled.max(start + run.len);
    }
    match out {
        None => std::borrow::Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[handled..]);
            std::borrow::Cow::Owned(out)
        }
    }
}

/// True when `text` holds an appw password anywhere: what someone pasted into the wrong
/// field. That is a whole one (its checksum right; spaced out anyhow, the tag in any case,
/// or all in the wrong case from caps lock), a whole one in any other letter case (see
/// [`whole_in_any_case`]), or most of one: starting a word, the tag, the id and at least four
/// groups of the secret, compact or in groups of four. Words after "appw", as in the name
/// "appw integration for kubernetes", do not make one.
pub fn contains_password(text: &str) -> bool {
    tags(text).any(|start| {
        let at = &text[start..];
        let word_start = !text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        (word_start && most_of_one(at)) || checksum_holds(at) || whole_in_any_case(at)
    })
}

/// Whether `at` (starting with a tag) goes on with a password's 44 letters and digits, compact
/// or in groups of four, whatever the case of each letter. The checksum cannot vouch for such
/// a copy (it covers the original case), yet it gives the password away: trying the cases of
/// its letters against the checksum restores the original in seconds. Nothing but a
/// password has this shape, so the shape alone is refused.
fn whole_in_any_case(at: &str) -> bool {
    whole_run(at).is_some()
}

/// The run [`whole_in_any_case`] finds, with its id in lower case (for [`redact`]).
fn whole_run(at: &str) -> Option<Run> {
    const PAYLOAD: usize = TOKEN_LEN - TAG.len();
    let (mut seen, mut len) = (0, TAG.len());
    let mut id = [0u8; ID_LEN];
    for (i, c) in at[TAG.len()..].char_indices() {
        if seen == PAYLOAD {
            break;
        }
        if c.is_ascii_alphanumeric() {
            if seen < ID_LEN {
                id[seen] = c.to_ascii_lowercase() as u8;
            }
            seen += 1;
            len = TAG.len() + i + 1;
        } else if !(c.is_whitespace() && seen % 4 == 0) {
            break;
        }
    }
    (seen == PAYLOAD).then_some(Run { len, seen, id })
}

/// Whether `at` holds the tag, the id and four groups of a secret in a password's strict
/// shape, the secret in mixed case as base62 is (all in one case, which 16 random characters
/// are about once in 3,000, is a product name more likely than a password).
fn most_of_one(at: &str) -> bool {
    let Some(run) = run_at(at, Reading::Strict) else {
        return false;
    };
    if run.seen < ID_LEN + 16 {
        return false;
    }
    let secret = at[..run.len]
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .skip(TAG.len() + ID_LEN);
    let (mut lower, mut upper) = (false, false);
    for c in secret {
        lower |= c.is_ascii_lowercase();
        upper |= c.is_ascii_uppercase();
    }
    lower && upper
}

/// Whether the 44 letters and digits after the tag at `at` (whitespace skipped) complete a
/// password, as typed or with every letter's case swapped.
fn checksum_holds(at: &str) -> bool {
    let mut candidate = Zeroizing::new(String::with_capacity(TOKEN_LEN));
    candidate.push_str(TAG);
    candidate.extend(
        at[TAG.len()..]
            .chars()
            .filter(|c| !c.is_whitespace())
            .take_while(char::is_ascii_alphanumeric)
            .take(TOKEN_LEN - TAG.len()),
    );
    if Token::parse(&candidate).is_ok() {
        return true;
    }
    let mut swapped = Zeroizing::new(String::with_capacity(TOKEN_LEN));
    swapped.push_str(TAG);
    swapped.extend(candidate[TAG.len()..].chars().map(swap_case));
    Token::parse(&swapped).is_ok()
}

/// `c` as typed with caps lock on: ASCII letters in the other case.
fn swap_case(c: char) -> char {
    if c.is_ascii_lowercase() {
        c.to_ascii_uppercase()
    } else {
        c.to_ascii_lowercase()
    }
}

/// Byte offsets where the tag starts, in any case (a phone writes `Appw`, caps lock `APPW`).
fn tags(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.as_bytes()
        .windows(TAG.len())
        .enumerate()
        .filter(|(_, w)| w.eq_ignore_ascii_case(TAG.as_bytes()))
        .map(|(i, _)| i)
}

/// A password-shaped run: its length in bytes from the tag, how many of the 44 characters
/// after the tag it holds, and its id in lower case.
struct Run {
    len: usize,
    seen: usize,
    id: [u8; ID_LEN],
}

#[derive(Clone, Copy, PartialEq)]
enum Reading {
    /// Letters and digits only, whitespace only between groups of four.
    Strict,
    /// Past the shape of a password, also stray whitespace and mistyped characters.
    Lenient,
}

/// The run that starts at `at` (which starts with a tag), if one does.
///
/// Until it has the shape of a password (the id, all lower case or all upper case, and four
/// more characters: 20 in all), a run takes letters and digits, with whitespace only between
/// groups of four, so ordinary words after "appw" rarely make one. Read leniently, from then
/// on, up to a password's 44 characters after the tag, it skips whitespace and invisible
/// characters anywhere and counts any other character as mistyped, but for a closing quote,
/// bracket, comma or semicolon (one after which, past any whitespace, comes no letter or
/// digit), which ends it.
fn run_at(at: &str, reading: Reading) -> Option<Run> {
    const PAYLOAD: usize = TOKEN_LEN - TAG.len();
    const SHAPED: usize = ID_LEN + 4;
    let mut id = [0u8; ID_LEN];
    // The id's letters are all lower case, as generated, or all upper case (caps lock).
    let mut upper = None;
    let (mut seen, mut len) = (0, TAG.len());
    let mut chars = at[TAG.len()..].char_indices();
    while let Some((i, c)) = chars.next() {
        if seen == PAYLOAD {
            break;
        }
        let lenient = reading == Reading::Lenient && seen >= SHAPED;
        if is_spacing(c) {
            if lenient || seen % 4 == 0 {
                continue;
            }
            break;
        }
        if seen < ID_LEN {
            if c.is_ascii_alphabetic()
                && *upper.get_or_insert(c.is_ascii_uppercase()) != c.is_ascii_uppercase()
            {
                return None;
            }
            if !c.is_ascii_alphanumeric() {
                return None;
            }
            id[seen] = c.to_ascii_lowercase() as u8;
        } else if !c.is_ascii_alphanumeric() {
            if !lenient {
                break;
            }
            let closing = matches!(
                c,
                '\'' | '"' | '`' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | ',' | ';'
            );
            if closing && !more_follows(chars.clone().map(|(_, n)| n)) {
                break;
            }
        }
        seen += 1;
        len = TAG.len() + i + c.len_utf8();
    }
    (seen >= SHAPED).then_some(Run { len, seen, id })
}

/// Whether a letter or digit comes next in `rest`, past whitespace and invisible characters.
fn more_follows(mut rest: impl Iterator<Item = char>) -> bool {
    rest.find(|&c| !is_spacing(c))
        .is_some_and(|c| c.is_ascii_alphanumeric())
}

/// Whitespace, or a character a terminal does not show (zero-width spaces, controls): what
/// may stand between a password's characters without changing what a reader copies.
fn is_spacing(c: char) -> bool {
    c.is_whitespace() || crate::text::is_unprintable(c)
}

/// `text` in double quotes for an error message, any password in it already redacted: an
/// echoed value is redacted on its own, so the message's words around it stay readable.
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", redact(text))
}

#[cfg(test)]
mod tests;
