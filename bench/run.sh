#!/usr/bin/env bash
# The ExeSys benchmark in one command: builds the solution in Release, then runs bench/ExeSys.Bench with the
# arguments given (bench/run.sh --help lists them). The table goes to stdout, the JSON to bench-results/.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
echo "Building $repo/ExeSys.sln (Release) ..." >&2
if ! dotnet build "$repo/ExeSys.sln" -c Release -nologo >"$build_log" 2>&1; then
  grep -E ': error |error\(s\)' "$build_log" >&2 || cat "$build_log" >&2
  exit 1
fi
dotnet "$repo/bench/ExeSys.Bench/bin/Release/net10.0/ExeSys.Bench.dll" "$@"
