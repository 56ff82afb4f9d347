//! Everything that touches a password: generation and format ([`token`]), hashing and
//! verification ([`kdf`]), the memory argon2 works in ([`memory`]), and the keyed digest a
//! server remembers instead of a password ([`digest`]). Nothing outside this module
//! generates, parses, hashes or compares secrets.

pub mod digest;
pub mod kdf;
pub mod memory;
pub mod redact;
pub mod token;

pub use kdf::{Hasher, KdfParams};
pub use token::{Token, TokenError};
