//! The screen's stylesheet and its one small script, compiled into the binary: nothing is
//! loaded from another origin, and nothing needs a build step.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

const STYLE: &str = include_str!("assets/style.css");
const SCRIPT: &str = include_str!("assets/copy.js");

pub async fn style() -> Response {
    asset(STYLE, "text/css; charset=utf-8")
}

pub async fn script() -> Response {
    asset(SCRIPT, "text/javascript; charset=utf-8")
}

fn asset(text: &'static str, content_type: &'static str) -> Response {
    let mut r = super::reply::with_type(StatusCode::OK, text.into(), content_type);
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}
