//! From a URL to a pool of connections. sqlx reads the URL, the `PG*` environment variables
//! and the pgpass file as libpq does, and does every sslmode and client certificates on
//! rustls. appw adds only what it needs on top: its session settings, a refusal of a bad
//! `$PGSSLMODE`, libpq's `require` + root certificate rule, `connect_timeout`, and errors
//! that name what is wrong without a password.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgSslMode};
use url::Url;

use crate::error::{Error, Result};

/// How long getting a connection may take (connecting, or waiting for one of the pool's),
/// unless the URL says `connect_timeout=SECONDS`: an unreachable server fails the command
/// (or a server's request) after this, never hangs it.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// The same for `appw serve`, whose pool keeps its connections open, so that a database
/// gone away gets 503 within a second rather than after retrying refused connections.
pub const SERVER_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(900);

/// What a URL asks for, read and checked before any connection is tried.
pub struct Target {
    pub options: PgConnectOptions,
    pub acquire_timeout: Duration,
    /// Whether the URL or `$PGCONNECT_TIMEOUT` chose the timeout.
    pub explicit_timeout: bool,
    /// The URL without its password: what messages name.
    pub shown: String,
}

impl Target {
    pub fn parse(url: &str) -> Result<Target> {
        let shown = redact(url);
        let bad = |what: String| {
            Error::Usage(format!(
                "the PostgreSQL URL {shown} is not valid: {what}; the form is \
                 postgres://USER@HOST[:PORT]/DATABASE[?sslmode=verify-full]"
            ))
        };
        // sqlx takes a bad $PGSSLMODE for the default (`prefer`); libpq refuses it, and so
        // does appw: taking a typo for the default would quietly drop the check asked for.
        if let Ok(mode) = std::env::var("PGSSLMODE") {
            mode.parse::<PgSslMode>().map_err(|e| {
                Error::Usage(format!(
                    "$PGSSLMODE is not valid: {}; use disable, prefer, require, verify-ca or \
                     verify-full",
                    config_text(e)
                ))
            })?;
        }
        let parsed = Url::parse(url).map_err(|e| bad(e.to_string()))?;
        let mut options = PgConnectOptions::from_url(&parsed).map_err(|e| bad(config_text(e)))?;
        let param = |key: &str| {
            parsed
                .query_pairs()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
        };
        let setting = |key: &str, var: &str| param(key).or_else(|| std::env::var(var).ok());
        // libpq checks the chain under `require` when a root certificate is given; sqlx
        // would not look at it.
        if matches!(options.get_ssl_mode(), PgSslMode::Require)
            && setting("sslrootcert", "PGSSLROOTCERT").is_some()
        {
            options = options.ssl_mode(PgSslMode::VerifyCa);
        }
        // sqlx reads these files only once connected; name a missing one plainly.
        for (key, var) in [
            ("sslrootcert", "PGSSLROOTCERT"),
            ("sslcert", "PGSSLCERT"),
            ("sslkey", "PGSSLKEY"),
        ] {
            let Some(path) = setting(key, var).filter(|p| !p.starts_with("-----BEGIN")) else {
                continue;
            };
            if let Err(e) = std::fs::File::open(&path) {
                return Err(Error::Unavailable(format!(
                    "cannot read {key} {} for the store {shown}: {e}",
                    crate::secret::redact::quoted(&path)
                )));
            }
            if key == "sslcert" && first_certificate_is_v1(&path) {
                return Err(Error::Unavailable(format!(
                    "the client certificate {} (sslcert) for the store {shown} is an X.509 \
                     version 1 certificate, as `openssl x509 -req` makes without an \
                     extensions file; appw's TLS library accepts only version 3: sign it \
                     again with one, e.g. add -extfile <(printf \"basicConstraints=CA:FALSE\\n\") \
                     to that openssl command",
                    crate::secret::redact::quoted(&path)
                )));
            }
        }
        // The URL's `connect_timeout`, else `$PGCONNECT_TIMEOUT`, as libpq reads them.
        let seconds = |secs: &str| secs.parse::<u64>().map(|s| Duration::from_secs(s.max(1)));
        let explicit_timeout = param("connect_timeout").is_some()
            || std::env::var("PGCONNECT_TIMEOUT").is_ok_and(|s| !s.is_empty());
        let acquire_timeout = match (
            param("connect_timeout"),
            std::env::var("PGCONNECT_TIMEOUT")
                .ok()
                .filter(|s| !s.is_empty()),
        ) {
            (Some(secs), _) => seconds(&secs)
                .map_err(|_| bad("connect_timeout is not a number of seconds".into()))?,
            (None, Some(secs)) => seconds(&secs).map_err(|_| {
                Error::Usage(format!(
                    "$PGCONNECT_TIMEOUT is not a number of seconds: {}",
                    crate::secret::redact::quoted(&secs)
                ))
            })?,
            (None, None) => ACQUIRE_TIMEOUT,
        };
        if options.get_application_name().is_none() {
            options = options.application_name("appw");
        }
        // Every write's safety argument assumes READ COMMITTED; a server whose default is
        // stricter would add serialisation failures, so pin it for appw's sessions. (sqlx
        // 0.8 passes the value as it is: the space is escaped for the server.)
        let options = options
            .options([("default_transaction_isolation", r"read\ committed")])
            .disable_statement_logging();
        Ok(Target {
            options,
            acquire_timeout,
            explicit_timeout,
            shown,
        })
    }

