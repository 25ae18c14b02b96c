#!/usr/bin/env bash
# Starts ExeSys: builds it, makes sure a Redis server is there, then runs the API, the controller and the workers.
# Ctrl-C stops everything. Settings are in appsettings.json; environment variables override them:
#   ExeSys__Api__Urls          where the API listens            (default http://127.0.0.1:5000)
#   ExeSys__Redis__Connection  use this existing Redis server   (default: a private one on 127.0.0.1:6379)
#   EXESYS_WORKERS             how many worker processes        (default 2)
#   EXESYS_REDIS_PORT          port of the private Redis        (default 6379)
#   EXESYS_REDIS_APPENDFSYNC   the private Redis's AOF fsync: everysec (default) or always (nothing acknowledged
#                              is lost in a power cut, slower; see the README's Durability)
#   EXESYS_REDIS_USER          the user the private Redis runs as when the script runs as root (default: redis if
#                              that user exists, else nobody); as any other user it runs as that user
# The private Redis has a password, generated on the first start and kept in .data/redis.password (mode 0600); the
# processes get it as ExeSys__Redis__Password, never on a command line.
#
#   ./start_exe_sys.sh keys <args...>   runs 'dotnet ExeSys.Api.dll keys <args...>' (create, list, revoke API keys)
#                                       with the same Redis settings the processes get; it starts nothing.
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
password_file="$data/redis.password"
pids=()
started_redis=""
redis_password=""

say() { printf '[exesys] %s\n' "$*"; }
die() { printf '[exesys] error: %s\n' "$*" >&2; exit 1; }
bin() { echo "$root/ExeSys.$1/bin/Release/net10.0/ExeSys.$1.dll"; }
# redis-cli takes the password from REDISCLI_AUTH, so it never shows in 'ps'.
cli() { REDISCLI_AUTH="$redis_password" redis-cli --no-auth-warning -p "$redis_port" "$@" 2>/dev/null; }
# The password of the private Redis: made once (random, 256 bits), then reused, so a restart finds its Redis and data.
load_password() {
  if [[ ! -s "$password_file" ]]; then
    mkdir -p "$data"
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$password_file")
  fi
  chmod 600 "$password_file"
  redis_password="$(<"$password_file")"
}
# What answers on the private Redis's port: none, open (a Redis without a password: used as before), ours (it takes
# our password), or other (it wants a password that is not ours).
probe_redis() {
  local plain; plain="$(redis_password="" cli ping || true)"
  if [[ "$plain" == *PONG* ]]; then echo open
  elif [[ -z "$plain" ]]; then echo none
  elif [[ "$(cli ping || true)" == *PONG* ]]; then echo ours
  else echo other
  fi
}
redact() { sed -E 's/(password=)[^,]*/\1*****/Ig' <<<"$1"; }

# --- ./start_exe_sys.sh keys ...: the API's key command, on the Redis the processes use. Starts nothing. -----------
if [[ "${1:-}" == keys ]]; then
  shift
  command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is needed (https://dotnet.microsoft.com); 'dotnet' is not on PATH."
  if [[ ! -f "$(bin Api)" ]]; then
    say "building (Release)..." >&2
    dotnet build "$root/ExeSys.sln" -c Release -nologo -v quiet -clp:ErrorsOnly >&2 || die "the build failed (log above)."
  fi
  if [[ -z "${ExeSys__Redis__Connection:-}" ]]; then
    export ExeSys__Redis__Connection="127.0.0.1:$redis_port"
    load_password
    case "$(probe_redis)" in
      ours) export ExeSys__Redis__Password="$redis_password" ;;
      open) ;;
      none) die "no Redis answers on 127.0.0.1:$redis_port: start ExeSys first (./start_exe_sys.sh), or set ExeSys__Redis__Connection." ;;
      *) die "the Redis on 127.0.0.1:$redis_port wants a password other than the one in .data/redis.password." ;;
    esac
  fi
  exec dotnet "$(bin Api)" keys "$@"
