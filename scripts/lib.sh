# Shared shell helpers for scripts/test, scripts/test-db, scripts/test-stack,
# scripts/dev and scripts/bench. Source it; it defines functions only.
# shellcheck shell=bash

# The local MongoDB-compatible engine for dev, tests and benchmarks:
# SecantusDB (WiredTiger, real indexes and query planner). GPL-2.0-only: it
# runs as a separate process and is never linked into the services.
SECANTUS_VERSION="0.5.3-beta.196"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# phase NAME: ends the current phase (its seconds go to PHASES_FILE, when
# set) and starts NAME. `phase ""` only ends the current one.
PHASE_NAME="" PHASE_START=$SECONDS
phase() {
  if [ -n "$PHASE_NAME" ] && [ -n "${PHASES_FILE:-}" ]; then
    printf '%s\t%s\n' "$PHASE_NAME" "$((SECONDS - PHASE_START))" >>"$PHASES_FILE"
  fi
  PHASE_NAME=$1 PHASE_START=$SECONDS
}

# Prints the phases recorded in PHASES_FILE and their total.
phase_report() {
  [ -n "${PHASES_FILE:-}" ] && [ -s "$PHASES_FILE" ] || return 0
  log "phase timings"
  awk -F'\t' '{ printf "  %-34s %4dm%02ds\n", $1, $2 / 60, $2 % 60; total += $2 }
    END { printf "  %-34s %4dm%02ds\n", "total", total / 60, total % 60 }' "$PHASES_FILE" >&2
}

# Processes started through these helpers, in start order. stop_all stops
# them in reverse (services before their databases). A script registers
# `trap stop_all EXIT` before it starts anything, so a failure half-way
# (a readiness check that times out) still stops what did start.
PIDS=()

# track PID: adds a started process to PIDS.
track() { PIDS+=("$1"); }

stop_all() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
  PIDS=()
}

# apt_install PACKAGE...: installs Debian packages as root where apt works;
# dies naming them otherwise.
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing $* (Debian)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"; } >&2 \
      || die "installing $* failed"
  else
    die "this needs the Debian packages: $* (apt-get install $*, as root)"
  fi
}

# Whether something accepts TCP connections on 127.0.0.1:$1 (bash's own
# /dev/tcp, no other tool needed).
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A free TCP port on 127.0.0.1, for servers that must know each other's
# address before they start (the web app and the APIs it names in CORS).
# Servers that can bind port 0 and report the port do that instead.
# Below Linux's ephemeral range (32768 and up by default): a port there can
# be taken between this check and the bind by any outgoing connection's
# local end (seen once: a database client's socket took user-service's).
free_port() {
  local port _
  for _ in $(seq 100); do
    port=$((20000 + RANDOM % 12000))
    if ! port_open "$port"; then echo "$port"; return 0; fi
  done
  die "found no free port"
}

# Waits until something accepts TCP connections on 127.0.0.1:$1 (up to $2 s).
wait_for_port() {
  local port=$1 timeout=${2:-30} waited=0
  until port_open "$port"; do
    sleep 0.2; waited=$((waited + 1))
    if [ "$waited" -ge $((timeout * 5)) ]; then return 1; fi
  done
  return 0
}

# Cargo's target directory (honours CARGO_TARGET_DIR and .cargo/config).
cargo_target_dir() {
  cargo metadata --format-version 1 --no-deps 2>/dev/null \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p'
}

# Where the SecantusDB binary is cached, per version, outside the clone so
# that every clone on the machine shares one build.
secantus_root() {
  echo "${SECANTUS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/carbon-platform/secantus-$SECANTUS_VERSION}"
}

# Prints the path of a working secantusd-rs binary, building it on the first
# run on a machine (4 to 10 minutes on 2 cores; cached afterwards).
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
    apt_install cmake build-essential
  fi
  log "building SecantusDB $SECANTUS_VERSION into $root (first run on this machine only; 4 to 10 minutes on 2 cores)"
  # --ignore-rust-version: the crate declares rust-version 1.98 but builds and
  # runs on older toolchains. A private target dir keeps the workspace's clean.
  CARGO_TARGET_DIR="$root/build" cargo install secantus-mdb --version "=$SECANTUS_VERSION" \
    --locked --ignore-rust-version --root "$root" >&2 || die "building SecantusDB failed"
  rm -rf "$root/build"
  "$bin" --version >/dev/null 2>&1 || die "the SecantusDB build does not run"
  echo "$bin"
}

