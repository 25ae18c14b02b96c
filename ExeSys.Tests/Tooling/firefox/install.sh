#!/usr/bin/env bash
# Installs puppeteer-core for the console's Firefox test (console-smoke.mjs), the same way every time: the versions in
# package-lock.json (npm ci). puppeteer-core never downloads a browser; the test drives Debian's firefox-esr.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
want="$(sed -n 's/.*"puppeteer-core": *"\([^"]*\)".*/\1/p' package.json)"
installed="node_modules/puppeteer-core/package.json"
if [[ -f node_modules/.package-lock.json && -f "$installed" ]] \
  && [[ "$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' "$installed")" == "$want" ]]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
test -f node_modules/puppeteer-core/lib/puppeteer/puppeteer-core.js
