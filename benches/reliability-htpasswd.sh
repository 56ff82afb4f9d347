#!/usr/bin/env bash
# Concurrent writers to one credential file: htpasswd (no locking) against appw (SQLite,
# BEGIN IMMEDIATE + busy timeout). P processes each add N users at the same moment; then
# count how many entries survived. Not part of CI: run by hand, once, and read the figures.
#
#   bash benches/reliability-htpasswd.sh            # 16 × 20, appw with its default argon2 cost
#   P=32 N=50 KDF=m=64,t=1,p=1 bash benches/reliability-htpasswd.sh
set -euo pipefail
cd "$(dirname "$0")/.."

P=${P:-16}
N=${N:-20}
APPW=${APPW:-target/debug/appw}
[ -x "$APPW" ] || cargo build --quiet --bin appw
command -v htpasswd >/dev/null || { echo "htpasswd not found: apt-get install -y apache2-utils" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export APPW_DB="$tmp/appw/credentials.db"
[ -n "${KDF:-}" ] && export APPW_KDF="$KDF"

count_lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# A barrier: every writer waits for the same file to appear, so they start together.
start="$tmp/go"

# --- htpasswd -------------------------------------------------------------------------
touch "$tmp/htpasswd"
for p in $(seq 1 "$P"); do
  (
    while [ ! -e "$start" ]; do sleep 0.01; done
    for i in $(seq 1 "$N"); do
      htpasswd -b "$tmp/htpasswd" "p$p-u$i" "secret-$p-$i" 2>/dev/null || echo fail >>"$tmp/ht.fail"
    done
  ) &
done
t0=$(date +%s%N); touch "$start"; wait; t1=$(date +%s%N)
ht_rows=$(grep -c . "$tmp/htpasswd" || true)
ht_fail=$(count_lines "$tmp/ht.fail")
rm -f "$start"

# --- appw -----------------------------------------------------------------------------
"$APPW" create --user warmup first --porcelain >/dev/null   # the store exists before the race
mkdir -p "$tmp/pw"
for p in $(seq 1 "$P"); do
  (
    while [ ! -e "$start" ]; do sleep 0.01; done
    for i in $(seq 1 "$N"); do
      s=$(date +%s%N)
      if "$APPW" create --user "p$p-u$i" key --porcelain >"$tmp/pw/p$p-u$i" 2>>"$tmp/appw.err"; then :; else echo fail >>"$tmp/appw.fail"; fi
      echo $(( ($(date +%s%N) - s) / 1000000 )) >>"$tmp/lat.$p"
    done
  ) &
done
t2=$(date +%s%N); touch "$start"; wait; t3=$(date +%s%N)
appw_rows=$("$APPW" list --json | grep -o '"id":' | wc -l)
appw_rows=$((appw_rows - 1))   # minus the warm-up credential
appw_fail=$(count_lines "$tmp/appw.fail")
worst=$(cat "$tmp"/lat.* | sort -n | tail -1)
# Every printed password must verify.
bad=0
for f in "$tmp"/pw/*; do
  user=$(basename "$f")
  "$APPW" verify --user "$user" --quiet <"$f" 2>/dev/null || bad=$((bad + 1))
done

total=$((P * N))
printf '%-10s %9s %9s %9s %8s %s\n' tool writers entries survived lost "wall time"
printf '%-10s %9s %9s %9s %8s %s\n' htpasswd "$P" "$total" "$ht_rows" "$((total - ht_rows))" "$(( (t1 - t0) / 1000000 )) ms ($ht_fail commands failed)"
printf '%-10s %9s %9s %9s %8s %s\n' appw "$P" "$total" "$appw_rows" "$((total - appw_rows))" "$(( (t3 - t2) / 1000000 )) ms ($appw_fail commands failed, slowest create $worst ms, $bad printed passwords failed to verify)"
[ -s "$tmp/appw.err" ] && { echo "appw stderr:"; sort "$tmp/appw.err" | uniq -c | head; }
exit 0