# start_secantus DATA_DIR PORT LOGFILE [EXTRA_ARGS...]: starts SecantusDB in
# the background on 127.0.0.1:PORT (0: any free port), tracked, and waits
# until it has bound. Sets SECANTUS_PID and SECANTUS_PORT (the port it
# actually bound).
#
# --sync-on-commit: without it SecantusDB acknowledges a commit (even under
# w:majority, j:true) before its write-ahead log reaches the operating
# system, and a killed process loses acknowledged writes (measured: 33 to
# 126 of them in 1.5 s, bench/secantus_unsynced_commit.py). With it, none.
# SECANTUS_SYNC_ON_COMMIT=0 leaves it out, for scripts/bench's comparison only.
start_secantus() {
  local dir=$1 port=$2 logfile=$3 bin i=0 sync=(--sync-on-commit)
  shift 3
  bin=$(ensure_secantus)
  mkdir -p "$dir"
  [ "${SECANTUS_SYNC_ON_COMMIT:-1}" = 0 ] && sync=()
  "$bin" --host 127.0.0.1 --port "$port" --storage-path "$dir" "${sync[@]}" \
    --cache-size "${SECANTUS_CACHE_SIZE:-1G}" --log-level WARNING "$@" >"$logfile" 2>&1 &
  SECANTUS_PID=$!
  track "$SECANTUS_PID"
  SECANTUS_PORT=""
  # It prints "secantusd-rs listening on HOST:PORT" once it has bound.
  until SECANTUS_PORT=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$logfile" | head -1) \
        && [ -n "$SECANTUS_PORT" ]; do
    if ! kill -0 "$SECANTUS_PID" 2>/dev/null || [ "$i" -ge 300 ]; then
      cat "$logfile" >&2
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
  if command -v openssl >/dev/null; then
    openssl rand -hex 32
  else
    od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
  fi
}

# A short random id (10 hex digits), for names that must not collide.
random_id() {
  od -An -N5 -tx1 /dev/urandom | tr -d ' \n'
}

# json_field NAME: the string value of "NAME" in the JSON on stdin (a flat
# object such as a token answer).
json_field() {
  sed -n "s/.*\"$1\" *: *\"\\([^\"]*\\)\".*/\\1/p"
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
# Seeds the usage types (the EPA Hub 2025; with SEED_EXAMPLES=1 the
# illustrative examples too, which the tests, the benchmark and the web
# journey use), starts both services in the background (tracked),
# waits until both are healthy and sets USER_PID and CARBON_PID. JWT_SECRET
# (and any other setting) comes from the caller's environment.
start_services() {
  local bin=$1 user_uri=$2 carbon_uri=$3 user_port=$4 carbon_port=$5 logs=$6
  mkdir -p "$logs"
  MONGODB_URI="$carbon_uri" "$bin/carbon-service" seed ${SEED_EXAMPLES:+--examples}
  local origins="http://localhost:$user_port,http://localhost:$carbon_port,http://127.0.0.1:$user_port,http://127.0.0.1:$carbon_port${WEB_ORIGINS:+,$WEB_ORIGINS}"
  CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS:-$origins}" PORT="$user_port" MONGODB_URI="$user_uri" \
    METRICS_ADDR="${USER_METRICS_ADDR:-}" \
    "$bin/user-service" >"$logs/user-service.log" 2>&1 &
  USER_PID=$!
  track "$USER_PID"
  CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS:-$origins}" PORT="$carbon_port" MONGODB_URI="$carbon_uri" \
    AUTH_TOKEN_URL="${AUTH_TOKEN_URL:-http://localhost:$user_port/auth/jwt/login}" \
    METRICS_ADDR="${CARBON_METRICS_ADDR:-}" \
    "$bin/carbon-service" >"$logs/carbon-service.log" 2>&1 &
  CARBON_PID=$!
  track "$CARBON_PID"
  wait_http "http://127.0.0.1:$user_port/readyz" 90 || { tail -20 "$logs/user-service.log" >&2; die "user-service did not become ready"; }
  wait_http "http://127.0.0.1:$carbon_port/readyz" 90 || { tail -20 "$logs/carbon-service.log" >&2; die "carbon-service did not become ready"; }
}

# uri_with_database URI NAME: replaces the database path of a mongodb:// URI,
# keeping its options.
uri_with_database() {
  local uri=$1 name=$2 base options="" scheme rest hosts
  base=${uri%%\?*}
  [ "$base" != "$uri" ] && options="?${uri#*\?}"
  scheme=${base%%://*}
  rest=${base#*://}
  hosts=${rest%%/*}
  echo "$scheme://$hosts/$name$options"
}

# Makes Debian's chromium available, installing it as root where apt works.
# A browser test that cannot run is a failure, never a skip.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  apt_install chromium
  [ -x /usr/bin/chromium ] || die "the browser tests need Debian's chromium (apt-get install chromium, as root)"
}
