#!/usr/bin/env bash
# Installs what the browser tests need: Debian's chromium (pages, board pack PDF) and
# poppler-utils (pdftoppm turns the PDF into PNG), and a vendored axe-core.
# Playwright's own browser download is never used (it cannot work on these machines).
set -euo pipefail
cd "$(dirname "$0")"

# need COMMAND DEBIAN_PACKAGE: install the package unless the command is already there.
need() {
    command -v "$1" >/dev/null && return 0
    if [ "$(id -u)" = "0" ]; then
        apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
    elif command -v sudo >/dev/null; then
        sudo apt-get update -qq && sudo apt-get install -y -qq "$2" >/dev/null
    else
        echo "tests/setup_browser.sh: $1 is missing; install Debian's $2" >&2
        exit 1
    fi
}
need /usr/bin/chromium chromium
need pdftoppm poppler-utils

if [ ! -f .vendor/axe.min.js ]; then
    mkdir -p .vendor
    (cd .vendor && npm install --silent --no-audit --no-fund --prefix . axe-core@4 >/dev/null \
        && cp node_modules/axe-core/axe.min.js axe.min.js)
fi

# The real OpenID Connect provider the sign-in tests run (tests/oidc, locked versions).
if [ ! -d oidc/node_modules/oidc-provider ]; then
    (cd oidc && npm ci --silent --no-audit --no-fund >/dev/null)
fi
