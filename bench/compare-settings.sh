#!/usr/bin/env bash
# A/B benchmark of two settings in one build: two ExeSys stacks side by side (each its own redis-server, controller,
# worker and API, from this checkout's Release build), A with the --a settings and B with the --b ones. Short bench
# runs alternate between them, the order flipped every round, so a slow spell of a shared machine falls on both; the
# stacks stay up between runs, so each run is short and the alternation fine-grained. The table (medians, B/A, every
# round) goes to stdout and to bench-results/compare-settings-<UTC timestamp>.txt; bench/README.md ("Comparing two
# settings") explains it.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

usage() {
  cat <<'EOF'
bench/compare-settings.sh: A/B benchmark of two settings of one build, on two stacks side by side.

Usage: bench/compare-settings.sh [--a KEY=VALUE]... [--b KEY=VALUE]... [--rounds N] [--stack-warmup-seconds N] [bench options]

  --a KEY=VALUE   an environment variable for stack A's processes (repeatable), e.g. --a ExeSys__Metrics__Enabled=false
  --b KEY=VALUE   the same for stack B; a side with none runs the defaults
  --rounds N      rounds of one A run and one B run, the order flipped every round (default 10)
  --stack-warmup-seconds N
                  one unmeasured no-op load on each stack before the first round, for the JIT (default 15)
  --help          this text

Every other option goes to each bench run (bench/run.sh --help lists them). The default is
  --scenario noop,latency --jobs 30000 --samples 2000 --warmup-seconds 3 --no-round-trips
and any bench option given replaces the whole default, e.g.
  bench/compare-settings.sh --a ExeSys__Metrics__Enabled=false \
    --b ExeSys__Metrics__OtlpEndpoint=http://127.0.0.1:4318/v1/metrics \
    --b ExeSys__Tracing__OtlpEndpoint=http://127.0.0.1:4318/v1/traces --b OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
  bench/compare-settings.sh --rounds 1 --stack-warmup-seconds 0 --smoke     # checks that the comparison works
Not allowed, because this script sets them: --api, --redis, --repo, --out, --configuration, --set (use --a/--b).

Output: the table on stdout and in bench-results/compare-settings-<UTC timestamp>.txt; each run's JSON and output, and
each stack's process logs, in bench-results/compare-settings-<UTC timestamp>/.
Exit code: 0 when every run passed; 1 when the build, a stack or a bench run failed; 2 for a bad command line.
EOF
}

die() {
  local code="$1"
  shift
  echo "compare-settings.sh: $*" >&2
  exit "$code"
}