    /// A pool that opens connections when first asked, at most `max_connections`, checks an
    /// idle one before handing it out (so a server reconnects after PostgreSQL restarts),
    /// and waits at most the acquire timeout. Must be called inside a Tokio runtime.
    pub fn pool(&self, max_connections: u32) -> PgPool {
        PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(self.acquire_timeout)
            .test_before_acquire(true)
            .connect_lazy_with(self.options.clone())
    }

    /// Why no connection could be had.
    pub fn connect_error(&self, err: sqlx::Error) -> Error {
        let what = match err {
            sqlx::Error::PoolTimedOut => format!(
                "no connection within {} s: the server refused or did not answer (is it \
                 running there? connect_timeout=SECONDS in the URL, or $PGCONNECT_TIMEOUT, waits \
                 longer)",
                seconds(self.acquire_timeout)
            ),
            sqlx::Error::Database(db) => db.message().to_string(),
            sqlx::Error::Configuration(e) => e.to_string(),
            other => other.to_string(),
        };
        let hint = ignored_pgpass()
            .map(|why| format!("; {why}"))
            .unwrap_or_default();
        Error::Unavailable(format!(
            "cannot connect to the store {}: {what}{hint}",
            self.shown
        ))
    }
}

/// Whether the first certificate in the PEM file at `path` is X.509 version 1 (its
/// TBSCertificate starts with the serial number, not the `[0]` version field), which
/// rustls refuses with a message that blames the server.
fn first_certificate_is_v1(path: &str) -> bool {
    use base64::Engine as _;
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let Some(body) = text
        .split("-----BEGIN CERTIFICATE-----")
        .nth(1)
        .and_then(|rest| rest.split("-----END CERTIFICATE-----").next())
    else {
        return false;
    };
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let Ok(der) = base64::engine::general_purpose::STANDARD.decode(b64) else {
        return false;
    };
    // SEQUENCE (Certificate) { SEQUENCE (TBSCertificate) { [0] version? ...
    let skip_header = |at: usize| -> Option<usize> {
        let len = *der.get(at + 1)?;
        Some(
            at + 2
                + if len & 0x80 != 0 {
                    (len & 0x7f) as usize
                } else {
                    0
                },
        )
    };
    let tbs = match der.first() {
        Some(0x30) => skip_header(0),
        _ => None,
    };
    let field = tbs
        .filter(|&at| der.get(at) == Some(&0x30))
        .and_then(skip_header);
    field.is_some_and(|at| der.get(at).is_some_and(|&tag| tag != 0xa0))
}

/// A duration as messages give it: whole seconds, or tenths under 10 s.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 || d.as_secs() >= 10 {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}

