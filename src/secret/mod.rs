//! Everything that touches a password: generation and format ([`token`]), hashing and
//! verification ([`kdf`]), and the memory argon2 works in ([`memory`]). Nothing outside this
//! module generates, parses, hashes or compares secrets.

pub mod kdf;
pub mod memory;
pub mod redact;
pub mod token;

pub use kdf::KdfParams;
pub use token::{Token, TokenError};
