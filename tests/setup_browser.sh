#!/usr/bin/env bash
# Installs what the browser tests need: Debian's chromium and a vendored axe-core.
# Playwright's own browser download is never used (it cannot work on these machines).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = "0" ]; then
        apt-get update -qq && apt-get install -y -qq chromium >/dev/null
    elif command -v sudo >/dev/null; then
        sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
    else
        echo "tests/setup_browser.sh: /usr/bin/chromium is missing; install Debian's chromium" >&2
        exit 1
    fi
fi
if [ ! -f .vendor/axe.min.js ]; then
    mkdir -p .vendor
    (cd .vendor && npm install --silent --no-audit --no-fund --prefix . axe-core@4 >/dev/null \
        && cp node_modules/axe-core/axe.min.js axe.min.js)
fi
