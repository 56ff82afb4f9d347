#!/usr/bin/env bash
# appw verify over PostgreSQL on loopback against appw verify over SQLite, as a ratio, plus
# the cost of connecting (TCP + startup + SCRAM auth + one round trip) on its own.
#
#   bash benches/postgres.sh                  # starts a throwaway cluster via .ci/with-postgres.sh
#   RUNS=60 ROUNDS=5 bash benches/postgres.sh
#
# The cluster keeps PostgreSQL's default durability settings (fsync, synchronous_commit,
# full_page_writes on: APPW_PG_DURABLE=1), which the script prints: a server as users run it.
# Release build, default KDF parameters (m=19456,t=2,p=1): what a user gets. Each round is
# one hyperfine run of every command side by side; a ratio is the median over rounds of
# the per-round ratio of medians. Needs hyperfine (apt-get install hyperfine) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${APPW_TEST_PG_URL:-}" ]; then
    APPW_PG_DURABLE=1 exec bash .ci/with-postgres.sh bash "$0" "$@"
fi
command -v hyperfine >/dev/null || { echo "benches/postgres.sh needs hyperfine" >&2; exit 1; }

RUNS=${RUNS:-40}
ROUNDS=${ROUNDS:-3}
cargo build --release --locked --bin appw >/dev/null 2>&1 || cargo build --release --locked --bin appw
APPW=$PWD/target/release/appw
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
unset APPW_KDF APPW_DB

# The admin URL with another database in it.
# Loopback without TLS (the test cluster offers TLS, which `prefer` would take).
url_for() { local base=${APPW_TEST_PG_URL%%\?*}; echo "${base%/*}/$1?sslmode=disable"; }
psql -q -X "$APPW_TEST_PG_URL" -c "DROP DATABASE IF EXISTS appw_bench" -c "DROP DATABASE IF EXISTS appw_bench_empty" \
    -c "CREATE DATABASE appw_bench" -c "CREATE DATABASE appw_bench_empty"
echo "cluster settings: $(psql -X -At "$APPW_TEST_PG_URL" -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name)
    FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers')")"
PG=$(url_for appw_bench)
EMPTY_PG=$(url_for appw_bench_empty)
LITE=$WORK/store/credentials.db

export BENCH_PG_PASSWORD BENCH_LITE_PASSWORD
BENCH_PG_PASSWORD=$("$APPW" --db "$PG" create --user bench pg --porcelain)
BENCH_LITE_PASSWORD=$("$APPW" --db "$LITE" create --user bench lite --porcelain)
# Stores of a realistic size: the one row verify reads is found by its id either way.
for i in $(seq 1 50); do
    "$APPW" --kdf m=64,t=1,p=1 --db "$PG" create --user "user$i" "job $i" --porcelain >/dev/null
    "$APPW" --kdf m=64,t=1,p=1 --db "$LITE" create --user "user$i" "job $i" --porcelain >/dev/null
done

NAMES=(verify-sqlite verify-postgres verify-postgres-tls noop-sqlite connect-postgres)
CMDS=(
    "$APPW --db $LITE verify --user bench --password-env BENCH_LITE_PASSWORD --quiet"
    "$APPW --db $PG verify --user bench --password-env BENCH_PG_PASSWORD --quiet"
    "$APPW --db ${PG%%\?*}?sslmode=require verify --user bench --password-env BENCH_PG_PASSWORD --quiet"
    "$APPW --db $WORK/none/credentials.db list --user nobody"
    "$APPW --db $EMPTY_PG list --user nobody"
)
for i in "${!NAMES[@]}"; do
    printf '%-20s %s\n' "${NAMES[$i]}" "${CMDS[$i]//$APPW/appw}" | sed 's|postgres://[^@]*@|postgres://USER@|'
done

echo "measuring (RUNS=$RUNS ROUNDS=$ROUNDS) ..."
for r in $(seq "$ROUNDS"); do
    hyperfine -N --style none --warmup 5 --runs "$RUNS" --export-json "$WORK/r$r.json" \
        "${CMDS[@]}" >/dev/null 2>"$WORK/hyperfine.log" || { cat "$WORK/hyperfine.log" >&2; exit 1; }
done

python3 - "$WORK" "$ROUNDS" "${NAMES[@]}" <<'PY'
import json, statistics, sys
work, rounds, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
per_round = []
for r in range(1, rounds + 1):
    results = json.load(open(f"{work}/r{r}.json"))["results"]
    per_round.append({n: res["median"] * 1000 for n, res in zip(names, results)})
for n in names:
    ms = [round(r[n], 2) for r in per_round]
    print(f"{n:20s} median per round (ms): {ms}")
def ratio(a, b):
    rs = [r[a] / r[b] for r in per_round]
    return statistics.median(rs), rs
for label, a, b in [
    ("verify over PostgreSQL / verify over SQLite", "verify-postgres", "verify-sqlite"),
    ("the same over TLS (sslmode=require)", "verify-postgres-tls", "verify-sqlite"),
]:
    m, rs = ratio(a, b)
    print(f"{label}: {m:.3f}  (rounds: {', '.join(f'{x:.3f}' for x in rs)}; target <= 1.05)")
conn = [r["connect-postgres"] - r["noop-sqlite"] for r in per_round]
print(f"connection cost (TCP + startup + SCRAM auth + 1 round trip): {statistics.median(conn):.2f} ms "
      f"(connect-postgres - noop-sqlite; rounds: {', '.join(f'{x:.2f}' for x in conn)})")
PY
echo "($(nproc) cores; $(hyperfine --version); PostgreSQL $(psql -X -At "$APPW_TEST_PG_URL" -c 'SHOW server_version') on 127.0.0.1, scram-sha-256)"
