#!/usr/bin/env bash
# Paired A/B of `appw verify` and `appw create` against an earlier build (default b5014dd,
# the last commit before verify got slower), with the bare argon2id process as the yardstick
# (see BENCHMARKS.md, "verify and create against b5014dd"). Builds BASE in a temporary git
# worktree (its target dir is kept under target/ab-BASE, so a second run is incremental),
# builds this tree, and runs each comparison as ONE hyperfine invocation holding the base
# build, this build and the bare process, ROUNDS times: load from other work on the machine
# hits all three alike. Prints, per round and as the median over rounds, each build's ratio
# to the bare process and this build's ratio to the base build.
#
#   benches/ab.sh                      # BASE=b5014dd RUNS=40 ROUNDS=3
#   BASE=HEAD~3 RUNS=60 benches/ab.sh
#
# Needs hyperfine, sqlite3 and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${BASE:-b5014dd}
RUNS=${RUNS:-40}
ROUNDS=${ROUNDS:-3}
for tool in hyperfine sqlite3 python3; do
    command -v "$tool" >/dev/null || { echo "ab.sh: $tool is needed" >&2; exit 2; }
done

ROOT=$PWD
WORK=$(mktemp -d)
cleanup() {
    git -C "$ROOT" worktree remove --force "$WORK/base" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ -n "${BASE_BIN:-}" ]; then
    # A base binary built before (this script's own earlier run, say): not built again.
    echo "base: $BASE_BIN; building this tree, release ..."
    cp "$BASE_BIN" "$WORK/appw-base"
else
    echo "building $BASE (in a temporary worktree) and this tree, release ..."
    git worktree add --quiet --detach "$WORK/base" "$BASE"
    CARGO_TARGET_DIR=$ROOT/target/ab-$BASE cargo build --release --quiet --bin appw \
        --manifest-path "$WORK/base/Cargo.toml"
    cp "$ROOT/target/ab-$BASE/release/appw" "$WORK/appw-base"
fi
cargo build --release --quiet --bin appw --example bare-argon2
OLD=$WORK/appw-base
NEW=$ROOT/target/release/appw
BARE=$ROOT/target/release/examples/bare-argon2

unset APPW_DB APPW_KDF APPW_HUGE_PAGES APPW_NOW
# Each build verifies a credential of its own store (a newer build would migrate an older
# store's schema, which the older build then refuses), both at the default policy.
export PW_OLD PW_NEW
PW_OLD=$("$OLD" --db "$WORK/old.db" create --user big real --porcelain)
PW_NEW=$("$NEW" --db "$WORK/new.db" create --user big real --porcelain)
PHC=$(sqlite3 "$WORK/new.db" "SELECT hash FROM credentials")
export PW=$PW_NEW

bench() { # bench NAME HYPERFINE-ARGS...: ROUNDS runs, JSON in $WORK/NAME.rN.json
    local name=$1
    shift
    for r in $(seq "$ROUNDS"); do
        hyperfine -N --style none --warmup 3 --runs "$RUNS" \
            --export-json "$WORK/$name.r$r.json" "$@" >/dev/null 2>"$WORK/hyperfine.log" ||
            { cat "$WORK/hyperfine.log" >&2; exit 1; }
    done
}

echo "measuring (RUNS=$RUNS ROUNDS=$ROUNDS; load: $(cut -d' ' -f1-3 /proc/loadavg)) ..."
bench verify \
    "$BARE $PHC" \
    "$OLD --db $WORK/old.db verify --user big --quiet --password-env PW_OLD" \
    "$NEW --db $WORK/new.db verify --user big --quiet --password-env PW_NEW"
# create: each build in its own store, the previous run's credential revoked (untimed) so
# that the name is free again.
bench create \
    --prepare true \
    --prepare "$OLD --db $WORK/old.db revoke-all --yes --user bench" \
    --prepare "$NEW --db $WORK/new.db revoke-all --yes --user bench" \
    "$BARE --new m=19456,t=2,p=1" \
    "$OLD --db $WORK/old.db create --user bench n --porcelain" \
    "$NEW --db $WORK/new.db create --user bench n --porcelain"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$WORK" "$ROUNDS" "$BASE" <<'PY'
import json, statistics, sys
work, rounds, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for name, goal in (("verify", 0.80), ("create", 0.85)):
    rows = []
    for r in range(1, rounds + 1):
        with open(f"{work}/{name}.r{r}.json") as f:
            bare, old, new = (statistics.median(x["times"]) * 1000 for x in json.load(f)["results"])
        rows.append((bare, old, new))
        print(f"{name} round {r}: bare {bare:6.2f} ms  {base} {old:6.2f} ms ({old/bare:.3f}x)"
              f"  this {new:6.2f} ms ({new/bare:.3f}x)  this/{base} {new/old:.3f}")
    med = lambda f: statistics.median(f(*row) for row in rows)
    ratio = med(lambda b, o, n: n / b)
    print(f"{name}: median this/bare {ratio:.3f} (goal <= {goal}: {'met' if ratio <= goal else 'MISSED'}),"
          f" {base}/bare {med(lambda b, o, n: o / b):.3f}, this/{base} {med(lambda b, o, n: n / o):.3f}\n")
PY
