#!/usr/bin/env bash
# Installs what tests/it/package.rs needs to build, lint and try the Debian package:
# cargo-deb (pinned, built once into ~/.cargo/bin), lintian, dpkg-dev, fail2ban (for
# fail2ban-regex) and systemd (systemd-analyze, systemd-socket-activate; no systemd needs
# to run as PID 1 for them). Idempotent: installs nothing when every tool is already there.
# Runs unattended (CI has no stdin).
set -euo pipefail

# cargo-deb's version, pinned so CI builds the same package each run. `--locked` builds it
# with the versions its authors tested; about 2 minutes on 2 cores, once.
CARGO_DEB_VERSION=3.8.0

missing=()
command -v lintian >/dev/null 2>&1 || missing+=(lintian)
command -v dpkg-shlibdeps >/dev/null 2>&1 || missing+=(dpkg-dev)
command -v fail2ban-regex >/dev/null 2>&1 || missing+=(fail2ban)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v systemd-socket-activate >/dev/null 2>&1 || missing+=(systemd)

if [ ${#missing[@]} -eq 0 ]; then
    echo "lintian, dpkg-dev, fail2ban and systemd already installed"
else
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "setup-deb: no apt-get; install ${missing[*]} by hand" >&2
        exit 1
    fi
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    echo "installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq </dev/null
    # fail2ban's package would start its daemon (and systemd's, services of its own): the
    # tests only need the tools. policy-rc.d exit 101 = "don't start services".
    policy=/usr/sbin/policy-rc.d
    added_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        added_policy=1
    fi
    status=0
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        -o DPkg::Lock::Timeout=300 "${missing[@]}" </dev/null >/dev/null || status=$?
    [ -z "$added_policy" ] || "${sudo[@]}" rm -f "$policy"
    [ "$status" -eq 0 ] || exit "$status"
fi

if [ "$(cargo deb --version 2>/dev/null)" = "cargo-deb $CARGO_DEB_VERSION" ]; then
    echo "cargo-deb $CARGO_DEB_VERSION already installed"
else
    echo "installing cargo-deb $CARGO_DEB_VERSION"
    cargo install cargo-deb --locked --version "$CARGO_DEB_VERSION" --quiet
fi
