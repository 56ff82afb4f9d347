#!/usr/bin/env bash
# `appw serve` against the web servers' own Basic auth, side by side in one run (results
# and targets in BENCHMARKS.md). Every server runs on loopback, one after the other, loaded by
# the same wrk command, so the ratios printed at the end compare like with like.
#
#   benches/serve.sh                        # DURATION=10s CONNECTIONS=64 ROUNDS=3 by default
#   bash .ci/with-postgres.sh bash -c 'APPW_BENCH_PG_URL=$APPW_TEST_PG_URL benches/serve.sh'
#
# Anchors: nginx serving a static file without auth (the box's ceiling), Caddy `basicauth`
# (bcrypt cost 14, as `caddy hash-password` makes it, with Caddy's cache of verified
# passwords), nginx `auth_basic` with bcrypt cost 5. appw runs at its default --kdf
# (m=19456,t=2,p=1). Cases: the same credential repeated (warm), 1,000 warmed credentials
# in turn, every request a new credential (cold: argon2 each), a wrong password from one
# client (throttled), appw behind nginx auth_request, and with APPW_BENCH_PG_URL the warm
# case over PostgreSQL. Needs wrk, nginx, caddy, htpasswd (apache2-utils), python3.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
COLD=${COLD:-1000}
ROUNDS=${ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "serve.sh: ROUNDS must be a count, 1 or more" >&2; exit 2; }
for tool in wrk nginx caddy htpasswd python3; do
    command -v "$tool" >/dev/null || { echo "serve.sh: $tool is needed" >&2; exit 2; }
done

cargo build --release --quiet --bin appw --example bare-argon2
APPW=$PWD/target/release/appw
BARE=$PWD/target/release/examples/bare-argon2
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
unset APPW_KDF APPW_HUGE_PAGES
export APPW_DB=$WORK/store/credentials.db
KDF=m=19456,t=2,p=1
PORT_STATIC=19181 PORT_CADDY=19182 PORT_NGINX=19183 PORT_APPW=19184 PORT_FRONT=19185
PORT_FRONT_UNIX=19186

echo "== machine: $(nproc) cores, $(uname -r); wrk -t2 -c$CONNECTIONS -d$DURATION; $ROUNDS rounds"

# --- credentials -----------------------------------------------------------------------
PW=$("$APPW" create --user bench warm --porcelain)
b64() { printf '%s' "$1" | base64 -w0; }
AUTH="Basic $(b64 "bench:$PW")"
make_set() { # make_set NAME COUNT: COUNT credentials, their Authorization values in a file
    seq "$2" | xargs -P "$(nproc)" -I{} "$APPW" create --user bench "$1-{}" --porcelain \
        | while read -r p; do echo "Basic $(b64 "bench:$p")"; done >"$WORK/$1.txt"
}
make_set many 1000
make_set cold "$COLD"
lua_cycle() { # a wrk script sending each value of FILE in turn, each thread from its own half
    python3 - "$1" >"$2" <<'PY'
import sys
values = [l.strip() for l in open(sys.argv[1]) if l.strip()]
print("local h = {" + ",".join('"%s"' % v for v in values) + "}")
print("local threads = 0")
print("function setup(thread) thread:set('offset', threads); threads = threads + 1 end")
print("function init(args) i = offset * math.floor(#h / 2) end")
print("request = function() i = i % #h + 1\n  return wrk.format(nil, nil, {Authorization = h[i]}) end")
PY
}
lua_cycle "$WORK/many.txt" "$WORK/many.lua"
lua_cycle "$WORK/cold.txt" "$WORK/cold.lua"

