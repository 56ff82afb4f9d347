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

# One version, so every run checks the pages against the same rules. The test finds it
# where this installs it: $(npm root -g)/axe-core/axe.min.js.
axe_version=4.14.1
root=$(npm root -g)
# Nothing there yet on a fresh machine: sed's failure must not end the script (pipefail).
installed=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$root/axe-core/package.json" 2>/dev/null | head -n 1 || true)
if [ "$installed" = "$axe_version" ] && [ -r "$root/axe-core/axe.min.js" ]; then
    echo "chromium, chromedriver and axe-core $axe_version already installed"
    exit 0
fi
echo "installing axe-core $axe_version"
npm install -g --no-audit --no-fund --loglevel=error "axe-core@$axe_version" </dev/null
[ -r "$root/axe-core/axe.min.js" ]
