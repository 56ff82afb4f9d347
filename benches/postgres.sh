#!/usr/bin/env bash
# appw verify over PostgreSQL on loopback against appw verify over SQLite, as a ratio of
# medians, plus the cost of connecting (TCP + startup + SCRAM auth + one round trip) alone.
#
#   bash benches/postgres.sh            # starts a throwaway cluster via .ci/with-postgres.sh
#   RUNS=60 bash benches/postgres.sh
#
# Release build, default KDF parameters (m=19456,t=2,p=1) for the ratio: what a user gets.
# Uses hyperfine when installed (apt-get install hyperfine), else a timing loop.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${APPW_TEST_PG_URL:-}" ]; then
    exec bash .ci/with-postgres.sh bash "$0" "$@"
fi

RUNS=${RUNS:-40}
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

declare -A CMDS=(
    [verify-sqlite]="$APPW --db $LITE verify --user bench --password-env BENCH_LITE_PASSWORD --quiet"
    [verify-postgres]="$APPW --db $PG verify --user bench --password-env BENCH_PG_PASSWORD --quiet"
    [verify-postgres-tls]="$APPW --db ${PG%%\?*}?sslmode=require verify --user bench --password-env BENCH_PG_PASSWORD --quiet"
    [noop-sqlite]="$APPW --db $WORK/none/credentials.db list --user nobody"
    [connect-postgres]="$APPW --db $EMPTY_PG list --user nobody"
)
ORDER=(verify-sqlite verify-postgres verify-postgres-tls noop-sqlite connect-postgres)

# Median wall time in milliseconds of one command.
median_ms() {
    local name=$1 cmd=${CMDS[$1]}
    if command -v hyperfine >/dev/null; then
        hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$WORK/$name.json" "$cmd" >/dev/null
        python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$WORK/$name.json"
    else
        local i start end
        for i in $(seq 1 "$RUNS"); do
            start=$(date +%s%N)
            $cmd >/dev/null
            end=$(date +%s%N)
            echo $(((end - start) / 1000))
        done | sort -n | awk '{a[NR]=$1} END {m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.2f\n", m/1000}'
    fi
}

declare -A MS
for name in "${ORDER[@]}"; do
    MS[$name]=$(median_ms "$name")
    printf '%-18s median %8.2f ms  (%s)\n' "$name" "${MS[$name]}" "${CMDS[$name]//$APPW/appw}" | sed 's|postgres://[^@]*@|postgres://USER@|'
done
awk -v pg="${MS[verify-postgres]}" -v lite="${MS[verify-sqlite]}" -v pgtls="${MS[verify-postgres-tls]}" \
    -v conn="${MS[connect-postgres]}" -v noop="${MS[noop-sqlite]}" -v runs="$RUNS" 'BEGIN {
    printf "\nverify over PostgreSQL / verify over SQLite (ratio of medians, %d runs): %.3f\n", runs, pg / lite
    printf "the same over TLS (sslmode=require): %.3f\n", pgtls / lite
    printf "connection cost (TCP + startup + SCRAM auth + 1 round trip): %.2f ms\n", conn - noop
}'
echo "($(nproc) cores; $(hyperfine --version 2>/dev/null || echo 'timing loop'); PostgreSQL on 127.0.0.1, scram-sha-256, no TLS)"
