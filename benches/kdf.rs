//! One argon2id evaluation in-process, into huge-page memory and into ordinary memory.
//!
//! In one long-running process this understates what huge pages save a short-lived
//! `appw verify`: after the first iteration glibc serves the ordinary 19 MiB from memory
//! it already faulted in, while every huge-page mapping is fresh. The whole-process
//! comparison is benches/run.sh; this one isolates the hash itself.

use std::hint::black_box;

use appw::secret::memory::{Arena, Reuse, Strategy};
use appw::secret::{Hasher, KdfParams};
use criterion::{Criterion, criterion_group, criterion_main};

fn kdf(c: &mut Criterion) {
    let mut group = c.benchmark_group("kdf_compute");
    group.sample_size(20);
    for (label, params) in [
        ("default_m19456_t2", KdfParams::default()),
        ("cheap_m8_t1", KdfParams { m: 8, t: 1, p: 1 }),
    ] {
        for (memory, strategy) in [
            ("huge_pages", Strategy::HugePages),
            ("ordinary", Strategy::Ordinary),
        ] {
            // Fresh memory for every evaluation, as a short process gets it.
            let hasher = Hasher::new(params, Arena::new(strategy, Reuse::WipeNow));
            group.bench_function(format!("{label}/{memory}"), |b| {
                b.iter(|| {
                    hasher.compute(
                        black_box(b"appw0123456789abPASSWORDpasswordPASSWORD"),
                        b"saltsaltsaltsalt",
                        params,
                    )
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, kdf);
criterion_main!(benches);
