//! Request bodies, read within bounds: JSON for the API (415 unless it says JSON, 413 over
//! 64 KiB, 400 for anything malformed, not UTF-8, or holding a field the route does not
//! know, naming it), the screen's forms, and query strings (strict UTF-8 too).

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

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

/// A form body (`application/x-www-form-urlencoded`), as name/value pairs. The sign-in
/// form carries a password: the values are held in zeroizing buffers, and the body's own
/// bytes are wiped once parsed when nothing else holds them (see SECURITY.md for the
/// copies that remain).
pub async fn form(headers: &HeaderMap, body: Body) -> Result<Form, Response> {
    if !is_type(headers, "application/x-www-form-urlencoded") {
        return Err(reply::error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the form must be application/x-www-form-urlencoded",
        ));
    }
    let bytes = bytes(headers, body).await?;
    let parsed = pairs(&bytes);
    if let Ok(mut own) = bytes.try_into_mut() {
        zeroize::Zeroize::zeroize(&mut own[..]);
    }
    match parsed {
        Some(pairs) => Ok(Form(pairs)),
        None => Err(reply::error(
            StatusCode::BAD_REQUEST,
            "the form is not UTF-8",
        )),
    }
}

/// A submitted form's fields.
pub struct Form(Vec<(String, Zeroizing<String>)>);

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

/// `application/x-www-form-urlencoded` pairs (a form body or a query string), decoded
/// strictly: `None` when a name or value is not UTF-8 once decoded (never replaced by
/// U+FFFD, which would make `?user=%ff` a question about some other user).
fn pairs(input: &[u8]) -> Option<Vec<(String, Zeroizing<String>)>> {
    let mut out = Vec::new();
    for pair in input.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let name = decode(name)?;
        out.push((name.as_str().to_string(), decode(value)?));
    }
    Some(out)
}

/// One percent-encoded component, `+` as a space, into a buffer of its final size at most
/// (no reallocation leaves a copy behind); a `%` not followed by two hex digits is itself.
fn decode(part: &[u8]) -> Option<Zeroizing<String>> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(part.len()));
    let mut i = 0;
    while i < part.len() {
        let hex = |at: usize| part.get(at).and_then(|b| (*b as char).to_digit(16));
        match (part[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                bytes.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                bytes.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                bytes.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&bytes).ok()?;
    String::from_utf8(std::mem::take(&mut *bytes))
        .ok()
        .map(Zeroizing::new)
}

/// The query string's pairs (`?user=U&since=WHEN`); a key the route does not know, one
/// given twice, or one not UTF-8 once decoded is refused (400), never ignored.
pub fn query(query: Option<&str>, known: &[&str]) -> Result<Vec<(String, String)>, Problem> {
    let pairs: Vec<(String, String)> = pairs(query.unwrap_or("").as_bytes())
        .ok_or_else(|| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                "the query string is not UTF-8 once decoded",
            )
        })?
        .into_iter()
        .map(|(k, v)| (k, v.as_str().to_string()))
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

/// The `{id}` of a route's path. A path whose id is not UTF-8 once percent-decoded is
/// refused as every other bad value is, `{"error": ...}` with 400, naming the field (axum's
/// own rejection is plain text).
pub struct PathId(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathId {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<PathId, Response> {
        use axum::extract::rejection::PathRejection;
        match axum::extract::Path::<String>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) => Ok(PathId(id)),
            Err(PathRejection::FailedToDeserializePathParams(_)) => Err(reply::error(
                StatusCode::BAD_REQUEST,
                "id: not a credential id (not UTF-8 once decoded)",
            )),
            Err(_) => Err(reply::error(
                StatusCode::BAD_REQUEST,
                "id: the path holds no credential id",
            )),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_decode_as_browsers_encode() {
        let got = pairs(b"user=al+ice&password=a%2Bb%3D%25&empty=&bare&&x=%zz").unwrap();
        let got: Vec<(&str, &str)> = got.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            [
                ("user", "al ice"),
                ("password", "a+b=%"),
                ("empty", ""),
                ("bare", ""),
                ("x", "%zz"),
            ]
        );
        assert_eq!(pairs(b"name=%C3%A9").unwrap()[0].1.as_str(), "\u{e9}");
    }

    #[test]
    fn what_is_not_utf8_once_decoded_is_refused() {
        assert!(pairs(b"user=%ff").is_none());
        assert!(pairs(b"%c3=x").is_none());
        assert!(query(Some("user=%ff"), &["user"]).is_err());
        assert!(query(Some("user=al%20ice"), &["user"]).is_ok());
    }
}