# --- servers ---------------------------------------------------------------------------
# nginx's workers run as nobody: they must reach the files.
chmod 755 "$WORK"
mkdir -p "$WORK/www" "$WORK/nginx" "$WORK/sock"
echo ok >"$WORK/www/index.html"
htpasswd -nbB -C 5 bench "$PW" >"$WORK/htpasswd"
chmod 644 "$WORK/htpasswd" "$WORK/www/index.html"
CADDY_HASH=$(caddy hash-password --plaintext "$PW")
cat >"$WORK/Caddyfile" <<EOF
{
    admin off
    auto_https off
}
http://127.0.0.1:$PORT_CADDY {
    basicauth {
        bench $CADDY_HASH
    }
    respond "ok" 200
}
EOF
front() { # front PORT UPSTREAM: an nginx server that asks appw (auth_request) on UPSTREAM
    cat <<EOF
    server {
        listen 127.0.0.1:$1; root $WORK/www;
        location / { auth_request /_appw; }
        location = /_appw {
            internal;
            proxy_pass http://$2/auth;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Real-IP \$remote_addr;
        }
    }
EOF
}
cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fcgi; uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    upstream appw { server 127.0.0.1:$PORT_APPW; keepalive 64; }
    upstream appw_unix { server unix:$WORK/sock/appw.sock; keepalive 64; }
    server { listen 127.0.0.1:$PORT_STATIC; root $WORK/www; }
    server {
        listen 127.0.0.1:$PORT_NGINX; root $WORK/www;
        auth_basic "bench"; auth_basic_user_file $WORK/htpasswd;
    }
$(front "$PORT_FRONT" appw)
$(front "$PORT_FRONT_UNIX" appw_unix)
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>/dev/null &
PIDS+=($!)
HOME=$WORK caddy run --adapter caddyfile --config "$WORK/Caddyfile" >"$WORK/caddy.log" 2>&1 &
PIDS+=($!)
start_appw() { # start_appw [ARGS...]: appw serve on PORT_APPW, pid in APPW_PID
    "$APPW" serve --listen 127.0.0.1:$PORT_APPW --listen "unix:$WORK/sock/appw.sock" \
        --max-failures 100 "$@" 2>"$WORK/serve.log" &
    APPW_PID=$!
    PIDS+=("$APPW_PID")
    for _ in $(seq 100); do
        # nginx's workers run as nobody; appw makes its socket 0660.
        curl -sf "http://127.0.0.1:$PORT_APPW/healthz" >/dev/null 2>&1 \
            && chmod 666 "$WORK/sock/appw.sock" && return
        sleep 0.1
    done
    echo "appw serve did not start" >&2; cat "$WORK/serve.log" >&2; exit 1
}
start_appw
for port in $PORT_STATIC $PORT_CADDY $PORT_NGINX $PORT_FRONT $PORT_FRONT_UNIX; do
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        sleep 0.1
    done
done

# --- measurements ----------------------------------------------------------------------
# The cases the targets compare run in ROUNDS rounds, their order rotated each round, and
# the targets use each case's median: one shared host's slow moment then moves one round
# of one case, not a ratio (single runs of the same tree gave warm/static 1.02 and 1.45).
declare -A RPS P99 # one value per round, space-separated
run() { # run NAME URL [wrk args...]: req/s, p50 and p99 latency, one line
    local name=$1 url=$2
    shift 2
    local out rps p50 p99 non2xx
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    printf '%-34s %10s req/s  p50 %-9s p99 %-9s %s\n' "$name" "$rps" "$p50" "$p99" \
        "${non2xx:+non-2xx: $non2xx}"
    RPS[$name]+="${rps:-nan} "
    P99[$name]+="$(to_ms "$p99") "
}
to_ms() { # wrk's 521.00us, 6.29ms, 1.42s or 1.05m, in ms (nan when there is none)
    python3 -c "
import re, sys
m = re.fullmatch(r'([0-9.]+)(us|ms|s|m)', sys.argv[1])
print(float(m[1]) * {'us': 0.001, 'ms': 1, 's': 1000, 'm': 60000}[m[2]] if m else 'nan')" "$1"
}
median() { # median "V1 V2 ...": the median of the values (n/a for none)
    python3 -c "import statistics, sys; v = sys.argv[1].split(); print(statistics.median(float(x) for x in v) if v else 'n/a')" "$1"
}
H=(-H "Authorization: $AUTH")
curl -s -o /dev/null -H "Authorization: $AUTH" "http://127.0.0.1:$PORT_CADDY/" # Caddy's cache
curl -s -o /dev/null -H "Authorization: $AUTH" "http://127.0.0.1:$PORT_APPW/auth" # appw's
# 1,000 credentials, each verified once (cold) before the measured runs.
xargs -P 8 -I{} curl -s -o /dev/null -H "Authorization: {}" "http://127.0.0.1:$PORT_APPW/auth" \
    <"$WORK/many.txt"
