#!/usr/bin/env bash
# The admin listener at scale: a store of 10,000 active credentials (bulk-seeded in one SQL
# transaction; the admin's own is a real one made by appw), the screen's first page (`GET /`,
# signed in) and the JSON list (`GET /api/v1/credentials`, every credential), each timed by
# hyperfine against the release build of `appw serve`. The target is under 0.5 s each.
#
#   benches/web.sh                # ROWS=10000 RUNS=20
#
# Needs hyperfine, sqlite3 and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-10000}
RUNS=${RUNS:-20}
for tool in hyperfine sqlite3 curl; do
    command -v "$tool" >/dev/null || { echo "web.sh: $tool is needed" >&2; exit 2; }
done

cargo build --release --quiet --bin appw
APPW=$PWD/target/release/appw
WORK=$(mktemp -d)
SERVER=
cleanup() {
    [ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
unset APPW_KDF
export APPW_DB=$WORK/credentials.db
DUMMY='$argon2id$v=19$m=8,t=1,p=1$c2VlZHNlZWRzZWVkc2VlZA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

PW=$("$APPW" create --user admin browser --scope appw:admin --porcelain)
sqlite3 "$APPW_DB" "BEGIN;
    WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $ROWS - 1)
    INSERT INTO credentials (id, user, name, name_key, hash, created)
    SELECT printf('seed%08d', i), 'user' || (i % 100), 'name ' || i, 'name ' || i,
           '$DUMMY', 1700000000 + i
    FROM c;
    COMMIT;"
echo "store: $("$APPW" list --json | grep -o '"id"' | wc -l) active credentials"

"$APPW" serve --listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 2>"$WORK/serve.log" &
SERVER=$!
for _ in $(seq 600); do
    grep -q 'admin API and screen listening on' "$WORK/serve.log" && break
    sleep 0.1
done
ADDR=$(sed -n 's/.*admin API and screen listening on //p' "$WORK/serve.log" | head -1)
[ -n "$ADDR" ] || { cat "$WORK/serve.log" >&2; exit 1; }
BASE=http://$ADDR

# Sign in as a browser would: the anonymous session's token, then the form.
JAR=$WORK/cookies
CSRF=$(curl -s -c "$JAR" "$BASE/" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -o /dev/null -b "$JAR" -c "$JAR" --data-urlencode "csrf=$CSRF" \
    --data-urlencode user=admin --data-urlencode "password=$PW" "$BASE/sign-in"
# curl keeps Secure cookies over http only for localhost; pass the session cookie by hand.
COOKIE=$(awk '$6 ~ /appw_session$/ { print $6 "=" $7 }' "$JAR")
curl -s -H "Cookie: $COOKIE" "$BASE/" | grep -q 'table id="credentials"' ||
    { echo "web.sh: could not sign in" >&2; exit 1; }

hyperfine -N --style basic --warmup 3 --runs "$RUNS" --export-json "$WORK/web.json" \
    -n "screen: GET / (first page of $ROWS)" "curl -s -o /dev/null -H 'Cookie: $COOKIE' $BASE/" \
    -n "API: GET /api/v1/credentials ($ROWS)" "curl -s -o /dev/null -u admin:$PW $BASE/api/v1/credentials"

python3 - "$WORK/web.json" <<'PY'
import json, sys
failed = False
for r in json.load(open(sys.argv[1]))["results"]:
    median = r["median"]
    ok = median < 0.5
    failed |= not ok
    print(f"{r['command']}: median {median * 1000:.1f} ms, max {r['max'] * 1000:.1f} ms "
          f"({'under' if ok else 'OVER'} 0.5 s)")
sys.exit(1 if failed else 0)
PY