fi

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
    cli shutdown >/dev/null || kill -TERM "$started_redis" 2>/dev/null || true
    wait "$started_redis" 2>/dev/null || true
  fi
  say "stopped."
}

# --- build ----------------------------------------------------------------------------------------------------
say "building (Release)..."
dotnet build "$root/ExeSys.sln" -c Release -nologo -v quiet -clp:ErrorsOnly >"$data.build.log" 2>&1 || {
  cat "$data.build.log" >&2; die "the build failed (log above)."; }
rm -f "$data.build.log"

mkdir -p "$logs" "$data/redis"
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

# --- Redis ----------------------------------------------------------------------------------------------------
if [[ -n "${ExeSys__Redis__Connection:-}" ]]; then
  say "using the Redis server named by ExeSys__Redis__Connection: $(redact "$ExeSys__Redis__Connection")"
else
  export ExeSys__Redis__Connection="127.0.0.1:$redis_port"
  install_redis
  load_password
  case "$(probe_redis)" in
    open)
      say "a Redis server without a password already answers on port $redis_port; using it." ;;
    ours)
      export ExeSys__Redis__Password="$redis_password"
      say "the private Redis already answers on port $redis_port; using it." ;;
    other)
      die "a Redis on port $redis_port wants a password, and the one in .data/redis.password is not it. Stop that Redis, or set EXESYS_REDIS_PORT or ExeSys__Redis__Connection." ;;
    none)
      # A private Redis with AOF on (fsync every second, or on every write with EXESYS_REDIS_APPENDFSYNC=always) in a
      # project-local directory: accepted jobs survive a restart. noeviction: a full Redis refuses writes (ExeSys answers
      # 503) rather than drop keys, and every ExeSys process refuses to run under an eviction policy. Its settings,
      # the password among them, go in on stdin from .data/redis.conf (0600), so 'ps' never shows the password.
      conf="$data/redis.conf"
      (umask 077 && cat >"$conf" <<CONF
port $redis_port
bind 127.0.0.1
dir .
appendonly yes
appendfsync $appendfsync
maxmemory-policy noeviction
save ""
daemonize no
logfile ""
requirepass $redis_password
CONF
      )
      : >>"$logs/redis.log"
      # As root, Redis runs as an unprivileged user, who owns its data. It starts inside .data/redis (dir .), so it
      # needs no access to the folders above it (the clone may live under a root-only home).
      run_as=()
      redis_user=""
      if [[ $(id -u) -eq 0 ]]; then
        redis_user="${EXESYS_REDIS_USER:-}"
        if [[ -z "$redis_user" ]]; then if id redis >/dev/null 2>&1; then redis_user=redis; else redis_user=nobody; fi; fi
        id "$redis_user" >/dev/null 2>&1 || die "EXESYS_REDIS_USER names '$redis_user', who is not a user here."
        command -v setpriv >/dev/null 2>&1 || die "setpriv (util-linux) is needed to run Redis as '$redis_user' rather than root: sudo apt-get install -y util-linux"
        chown -R "$(id -u "$redis_user"):$(id -g "$redis_user")" "$data/redis"
        run_as=(setpriv --reuid="$(id -u "$redis_user")" --regid="$(id -g "$redis_user")" --init-groups)
      fi
      (cd "$data/redis" && exec setsid "${run_as[@]}" redis-server - <"$conf") >>"$logs/redis.log" 2>&1 &
      started_redis=$!
      export ExeSys__Redis__Password="$redis_password"
      for _ in $(seq 1 50); do cli ping | grep -q PONG && break; sleep 0.1; done
      cli ping | grep -q PONG || die "Redis did not start; see $logs/redis.log"
      say "started a private Redis on 127.0.0.1:$redis_port (AOF on, appendfsync $appendfsync, data in .data/redis, password in .data/redis.password${redis_user:+, running as $redis_user})."
      ;;
  esac
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
