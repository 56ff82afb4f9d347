//! Stage 1: what was presented, parsed into a [`Request`] (a password in appw's format,
//! and the user it is claimed for, if one was named), or refused before the store is read
//! or anything is hashed: the format and its checksum are public, so refusing early says
//! nothing about what is stored.

use std::borrow::Cow;

use super::{Claim, Reason, basic};
use crate::secret::Token;

/// A password to verify.
pub struct Request {
    pub token: Token,
    /// The user named with it (Basic, `verify --user`); `None` for a password presented
    /// alone (Bearer), which is claimed for its credential's own user.
    pub user: Option<String>,
}

/// Which `Authorization` schemes a front takes: `/auth` both; `verify --basic` reads
/// what a web server's hook hands it, Basic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schemes {
    Basic,
    BasicOrBearer,
}

impl Schemes {
    fn expected(self) -> &'static str {
        match self {
            Schemes::Basic => "expected 'Basic <base64>'",
            Schemes::BasicOrBearer => "expected 'Basic <base64>' or 'Bearer <password>'",
        }
    }

    fn supported(self) -> &'static str {
        match self {
            Schemes::Basic => "only the Basic scheme is supported",
            Schemes::BasicOrBearer => "only the Basic and Bearer schemes are supported",
        }
    }
}

/// A refusal at parsing: no store read, no hash. `why` never holds the password.
#[derive(Debug)]
pub struct Early {
    /// The user named, when parsing got that far (for the log).
    pub user: Option<String>,
    pub why: Cow<'static, str>,
}

impl Request {
    /// A password, for `user` or (`None`) for its credential's own user.
    pub fn password(user: Option<String>, password: &str) -> Result<Request, Early> {
        match Token::parse(password) {
            Ok(token) => Ok(Request { token, user }),
            Err(e) => Err(Early {
                user,
                why: Cow::Borrowed(Reason::from(e).message()),
            }),
        }
    }

    /// An HTTP `Authorization` value: `Basic <base64 of user:password>` (RFC 7617), or
    /// where `schemes` allows it, `Bearer <password>` (the password names its credential,
    /// and so its user). An `Authorization:` prefix and surrounding whitespace are allowed.
    pub fn header(value: &str, schemes: Schemes) -> Result<Request, Early> {
        let early = |why: String| Early {
            user: None,
            why: Cow::Owned(why),
        };
        let value = value.trim();
        if value.len() > basic::MAX_VALUE {
            return Err(early(format!(
                "the Authorization value is longer than {} bytes",
                basic::MAX_VALUE
            )));
        }
        let value = value
            .strip_prefix("Authorization:")
            .map_or(value, str::trim);
        let (scheme, rest) = value
            .split_once(' ')
            .ok_or_else(|| early(schemes.expected().into()))?;
        if scheme.eq_ignore_ascii_case("bearer") && schemes == Schemes::BasicOrBearer {
            return Request::password(None, rest);
        }
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(early(schemes.supported().into()));
        }
        let creds = basic::decode(rest).map_err(early)?;
        Request::password(Some(creds.user), &creds.password)
    }

    /// What this password is claimed for, asking for `scope` from `source`.
    pub fn claim<'a>(&'a self, scope: Option<&'a str>, source: Option<&'a str>) -> Claim<'a> {
        Claim {
            user: self.user.as_deref(),
            scope,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    const BOTH: Schemes = Schemes::BasicOrBearer;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn basic_and_bearer_name_the_same_password() {
        let token = Token::generate();
        let pw = token.as_str();
        let basic =
            Request::header(&format!("Basic {}\n", b64(&format!("deploy:{pw}"))), BOTH).unwrap();
        assert_eq!(basic.user.as_deref(), Some("deploy"));
        assert_eq!(basic.token.id(), token.id());
        let grouped = token.grouped();
        for value in [
            format!("Bearer {pw}"),
            format!("Authorization: bearer {pw}"),
            format!("BEARER {}", grouped.as_str()),
        ] {
            let bearer = Request::header(&value, BOTH).unwrap();
            assert!(Request::header(&value, Schemes::Basic).is_err(), "{value}");
            assert_eq!(bearer.user, None, "{value}");
            assert_eq!(bearer.token.as_str(), pw);
        }
    }

    #[test]
    fn what_is_not_an_appw_password_is_refused_early() {
        let token = Token::generate();
        let typo = {
            let mut s = token.as_str().to_string();
            let last = if s.ends_with('A') { "B" } else { "A" };
            s.replace_range(47.., last);
            s
        };
        for (value, user) in [
            ("Bearer abc".to_string(), None),
            ("Bearer".to_string(), None),
            ("Bearer ".to_string(), None),
            (format!("Bearer {typo}"), None),
            (format!("Basic {}", b64("deploy:abc")), Some("deploy")),
            (format!("Digest {}", token.as_str()), None),
            (format!("Token {}", token.as_str()), None),
            (format!("Basic {}", b64(token.as_str())), None),
        ] {
            let early = Request::header(&value, BOTH).err().expect(&value);
            assert_eq!(early.user.as_deref(), user, "{value}");
            assert!(!early.why.contains(token.as_str()), "{value}");
        }
    }
}