echo "   (warm credentials: $(curl -s "http://127.0.0.1:$PORT_APPW/metrics" | awk '/^appw_cached_credentials/ {print $2}'))"

run "nginx auth_basic (bcrypt 5)" "http://127.0.0.1:$PORT_NGINX/" "${H[@]}"
CASES=(static caddy warm front front_unix many)
measure() {
    case $1 in
    static) run "nginx static, no auth" "http://127.0.0.1:$PORT_STATIC/" ;;
    caddy) run "Caddy basicauth (bcrypt 14, cached)" "http://127.0.0.1:$PORT_CADDY/" "${H[@]}" ;;
    warm) run "appw serve, warm" "http://127.0.0.1:$PORT_APPW/auth" "${H[@]}" ;;
    front) run "appw behind nginx auth_request" "http://127.0.0.1:$PORT_FRONT/" "${H[@]}" ;;
    front_unix) run "appw behind nginx, Unix socket" "http://127.0.0.1:$PORT_FRONT_UNIX/" "${H[@]}" ;;
    many) run "appw serve, 1,000 warm in turn" "http://127.0.0.1:$PORT_APPW/auth" -s "$WORK/many.lua" ;;
    *) echo "serve.sh: no case $1" >&2; exit 2 ;;
    esac
}
for round in $(seq "$ROUNDS"); do
    echo "-- round $round of $ROUNDS"
    for i in "${!CASES[@]}"; do
        measure "${CASES[(i + round - 1) % ${#CASES[@]}]}"
    done
done
# One in-process argon2id evaluation (the cold path's unit), measured just before it.
EVAL_MS=$(PW=$PW "$BARE" --time "$KDF" 20)
EVALS_BEFORE=$(curl -s "http://127.0.0.1:$PORT_APPW/metrics" | awk '/^appw_argon2_evaluations_total/ {print $2}')
# Short, so that no credential comes round twice: every request is a first one.
run "appw serve, cold (argon2 each)" "http://127.0.0.1:$PORT_APPW/auth" -s "$WORK/cold.lua" -d5s
EVALS=$(( $(curl -s "http://127.0.0.1:$PORT_APPW/metrics" | awk '/^appw_argon2_evaluations_total/ {print $2}') - EVALS_BEFORE ))
echo "   (argon2 evaluations during the cold run: $EVALS of $COLD fresh credentials)"
WRONG="Basic $(b64 "bench:appw${PW:4:12}WRONGWRONGWRONGWRONGWRONGW000000")"
run "appw serve, wrong password (429)" "http://127.0.0.1:$PORT_APPW/auth" -H "Authorization: $WRONG"

# RSS with 1,000 idle connections open.
python3 - "$PORT_APPW" <<'PY' &
import socket, sys, time
held = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(1000)]
time.sleep(6)
PY
HOLDER=$!
sleep 4
RSS_KIB=$(ps -o rss= -p "$APPW_PID" | tr -d ' ')
OPEN=$(curl -s "http://127.0.0.1:$PORT_APPW/metrics" | awk '/^appw_open_connections/ {print $2}')
wait $HOLDER || true
WORKERS=$(nproc)


