#!/usr/bin/env bash
# A/B benchmark: <git-ref> (A, the baseline) against the working tree (B, uncommitted changes included). Each side
# is built in Release and measured with its own bench tool and its own ExeSys binaries. The runs alternate, A then B,
# round after round, so a slow spell of a shared machine falls on both sides instead of on one. The table (medians,
# B/A, every round) goes to stdout and to bench-results/compare-<UTC timestamp>.txt; bench/README.md ("Comparing
# two commits") explains it.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  cat <<'EOF'
bench/compare.sh: A/B benchmark of a git commit (A) against the working tree (B).

Usage: bench/compare.sh <git-ref> [--rounds N] [bench options]

  <git-ref>      the baseline A: any commit, branch or tag (git rev-parse --verify "<ref>^{commit}"). It is built
                 in a temporary git worktree, which is removed on exit. B is this checkout as it is, uncommitted
                 changes included. Both are built with 'dotnet build ExeSys.sln -c Release'.
  --rounds N     rounds of one A run then one B run (default 3); the table shows the median of the N runs
  --help         this text

Every other option goes to both sides' bench tool (bench/run.sh --help lists them), e.g.
  bench/compare.sh HEAD~1 --scenario noop,latency
  bench/compare.sh main --rounds 5 --warmup-seconds 10 --scenario chain10
  bench/compare.sh HEAD~1 --rounds 1 --smoke       # a few seconds per run: checks that the comparison works
Not allowed, because compare.sh sets them or they would measure one system twice:
  --api, --redis, --repo, --out, --configuration.

Output: the table on stdout and in bench-results/compare-<UTC timestamp>.txt; each run's JSON and output in
bench-results/compare-<UTC timestamp>/ (A-1.json, A-1.log, B-1.json, ...), with both builds' logs.
Exit code: 0 when every run passed; 1 when a build or a bench run failed (a failed job included) or a side did not
run its own binaries; 2 for a bad command line or a ref that is not a commit.
EOF
}

die() {
  local code="$1"
  shift
  echo "compare.sh: $*" >&2
  exit "$code"
}

if [[ $# -eq 0 ]]; then
  usage >&2
  exit 2
fi
case "$1" in
  -h | --help) usage; exit 0 ;;
  -*) die 2 "the first argument is the baseline git ref, e.g. bench/compare.sh HEAD~1 --smoke; see --help." ;;
esac
ref="$1"
shift

rounds=3
bench_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --rounds)
      [[ $# -ge 2 ]] || die 2 "--rounds needs a value."
      rounds="$2"
      shift 2
      ;;
    --rounds=*) rounds="${1#*=}"; shift ;;
    --api | --api=* | --redis | --redis=*)
      die 2 "$1: compare.sh measures the processes each side starts from its own build; against running processes, A and B would measure the same system." ;;
    --repo | --repo=* | --out | --out=* | --configuration | --configuration=*)
      die 2 "$1: compare.sh sets that itself (each side's own checkout, its own JSON file, Release)." ;;
    *) bench_args+=("$1"); shift ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die 2 "--rounds must be a whole number of 1 or more; got '$rounds'."

python=/usr/bin/python3
for tool in git dotnet "$python"; do
  command -v "$tool" >/dev/null || die 1 "$tool is not installed; compare.sh needs git, the .NET 10 SDK and $python."
done
# The bench starts redis-server from PATH unless told otherwise; say so now rather than after two builds.
if ! printf '%s\n' "${bench_args[@]}" | grep -q '^--redis-server' && ! command -v redis-server >/dev/null; then
  die 1 "redis-server is not on PATH (the bench starts its own). Install it, e.g. 'apt-get install -y redis-server', or pass --redis-server PATH."
fi

a_sha="$(git -C "$repo" rev-parse --verify --quiet "$ref^{commit}")" || die 2 "'$ref' is not a commit of $repo."
a_short="$(git -C "$repo" rev-parse --short "$a_sha")"
b_short="$(git -C "$repo" rev-parse --short HEAD)"
# Untracked files count: the SDK compiles every .cs file under a project, committed or not.
if [[ -n "$(git -C "$repo" status --porcelain)" ]]; then
  b_name="$b_short+dirty"
else
  b_name="$b_short"
fi
git -C "$repo" cat-file -e "$a_sha:bench/ExeSys.Bench/ExeSys.Bench.csproj" 2>/dev/null ||
  die 2 "A ($a_short) has no bench/ExeSys.Bench, so it cannot be measured the same way; pick a later commit."

stamp="$(date -u +%Y%m%d-%H%M%S)"
results="$repo/bench-results"
out="$results/compare-$stamp"
report="$results/compare-$stamp.txt"
mkdir -p "$out"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/exesys-compare.XXXXXX")"
a_root="$tmp/a"
watcher=""
bench_pid=""
cleanup() {
  if [[ -n "$watcher" ]]; then
    kill "$watcher" 2>/dev/null || true
  fi
  if [[ -d "$a_root" ]]; then
    git -C "$repo" worktree remove --force "$a_root" ||
      echo "compare.sh: could not remove the worktree $a_root; run 'git -C $repo worktree remove --force $a_root'." >&2
  fi
  rm -rf "$tmp"
}
# On a signal, the bench is asked to stop with SIGTERM, which it handles like Ctrl-C: it kills the redis-server and
# ExeSys processes it started. It runs in the background, so the shell can act while it runs, and a background
# command of a script ignores SIGINT. Exiting then runs cleanup, so the worktree goes too.
stop() {
  if [[ -n "$bench_pid" ]]; then
    kill -TERM "$bench_pid" 2>/dev/null || true
    wait "$bench_pid" 2>/dev/null || true
  fi
  echo "compare.sh: interrupted; the bench run (if any) stopped its processes, and the worktree is removed." >&2
  exit "$1"
}
trap cleanup EXIT
trap 'stop 130' INT
trap 'stop 143' TERM

