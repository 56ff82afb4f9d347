//! What the server says on stderr: one `appw serve: ...` line per event, with every value
//! a client influenced quoted, redacted and cleaned, and a periodic summary.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Server, metrics};
use crate::error::Error;

/// Counters at one moment, for the periodic summary line.
pub struct Summary {
    valid: u64,
    rejected: u64,
    forbidden: u64,
    throttled: u64,
    unavailable: u64,
    argon2: u64,
    cache_hits: u64,
}

impl Summary {
    pub fn of(server: &Server) -> Summary {
        use metrics::Outcome as O;
        let m = &server.metrics;
        Summary {
            valid: m.requests(O::Valid),
            rejected: m.requests(O::Rejected),
            forbidden: m.requests(O::Forbidden),
            throttled: m.requests(O::Throttled),
            unavailable: m.requests(O::Unavailable),
            argon2: server.workers.evaluations(),
            cache_hits: m.cache_hits.load(Ordering::Relaxed),
        }
    }

    pub fn since(&self, before: &Summary, over: Duration) -> String {
        format!(
            "summary seconds={} valid={} rejected={} forbidden={} throttled={} unavailable={} argon2={} cache_hits={}",
            over.as_secs(),
            self.valid - before.valid,
            self.rejected - before.rejected,
            self.forbidden - before.forbidden,
            self.throttled - before.throttled,
            self.unavailable - before.unavailable,
            self.argon2 - before.argon2,
            self.cache_hits - before.cache_hits,
        )
    }
}

/// One line on stderr, `appw serve: ...`. Everything a client influenced is passed through
/// [`field`] or is an IP address.
pub fn log(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "appw serve: {args}");
}

/// A value for a `key=value` log field: quoted, with quotes, backslashes and anything a
/// terminal would act on escaped, and any password redacted.
pub fn field(value: &str) -> String {
    let redacted = crate::secret::redact::redact(value);
    let cleaned = crate::text::clean(&redacted);
    format!("\"{}\"", cleaned.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn clean_error(e: &Error) -> String {
    let msg = e.to_string().replace(['\n', '\r'], " ");
    crate::text::clean(&crate::secret::redact::redact(&msg)).into_owned()
}
