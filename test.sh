#!/usr/bin/env bash
# Runs ExeSys's whole test suite: formatting check, build, and every NUnit test against a real redis-server
# that the tests start themselves on free loopback ports. Installs redis-server, faketime, prometheus (promtool),
# chromium, firefox-esr, nodejs and npm with apt if missing, and the npm packages of ExeSys.Tests/Tooling (CongoDB,
# puppeteer-core).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

# need "<commands>" <packages>: when one of the commands is missing, installs the Debian packages with apt-get (as
# root), else says how to install them and stops.
need() {
  local commands="$1" missing="" c
  shift
  for c in $commands; do
    command -v "$c" >/dev/null 2>&1 || missing+=" $c"
  done
  if [[ -z "$missing" ]]; then
    return 0
  fi
  if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
    echo "[test] installing $* with apt-get (for${missing})"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "[test]${missing} missing. Install with: sudo apt-get update && sudo apt-get install -y $*" >&2
    exit 1
  fi
}

need redis-server redis-server
# The skewed-clock tests (Reliability/Running_processes_under_a_skewed_clock) run processes under Debian's faketime.
need faketime faketime
# The monitoring tests (ExeSys.Tests/Observability) check /metrics pages, alert rules and the scrape config with promtool,
# from Debian's prometheus package.
need promtool prometheus
# The console's browser tests (ExeSys.Tests/WebConsole) drive Debian's chromium through Playwright's .NET driver
# (ExecutablePath /usr/bin/chromium); nothing downloads a browser.
need chromium chromium
# The console's Firefox test drives Debian's firefox-esr over WebDriver BiDi with puppeteer-core (ExeSys.Tests/Tooling/firefox).
need firefox-esr firefox-esr
# The MongoDB history tests run CongoDB, a MongoDB wire-protocol server in an npm package, on node.
need "node npm" nodejs npm

echo "[test] installing CongoDB for the MongoDB history tests (ExeSys.Tests/Tooling/congodb)"
ExeSys.Tests/Tooling/congodb/install.sh

echo "[test] installing puppeteer-core for the console's Firefox test (ExeSys.Tests/Tooling/firefox)"
ExeSys.Tests/Tooling/firefox/install.sh

echo "[test] checking formatting (dotnet format --verify-no-changes)"
dotnet format ExeSys.sln --verify-no-changes

results="$root/TestResults"
rm -rf "$results"
echo "[test] building and running the tests"
status=0
dotnet test ExeSys.sln -c Release --nologo --results-directory "$results" \
  --logger "trx;LogFileName=exesys.trx" --logger "console;verbosity=normal" || status=$?

# One closing line a CI reader understands, from the TRX counters.
trx="$results/exesys.trx"
if [[ -f "$trx" ]]; then
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  passed="$(get passed)"; failed="$(get failed)"; total="$(get total)"; executed="$(get executed)"
  skipped=$(( ${total:-0} - ${executed:-0} ))
  # CI shows only the tail of the output, so name every failed test (the first line of its message, and the top of
  # its stack trace, where a bare "A task was canceled" says nothing on its own) last.
  if [[ "${failed:-0}" != "0" ]]; then
    echo "[test] failed tests:"
    awk '
      /<UnitTestResult / && /outcome="Failed"/ { match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); want = 1; stack = 0 }
      want && /<Message>/ { line = $0; sub(/.*<Message>/, "", line); sub(/<\/Message>.*/, "", line); print "  " name ": " substr(line, 1, 400) }
      want && /<StackTrace>/ { stack = 1; shown = 0; sub(/.*<StackTrace>/, "") }
      want && stack { done = sub(/<\/StackTrace>.*/, ""); if ($0 != "" && shown < 8) { print "      " substr($0, 1, 200); shown++ } if (done) { stack = 0; want = 0 } }
      want && /<\/UnitTestResult>/ { want = 0 }
    ' "$trx"
  fi
  echo "${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
fi
exit "$status"
