#!/usr/bin/env bash
# Whole-process benchmarks of verify, create, list, the start-up and the peak memory against
# the bare argon2 process and htpasswd (targets in BENCHMARKS.md): builds the release binaries,
# builds the stores itself (bulk-seeded in one SQL transaction; only the credential that is
# verified is a real one made by appw), and prints every target as a ratio of medians
# measured side by side in one hyperfine run. Repeats each run ROUNDS times and reports
# the median ratio, since other work on the machine shifts absolute times.
#
#   benches/run.sh                      # RUNS=30 ROUNDS=3 by default
#   RUNS=60 ROUNDS=5 benches/run.sh
#
# Needs hyperfine, sqlite3, htpasswd (apache2-utils), python3 and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-30}
ROUNDS=${ROUNDS:-3}
ROWS=${ROWS:-100000}
for tool in hyperfine sqlite3 htpasswd python3 /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 2; }
done

cargo build --release --quiet --bin appw --example bare-argon2 --example hello
APPW=$PWD/target/release/appw
BARE=$PWD/target/release/examples/bare-argon2
HELLO=$PWD/target/release/examples/hello

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
unset APPW_DB APPW_KDF APPW_HUGE_PAGES
CHEAP=m=8,t=1,p=1
DUMMY='$argon2id$v=19$m=8,t=1,p=1$c2VlZHNlZWRzZWVkc2VlZA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

# seed DB N: N-1 dummy credentials in one transaction, 10,000 of them (at most) held by
# "big", the user whose real credential is verified.
seed() {
    sqlite3 "$1" "BEGIN;
        WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $2 - 1)
        INSERT INTO credentials (id, user, name, name_key, hash, created)
        SELECT printf('seed%08d', i),
               CASE WHEN i < 10000 THEN 'big' ELSE 'user' || (i % 1000) END,
               'name ' || i, 'name ' || i, '$DUMMY', 1700000000 + i
        FROM c;
        COMMIT;"
}

# htfile FILE N: N-1 dummy users, then the real one (last: the worst case for a scan).
htfile() {
    awk -v n="$2" 'BEGIN { for (i = 1; i < n; i++) printf "user%d:{SHA}AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", i }' >"$1"
    htpasswd -bs "$1" big "$3" 2>/dev/null
}

echo "building stores in $WORK ..."
# Full-cost store: one credential at the default policy (m=19456,t=2,p=1).
export APPW_DB=$WORK/full.db
PW_FULL=$("$APPW" create --user big real --porcelain)
PHC=$(sqlite3 "$APPW_DB" "SELECT hash FROM credentials")
# Cheap stores, so that the store is what is timed.
for n in 10 "$ROWS"; do
    APPW_DB=$WORK/s$n.db APPW_KDF=$CHEAP "$APPW" create --user big real --porcelain >"$WORK/pw$n"
    seed "$WORK/s$n.db" "$n"
    htfile "$WORK/h$n" "$n" "$(cat "$WORK/pw$n")"
done
PW_SMALL=$(cat "$WORK/pw10")
PW_BIG=$(cat "$WORK/pw$ROWS")
LIST_SQL="SELECT id, user, name, app_id, created, last_used, last_source, use_count,
    expires_at, last_failed, last_failed_source, revoked_at FROM credentials
    WHERE revoked_at IS NULL ORDER BY user, created, id"

# bench NAME CMD...: one hyperfine run of all CMDs side by side, ROUNDS times; the JSON
# exports land in $WORK/NAME.r*.json.
bench() {
    local name=$1
    shift
    for r in $(seq "$ROUNDS"); do
        hyperfine -N --style none --warmup 3 --runs "$RUNS" \
            --export-json "$WORK/$name.r$r.json" "$@" >/dev/null 2>"$WORK/hyperfine.log" ||
            { cat "$WORK/hyperfine.log" >&2; exit 1; }
    done
}

echo "measuring (RUNS=$RUNS ROUNDS=$ROUNDS) ..."
export PW=$PW_FULL APPW_DB=$WORK/full.db
bench verify "$BARE $PHC" "$APPW verify --user big --quiet --password-env PW"
APPW_HUGE_PAGES=0 bench verify_fallback \
    "$BARE $PHC" "$APPW verify --user big --quiet --password-env PW"
