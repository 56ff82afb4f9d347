//! Parsing a password: the only work `verify` does before it touches the store, and all it
//! does for a typo (rejected by the checksum, without a hash).

use std::hint::black_box;

use appw::secret::Token;
use criterion::{Criterion, criterion_group, criterion_main};

fn parse(c: &mut Criterion) {
    let token = Token::generate();
    let plain = token.as_str().to_string();
    let grouped = token.grouped().to_string();
    let typo = format!("{}x", &plain[..plain.len() - 1]);
    let mut group = c.benchmark_group("token_parse");
    group.bench_function("plain", |b| b.iter(|| Token::parse(black_box(&plain))));
    group.bench_function("grouped", |b| b.iter(|| Token::parse(black_box(&grouped))));
    group.bench_function("checksum_typo", |b| {
        b.iter(|| Token::parse(black_box(&typo)))
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
