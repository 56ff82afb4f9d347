//! The screen's pages: askama templates (compiled in, every value HTML-escaped) and the
//! values they show. Whatever a store holds is shown as text: escaped for HTML by askama,
//! and with control, bidirectional and invisible characters made visible first.

use askama::Template;

use super::session::Notice;
use crate::store::Credential;
use crate::text::clean;
use crate::when;

/// Credentials per page of the table.
pub const PAGE: usize = 50;

/// The signed-in user, as the header shows them.
pub struct Me {
    pub user: String,
    pub scope: &'static str,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignIn {
    pub insecure: bool,
    pub notice: Option<Notice>,
    pub csrf: String,
    /// Where to go once signed in (an `/authorize` request).
    pub next: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct Message {
    pub insecure: bool,
    pub notice: Option<Notice>,
    pub heading: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct Confirm {
    pub insecure: bool,
    pub notice: Option<Notice>,
    pub csrf: String,
    pub me: Me,
    pub user: Option<String>,
    pub count: u64,
}

#[derive(Template)]
#[template(path = "index.html")]
pub struct Index<'a> {
    pub insecure: bool,
    pub notice: Option<Notice>,
    pub csrf: String,
    pub me: Me,
    pub admin: bool,
    pub issued: Option<NewPassword<'a>>,
    /// The user filter, as typed (empty: every user).
    pub filter: String,
    pub total: usize,
    pub first: usize,
    pub last: usize,
    pub rows: Vec<Row>,
    pub pages: Vec<PageLink>,
}

/// A password just issued, shown this once; borrowed from zeroizing buffers.
pub struct NewPassword<'a> {
    pub name: String,
    pub user: String,
    pub grouped: &'a str,
    pub curl: &'a str,
}

/// One credential in the table.
pub struct Row {
    pub id: String,
    pub name: String,
    pub user: String,
    pub created: String,
    pub last_used: String,
    pub last_source: String,
    pub uses: i64,
    pub expires: String,
    pub scopes: String,
    pub networks: String,
    pub state: &'static str,
    pub disabled: bool,
}

impl Row {
    pub fn of(c: &Credential, now: i64) -> Row {
        let time = |at: Option<i64>, none: &str| at.map_or_else(|| none.to_string(), shown_time);
        let list = |items: &[String]| {
            if items.is_empty() {
                "—".to_string()
            } else {
                clean(&items.join(", ")).into_owned()
            }
        };
        let disabled = is_disabled(c);
        Row {
            id: clean(&c.id).into_owned(),
            name: clean(&c.name).into_owned(),
            user: clean(&c.user).into_owned(),
            created: shown_time(c.created),
            last_used: time(c.last_used, "never"),
            last_source: c
                .last_source
                .as_deref()
                .map_or_else(|| "—".to_string(), |s| clean(s).into_owned()),
            uses: c.use_count,
            expires: time(c.expires_at, "never"),
            scopes: list(&c.scopes),
            networks: list(&c.allow_from),
            state: if disabled {
                "disabled"
            } else if c.is_expired(now) {
                "expired"
            } else {
                "active"
            },
            disabled,
        }
    }
}

fn is_disabled(c: &Credential) -> bool {
    c.disabled
}

/// A time as people read it in a table: UTC, to the minute.
fn shown_time(at: i64) -> String {
    let text = when::rfc3339(at);
    // 2026-12-07T01:33:29Z -> 2026-12-07 01:33 UTC
    match (text.get(..10), text.get(11..16)) {
        (Some(day), Some(time)) => format!("{day} {time} UTC"),
        _ => text,
    }
}

/// A link to one page of the table.
pub struct PageLink {
    pub number: usize,
    pub href: String,
    pub current: bool,
}

/// Links to the first, last and nearby pages (not two hundred of them).
pub fn page_links(pages: usize, current: usize, filter: &str) -> Vec<PageLink> {
    let mut numbers: Vec<usize> = vec![1, pages];
    numbers.extend(current.saturating_sub(3).max(1)..=(current + 3).min(pages));
    numbers.sort_unstable();
    numbers.dedup();
    let user: String = form_urlencoded::byte_serialize(filter.as_bytes()).collect();
    numbers
        .into_iter()
        .filter(|&n| n >= 1 && n <= pages)
        .map(|number| PageLink {
            number,
            href: if filter.is_empty() {
                format!("/?page={number}")
            } else {
                format!("/?user={user}&page={number}")
            },
            current: number == current,
        })
        .collect()
}

/// `curl -u 'USER:PASSWORD' URL`, quoted for a POSIX shell.
pub fn curl_line(user: &str, password: &str, url: &str) -> zeroize::Zeroizing<String> {
    let user = user.replace('\'', "'\\''");
    super::reply::exact(|w| write!(w, "curl -u '{user}:{password}' {url}"))
}