if [ -n "${APPW_BENCH_PG_URL:-}" ]; then
    kill "$APPW_PID"; wait "$APPW_PID" 2>/dev/null || true
    PGDB="bench_serve_$$"
    psql -q "$APPW_BENCH_PG_URL" -c "CREATE DATABASE $PGDB" >/dev/null
    export APPW_DB="${APPW_BENCH_PG_URL%/*}/$PGDB"
    PGPW=$("$APPW" create --user bench warm --porcelain)
    echo "   PostgreSQL settings: $(psql -Atq "$APPW_DB" -c "SELECT string_agg(name || '=' || setting, ' ') FROM pg_settings WHERE name IN ('fsync','synchronous_commit','full_page_writes','shared_buffers')")"
    start_appw
    PGH=(-H "Authorization: Basic $(b64 "bench:$PGPW")")
    curl -s -o /dev/null "${PGH[@]}" "http://127.0.0.1:$PORT_APPW/auth"
    # After SQLite's rounds, not among them (the same port, one server at a time): this
    # ratio is the least paired of all.
    for round in $(seq "$ROUNDS"); do
        run "appw serve, warm, PostgreSQL" "http://127.0.0.1:$PORT_APPW/auth" "${PGH[@]}"
    done
fi

# --- targets -----------------------------------------------------------------------------
ratio() { # ratio "A1 A2 ..." "B1 B2 ...": median(A) / median(B), n/a when either is missing
    python3 -c "
import sys
a, b = sys.argv[1:]
print('n/a' if 'n/a' in (a, b) or 'nan' in (a, b) or float(b) == 0 else f'{float(a) / float(b):.2f}')" \
        "$(median "$1")" "$(median "$2")"
}
echo
echo "== targets: appw serve against a static file and the web servers' own Basic auth"
echo "   (medians of $ROUNDS rounds where a case ran in each)"
STATIC=${RPS[nginx static, no auth]}
echo "warm / nginx static file:             $(ratio "${RPS[appw serve, warm]}" "$STATIC") (target >= 0.8)"
echo "warm / Caddy cached basicauth:        $(ratio "${RPS[appw serve, warm]}" "${RPS[Caddy basicauth (bcrypt 14, cached)]}") (target >= 2)"
echo "1,000 warm in turn / nginx static:    $(ratio "${RPS[appw serve, 1,000 warm in turn]}" "$STATIC") (target >= 0.7)"
echo "warm p99 at $CONNECTIONS connections:           $(median "${P99[appw serve, warm]}") ms (target <= 3 ms; nginx static's: $(median "${P99[nginx static, no auth]}") ms)"
echo "behind nginx auth_request / static:   $(ratio "${RPS[appw behind nginx auth_request]}" "$STATIC") (target >= 0.33)"
echo "  the same on a Unix socket, as packaged: $(ratio "${RPS[appw behind nginx, Unix socket]}" "$STATIC")"
COLD_IDEAL=$(python3 -c "print(f'{$WORKERS * 1000 / $EVAL_MS:.1f}')")
echo "cold / (workers / one evaluation):    $(ratio "${RPS[appw serve, cold (argon2 each)]}" "$COLD_IDEAL") (target >= 0.85; $WORKERS workers, one evaluation $EVAL_MS ms = $COLD_IDEAL req/s)"
if [ -n "${RPS[appw serve, warm, PostgreSQL]:-}" ]; then
    echo "PostgreSQL warm / SQLite warm:        $(ratio "${RPS[appw serve, warm, PostgreSQL]}" "${RPS[appw serve, warm]}") (target >= 0.6)"
fi
LIMIT_KIB=$(( WORKERS * 19456 + 40 * 1024 ))
echo "RSS with $OPEN connections open:      $RSS_KIB KiB (target <= $LIMIT_KIB KiB = $WORKERS x 19 MiB + 40 MiB)"