rounds=10
stack_warmup=15
a_env=()
b_env=()
bench_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --a | --b)
      [[ $# -ge 2 && "$2" == ?*=* ]] || die 2 "$1 needs KEY=VALUE, e.g. $1 ExeSys__Metrics__Enabled=false."
      if [[ "$1" == --a ]]; then a_env+=("$2"); else b_env+=("$2"); fi
      shift 2
      ;;
    --rounds)
      [[ $# -ge 2 ]] || die 2 "--rounds needs a value."
      rounds="$2"
      shift 2
      ;;
    --stack-warmup-seconds)
      [[ $# -ge 2 ]] || die 2 "--stack-warmup-seconds needs a value."
      stack_warmup="$2"
      shift 2
      ;;
    --api | --api=* | --redis | --redis=* | --repo | --repo=* | --out | --out=* | --configuration | --configuration=* | --set | --set=*)
      die 2 "$1: compare-settings.sh sets that itself (each side's stack, its own JSON file, Release); give settings with --a and --b." ;;
    *) bench_args+=("$1"); shift ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die 2 "--rounds must be a whole number of 1 or more; got '$rounds'."
[[ "$stack_warmup" =~ ^[0-9]+$ ]] || die 2 "--stack-warmup-seconds must be a whole number of seconds; got '$stack_warmup'."
if [[ ${#bench_args[@]} -eq 0 ]]; then
  bench_args=(--scenario noop,latency --jobs 30000 --samples 2000 --warmup-seconds 3 --no-round-trips)
fi

python=/usr/bin/python3
for tool in dotnet redis-server "$python"; do
  command -v "$tool" >/dev/null || die 1 "$tool is not installed; compare-settings.sh needs the .NET 10 SDK, redis-server and $python."
done

stamp="$(date -u +%Y%m%d-%H%M%S)"
results="$repo/bench-results"
out="$results/compare-settings-$stamp"
report="$results/compare-settings-$stamp.txt"
mkdir -p "$out"

echo "Building $repo/ExeSys.sln (Release) ..." >&2
if ! dotnet build "$repo/ExeSys.sln" -c Release -nologo >"$out/build.log" 2>&1; then
  grep -E ': error |error\(s\)' "$out/build.log" >&2 || tail -n 30 "$out/build.log" >&2
  die 1 "the build failed; its log is $out/build.log."
fi

pids=()
bench_pid=""
cleanup() {
  if [[ -n "$bench_pid" ]]; then
    kill -TERM "$bench_pid" 2>/dev/null || true
  fi
  if [[ ${#pids[@]} -gt 0 ]]; then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'echo "compare-settings.sh: interrupted; both stacks are stopped." >&2; exit 130' INT
trap 'exit 143' TERM

free_port() {
  "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# One stack: redis-server, then the controller, the worker and the API with the bench's own settings (as bench/run.sh
# starts them) and the side's. Sets <side>_api and <side>_redis.
start_stack() {
  local side="$1"
  shift
  local dir="$out/stack-$side" redis_port api_port
  mkdir -p "$dir"
  redis_port="$(free_port)"
  api_port="$(free_port)"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" >"$dir/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 || die 1 "stack $side: redis-server did not start; its log is $dir/redis.log."
  local environment=(
    "ExeSys__Redis__Connection=127.0.0.1:$redis_port" ExeSys__Redis__KeyPrefix=exesys "ExeSys__Api__Urls=http://127.0.0.1:$api_port"
    ExeSys__Functions__TestCmdMaxDelayMs=0 ExeSys__Jobs__EventRetention=00:00:05 ExeSys__Jobs__EventRecheck=00:00:02
    Logging__LogLevel__Default=Warning Logging__LogLevel__Microsoft.Hosting.Lifetime=Warning DOTNET_CLI_TELEMETRY_OPTOUT=1 "$@")
  local process
  for process in Controller Worker Api; do
    env "${environment[@]}" dotnet "$repo/ExeSys.$process/bin/Release/net10.0/ExeSys.$process.dll" >"$dir/$process.log" 2>&1 &
    pids+=($!)
  done
  printf -v "${side}_api" '%s' "http://127.0.0.1:$api_port"
  printf -v "${side}_redis" '%s' "127.0.0.1:$redis_port"
  echo "Stack $side: API http://127.0.0.1:$api_port, Redis 127.0.0.1:$redis_port, settings: ${*:-(the defaults)}" >&2
}

A_api="" A_redis="" B_api="" B_redis=""
start_stack A "${a_env[@]}"
start_stack B "${b_env[@]}"

# One bench run against one stack (the bench waits until that stack is ready); its Redis is emptied afterwards, so
# every run starts from the same state.
run_side() {
  local side="$1" round="$2" api redis json log
  shift 2
  api="${side}_api"
  redis="${side}_redis"
  json="$out/$side-$round.json"
  log="$out/$side-$round.log"
  "$repo/bench/run.sh" --api "${!api}" --redis "${!redis}" "$@" --out "$json" >"$log" 2>&1 &
  bench_pid=$!
  if ! wait "$bench_pid"; then
    bench_pid=""
    tail -n 20 "$log" >&2
    die 1 "$side round $round: the bench run failed; its output is $log, the stack's logs are in $out/stack-$side/."
  fi
  bench_pid=""
  redis-cli -h "${!redis%:*}" -p "${!redis##*:}" flushall >/dev/null
}

if [[ "$stack_warmup" -gt 0 ]]; then
  for side in A B; do
    echo "Warming stack $side up: no-op load for $stack_warmup s ..." >&2
    run_side "$side" 0 --scenario noop --jobs 1000 --warmup-seconds "$stack_warmup" --no-round-trips
  done
fi

a_args=()
b_args=()
for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then order=(A B); else order=(B A); fi
  for side in "${order[@]}"; do
    run_side "$side" "$round" "${bench_args[@]}"
  done
  echo "Round $round/$rounds done (${order[0]} first)." >&2
  a_args+=(--a "$out/A-$round.json")
  b_args+=(--b "$out/B-$round.json")
done

{
  echo "A/B benchmark of settings, $stamp UTC: $rounds round(s), the order flipped every round; one build ($(git -C "$repo" rev-parse --short HEAD))"
  echo "A: ${a_env[*]:-(the defaults)}"
  echo "B: ${b_env[*]:-(the defaults)}"
  echo "bench options: ${bench_args[*]}"
  echo "JSON and output of every run, and each stack's logs: $out/"
  echo
  "$python" "$repo/bench/compare-report.py" "${a_args[@]}" "${b_args[@]}"
} | tee "$report"
echo "Table: $report" >&2
