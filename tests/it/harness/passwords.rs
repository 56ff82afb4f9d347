//! Passwords made by hand for tests: well-formed ones nobody issued, typos, the grouped
//! form people are shown, and the shape a scanner looks for.

/// `body` (tag, lookup id and secret: the first 42 characters of a password) completed with
/// its checksum, computed independently of appw's code from the documented format: CRC-32
/// (IEEE) of the body as 6 base62 digits. Builds well-formed passwords nobody issued.
pub fn with_checksum(body: &str) -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut crc = !0u32;
    for &byte in body.as_bytes() {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    let mut n = u64::from(!crc);
    let mut check = [b'0'; 6];
    for d in check.iter_mut().rev() {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    format!("{body}{}", std::str::from_utf8(&check).unwrap())
}

/// A password as people are shown it: groups of four separated by spaces.
pub fn grouped(password: &str) -> String {
    let groups: Vec<&str> = password
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    groups.join(" ")
}

/// `password` with its character at `at` changed: a typo the checksum must catch.
pub fn typo(password: &str, at: usize) -> String {
    let mut bytes = password.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
    String::from_utf8(bytes).unwrap()
}

/// Whether `s` has the shape of an appw password: SECURITY.md's scanner regex,
/// `\bappw[0-9a-z]{12}[0-9A-Za-z]{32}\b`, written out by hand (no regex dependency).
pub fn is_token(s: &str) -> bool {
    s.len() == 48
        && s.starts_with("appw")
        && s[4..16]
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        && s[16..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The same id with a different secret and a valid checksum: what a guesser would send.
pub fn forge(password: &str) -> String {
    let mut body = password.as_bytes()[..42].to_vec();
    body[20] = if body[20] == b'a' { b'b' } else { b'a' };
    with_checksum(std::str::from_utf8(&body).unwrap())
}
