//! Times: the clock, durations like `90d`, RFC 3339, and how times are shown.

use chrono::{DateTime, Local, SecondsFormat, TimeZone, Utc};

use crate::error::{Error, Result};
use crate::secret::redact::quoted;

/// Unix time in seconds, UTC. (Defined here, a leaf, so that the store and everything else
/// that handles times import it from the clock's module rather than from the store.)
pub type Timestamp = i64;

/// Where "now" comes from, chosen once by the process (`main`, or `serve` for each
/// request) and handed in: library code never reads the environment for the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    System,
    /// A fixed time (`APPW_NOW`, honoured by debug builds only: see `cmd::Process`).
    Fixed(Timestamp),
}

impl Clock {
    /// The current time.
    pub fn now(self) -> Timestamp {
        match self {
            Clock::System => Utc::now().timestamp(),
            Clock::Fixed(at) => at,
        }
    }
}

/// The latest time appw stores: 9999-12-31T23:59:59Z, the end of RFC 3339's range.
pub const MAX_TIME: Timestamp = 253_402_300_799;

/// A duration such as `90d`, `12h`, `30m`, `45s` or `2w`, in seconds; `field` is what an
/// error names.
pub fn parse_duration(s: &str, field: &'static str) -> Result<i64> {
    let bad = || {
        Error::invalid(
            field,
            format!(
                "{} is not a duration; write e.g. 90d, 12h or 30m",
                quoted(s)
            ),
        )
    };
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = s.split_at(split);
    let n: i64 = number.parse().map_err(|_| bad())?;
    let unit_secs = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_secs)
        .filter(|&d| d > 0 && d <= 100 * 365 * 86_400)
        .ok_or_else(bad)
}

/// `WHEN` for an expiry: a duration from now, or an RFC 3339 time in the future.
pub fn parse_future(s: &str, now: Timestamp, field: &'static str) -> Result<Timestamp> {
    let at = match parse_rfc3339(s) {
        Some(at) => at,
        None => now + parse_duration(s, field).map_err(|_| when_error(s, field))?,
    };
    if at <= now {
        return Err(Error::invalid(
            field,
            format!(
                "{} is in the past; an expiry must be in the future",
                quoted(s)
            ),
        ));
    }
    if at > MAX_TIME {
        return Err(Error::invalid(
            field,
            format!("{} is after the year 9999", quoted(s)),
        ));
    }
    Ok(at)
}

/// `WHEN` for the log's `since` and `before`: a duration ago, or an RFC 3339 time.
pub fn parse_past(s: &str, now: Timestamp, field: &'static str) -> Result<Timestamp> {
    match parse_rfc3339(s) {
        Some(at) => Ok(at),
        None => Ok(now - parse_duration(s, field).map_err(|_| when_error(s, field))?),
    }
}

fn when_error(s: &str, field: &'static str) -> Error {
    Error::invalid(
        field,
        format!(
            "{} is neither a duration (90d, 12h, 30m) nor an RFC 3339 time (2027-01-31T12:00:00Z)",
            quoted(s)
        ),
    )
}

/// An RFC 3339 time (surrounding blanks ignored), if `s` is one.
pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.timestamp())
}

/// RFC 3339 in UTC, as scripts get it: `2026-11-30T07:23:37Z`.
pub fn rfc3339(at: Timestamp) -> String {
    utc(at).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Local time, as people get it: `2026-11-30 08:23`.
pub fn local(at: Timestamp) -> String {
    Local
        .from_utc_datetime(&utc(at).naive_utc())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn utc(at: Timestamp) -> DateTime<Utc> {
    DateTime::from_timestamp(at, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90d", "expires").unwrap(), 90 * 86_400);
        assert_eq!(parse_duration("12h", "expires").unwrap(), 12 * 3600);
        assert_eq!(parse_duration("30m", "expires").unwrap(), 1800);
        assert_eq!(parse_duration("2w", "expires").unwrap(), 14 * 86_400);
        for bad in [
            "",
            "d",
            "0d",
            "-1d",
            "1y",
            "1.5d",
            "99999999999999999999d",
            "1000000d",
        ] {
            assert!(parse_duration(bad, "expires").is_err(), "{bad}");
        }
    }

    #[test]
    fn whens() {
        let now = parse_rfc3339("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(parse_future("1h", now, "expires").unwrap(), now + 3600);
        assert_eq!(
            rfc3339(parse_future("2026-02-01T00:00:00+01:00", now, "expires").unwrap()),
            "2026-01-31T23:00:00Z"
        );
        assert!(parse_future("2025-01-01T00:00:00Z", now, "expires").is_err());
        assert!(parse_future("soon", now, "expires").is_err());
        assert!(parse_future("9999-12-31T23:59:59Z", now, "expires").is_ok());
        assert!(parse_future("+10000-01-01T00:00:00Z", now, "expires").is_err());
        assert_eq!(parse_past("1d", now, "since").unwrap(), now - 86_400);
    }

    #[test]
    fn rfc3339_is_utc_with_seconds() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
    }
}
