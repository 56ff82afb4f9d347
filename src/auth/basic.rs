//! HTTP Basic credentials (RFC 7617), as `curl -u USER:PASSWORD` sends them: the part after
//! `Basic `, decoded. (Which scheme a header uses is [`super::request`]'s question.)

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

/// Decodes `base64(user:password)`. The error says why, never what the value held.
pub fn decode(encoded: &str) -> Result<Credentials, String> {
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
    use crate::auth::{Request, Schemes};

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn basic_credentials() {
        let c = decode(&b64("deploy:ab cd:ef")).unwrap();
        assert_eq!(
            (c.user.as_str(), c.password.as_str()),
            ("deploy", "ab cd:ef")
        );
        for bad in ["!!!".to_string(), b64("nocolon"), b64(":empty-user")] {
            assert!(decode(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn header_values_that_are_refused() {
        for bad in [
            "".to_string(),
            "Basic".into(),
            "Bearer abc".into(),
            "Basic !!!".into(),
            format!("Basic {}", b64("nocolon")),
            format!("Basic {}", b64(":empty-user")),
            format!("Basic {}", "A".repeat(MAX_VALUE + 1)),
        ] {
            assert!(
                Request::header(&bad, Schemes::BasicOrBearer).is_err(),
                "{bad}"
            );
        }
    }
}
