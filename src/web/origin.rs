//! Whether a request came from a page of this very origin. A browser says where a request
//! comes from (`Sec-Fetch-Site`, and `Origin` on anything but a plain GET); a request it
//! marks as coming from elsewhere is refused before anything else is read:
//!
//! - on the API, because a browser that once answered its Basic challenge may send those
//!   credentials with a form another site posts (`POST .../rotate` needs no body);
//! - on the screen's forms, besides the CSRF token: a sibling subdomain (`same-site`) is
//!   another party too, and may plant cookies.
//!
//! Clients that are not browsers send neither header and are not concerned.

use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::reply;

/// Whether the browser says the request comes from another origin. `Sec-Fetch-Site`, when
/// sent, decides: anything but `same-origin` or `none` (typed into the address bar) is
/// another origin. (With `Referrer-Policy: no-referrer`, which every page here sends, a
/// browser's own form posts carry `Origin: null`, so `Origin` cannot overrule it.) A
/// browser too old to send it is judged by `Origin`: one naming another host is foreign,
/// and `null` is too when `null_is_foreign` (the API, which no page of this origin calls).
pub fn from_elsewhere(headers: &HeaderMap, null_is_foreign: bool) -> bool {
    let mut sites = headers.get_all("sec-fetch-site").iter();
    if let Some(site) = sites.next() {
        let here = site
            .to_str()
            .is_ok_and(|v| v.eq_ignore_ascii_case("same-origin") || v.eq_ignore_ascii_case("none"));
        return !here || sites.next().is_some();
    }
    let mut origins = headers.get_all(header::ORIGIN).iter();
    match (origins.next(), origins.next()) {
        (None, _) => false,
        (Some(origin), None) => match origin.to_str() {
            Ok(o) if o.trim() == "null" => null_is_foreign,
            Ok(o) => !same_origin(o.trim(), scheme(headers), host(headers)),
            Err(_) => true,
        },
        (Some(_), Some(_)) => true,
    }
}

fn host(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The scheme the browser used: `https` when the proxy in front says so
/// (`X-Forwarded-Proto`, as every recipe in the README sets it), else `http` (the listener
/// itself speaks plain HTTP).
pub(super) fn scheme(headers: &HeaderMap) -> &'static str {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    if https { "https" } else { "http" }
}

