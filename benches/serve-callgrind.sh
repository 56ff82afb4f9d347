#!/usr/bin/env bash
# Instructions `appw serve` spends per warm request, counted by callgrind (repeatable
# whatever else the machine does): the server answers FEW and then MANY warm requests on
# one keep-alive connection, and the difference of the two runs, per request, is printed
# by function, argon2 and the workers' memset left out (the first request's check).
# Valgrind runs sha2's software SHA-256 (no SHA-NI): that line is far larger than natively.
#
#   benches/serve-callgrind.sh                  # FEW=500 MANY=2500, this tree's release build
#   APPW=/path/to/appw benches/serve-callgrind.sh
#
# Needs valgrind (callgrind_annotate), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

FEW=${FEW:-500}
MANY=${MANY:-2500}
PORT=${PORT:-19384}
for tool in valgrind callgrind_annotate curl python3; do
    command -v "$tool" >/dev/null || { echo "serve-callgrind.sh: $tool is needed" >&2; exit 2; }
done
if [ -z "${APPW:-}" ]; then
    cargo build --release --quiet --bin appw
    APPW=$PWD/target/release/appw
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

profile() { # profile N: callgrind's output for N warm requests, in $WORK/N.out
    local n=$1 db=$WORK/$1/credentials.db pid pw
    pw=$(APPW_DB=$db "$APPW" create --user bench warm --porcelain --kdf m=64,t=1,p=1)
    APPW_DB=$db valgrind --tool=callgrind --callgrind-out-file="$WORK/$n.out" \
        "$APPW" serve --listen "127.0.0.1:$PORT" 2>"$WORK/$n.log" &
    pid=$!
    for _ in $(seq 300); do
        curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
        sleep 0.2
    done
    python3 - "$PORT" "bench:$pw" "$n" <<'PY'
import base64, http.client, sys
port, who, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
auth = "Basic " + base64.b64encode(who.encode()).decode()
c = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n + 1):  # the first is the cold check
    c.request("GET", "/auth", headers={"Authorization": auth})
    r = c.getresponse()
    r.read()
    assert r.status == 204, r.status
PY
    kill -INT "$pid"
    wait "$pid" || true
}
profile "$FEW"
profile "$MANY"
python3 - "$WORK/$FEW.out" "$WORK/$MANY.out" $((MANY - FEW)) <<'PY'
import re, subprocess, sys

def by_function(path):
    out = subprocess.run(["callgrind_annotate", path], capture_output=True, text=True).stdout
    counts = {}
    for line in out.splitlines():
        m = re.match(r"^\s*([\d,]+) \([ \d.%]+\)\s+(.*)$", line)
        if m and "PROGRAM TOTALS" not in line:
            counts[m[2][:120]] = int(m[1].replace(",", ""))
    return counts

few, many, n = by_function(sys.argv[1]), by_function(sys.argv[2]), int(sys.argv[3])
left_out = re.compile(r"argon2|memset|blake2", re.I)
rows = sorted(
    ((many.get(f, 0) - few.get(f, 0)) / n, f)
    for f in set(few) | set(many)
    if not left_out.search(f)
)
for per, f in reversed(rows[-20:]):
    print(f"{per:8.0f}  {f}")
total = sum(per for per, _ in rows)
soft_sha = sum(per for per, f in rows if "sha256::soft" in f)
print(f"per warm request: {total:.0f} instructions ({total - soft_sha:.0f} without the software SHA-256)")
PY
