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
    # shellcheck source=.ci/apt-install.sh
    source "$(dirname "$0")/apt-install.sh"
    apt_install setup-deb "${missing[@]}"
fi

if [ "$(cargo deb --version 2>/dev/null)" = "cargo-deb $CARGO_DEB_VERSION" ]; then
    echo "cargo-deb $CARGO_DEB_VERSION already installed"
else
    echo "installing cargo-deb $CARGO_DEB_VERSION"
    cargo install cargo-deb --locked --version "$CARGO_DEB_VERSION" --quiet
fi
