//! Everything that touches a password: generation and format ([`token`]), hashing and
//! verification ([`kdf`]), the memory argon2 works in ([`memory`]), and the keyed digest a
//! server remembers instead of a password ([`digest`]), and text that holds one, in a
//! buffer that never reallocates ([`exact`]). Nothing outside this module generates,
//! parses, hashes or compares secrets.

mod buffer;
pub mod digest;
pub mod kdf;
pub mod memory;
pub mod redact;
pub mod token;

pub use buffer::exact;
pub use kdf::{Hasher, KdfParams};
pub use token::{Token, TokenError};
