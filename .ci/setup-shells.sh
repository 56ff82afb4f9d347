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
# shellcheck source=.ci/apt-install.sh
source "$(dirname "$0")/apt-install.sh"
apt_install setup-shells "${missing[@]}"