# create, in a store of its own: the previous run's credential is revoked before each run
# (untimed), so the name is free again.
export APPW_DB=$WORK/create.db
"$APPW" create --user bench n --porcelain >/dev/null
REVOKE="$APPW revoke-all --yes --user bench"
bench create --prepare "$REVOKE" \
    "$BARE --new m=19456,t=2,p=1" "$APPW create --user bench n --porcelain"
APPW_HUGE_PAGES=0 bench create_fallback --prepare "$REVOKE" \
    "$BARE --new m=19456,t=2,p=1" "$APPW create --user bench n --porcelain"

export APPW_KDF=$CHEAP PW_SMALL PW_BIG
bench scale \
    "$APPW --db $WORK/s10.db verify --user big --quiet --password-env PW_SMALL" \
    "$APPW --db $WORK/s$ROWS.db verify --user big --quiet --password-env PW_BIG" \
    "htpasswd -vb $WORK/h10 big $PW_SMALL" \
    "htpasswd -vb $WORK/h$ROWS big $PW_BIG"
export APPW_DB=$WORK/s$ROWS.db
RUNS_LIST=$(( RUNS > 10 ? 10 : RUNS ))
RUNS=$RUNS_LIST bench list \
    "sqlite3 -json $APPW_DB '$LIST_SQL'" "$APPW list --json" "$APPW list"
unset APPW_KDF
bench version "$HELLO" "$APPW --version"

# Peak RSS (KiB) of one verify and of the bare process, at m=19456 KiB.
export APPW_DB=$WORK/full.db PW=$PW_FULL
RSS_APPW=$(/usr/bin/time -f %M "$APPW" verify --user big --quiet --password-env PW 2>&1 >/dev/null)
RSS_BARE=$(/usr/bin/time -f %M "$BARE" "$PHC" 2>&1 >/dev/null)

python3 - "$WORK" "$ROUNDS" "$RSS_APPW" "$RSS_BARE" "$ROWS" <<'EOF'
import json, statistics, sys
work, rounds, rss_appw, rss_bare, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]

def medians(name):
    """Per round, the median of each command (ms)."""
    out = []
    for r in range(1, rounds + 1):
        with open(f"{work}/{name}.r{r}.json") as f:
            out.append([statistics.median(x["times"]) * 1000 for x in json.load(f)["results"]])
    return out

def line(label, name, num, den, limit=None, cmp="<="):
    rs = medians(name)
    ratio = statistics.median(r[num] / r[den] for r in rs)
    a = statistics.median(r[num] for r in rs)
    b = statistics.median(r[den] for r in rs)
    if limit is None:
        verdict = "(for information)"
    else:
        ok = ratio <= limit if cmp == "<=" else ratio < limit
        verdict = f"(target {cmp} {limit}) {'ok' if ok else 'MISSED'}"
    print(f"{label:<52} {a:8.2f} ms / {b:8.2f} ms = {ratio:5.2f}  {verdict}")

print(f"\nmedians of {rounds} rounds; each ratio is taken within one hyperfine run\n")
line("verify / bare argon2id verify", "verify", 1, 0, 0.80)
line("verify, APPW_HUGE_PAGES=0 / bare", "verify_fallback", 1, 0, 1.10)
line("create / bare argon2id hash", "create", 1, 0, 0.80)
line("create, APPW_HUGE_PAGES=0 / bare", "create_fallback", 1, 0, 1.10)
line(f"verify m=8: {rows} rows / 10 rows", "scale", 1, 0, 1.20)
line(f"verify m=8, {rows} rows / htpasswd -v {rows} lines", "scale", 1, 3, 1.0, "<")
line("verify m=8, 10 rows / htpasswd -v 10 lines", "scale", 0, 2)
line(f"htpasswd -v: {rows} lines / 10 lines", "scale", 3, 2)
line(f"list --json {rows} rows / sqlite3 -json", "list", 1, 0, 3.0)
line(f"list (table, piped) {rows} rows / list --json", "list", 2, 1, 2.0)
line("appw --version / Rust hello-world", "version", 1, 0, 1.5)
print(f"{'peak RSS verify / bare (KiB; m = 19456)':<52} {rss_appw:8d}    / {rss_bare:8d}    = {rss_appw / rss_bare:5.2f}  (verify - m = {(rss_appw - 19456) / 1024:.1f} MiB)")
EOF
