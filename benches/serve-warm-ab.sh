#!/usr/bin/env bash
# `appw serve`'s warm path, paired: an earlier build (BASE, default 09baba7) and this tree,
# each serving a store of its own on loopback, loaded in turn by the same wrk command
# (`-t2 -c64`), ROUNDS times, so that load from other work on the machine hits both alike.
# Prints each round's req/s, p50 and p99 and the median ratio this/BASE (BENCHMARKS.md).
#
#   benches/serve-warm-ab.sh                        # BASE=09baba7 DURATION=5s ROUNDS=4
#
# Needs wrk and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${BASE:-09baba7}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-4}
CONNECTIONS=${CONNECTIONS:-64}
for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "serve-warm-ab.sh: $tool is needed" >&2; exit 2; }
done

ROOT=$PWD
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
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
# (With the example, as ab.sh and serve.sh build: one set of release artifacts for all.)
cargo build --release --quiet --bin appw --example bare-argon2
unset APPW_DB APPW_KDF APPW_HUGE_PAGES APPW_NOW

declare -A PORT=([base]=19191 [this]=19192) BIN=([base]=$WORK/appw-base [this]=$ROOT/target/release/appw)
declare -A AUTH
for side in base this; do
    db=$WORK/$side/credentials.db
    pw=$("${BIN[$side]}" --db "$db" create --user bench warm --porcelain)
    AUTH[$side]="Basic $(printf '%s' "bench:$pw" | base64 -w0)"
    "${BIN[$side]}" --db "$db" serve --listen "127.0.0.1:${PORT[$side]}" 2>"$WORK/$side.log" &
    PIDS+=($!)
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:${PORT[$side]}/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    # Warm: the one argon2 evaluation now, not in the measurement.
    curl -s -o /dev/null -H "Authorization: ${AUTH[$side]}" "http://127.0.0.1:${PORT[$side]}/auth"
done

echo "measuring (wrk -t2 -c$CONNECTIONS -d$DURATION, $ROUNDS rounds; load: $(cut -d' ' -f1-3 /proc/loadavg))"
: >"$WORK/results"
for r in $(seq "$ROUNDS"); do
    # Alternate which side goes first.
    order="base this"
    [ $((r % 2)) -eq 0 ] && order="this base"
    for side in $order; do
        out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency \
            -H "Authorization: ${AUTH[$side]}" "http://127.0.0.1:${PORT[$side]}/auth")
        rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
        p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
        p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
        non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
        printf 'round %d %-5s %10s req/s  p50 %-8s p99 %-8s %s\n' "$r" "$side" "$rps" "$p50" \
            "$p99" "${non2xx:+NON-2XX: $non2xx}"
        echo "$r $side $rps" >>"$WORK/results"
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$WORK/results" "$BASE" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for r, side, rps in rows:
    by.setdefault(r, {})[side] = float(rps)
ratios = [v["this"] / v["base"] for v in by.values()]
print(f"warm this/{sys.argv[2]}: per round {', '.join(f'{x:.3f}' for x in ratios)}; median {statistics.median(ratios):.3f}")
PY
