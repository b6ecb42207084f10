# Shared shell helpers for scripts/test, scripts/test-db, scripts/dev and
# scripts/bench. Source it; it defines functions only.

# The local MongoDB-compatible engine for dev, tests and benchmarks:
# SecantusDB (WiredTiger, real indexes and query planner). GPL-2.0-only: it
# runs as a separate process and is never linked into the services.
SECANTUS_VERSION="0.5.3-beta.196"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# A free TCP port on 127.0.0.1 (only for fixed-port needs; servers started by
# the scripts bind port 0 and report the port they got).
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until something accepts TCP connections on 127.0.0.1:$1 (up to $2 s).
wait_for_port() {
  local port=$1 timeout=${2:-30} waited=0
  until python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; do
    sleep 0.2; waited=$((waited + 1))
    if [ "$waited" -ge $((timeout * 5)) ]; then return 1; fi
  done
  return 0
}

# Cargo's target directory (honours CARGO_TARGET_DIR and .cargo/config).
cargo_target_dir() {
  cargo metadata --format-version 1 --no-deps 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])'
}

# Where the SecantusDB binary is cached, per version, outside the clone so
# that every clone on the machine shares one build.
secantus_root() {
  echo "${SECANTUS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/carbon-platform/secantus-$SECANTUS_VERSION}"
}

# Prints the path of a working secantusd-rs binary, building it on the first
# run on a machine (about 17 minutes cold on 2 cores; cached afterwards).
# SECANTUS_BIN, when set, is used as it is.
ensure_secantus() {
  if [ -n "${SECANTUS_BIN:-}" ]; then
    [ -x "$SECANTUS_BIN" ] || die "SECANTUS_BIN=$SECANTUS_BIN is not an executable"
    echo "$SECANTUS_BIN"; return 0
  fi
  local root bin
  root=$(secantus_root)
  bin="$root/bin/secantusd-rs"
  if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
    echo "$bin"; return 0
  fi
  # WiredTiger is built from its bundled C sources: it needs cmake and a C compiler.
  if ! command -v cmake >/dev/null || ! command -v cc >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "installing cmake and a C compiler (to build SecantusDB)"
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake build-essential; } >&2
    else
      die "building SecantusDB needs cmake and a C compiler"
    fi
  fi
  log "building SecantusDB $SECANTUS_VERSION into $root (first run on this machine only; about 17 minutes on 2 cores)"
  # --ignore-rust-version: the crate declares rust-version 1.98 but builds and
  # runs on older toolchains. A private target dir keeps the workspace's clean.
  CARGO_TARGET_DIR="$root/build" cargo install secantus-mdb --version "=$SECANTUS_VERSION" \
    --locked --ignore-rust-version --root "$root" >&2 || die "building SecantusDB failed"
  rm -rf "$root/build"
  "$bin" --version >/dev/null 2>&1 || die "the SecantusDB build does not run"
  echo "$bin"
}

# start_secantus DATA_DIR PORT LOGFILE [EXTRA_ARGS...]: starts SecantusDB in
# the background on 127.0.0.1:PORT (0: any free port) and waits until it has
# bound. Sets SECANTUS_PID and SECANTUS_PORT (the port it actually bound).
start_secantus() {
  local dir=$1 port=$2 logfile=$3 bin i=0
  shift 3
  bin=$(ensure_secantus)
  mkdir -p "$dir"
  "$bin" --standalone --host 127.0.0.1 --port "$port" --storage-path "$dir" \
    --cache-size "${SECANTUS_CACHE_SIZE:-256M}" --log-level WARNING "$@" >"$logfile" 2>&1 &
  SECANTUS_PID=$!
  SECANTUS_PORT=""
  # It prints "secantusd-rs listening on HOST:PORT" once it has bound.
  until SECANTUS_PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$logfile" | head -1) \
        && [ -n "$SECANTUS_PORT" ]; do
    if ! kill -0 "$SECANTUS_PID" 2>/dev/null || [ "$i" -ge 300 ]; then
      cat "$logfile" >&2
      kill "$SECANTUS_PID" 2>/dev/null || true
      die "SecantusDB did not start (port $port, data in $dir)"
    fi
    sleep 0.1; i=$((i + 1))
  done
}

# stop_pid PID [TIMEOUT]: SIGTERM, then waits for the process to exit (so a
# database closes cleanly), SIGKILL after TIMEOUT seconds (default 20).
stop_pid() {
  local pid=$1 timeout=${2:-20} i=0
  kill "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 0.1; i=$((i + 1))
    if [ "$i" -ge $((timeout * 10)) ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
  done
  wait "$pid" 2>/dev/null || true
}

# Generates a 256-bit hex secret.
random_secret() {
  python3 -c 'import secrets; print(secrets.token_hex(32))'
}

# wait_http URL [TIMEOUT]: waits until URL answers 2xx.
wait_http() {
  local url=$1 timeout=${2:-60} i=0
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    sleep 0.25; i=$((i + 1))
    if [ "$i" -ge $((timeout * 4)) ]; then return 1; fi
  done
  return 0
}

# start_services BIN_DIR USER_URI CARBON_URI USER_PORT CARBON_PORT LOG_DIR
# Seeds the usage types, starts both services in the background, waits until
# both are healthy and sets USER_PID and CARBON_PID. JWT_SECRET (and any other
# setting) comes from the caller's environment.
start_services() {
  local bin=$1 user_uri=$2 carbon_uri=$3 user_port=$4 carbon_port=$5 logs=$6
  mkdir -p "$logs"
  MONGODB_URI="$carbon_uri" "$bin/carbon-service" seed
  local origins="http://localhost:$user_port,http://localhost:$carbon_port,http://127.0.0.1:$user_port,http://127.0.0.1:$carbon_port${WEB_ORIGINS:+,$WEB_ORIGINS}"
  CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS:-$origins}" PORT="$user_port" MONGODB_URI="$user_uri" \
    METRICS_ADDR="${USER_METRICS_ADDR:-}" \
    "$bin/user-service" >"$logs/user-service.log" 2>&1 &
  USER_PID=$!
  CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS:-$origins}" PORT="$carbon_port" MONGODB_URI="$carbon_uri" \
    AUTH_TOKEN_URL="${AUTH_TOKEN_URL:-http://localhost:$user_port/auth/jwt/login}" \
    METRICS_ADDR="${CARBON_METRICS_ADDR:-}" \
    "$bin/carbon-service" >"$logs/carbon-service.log" 2>&1 &
  CARBON_PID=$!
  wait_http "http://127.0.0.1:$user_port/readyz" 90 || { tail -20 "$logs/user-service.log" >&2; die "user-service did not become ready"; }
  wait_http "http://127.0.0.1:$carbon_port/readyz" 90 || { tail -20 "$logs/carbon-service.log" >&2; die "carbon-service did not become ready"; }
}

# uri_with_database URI NAME: replaces the database path of a mongodb:// URI.
uri_with_database() {
  python3 - "$1" "$2" <<'PY'
import sys
uri, name = sys.argv[1], sys.argv[2]
base, _, options = uri.partition('?')
scheme, _, rest = base.partition('://')
hosts = rest.split('/', 1)[0]
print(f"{scheme}://{hosts}/{name}" + (f"?{options}" if options else ""))
PY
}

# Makes Debian's chromium available, installing it as root where apt works.
# A browser test that cannot run is a failure, never a skip.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian's chromium for the browser tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 \
      || die "installing chromium failed"
  fi
  [ -x /usr/bin/chromium ] || die "the browser tests need Debian's chromium (apt-get install chromium, as root)"
}