echo "A = $a_short ($ref), B = $b_name (the working tree of $repo)" >&2
git -C "$repo" worktree add --detach --quiet "$a_root" "$a_sha"

build() {
  local side="$1" root="$2" log="$out/build-$1.log"
  echo "Building $side: $root/ExeSys.sln (Release) ..." >&2
  if ! dotnet build "$root/ExeSys.sln" -c Release -nologo >"$log" 2>&1; then
    grep -E ': error |error\(s\)' "$log" >&2 || tail -n 30 "$log" >&2
    die 1 "the build of $side ($([[ $side == A ]] && echo "$a_short" || echo "$b_name")) failed; its log is $log."
  fi
}
# B first: the working tree is the likelier of the two to fail to build, and it usually builds incrementally.
build B "$repo"
build A "$a_root"

# Prints "label pid dll" for each ExeSys process the bench named on its Ready line, read from /proc while the
# processes run: the proof of which build a side measured. The bench prints the line once they are all up, and
# keeps them for at least its idle window (0.5 s in --smoke), so polling every 50 ms sees them.
watch_processes() {
  local log="$1" ready pid label
  until ready="$(grep -m1 '^Ready: ' "$log" 2>/dev/null)"; do
    sleep 0.05
  done
  for entry in $(sed -E 's/.*measuring (.*)\.$/\1/; s/,//g' <<<"$ready"); do
    label="${entry%%=*}"
    pid="${entry#*=}"
    echo "$label $pid $(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -m1 '\.dll$' || echo '?')"
  done
}

# Runs one side's bench once and checks that it used that side's build.
run_side() {
  local side="$1" root="$2" expected="$3" round="$4"
  local json="$out/$side-$round.json" log="$out/$side-$round.log" seen="$out/$side-$round.processes"
  local bench="$root/bench/ExeSys.Bench/bin/Release/net10.0/ExeSys.Bench.dll" rc=0 started=$SECONDS
  echo "Round $round/$rounds, $side ($expected): running (output: $log) ..." >&2
  : >"$log"
  watch_processes "$log" >"$seen" &
  watcher=$!
  # --repo names the side's checkout although the tool would find it from its own location: that makes it explicit.
  (cd "$root" && exec dotnet "$bench" --repo "$root" --out "$json" "${bench_args[@]}") >"$log" 2>&1 &
  bench_pid=$!
  wait "$bench_pid" || rc=$?
  bench_pid=""
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  watcher=""
  if [[ $rc -ne 0 ]]; then
    tail -n 25 "$log" >&2
    if [[ $rc -eq 2 ]]; then
      die 2 "the bench of $side ($expected) rejected the options (exit 2; see above). Every option goes to both sides' bench, and A's may be older."
    fi
    die 1 "the bench run of $side ($expected), round $round, failed (exit $rc: a job failed, or a scenario or the bench could not run). Its output is $log."
  fi

  # Which binaries ran: the dll of every ExeSys process, then the checkout the bench says it started them from,
  # then the commit the JSON records for that checkout.
  local dlls from commit
  dlls="$(awk '{print $3}' "$seen")"
  if [[ -z "$dlls" ]] || grep -qvx -- "$root/ExeSys\.\(Api\|Worker\|Controller\)/bin/Release/net10\.0/ExeSys\.\(Api\|Worker\|Controller\)\.dll" <<<"$dlls"; then
    cat "$seen" >&2
    die 1 "$side round $round: the ExeSys processes above are not all from $root, or could not be read from /proc."
  fi
  from="$(sed -nE 's/^Starting redis-server, .* from (.*) \(Release\) \.\.\.$/\1/p' "$log")"
  [[ "$from" == "$root" ]] || die 1 "$side round $round: the bench started ExeSys from '$from', not $root."
  commit="$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["settings"]["commit"])' "$json")"
  [[ "${commit%%+*}" == "${expected%%+*}" ]] ||
    die 1 "$side round $round: the JSON says commit $commit, expected $expected."
  echo "Round $round/$rounds, $side ($expected): done in $((SECONDS - started)) s; ran $(awk '{print $1 "=" $2}' "$seen" | paste -sd' ') from $root" >&2
}

a_args=()
b_args=()
for ((round = 1; round <= rounds; round++)); do
  run_side A "$a_root" "$a_short" "$round"
  run_side B "$repo" "$b_name" "$round"
  a_args+=(--a "$out/A-$round.json")
  b_args+=(--b "$out/B-$round.json")
done

{
  echo "A/B benchmark, $stamp UTC: $rounds round(s), each A then B"
  echo "A = $a_short ($ref, built in a temporary worktree), B = $b_name (the working tree)"
  echo "bench options: ${bench_args[*]:-(none: the full run)}"
  echo "each side ran its own ExeSys.Bench and ExeSys binaries, checked in /proc/<pid>/cmdline of every ExeSys process:"
  echo "  A: $a_root/ExeSys.{Api,Worker,Controller}/bin/Release/net10.0 (the temporary worktree, now removed)"
  echo "  B: $repo/ExeSys.{Api,Worker,Controller}/bin/Release/net10.0"
  echo "JSON and output of every run: $out/"
  echo
  "$python" "$repo/bench/compare-report.py" "${a_args[@]}" "${b_args[@]}"
} | tee "$report"
echo "Table: $report" >&2
