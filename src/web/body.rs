//! Request bodies, read within bounds: JSON for the API (415 unless it says JSON, 413 over
//! 64 KiB, 400 for anything malformed, not UTF-8, or holding a field the route does not
//! know, naming it), and the screen's forms.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::de::DeserializeOwned;

use super::reply::{self, Problem};

/// Bodies larger than this are refused (413) before they are parsed.
pub const MAX_BODY: usize = 64 * 1024;
/// A body not complete after this long is refused (408): a client trickling one would
/// otherwise hold a connection (and, before sign-in, nothing else limits it) forever.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The bytes of a body, refused when larger than [`MAX_BODY`] (a declared length is
/// checked before anything is read).
async fn bytes(headers: &HeaderMap, body: Body) -> Result<bytes::Bytes, Response> {
    let too_large = || {
        reply::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the body is larger than 64 KiB",
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let read = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY)).await;
    let Ok(read) = read else {
        let mut r = reply::error(
            StatusCode::REQUEST_TIMEOUT,
            "the body did not arrive in time",
        );
        r.headers_mut().insert(
            header::CONNECTION,
            axum::http::HeaderValue::from_static("close"),
        );
        return Err(r);
    };
    read.map_err(|e| {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            if s.is::<http_body_util::LengthLimitError>() {
                return too_large();
            }
            source = s.source();
        }
        reply::error(StatusCode::BAD_REQUEST, "the body could not be read")
    })
}

/// Whether the request says its body is of `mime` (parameters such as a charset allowed).
fn is_type(headers: &HeaderMap, mime: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(mime))
}

/// For a route that takes no body (`POST .../rotate`): a request that says it carries
/// anything but JSON is refused (415). An HTML form always says it carries a form, so no
/// page of another site can make a browser call such a route.
pub fn no_form(headers: &HeaderMap) -> Result<(), Problem> {
    if headers.contains_key(header::CONTENT_TYPE) && !is_type(headers, "application/json") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be application/json",
        ));
    }
    Ok(())
}

/// A JSON body of type `T` (whose fields deny unknown ones).
pub async fn json<T: DeserializeOwned>(headers: &HeaderMap, body: Body) -> Result<T, Response> {
    if !is_type(headers, "application/json") {
        return Err(reply::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be application/json",
        ));
    }
    let bytes = bytes(headers, body).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| reply::error(StatusCode::BAD_REQUEST, "the body is not UTF-8"))?;
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| malformed(&e))?;
    de.end().map_err(|_| {
        reply::error(
            StatusCode::BAD_REQUEST,
            "malformed JSON: text after the object",
        )
    })?;
    Ok(value)
}

/// serde's message, with the field it concerns: "scopes: invalid type: ...".
fn malformed(e: &serde_path_to_error::Error<serde_json::Error>) -> Response {
    let path = e.path().to_string();
    let inner = e.inner();
    // serde_json's position is of no use to a client that sent one line; its message is.
    let message = inner.to_string();
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(m, _)| m);
    let text = if path == "." || path.is_empty() {
        format!("malformed JSON: {message}")
    } else {
        format!("{path}: {message}")
    };
    reply::error(StatusCode::BAD_REQUEST, &text)
}

/// A form body (`application/x-www-form-urlencoded`), as name/value pairs.
pub async fn form(headers: &HeaderMap, body: Body) -> Result<Form, Response> {
    if !is_type(headers, "application/x-www-form-urlencoded") {
        return Err(reply::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the form must be application/x-www-form-urlencoded",
        ));
    }
    let bytes = bytes(headers, body).await?;
    if std::str::from_utf8(&bytes).is_err() {
        return Err(reply::error(
            StatusCode::BAD_REQUEST,
            "the form is not UTF-8",
        ));
    }
    Ok(Form(form_urlencoded::parse(&bytes).into_owned().collect()))
}

/// A submitted form's fields.
pub struct Form(Vec<(String, String)>);

impl Form {
    /// The first value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, trimmed; `None` when absent or blank.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// A comma-separated list field (scopes, networks), without blanks.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// The query string's pairs (`?user=U&since=WHEN`); a key the route does not know, or one
/// given twice, is refused (400), never ignored.
pub fn query(query: Option<&str>, known: &[&str]) -> Result<Vec<(String, String)>, Problem> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    for (i, (k, _)) in pairs.iter().enumerate() {
        if !known.contains(&k.as_str()) {
            let shown = crate::secret::redact::quoted(k);
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                format!("unknown query parameter {shown}"),
            ));
        }
        if pairs[..i].iter().any(|(other, _)| other == k) {
            return Err(Problem::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "query parameter {} given twice",
                    crate::secret::redact::quoted(k)
                ),
            ));
        }
    }
    Ok(pairs)
}

/// Deserializes an absent key as `None` and a present one (even `null`) as `Some`: PATCH's
/// "`null` clears" needs the difference.
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}