/// Whether `origin` (`scheme://host[:port]`) is the origin the request was sent to:
/// `scheme`, and the host and port of `host`. A proxy may pass the host without its port
/// (nginx's `$host`): then only an origin on its scheme's default port matches (a browser
/// names no default port), so another port on the same name is still another origin.
fn same_origin(origin: &str, scheme: &str, host: &str) -> bool {
    let Some((origin_scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    if !origin_scheme.eq_ignore_ascii_case(scheme) {
        return false;
    }
    let default = if scheme == "https" { "443" } else { "80" };
    let (origin_name, origin_port) = split_port(authority);
    let (host_name, host_port) = split_port(host.trim());
    if origin_name.is_empty() || !origin_name.eq_ignore_ascii_case(host_name) {
        return false;
    }
    match host_port {
        None => origin_port.is_none(),
        Some(port) => origin_port.unwrap_or(default) == port,
    }
}

/// `name:port`, `[v6]:port`, or a bare name.
fn split_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.split_once("]:") {
            Some((name, port)) => (&authority[..name.len() + 1], Some(port)),
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (authority, None),
    }
}

/// The API's guard: a request a browser sent from another origin is refused (403) before
/// it is authenticated, so cached Basic credentials are never used for another site.
pub async fn api_only_from_here(request: Request, next: Next) -> Response {
    if from_elsewhere(request.headers(), true) {
        return reply::error(
            StatusCode::FORBIDDEN,
            "a request a browser sent from another site is refused",
        );
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn elsewhere(h: &HeaderMap) -> bool {
        from_elsewhere(h, true)
    }

    #[test]
    fn a_request_from_this_origin_or_no_browser_passes() {
        assert!(!elsewhere(&headers(&[("host", "127.0.0.1:9181")])));
        assert!(!elsewhere(&headers(&[
            ("host", "127.0.0.1:9181"),
            ("origin", "http://127.0.0.1:9181"),
            ("sec-fetch-site", "same-origin"),
        ])));
        assert!(!elsewhere(&headers(&[
            ("host", "appw.example.org"),
            ("origin", "https://appw.example.org"),
            ("sec-fetch-site", "none"),
        ])));
        // A proxy that passes the name without the port, and says the scheme.
        assert!(!elsewhere(&headers(&[
            ("host", "appw.example.org"),
            ("x-forwarded-proto", "https"),
            ("origin", "https://appw.example.org"),
        ])));
        assert!(!elsewhere(&headers(&[
            ("host", "appw.example.org:8443"),
            ("x-forwarded-proto", "https"),
            ("origin", "https://appw.example.org:8443"),
        ])));
        assert!(!elsewhere(&headers(&[
            ("host", "appw.example.org:443"),
            ("x-forwarded-proto", "https"),
            ("origin", "https://appw.example.org"),
        ])));
        assert!(!elsewhere(&headers(&[
            ("host", "[::1]:9181"),
            ("origin", "http://[::1]:9181"),
        ])));
    }

    #[test]
    fn a_request_from_another_site_or_a_sibling_is_refused() {
        for site in ["cross-site", "same-site", "bogus"] {
            let h = headers(&[("host", "a.example.org"), ("sec-fetch-site", site)]);
            assert!(elsewhere(&h), "{site}");
        }
        for origin in [
            "https://evil.example",
            "https://b.example.org",
            "null",
            "http://a.example.org:8080",
            "ftp://a.example.org",
        ] {
            let h = headers(&[("host", "a.example.org:443"), ("origin", origin)]);
            assert!(elsewhere(&h), "{origin}");
        }
        let two = headers(&[
            ("host", "a.example.org"),
            ("origin", "https://a.example.org"),
            ("origin", "https://a.example.org"),
        ]);
        assert!(elsewhere(&two));
    }

    #[test]
    fn without_sec_fetch_site_another_scheme_or_port_is_another_origin() {
        let cases: [(&[(&'static str, &'static str)], &str); 6] = [
            // The listener reached directly, the Host without a port: only port 80 matches.
            (&[("host", "127.0.0.1")], "http://127.0.0.1:8080"),
            (&[("host", "127.0.0.1")], "https://127.0.0.1"),
            (&[("host", "127.0.0.1:9181")], "https://127.0.0.1:9181"),
            // Behind a TLS proxy that passes the name alone (nginx's `$host`).
            (
                &[("host", "appw.example.org"), ("x-forwarded-proto", "https")],
                "http://appw.example.org",
            ),
            (
                &[("host", "appw.example.org"), ("x-forwarded-proto", "https")],
                "https://appw.example.org:8443",
            ),
            (
                &[("host", "appw.example.org"), ("x-forwarded-proto", "https")],
                "https://appw.example.org:443",
            ),
        ];
        for (pairs, origin) in cases {
            let mut h = headers(pairs);
            h.append("origin", HeaderValue::from_static(origin));
            assert!(elsewhere(&h), "{pairs:?} {origin}");
            assert!(from_elsewhere(&h, false), "{pairs:?} {origin}");
        }
        let direct = headers(&[("host", "127.0.0.1"), ("origin", "http://127.0.0.1")]);
        assert!(!elsewhere(&direct));
    }

    #[test]
    fn a_browsers_own_post_under_no_referrer_passes() {
        // What Chromium sends for a form of this origin under Referrer-Policy: no-referrer.
        let own = headers(&[
            ("host", "127.0.0.1:9181"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(!from_elsewhere(&own, true));
        let old_browser = headers(&[("host", "127.0.0.1:9181"), ("origin", "null")]);
        assert!(!from_elsewhere(&old_browser, false));
        assert!(from_elsewhere(&old_browser, true));
    }
}
