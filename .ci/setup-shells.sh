#!/usr/bin/env bash
# Installs what tests/it/shell.rs needs to load the checked-in completion scripts, lint the
# man pages and put `appw serve` behind a real nginx and Caddy: bash-completion, zsh,
# fish, mandoc, nginx, caddy, python3 and curl. Idempotent: installs nothing when every tool is already
# there. Runs unattended (CI has no stdin).
set -euo pipefail

missing=()
[ -r /usr/share/bash-completion/bash_completion ] || missing+=(bash-completion)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
command -v fish >/dev/null 2>&1 || missing+=(fish)
command -v mandoc >/dev/null 2>&1 || missing+=(mandoc)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v caddy >/dev/null 2>&1 || missing+=(caddy)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v curl >/dev/null 2>&1 || missing+=(curl)

if [ ${#missing[@]} -eq 0 ]; then
    echo "shells and mandoc already installed"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-shells: no apt-get; install ${missing[*]} by hand" >&2
    exit 1
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
echo "installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq </dev/null
# The tests start nginx themselves on a loopback port: keep the package from starting a
# system-wide one on port 80 (policy-rc.d exit 101 = "don't start services").
policy=/usr/sbin/policy-rc.d
added_policy=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    added_policy=1
fi
status=0
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null || status=$?
[ -z "$added_policy" ] || "${sudo[@]}" rm -f "$policy"
exit "$status"
