//! Who is asking, and what they may do. A request's credential is decided by the server's
//! own gate (the pipeline `/auth` runs: same checks, throttling, log and records) asked for
//! `appw:admin` or `appw:self`; [`authenticate`] is the one call to it. What a caller may
//! then do without gaining power ([`Caller::may_hold`]) is decided here.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

use crate::serve::Server;
use crate::serve::gate::{Answer, Gate, Peer, gate_headers, unavailable};
use crate::store::{HashRecord, Timestamp};

/// The scope that manages every user's credentials.
pub const ADMIN: &str = "appw:admin";
/// The scope that manages its own user's credentials, within its own power.
pub const OWN: &str = "appw:self";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `appw:admin`: every user's credentials.
    Admin,
    /// `appw:self`: its own user's, never more power than its own.
    Own,
}

impl Role {
    pub fn scope(self) -> &'static str {
        match self {
            Role::Admin => ADMIN,
            Role::Own => OWN,
        }
    }
}

/// What a route needs of the credential it is called with.
#[derive(Clone, Copy)]
pub enum Need {
    /// `appw:admin` or `appw:self`.
    Manage,
    /// Any valid credential (introspection and self-revocation).
    Any,
}

/// A verified caller, as its row read right after the check.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: String,
    pub user: String,
    pub role: Role,
    pub scopes: Vec<String>,
    pub allow_from: Vec<String>,
    pub expires_at: Option<Timestamp>,
}

/// The credential in `headers` (Basic or Bearer), decided by the server's gate; the
/// refusal is the gate's own answer.
pub async fn authenticate(
    server: &Arc<Server>,
    headers: &HeaderMap,
    peer: Peer,
    need: Need,
) -> Result<Caller, Answer> {
    let scope = match need {
        Need::Any => None,
        Need::Manage => Some(claimed_role(server, headers).await?.scope()),
    };
    let id = match server.gate(gate_headers(headers), peer, scope).await {
        Gate::Passed { id } => id,
        Gate::Refused(answer) => return Err(answer),
    };
    match server.record(id).await {
        Ok(Some(r)) => Ok(Caller::of(r)),
        // Revoked between the check and this read: nothing was decided on it yet.
        Ok(None) => Err(gone()),
        // Logged and counted where it was read.
        Err(_) => Err(unavailable()),
    }
}

/// Whether a session's credential still signs it in: not revoked, disabled or expired,
/// still holding the scope it signed in with, and used from one of its networks (`client`
/// is this request's, as `/auth` names it: a cookie carried elsewhere, or kept after
/// `update --allow-from`, is worth what the password would be there). `Ok(None)` is a
/// definite no (the row
/// says so, or is gone); `Err` is a store that did not answer, which decides nothing: the
/// session is neither ended nor let through.
pub async fn still_valid(
    server: &Arc<Server>,
    id: &str,
    role: Role,
    now: Timestamp,
    client: &str,
) -> crate::error::Result<Option<Caller>> {
    let Some(record) = server.record(id.to_string()).await? else {
        return Ok(None);
    };
    let usable = record.hash.is_some()
        && !record.disabled
        && record.expires_at.is_none_or(|at| at > now)
        && record.scopes.iter().any(|s| s == role.scope())
        && (record.allow_from.is_empty()
            || crate::access::allows(&record.allow_from, Some(client)));
    Ok(usable.then(|| Caller {
        role,
        ..Caller::of(record)
    }))
}

/// The role to ask the gate for: `appw:admin` when the credential the header names holds
/// it, else `appw:self` (which the gate refuses, for its scope, when it holds neither).
/// Only a hint: the gate decides on the row it reads itself. A store that does not answer
/// is answered 503 here (logged and counted where it was read), before the gate would
/// log the same outage again.
async fn claimed_role(server: &Arc<Server>, headers: &HeaderMap) -> Result<Role, Answer> {
    let Some(id) = named_id(headers) else {
        return Ok(Role::Own);
    };
    match server.record(id).await {
        Ok(Some(r)) if r.scopes.iter().any(|s| s == ADMIN) => Ok(Role::Admin),
        Ok(_) => Ok(Role::Own),
        Err(_) => Err(unavailable()),
    }
}

/// The credential id a Basic or Bearer header's password names, if it parses.
fn named_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let request = crate::auth::Request::header(value, crate::auth::Schemes::BasicOrBearer).ok()?;
    Some(request.token.id().to_string())
}

fn gone() -> Answer {
    let mut answer = Answer::new(http_body_util::Full::new(bytes::Bytes::from_static(
        b"unauthorized\n",
    )));
    *answer.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
    answer
}

impl Caller {
    fn of(r: HashRecord) -> Caller {
        let role = if r.scopes.iter().any(|s| s == ADMIN) {
            Role::Admin
        } else {
            Role::Own
        };
        Caller {
            id: r.id,
            user: r.user,
            role,
            scopes: r.scopes,
            allow_from: r.allow_from,
            expires_at: r.expires_at,
        }
    }

    /// Whether the caller may see and manage `user`'s credentials.
    pub fn sees(&self, user: &str) -> bool {
        self.role == Role::Admin || user == self.user
    }

    /// Whether a credential with these scopes, networks and expiry would have no more
    /// power than the caller: for `appw:self`, scopes within its own (never `appw:admin`),
    /// networks within its own when it has any, expiry no later than its own when it has
    /// one. `Err` says what would escalate.
    pub fn may_hold(
        &self,
        scopes: &[String],
        allow_from: &[String],
        expires_at: Option<Timestamp>,
    ) -> Result<(), String> {
        if self.role == Role::Admin {
            return Ok(());
        }
        if let Some(s) = scopes
            .iter()
            .find(|s| *s == ADMIN || !self.scopes.contains(s))
        {
            return Err(format!(
                "scopes: {} is beyond this credential's own scopes",
                crate::secret::redact::quoted(s)
            ));
        }
        if !self.allow_from.is_empty() {
            let own: Vec<ipnet::IpNet> = self
                .allow_from
                .iter()
                .filter_map(|n| crate::access::network(n).ok())
                .collect();
            if allow_from.is_empty() {
                return Err(
                    "allow_from: this credential is limited to networks, so a new one must be too"
                        .into(),
                );
            }
            for n in allow_from {
                let inside =
                    crate::access::network(n).is_ok_and(|net| own.iter().any(|o| o.contains(&net)));
                if !inside {
                    return Err(format!(
                        "allow_from: {} is outside this credential's own networks",
                        crate::secret::redact::quoted(n)
                    ));
                }
            }
        }
        if let Some(own) = self.expires_at {
            if expires_at.is_none_or(|at| at > own) {
                return Err(
                    "expires: no later than this credential's own expiry, which is required".into(),
                );
            }
        }
        Ok(())
    }
}
