//! How credentials and events look: JSON objects for scripts, tables for people, and the
//! one place that writes to stdout.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;

use crate::store::{Credential, Event, Timestamp};
use crate::text::{clean, is_unprintable};
use crate::when;

/// Whether standard output was closed when appw started (set before `main`, see main.rs).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Records that standard output was closed at start. Safe to call before the Rust runtime
/// is initialised: it only stores to an atomic.
pub fn note_closed_stdout() {
    STDOUT_CLOSED.store(true, Ordering::Relaxed);
}

/// Whether standard output was closed at start: what appw writes would reach nobody.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// As a closed pipe reads: commands that only print end quietly (`appw verify >&-` still
/// answers by its exit status), while `create` and `rotate` act on it (see cmd::print_secret).
fn closed_error() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "standard output is closed")
}

/// Writes `text` to stdout and flushes, so a closed pipe is reported here, as an error the
/// caller can act on, rather than as a panic in `println!`.
///
/// Whatever a caller forgot to [`clean`], nothing that could act on a terminal gets out:
/// every unprintable character but the line breaks and tabs of our own layout is written
/// as its visible escape. Written piece by piece, so text holding a password is not copied.
pub fn print(text: &str) -> io::Result<()> {
    if stdout_closed() {
        return Err(closed_error());
    }
    let mut out = io::stdout().lock();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if is_unprintable(c) && c != '\n' && c != '\t' {
            out.write_all(&text.as_bytes()[start..i])?;
            write!(out, "\\u{{{:x}}}", c as u32)?;
            start = i + c.len_utf8();
        }
    }
    out.write_all(&text.as_bytes()[start..])?;
    out.flush()
}

/// Prints a JSON document on one line of its own.
pub fn print_json(value: &impl Serialize) -> io::Result<()> {
    print(&format!("{}\n", Json(value)))
}

/// A JSON value displayed as compact JSON in which every character [`clean`] would escape
/// is a `\uXXXX` escape: still valid JSON that parses back to exactly what the store holds,
/// but inert on a terminal (serde_json itself escapes only C0 controls, leaving DEL, C1
/// controls and bidirectional marks raw).
pub struct Json<'a, T: Serialize + ?Sized>(pub &'a T);

impl<T: Serialize + ?Sized> std::fmt::Display for Json<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        /// Hands serde_json's output (always whole UTF-8 strings) to the formatter.
        struct Adapter<'a, 'b>(&'a mut std::fmt::Formatter<'b>);
        impl io::Write for Adapter<'_, '_> {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                let s = std::str::from_utf8(buf).map_err(io::Error::other)?;
                self.0.write_str(s).map_err(io::Error::other)?;
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut ser = serde_json::Serializer::with_formatter(Adapter(f), InertJson);
        self.0.serialize(&mut ser).map_err(|_| std::fmt::Error)
    }
}

/// serde_json's compact format, with unprintable characters in strings written as escapes.
struct InertJson;

impl serde_json::ser::Formatter for InertJson {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unprintable(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                for unit in c.encode_utf16(&mut [0; 2]) {
                    write!(writer, "\\u{unit:04x}")?;
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Prints a JSON array on one line, element by element, as `print_json` would print the
/// whole array: `list --json` over 100,000 credentials never holds them all as JSON.
pub fn print_json_array<T: Serialize>(items: impl IntoIterator<Item = T>) -> io::Result<()> {
    if stdout_closed() {
        return Err(closed_error());
    }
    let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    out.write_all(b"[")?;
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        let mut ser = serde_json::Serializer::with_formatter(&mut out, InertJson);
        item.serialize(&mut ser)?;
    }
    out.write_all(b"]\n")?;
    out.flush()
}

fn table(header: Vec<&str>) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if !io::stdout().is_terminal() {
        // Not a terminal: no width to fit, so never wrap cells mid-word.
        t.set_content_arrangement(ContentArrangement::Disabled);
    }
    t.set_header(header);
    t
}

fn time_or_never(at: Option<Timestamp>) -> String {
    at.map_or_else(|| "never".to_string(), when::local)
}

/// Scopes or networks for a table cell, cleaned (a store written by hand may hold anything).
fn list_or_dash(items: &[String]) -> String {
    if items.is_empty() {
        return "-".into();
    }
    clean(&items.join(", ")).into_owned()
}

fn opt(s: &Option<String>) -> Cow<'_, str> {
    s.as_deref().map_or(Cow::Borrowed("-"), clean)
}

