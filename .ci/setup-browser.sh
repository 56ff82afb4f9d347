#!/usr/bin/env bash
# Installs what the screen's browser test (tests/it/web/browser.rs) needs: Debian's headless
# chromium and its chromedriver, and axe-core (from the npm registry) to check every page's
# accessibility. Idempotent: installs nothing when everything is already there. Runs
# unattended (CI has no stdin).
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    # shellcheck source=.ci/apt-install.sh
    source "$(dirname "$0")/apt-install.sh"
    apt_install setup-browser "${missing[@]}"
fi

root=$(npm root -g)
if [ -r "$root/axe-core/axe.min.js" ]; then
    echo "chromium, chromedriver and axe-core already installed"
    exit 0
fi
echo "installing axe-core"
npm install -g --no-audit --no-fund --loglevel=error axe-core@4 </dev/null
[ -r "$root/axe-core/axe.min.js" ]
