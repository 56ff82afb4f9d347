//! Responses: JSON bodies as `--json` prints them, `{"error": ...}` with the status an
//! error kind maps to, and the one body that carries a password (exact-size, zeroized).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::json::ErrorJson;
use crate::output::Json;
use crate::serve::gate::Answer;

/// A JSON document, written as `--json` writes it (unprintable characters escaped).
pub fn json(status: StatusCode, value: &Value) -> Response {
    with_type(
        status,
        Body::from(Json(value).to_string()),
        "application/json",
    )
}

/// `{"error": message}`: one line, any password in it redacted, nothing a terminal acts on.
pub fn error(status: StatusCode, message: &str) -> Response {
    let line = message.replace(['\n', '\r'], " ");
    let body = ErrorJson {
        error: crate::text::clean(&crate::secret::redact::redact(&line)).into_owned(),
    };
    json(status, &serde_json::to_value(body).unwrap_or(Value::Null))
}

/// The status an error kind stands for over HTTP.
pub fn status_of(e: &Error) -> StatusCode {
    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The gate's refusal (401 with the challenge, 403, 429, 503) with a JSON body; the
/// headers that matter to a client (`WWW-Authenticate`, `Retry-After`) are kept.
pub fn refused(answer: Answer) -> Response {
    let status = answer.status();
    let message = match status {
        StatusCode::UNAUTHORIZED => {
            "authentication required: an appw password, with Basic or Bearer"
        }
        StatusCode::FORBIDDEN => "this credential may not be used for that",
        StatusCode::TOO_MANY_REQUESTS => "too many failed attempts; try again later",
        _ => "the store cannot be used right now; try again shortly",
    };
    let mut r = error(status, message);
    for name in [header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        if let Some(v) = answer.headers().get(&name) {
            r.headers_mut().insert(name, v.clone());
        }
    }
    r
}

/// A body holding a password: written into a buffer of exactly its size (no reallocation
/// leaves a copy behind), zeroized when the response has been written and dropped, never
/// cached.
pub fn secret(status: StatusCode, text: Zeroizing<String>, content_type: &'static str) -> Response {
    let bytes = secret_bytes(text);
    let mut r = with_type(status, Body::from(bytes), content_type);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// A JSON object holding `password`: see [`secret`]. The value's copy is overwritten.
pub fn secret_json(status: StatusCode, mut value: Value) -> Response {
    let text = exact(|w| std::fmt::Write::write_fmt(w, format_args!("{}", Json(&value))));
    if let Some(Value::String(s)) = value.get_mut("password") {
        zeroize::Zeroize::zeroize(s);
    }
    secret(status, text, "application/json")
}

pub use crate::secret::exact;

/// `text` as `Bytes` that own it: no copy is made, and the text is wiped when the last
/// reference is dropped.
pub fn secret_bytes(text: Zeroizing<String>) -> Bytes {
    Bytes::from_owner(Secret(text))
}

struct Secret(Zeroizing<String>);

impl AsRef<[u8]> for Secret {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

pub fn with_type(status: StatusCode, body: Body, content_type: &'static str) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// What every answer of the admin listener carries: nothing framed, sniffed, cached or
/// sent on as a referrer, and nothing loaded from another origin.
pub fn harden(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// A refusal before it is rendered: the API answers it as `{"error": ...}`, the screen
/// shows its message on the next page.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Problem {
        Problem {
            status,
            message: message.into(),
        }
    }

    /// An error's message, any password in it redacted: the screen shows it as a notice,
    /// and a store's message may quote what it was given.
    pub fn of(e: &Error) -> Problem {
        let message = e.naming_field();
        Problem::new(
            status_of(e),
            crate::secret::redact::redact(&message).into_owned(),
        )
    }
}

impl From<Problem> for Response {
    fn from(p: Problem) -> Response {
        error(p.status, &p.message)
    }
}
