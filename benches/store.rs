//! The lookup `verify` does, by the password's id, in a store of 10 and of 100,000
//! credentials (10,000 of them held by the user being checked): it must not grow with the
//! store. Rows are seeded in one SQL transaction with dummy hashes; only the looked-up row
//! is a real credential written through the store API.

use std::hint::black_box;

use appw::store::{self, Access, Location, NewCredential, Store};
use criterion::{Criterion, criterion_group, criterion_main};

const DUMMY_HASH: &str = "$argon2id$v=19$m=8,t=1,p=1$c2VlZHNlZWRzZWVkc2VlZA$\
                          AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// A store of `rows` credentials; returns it, the real credential's id and the temp dir.
fn seeded(rows: u32) -> (Box<dyn Store>, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("credentials.db");
    let location = Location::Sqlite(path.clone());
    let mut store = store::open(&location, Access::Create)
        .expect("open")
        .expect("created");
    let id = "realcred0001".to_string();
    store
        .insert(
            &NewCredential {
                id: id.clone(),
                user: "big".into(),
                name: "real".into(),
                app_id: None,
                hash: DUMMY_HASH.into(),
                expires_at: None,
                scopes: Vec::new(),
                allow_from: Vec::new(),
                disabled: false,
            },
            1_700_000_000,
            "cli:bench",
        )
        .expect("insert");
    let conn = rusqlite::Connection::open(&path).expect("open for seeding");
    conn.execute(
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?1)
         INSERT INTO credentials (id, user, name, name_key, hash, created)
         SELECT printf('seed%08d', i),
                CASE WHEN i < 10000 THEN 'big' ELSE 'user' || (i % 1000) END,
                'name ' || i, 'name ' || i, ?2, 1700000000 + i
         FROM c",
        rusqlite::params![rows - 1, DUMMY_HASH],
    )
    .expect("seed");
    (store, id, dir)
}

fn lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("store_lookup");
    for rows in [10, 100_000] {
        let (mut store, id, _dir) = seeded(rows);
        group.bench_function(format!("{rows}_rows"), |b| {
            b.iter(|| store.hash_record(black_box(&id)).expect("lookup"))
        });
    }
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
