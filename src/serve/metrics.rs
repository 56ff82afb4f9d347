//! Counters for `/metrics`, in Prometheus' text format. Labels are fixed words, never
//! anything a client sent.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Request outcomes, as the `outcome` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Valid,
    /// No Authorization header: the challenge a browser asks for first.
    Challenged,
    Rejected,
    Forbidden,
    Throttled,
    Unavailable,
}

const OUTCOMES: [(Outcome, &str); 6] = [
    (Outcome::Valid, "valid"),
    (Outcome::Challenged, "challenged"),
    (Outcome::Rejected, "rejected"),
    (Outcome::Forbidden, "forbidden"),
    (Outcome::Throttled, "throttled"),
    (Outcome::Unavailable, "unavailable"),
];

#[derive(Default)]
pub struct Metrics {
    requests: [AtomicU64; 6],
    pub cache_hits: AtomicU64,
    pub store_errors: AtomicU64,
    pub flushes: AtomicU64,
    pub flush_micros: AtomicU64,
    pub flush_errors: AtomicU64,
    pub rejections_dropped: AtomicU64,
}

/// Values read at scrape time from the parts that own them.
pub struct Gauges {
    pub queue_depth: usize,
    pub pending_records: usize,
    pub cached_credentials: usize,
    pub open_connections: usize,
    pub argon2_evaluations: u64,
}

impl Metrics {
    pub fn count(&self, outcome: Outcome) {
        let i = OUTCOMES
            .iter()
            .position(|(o, _)| *o == outcome)
            .unwrap_or(0);
        self.requests[i].fetch_add(1, Ordering::Relaxed);
    }

    pub fn requests(&self, outcome: Outcome) -> u64 {
        let i = OUTCOMES
            .iter()
            .position(|(o, _)| *o == outcome)
            .unwrap_or(0);
        self.requests[i].load(Ordering::Relaxed)
    }

    pub fn render(&self, g: &Gauges) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut out = String::with_capacity(2048);
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in samples {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let by_outcome: Vec<(String, u64)> = OUTCOMES
            .iter()
            .map(|(o, label)| (format!("{{outcome=\"{label}\"}}"), self.requests(*o)))
            .collect();
        let by_outcome: Vec<(&str, u64)> =
            by_outcome.iter().map(|(l, v)| (l.as_str(), *v)).collect();
        metric(
            "appw_requests_total",
            "counter",
            "/auth requests by outcome.",
            &by_outcome,
        );
        metric(
            "appw_argon2_evaluations_total",
            "counter",
            "argon2id evaluations.",
            &[("", g.argon2_evaluations)],
        );
        metric(
            "appw_cache_hits_total",
            "counter",
            "Requests answered without argon2 (a password already verified, same stored hash).",
            &[("", get(&self.cache_hits))],
        );
        metric(
            "appw_argon2_queue_depth",
            "gauge",
            "Checks waiting for an argon2 worker.",
            &[("", g.queue_depth as u64)],
        );
        metric(
            "appw_store_errors_total",
            "counter",
            "Store operations that failed.",
            &[("", get(&self.store_errors))],
        );
        metric(
            "appw_flushes_total",
            "counter",
            "Group commits of uses and rejections.",
            &[("", get(&self.flushes))],
        );
        metric(
            "appw_flush_errors_total",
            "counter",
            "Group commits that failed (retried with the next).",
            &[("", get(&self.flush_errors))],
        );
        metric(
            "appw_flush_seconds_total",
            "counter",
            "Time spent in group commits.",
            &[],
        );
        let _ = writeln!(
            out,
            "appw_flush_seconds_total {:.6}",
            get(&self.flush_micros) as f64 / 1e6
        );
        let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        metric(
            "appw_pending_records",
            "gauge",
            "Distinct uses and rejections waiting for the next group commit.",
            g.pending_records as u64,
        );
        metric(
            "appw_rejections_unrecorded_total",
            "counter",
            "Rejections without a row of their own (too many distinct ones pending), counted in a \"rejections not recorded\" event.",
            get(&self.rejections_dropped),
        );
        metric(
            "appw_cached_credentials",
            "gauge",
            "Credentials on the warm path.",
            g.cached_credentials as u64,
        );
        metric(
            "appw_open_connections",
            "gauge",
            "Client connections open.",
            g.open_connections as u64,
        );
        out
    }
}