/// The text of a configuration error, without sqlx's prefix (which it may nest).
fn config_text(err: sqlx::Error) -> String {
    let text = err.to_string();
    let mut rest = text.as_str();
    while let Some(inner) = rest.strip_prefix("error with configuration: ") {
        rest = inner;
    }
    rest.to_string()
}

/// sqlx skips a pgpass file that others may read, as libpq does, but silently: when a
/// connection fails, say so.
fn ignored_pgpass() -> Option<String> {
    let path = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".pgpass")))?;
    let mode = std::fs::metadata(&path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} was ignored because others can read it (mode {:04o}); run chmod 600 on it",
            path.display(),
            mode & 0o7777
        )
    })
}

/// The URL as it may be shown: the password in the user part and any `password=`
/// parameter taken out.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "(a PostgreSQL URL)".into();
    };
    // The userinfo ends at the last '@': a password may hold '?', '/' or '@' unencoded, so
    // nothing before that '@' is ever shown but the user name.
    let (user, after) = match rest.rsplit_once('@') {
        Some((userinfo, after)) => (Some(userinfo.split(':').next().unwrap_or("")), after),
        None => (None, rest),
    };
    let (host, query) = match after.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (after, None),
    };
    let main = match user {
        Some(user) => format!("{user}@{host}"),
        None => host.to_string(),
    };
    let mut shown = format!("{scheme}://{main}");
    if let Some(query) = query {
        let kept: Vec<&str> = query
            .split('&')
            // Keys are percent-decoded when the URL is read (`passw%6Frd=` sets the password).
            .filter(|p| {
                let key = p.split_once('=').map_or(*p, |(key, _)| key);
                !percent_decode_str(key)
                    .decode_utf8_lossy()
                    .eq_ignore_ascii_case("password")
            })
            .collect();
        if !kept.is_empty() {
            shown.push('?');
            shown.push_str(&kept.join("&"));
        }
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_takes_out_every_password() {
        assert_eq!(
            redact("postgres://appw:s3cret@db.example:5432/appw?sslmode=require"),
            "postgres://appw@db.example:5432/appw?sslmode=require"
        );
        assert_eq!(
            redact("postgresql://u:p@ss:w@rd@h/d?password=x&sslmode=disable"),
            "postgresql://u@h/d?sslmode=disable"
        );
        assert_eq!(redact("postgres://h/d"), "postgres://h/d");
        assert!(!redact("postgres://u:topsecret@h/d").contains("topsecret"));
        assert!(
            !redact("postgres://h/d?passw%6Frd=topsecret&sslmode=require").contains("topsecret")
        );
        for leaky in [
            "postgres://u:pa?ss@h/d",
            "postgres://u:a/b?c@h/d?sslmode=require",
        ] {
            let shown = redact(leaky);
            assert!(shown.starts_with("postgres://u@h/d"), "{shown}");
        }
    }

    #[test]
    fn url_settings_sqlx_leaves_out_are_applied() {
        let t = Target::parse("postgres://u:pw@h:1/d?sslmode=require&sslrootcert=/").unwrap();
        assert!(matches!(t.options.get_ssl_mode(), PgSslMode::VerifyCa));
        // (The default, unless the shell running the tests sets one; the integration
        // tests check $PGCONNECT_TIMEOUT with a clean environment.)
        if std::env::var_os("PGCONNECT_TIMEOUT").is_none() {
            assert_eq!(t.acquire_timeout, ACQUIRE_TIMEOUT);
        }
        let t = Target::parse("postgres://u@h/d?sslmode=verify-full&connect_timeout=7").unwrap();
        assert!(matches!(t.options.get_ssl_mode(), PgSslMode::VerifyFull));
        assert_eq!(t.acquire_timeout, Duration::from_secs(7));
        assert_eq!(t.options.get_application_name(), Some("appw"));
        assert!(Target::parse("postgres://u@h/d?sslmode=bogus").is_err());
        let err = Target::parse("postgres://u:hunter22@h:notaport/d")
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains("hunter22"), "{err}");
    }
}
