//! The password parser on arbitrary input: it never panics, and whatever it accepts is a
//! well-formed token that parses back to itself.
#![no_main]

use appw::secret::Token;
use appw::secret::token::{TAG, TOKEN_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(token) = Token::parse(text) {
        let s = token.as_str();
        assert_eq!(s.len(), TOKEN_LEN);
        assert!(s.starts_with(TAG));
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        let again = Token::parse(s).expect("an accepted token parses again");
        assert_eq!(again.id(), token.id());
        assert_eq!(
            Token::parse(&token.grouped())
                .ok()
                .map(|t| t.as_str().to_owned()),
            Some(s.to_owned())
        );
    }
});
