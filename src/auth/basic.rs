//! HTTP Basic credentials (RFC 7617), as `curl -u USER:PASSWORD` sends them: read from
//! `verify --basic`'s standard input and from `serve`'s `Authorization` header.

use base64::Engine as _;
use zeroize::Zeroizing;

/// A user and the password claimed for it. The password is wiped when dropped.
pub struct Credentials {
    pub user: String,
    pub password: Zeroizing<String>,
}

/// Longest header value considered: a 100-character user and a grouped password encode to
/// well under this, so anything longer is refused before decoding.
pub const MAX_VALUE: usize = 1024;

/// Parses `Basic <base64 of user:password>` (an `Authorization:` prefix and surrounding
/// whitespace allowed). The error says why, never what the value held.
pub fn parse(header: &str) -> Result<Credentials, String> {
    let value = header.trim();
    if value.len() > MAX_VALUE {
        return Err(format!(
            "the Authorization value is longer than {MAX_VALUE} bytes"
        ));
    }
    let value = value
        .strip_prefix("Authorization:")
        .map_or(value, str::trim);
    let (scheme, encoded) = value.split_once(' ').ok_or("expected 'Basic <base64>'")?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err("only the Basic scheme is supported".into());
    }
    let decoded = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| "the Basic credentials are not valid base64")?,
    );
    let text = std::str::from_utf8(&decoded).map_err(|_| "the password is not valid UTF-8")?;
    let (user, password) = text
        .split_once(':')
        .ok_or("the Basic credentials have no ':'")?;
    let user = crate::input::user(user).map_err(|e| e.to_string())?;
    Ok(Credentials {
        user,
        password: Zeroizing::new(password.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn basic_headers() {
        let c = parse(&format!("Basic {}\n", b64("deploy:ab cd:ef"))).unwrap();
        assert_eq!(
            (c.user.as_str(), c.password.as_str()),
            ("deploy", "ab cd:ef")
        );
        let c = parse(&format!("Authorization: basic {}", b64("deploy:x"))).unwrap();
        assert_eq!(c.user, "deploy");
        for bad in [
            "".to_string(),
            "Basic".into(),
            "Bearer abc".into(),
            "Basic !!!".into(),
            format!("Basic {}", b64("nocolon")),
            format!("Basic {}", b64(":empty-user")),
            format!("Basic {}", "A".repeat(MAX_VALUE + 1)),
        ] {
            assert!(parse(&bad).is_err(), "{bad}");
        }
    }
}
