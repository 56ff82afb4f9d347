//! The reference `appw verify` is measured against: a minimal process that checks one
//! password against one argon2id PHC string the ordinary way (the argon2 crate allocates its
//! working memory itself), and nothing else.
//!
//! ```text
//! bare-argon2 '$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH' < password   # exit 0 if it matches
//! bare-argon2 --new m=19456,t=2,p=1 < password                        # one fresh hash
//! bare-argon2 --time m=19456,t=2,p=1 50 < password                     # ms per evaluation
//! ```
//!
//! `--new` is the reference for `appw create`: one hash with a random salt, printed. With
//! `$PW` set the password comes from there instead of stdin, as `appw verify --password-env
//! PW` takes it (hyperfine cannot feed stdin).

use std::io::BufRead;
use std::process::ExitCode;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use rand::RngExt;

fn params(text: &str) -> Option<(u32, u32, u32)> {
    let (mut m, mut t, mut p) = (None, None, None);
    for part in text.split(',') {
        let (k, v) = part.split_once('=')?;
        let v = v.parse().ok()?;
        match k {
            "m" => m = Some(v),
            "t" => t = Some(v),
            "p" => p = Some(v),
            _ => return None,
        }
    }
    Some((m?, t?, p?))
}

fn argon2((m, t, p): (u32, u32, u32)) -> Argon2<'static> {
    let params = Params::new(m, t, p, Some(32)).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let password = std::env::var("PW").unwrap_or_else(|_| {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .expect("read the password from stdin");
        line
    });
    let password: String = password.split_whitespace().collect();
    let mut out = [0u8; 32];
    match args.as_slice() {
        [flag, p] if flag == "--new" => {
            let mut salt = [0u8; 16];
            rand::rng().fill(&mut salt[..]);
            argon2(params(p).expect("m=KIB,t=N,p=N"))
                .hash_password_into(password.as_bytes(), &salt, &mut out)
                .expect("hash");
            println!("{}${}", B64.encode(salt), B64.encode(out));
            ExitCode::SUCCESS
        }
        // One in-process evaluation, the unit `appw serve`'s cold path is measured in
        // (benches/serve.sh): the mean of N evaluations after one warm-up, in milliseconds.
        [flag, p, n] if flag == "--time" => {
            let argon2 = argon2(params(p).expect("m=KIB,t=N,p=N"));
            let n: u32 = n.parse().expect("a count");
            let salt = [7u8; 16];
            argon2
                .hash_password_into(password.as_bytes(), &salt, &mut out)
                .expect("hash");
            let start = std::time::Instant::now();
            for _ in 0..n {
                argon2
                    .hash_password_into(password.as_bytes(), &salt, &mut out)
                    .expect("hash");
            }
            println!(
                "{:.3}",
                start.elapsed().as_secs_f64() * 1000.0 / f64::from(n)
            );
            ExitCode::SUCCESS
        }
        [phc] => {
            let parts: Vec<&str> = phc.split('$').collect();
            let [_, "argon2id", "v=19", p, salt, hash] = parts.as_slice() else {
                panic!("expected an argon2id v=19 PHC string");
            };
            let salt = B64.decode(salt).expect("base64 salt");
            let hash = B64.decode(hash).expect("base64 hash");
            argon2(params(p).expect("m=KIB,t=N,p=N"))
                .hash_password_into(password.as_bytes(), &salt, &mut out)
                .expect("hash");
            if out.as_slice() == hash.as_slice() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        _ => {
            eprintln!(
                "usage: bare-argon2 PHC < password | bare-argon2 --new m=K,t=N,p=N < password"
            );
            ExitCode::from(2)
        }
    }
}