/// The table `list` shows people. Expiry, failure, limits and pause columns appear only
/// when some credential has them.
pub fn credential_table(creds: &[Credential], now: Timestamp) -> String {
    let show_expiry = creds.iter().any(|c| c.expires_at.is_some());
    let show_failed = creds.iter().any(|c| c.last_failed.is_some());
    let show_limits = creds
        .iter()
        .any(|c| !c.scopes.is_empty() || !c.allow_from.is_empty());
    let show_paused = creds.iter().any(|c| c.disabled);
    let mut header = vec![
        "ID",
        "USER",
        "NAME",
        "CREATED",
        "LAST USED",
        "LAST SOURCE",
        "USES",
    ];
    if show_expiry {
        header.push("EXPIRES");
    }
    if show_failed {
        header.push("LAST FAILED");
    }
    if show_limits {
        header.extend(["SCOPES", "FROM"]);
    }
    if show_paused {
        header.push("DISABLED");
    }
    let mut t = table(header);
    for c in creds {
        let mut row = vec![
            clean(&c.id).into_owned(),
            clean(&c.user).into_owned(),
            clean(&c.name).into_owned(),
            when::local(c.created),
            time_or_never(c.last_used),
            opt(&c.last_source).into_owned(),
            c.use_count.to_string(),
        ];
        if show_expiry {
            row.push(match c.expires_at {
                Some(at) if at <= now => format!("{} (EXPIRED)", when::local(at)),
                Some(at) => when::local(at),
                None => "-".into(),
            });
        }
        if show_failed {
            row.push(match (c.last_failed, &c.last_failed_source) {
                (Some(at), Some(src)) => format!("{} from {}", when::local(at), clean(src)),
                (at, _) => time_or_never(at),
            });
        }
        if show_limits {
            row.push(list_or_dash(&c.scopes));
            row.push(list_or_dash(&c.allow_from));
        }
        if show_paused {
            row.push(if c.disabled { "DISABLED" } else { "-" }.into());
        }
        t.add_row(row);
    }
    format!("{t}\n")
}

/// One credential, a field per line, for `show`.
pub fn credential_details(c: &Credential, now: Timestamp) -> String {
    let mut out = String::new();
    let mut line = |k: &str, v: &str| {
        let _ = writeln!(out, "{k:<13}{v}");
    };
    line("id", &clean(&c.id));
    line("user", &clean(&c.user));
    line("name", &clean(&c.name));
    line("app id", &opt(&c.app_id));
    line("created", &when::local(c.created));
    line("last used", &time_or_never(c.last_used));
    line("last source", &opt(&c.last_source));
    line("uses", &c.use_count.to_string());
    line(
        "scopes",
        &if c.scopes.is_empty() {
            "none (only checks that ask for no scope)".to_string()
        } else {
            list_or_dash(&c.scopes)
        },
    );
    line(
        "allowed from",
        &if c.allow_from.is_empty() {
            "anywhere".to_string()
        } else {
            list_or_dash(&c.allow_from)
        },
    );
    if let Some(at) = c.expires_at {
        let mark = if at <= now { " (EXPIRED)" } else { "" };
        line("expires", &format!("{}{mark}", when::local(at)));
    }
    line("last failed", &time_or_never(c.last_failed));
    if c.last_failed.is_some() {
        line("failed from", &opt(&c.last_failed_source));
    }
    line(
        "status",
        &match c.revoked_at {
            Some(at) => format!("revoked {}", when::local(at)),
            None if c.disabled => "disabled (appw enable brings it back)".into(),
            None if c.is_expired(now) => "expired".into(),
            None => "active".into(),
        },
    );
    out
}

/// The log for people; a COUNT column appears when some event stands for several
/// occurrences (a server's aggregated uses or rejections), an ACTOR column when some event
/// says who made it.
pub fn event_table(events: &[Event]) -> String {
    let show_count = events.iter().any(|e| e.count != 1);
    let show_actor = events.iter().any(|e| e.actor.is_some());
    let mut header = vec!["TIME", "EVENT", "USER", "ID", "NAME", "SOURCE", "DETAIL"];
    if show_count {
        header.push("COUNT");
    }
    if show_actor {
        header.push("ACTOR");
    }
    let mut t = table(header);
    for e in events {
        let mut row = vec![
            when::local(e.at),
            clean(&e.kind).into_owned(),
            opt(&e.user).into_owned(),
            opt(&e.credential_id).into_owned(),
            opt(&e.name).into_owned(),
            opt(&e.source).into_owned(),
            opt(&e.detail).into_owned(),
        ];
        if show_count {
            row.push(e.count.to_string());
        }
        if show_actor {
            row.push(opt(&e.actor).into_owned());
        }
        t.add_row(row);
    }
    format!("{t}\n")
}
