#!/usr/bin/env bash
# Installs CongoDB for the tests, the same way every time: the runtime dependencies from package-lock.json (npm ci),
# then the @push.rocks/smartmongo 2.2.0 tarball unpacked into node_modules. A plain `npm install` of smartmongo
# fails (its other dependencies do not resolve), and the tests need only its CongoDB server.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
target="node_modules/@push.rocks/smartmongo"
if [[ -f "$target/dist_ts/congodb/index.js" && -f node_modules/.package-lock.json ]]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npm pack @push.rocks/smartmongo@2.2.0 --pack-destination "$tmp" --loglevel=error >/dev/null
mkdir -p "$target"
tar -xzf "$tmp"/push.rocks-smartmongo-2.2.0.tgz -C "$target" --strip-components=1
test -f "$target/dist_ts/congodb/index.js"
