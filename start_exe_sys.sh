#!/usr/bin/env bash
# Starts ExeSys: builds it, makes sure a Redis server is there, then runs the API, the controller and the workers.
# Ctrl-C stops everything. Settings are in appsettings.json; environment variables override them:
#   ExeSys__Api__Urls          where the API listens            (default http://127.0.0.1:5000)
#   ExeSys__Redis__Connection  use this existing Redis server   (default: a private one on 127.0.0.1:6379)
#   EXESYS_WORKERS             how many worker processes        (default 2)
#   EXESYS_REDIS_PORT          port of the private Redis        (default 6379)
#   EXESYS_REDIS_APPENDFSYNC   the private Redis's AOF fsync: everysec (default) or always (nothing acknowledged
#                              is lost in a power cut, slower; see the README's Durability)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
data="$root/.data"
logs="$data/logs"
workers="${EXESYS_WORKERS:-2}"
api_url="${ExeSys__Api__Urls:-http://127.0.0.1:5000}"
api_url="${api_url%%;*}"
redis_port="${EXESYS_REDIS_PORT:-6379}"
appendfsync="${EXESYS_REDIS_APPENDFSYNC:-everysec}"
pids=()
started_redis=""

say() { printf '[exesys] %s\n' "$*"; }
die() { printf '[exesys] error: %s\n' "$*" >&2; exit 1; }

[[ "$workers" =~ ^[0-9]+$ && "$workers" -ge 1 ]] || die "EXESYS_WORKERS must be a whole number >= 1, got '$workers'."
[[ "$appendfsync" == everysec || "$appendfsync" == always ]] || die "EXESYS_REDIS_APPENDFSYNC must be everysec or always, got '$appendfsync'."

# --- an instance already running? Running the script twice must not break the first one. -----------------------
if curl -fsS -m 2 "$api_url/health/live" >/dev/null 2>&1; then
  say "ExeSys is already running at $api_url (Swagger: $api_url/swagger). Not starting a second copy."
  say "To run another instance beside it, set ExeSys__Api__Urls to another address."
  exit 0
fi

# --- prerequisites --------------------------------------------------------------------------------------------
command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is needed (https://dotnet.microsoft.com); 'dotnet' is not on PATH."
command -v curl >/dev/null 2>&1 || die "curl is needed: sudo apt-get install -y curl"

install_redis() {
  if command -v redis-server >/dev/null 2>&1; then return; fi
  if command -v apt-get >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]]; then
      say "redis-server is missing; installing it with apt-get."
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
      return
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      say "redis-server is missing; installing it with sudo apt-get."
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
      return
    fi
  fi
  die "redis-server is missing. Install it with: sudo apt-get update && sudo apt-get install -y redis-server"
}

stop_all() {
  trap - INT TERM EXIT
  say "stopping ExeSys..."
  if [[ ${#pids[@]} -gt 0 ]]; then
    kill -TERM "${pids[0]}" 2>/dev/null || true
    wait "${pids[0]}" 2>/dev/null || true
    for pid in "${pids[@]:1}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]:1}"; do wait "$pid" 2>/dev/null || true; done
  fi
  if [[ -n "$started_redis" ]]; then
    redis-cli -p "$redis_port" shutdown >/dev/null 2>&1 || kill -TERM "$started_redis" 2>/dev/null || true
    wait "$started_redis" 2>/dev/null || true
  fi
  say "stopped."
}

# --- build ----------------------------------------------------------------------------------------------------
say "building (Release)..."
dotnet build "$root/ExeSys.sln" -c Release -nologo -v quiet -clp:ErrorsOnly >"$data.build.log" 2>&1 || {
  cat "$data.build.log" >&2; die "the build failed (log above)."; }
rm -f "$data.build.log"
bin() { echo "$root/ExeSys.$1/bin/Release/net10.0/ExeSys.$1.dll"; }

mkdir -p "$logs" "$data/redis"
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

# --- Redis ----------------------------------------------------------------------------------------------------
if [[ -n "${ExeSys__Redis__Connection:-}" ]]; then
  say "using the Redis server named by ExeSys__Redis__Connection: $ExeSys__Redis__Connection"
else
  export ExeSys__Redis__Connection="127.0.0.1:$redis_port"
  install_redis
  if redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG; then
    say "a Redis server already answers on port $redis_port; using it."
  else
    # A private Redis with AOF on (fsync every second, or on every write with EXESYS_REDIS_APPENDFSYNC=always) in a
    # project-local directory: accepted jobs survive a restart. noeviction: a full Redis refuses writes (ExeSys answers
    # 503) rather than drop keys, and every ExeSys process refuses to run under an eviction policy.
    setsid redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$data/redis" \
      --appendonly yes --appendfsync "$appendfsync" --maxmemory-policy noeviction --save "" --daemonize no --logfile "$logs/redis.log" &
    started_redis=$!
    for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
    redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG || die "Redis did not start; see $logs/redis.log"
    say "started a private Redis on 127.0.0.1:$redis_port (AOF on, appendfsync $appendfsync, data in .data/redis)."
  fi
fi

# --- ExeSys processes -----------------------------------------------------------------------------------------
export ExeSys__Api__Urls="$api_url"
# Each process runs in its own session (setsid), so Ctrl-C reaches only this script, which then stops them in order:
# the API first, then workers (which finish or give back their jobs) and the controller, and Redis last.
setsid dotnet "$(bin Api)" >"$logs/api.log" 2>&1 & pids+=($!)
setsid dotnet "$(bin Controller)" >"$logs/controller.log" 2>&1 & pids+=($!)
for i in $(seq 1 "$workers"); do
  ExeSys__Worker__Id="worker-$i-$$" setsid dotnet "$(bin Worker)" >"$logs/worker-$i.log" 2>&1 & pids+=($!)
done

for _ in $(seq 1 100); do
  ready="$(curl -fsS -m 2 "$api_url/health/ready" 2>/dev/null || true)"
  [[ "$ready" == *'"workers":'[1-9]* ]] && break
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$logs"/*.log >&2; die "an ExeSys process exited at start-up (logs above, all in .data/logs)."; }
  done
  sleep 0.2
done
[[ "${ready:-}" == *'"workers":'[1-9]* ]] || die "ExeSys did not become ready; see the logs in .data/logs"

say "ExeSys is running: $workers worker(s), 1 controller."
say "  API:      $api_url/sys_cmd"
say "  Swagger:  $api_url/swagger"
say "  Health:   $api_url/health/ready"
say "  Logs:     .data/logs/"
say "Press Ctrl-C to stop."

# Stay in the foreground until Ctrl-C, or until any process dies (then stop the rest).
wait -n "${pids[@]}" || true
say "a process exited unexpectedly; see .data/logs."
exit 1
