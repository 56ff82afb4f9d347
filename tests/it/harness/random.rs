//! Reproducible randomness for the tests that pick points or forge passwords at random.

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A tiny deterministic generator, so a failing run can be replayed from its printed seed.
pub struct Rng(u64);

impl Rng {
    pub fn seeded() -> Rng {
        let seed = std::env::var("APPW_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("rng seed {seed} (set APPW_TEST_SEED to replay)");
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A password in appw's format, with a valid checksum, for lookup id `id` and a secret
/// nobody issued: it passes the format check and must be rejected by the hash.
pub fn forged_token(id: &str, rng: &mut Rng) -> String {
    let mut s = format!("appw{id}");
    for _ in 0..26 {
        s.push(BASE62[rng.below(62) as usize] as char);
    }
    super::with_checksum(&s)
}
