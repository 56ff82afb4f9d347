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
mod tests {
    use super::*;
    use crate::secret::token::CHECK_LEN;
    use proptest::prelude::*;

    #[test]
    fn redact_catches_compact_and_grouped_passwords() {
        let t = Token::generate();
        let grouped = t.grouped();
        let capitalised = format!("A{}", &t.as_str()[1..]);
        for text in [
            format!("unexpected argument '{}' found", t.as_str()),
            format!("no credential named \"{} \"", grouped.as_str()),
            format!("x {} x", &grouped[..30]),
            format!("x {capitalised} x"),
            format!("x {} x", grouped.replace(' ', "\u{200b}")),
        ] {
            let r = redact(&text);
            let joined: String = r.chars().filter(|&c| !is_spacing(c)).collect();
            assert!(!joined.contains(&t.as_str()[16..24]), "{r}");
            assert!(r.contains(t.id()), "{r}");
        }
        for clean in [
            "appw",
            "appwrite docs",
            "Appwrite integration test",
            "GitHub Actions",
            "appw 1234",
        ] {
            assert_eq!(redact(clean), clean);
        }
    }

    #[test]
    fn a_pasted_password_counts_as_one_in_a_field_and_words_do_not() {
        // Most of a password counts when its secret's first 16 characters mix cases, as they
        // do but about once in 3,000: take such a one, so the test cannot fail by chance.
        let t = std::iter::repeat_with(Token::generate)
            .find(|t| {
                let head = &t.as_str()[TAG.len() + ID_LEN..][..16];
                head.bytes().any(|b| b.is_ascii_lowercase())
                    && head.bytes().any(|b| b.is_ascii_uppercase())
            })
            .unwrap();
        let (s, grouped) = (t.as_str(), t.grouped());
        let caps_lock: String = s.chars().map(swap_case).collect();
        for text in [
            // Any letter case, compact or grouped (issue 14, point 4).
            s.to_lowercase(),
            s.to_uppercase(),
            grouped.to_lowercase(),
            format!("deploy {}", grouped.to_uppercase()),
            s.chars()
                .enumerate()
                .map(|(i, c)| if i % 3 == 0 { swap_case(c) } else { c })
                .collect(),
            s.to_string(),
            format!("deploy {}", grouped.as_str()),
            format!("{s}x"),
            format!("A{}", &s[1..]),
            caps_lock,
            // Most of one: without its checksum, without its last groups, or mistyped.
            s[..TOKEN_LEN - CHECK_LEN].to_string(),
            grouped[..45].to_string(),
            typo_at(s, 30),
        ] {
            assert!(contains_password(&text), "{text}");
            let shown = redact(&text).to_lowercase();
            assert!(
                !shown.contains(&s[20..40].to_lowercase()),
                "{text} -> {shown}"
            );
        }
        for text in [
            "appw integration for kubernetes clusters",
            "Appwrite integrations for everything",
            "appwriteproductionbackendserver01",
            "myappwebserverproductionclusterkey",
            "appw test prod east main node sync user",
            "appw",
            // A short piece is not refused: it gives too little of a secret to matter.
            &s[..24],
        ] {
            assert!(!contains_password(text), "{text}");
        }
    }

    fn typo_at(s: &str, i: usize) -> String {
        let mut b = s.as_bytes().to_vec();
        b[i] = if b[i] == b'a' { b'b' } else { b'a' };
        String::from_utf8(b).unwrap()
    }

    proptest! {
        // A failing case replays only its shape: the passwords come from the OS RNG.
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        /// However passwords in the forms people paste them run into each other and into
        /// separators, no 8 characters of a secret survive redaction, in any case. Text with
        /// no tag is left alone, and a whole password is always reported as redacted.
        #[test]
        fn redaction_leaves_no_piece_of_a_secret(
            pieces in proptest::collection::vec((0usize..16, 0usize..2, 0usize..TOKEN_LEN), 1..8)
        ) {
            let tokens = [Token::generate(), Token::generate()];
            let mut text = String::new();
            let whole = pieces.iter().any(|&(kind, _, _)| kind < 2);
            for (kind, which, cut) in pieces {
                let (t, g) = (tokens[which].as_str(), tokens[which].grouped());
                // Where a stray character goes: once the run has a password's shape.
                let late = 20 + cut % (TOKEN_LEN - 20);
                match kind {
                    0 => text.push_str(t),
                    1 => text.push_str(&g),
                    2 => text.push_str(&t[..cut]),
                    3 => text.push_str(&g[..cut]),
                    4 => text.push(' '),
                    5 => text.push_str("\tb"),
                    6 => text.push('-'),
                    7 => text.push_str(["appw", "Appw", "APPW", "aPPW"][cut % 4]),
                    8 => text.push_str(&format!("A{}", &t[1..])),
                    9 => text.push_str(&g.replace(' ', "\u{200b}")),
                    10 => text.push_str(&g.replace(' ', "\u{a0}\u{3000}")),
                    11 => {
                        let typo = ['!', '(', '"', ',', '\''][cut % 5];
                        text.push_str(&format!("{}{typo}{}", &t[..late], &t[late + 1..]));
                    }
                    12 => text.push_str(&format!("{}\n{}", &t[..late], &t[late..])),
                    13 => text.push('é'),
                    // Grouped with zero-width spaces, and a closing character mistyped.
                    15 => {
                        let typo = ['(', '"', ','][cut % 3];
                        let typed = format!("{}{typo}{}", &t[..late], &t[late + 1..]);
                        for (i, c) in typed.chars().enumerate() {
                            if i > 0 && i % 4 == 0 {
                                text.push('\u{200b}');
                            }
                            text.push(c);
                        }
                    }
                    // Caps lock, with or without the first letter shifted back.
                    _ => {
                        let swapped: String = t.chars().map(swap_case).collect();
                        let first = if cut % 2 == 0 { "A" } else { "a" };
                        text.push_str(first);
                        text.push_str(&swapped[1..]);
                    }
                }
            }
            let r = redact(&text);
            // Compared with the spacing taken out, as a reader (or a script) would join it.
            let lower = r
                .chars()
                .filter(|&c| !is_spacing(c))
                .collect::<String>()
                .to_lowercase();
            for t in &tokens {
                let secret = t.as_str()[TAG.len() + ID_LEN..TOKEN_LEN - CHECK_LEN].to_lowercase();
                for i in 0..=secret.len() - 8 {
                    prop_assert!(!lower.contains(&secret[i..i + 8]), "{:?} -> {:?}", text, r);
                }
            }
            if !text.to_lowercase().contains(TAG) {
                prop_assert_eq!(&r, &text);
            } else if whole {
                prop_assert!(r.contains("…(password redacted)"), "{:?} -> {:?}", text, r);
            }
        }
    }
}
