# Shared shell helpers for scripts/test, scripts/test-db, scripts/dev and
# scripts/bench. Source it; it defines functions only.

FERRETDB_VERSION="v1.24.2"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# A free TCP port on 127.0.0.1.
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

# Prints the path of a working FerretDB binary, building it when needed.
#
# `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` is tried
# first. Where that fails (the module proxy here refuses the version-list
# look-up `go install` makes) or yields a binary that panics at start (the
# module ships without build/version/version.txt), the module is downloaded
# with `go mod download`, copied, given its version file, and built.
ensure_ferretdb() {
  local gobin candidate
  gobin="$(go env GOPATH)/bin"
  for candidate in "${FERRETDB_BIN:-}" "$(command -v ferretdb || true)" "$gobin/ferretdb"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" --version >/dev/null 2>&1; then
      echo "$candidate"; return 0
    fi
  done
  command -v go >/dev/null || die "FerretDB is not installed and Go is not available to build it"
  log "installing FerretDB $FERRETDB_VERSION (first run only; a few minutes)"
  if GOFLAGS=-mod=mod go install "github.com/FerretDB/FerretDB/cmd/ferretdb@$FERRETDB_VERSION" >&2 2>/dev/null \
     && "$gobin/ferretdb" --version >/dev/null 2>&1; then
    echo "$gobin/ferretdb"; return 0
  fi
  local src work
  src=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') \
    || die "could not download the FerretDB module"
  work=$(mktemp -d)
  cp -r "$src"/. "$work"/ && chmod -R u+w "$work"
  echo "$FERRETDB_VERSION" > "$work/build/version/version.txt"
  mkdir -p "$gobin"
  (cd "$work" && GOFLAGS=-mod=mod go build -o "$gobin/ferretdb" ./cmd/ferretdb) >&2 \
    || die "building FerretDB failed"
  rm -rf "$work"
  "$gobin/ferretdb" --version >/dev/null 2>&1 || die "the FerretDB build does not run"
  echo "$gobin/ferretdb"
}

# start_ferretdb DATA_DIR PORT LOGFILE: starts FerretDB with its SQLite
# engine in the background and waits until it answers. Prints the PID.
start_ferretdb() {
  local dir=$1 port=$2 logfile=$3 bin pid
  bin=$(ensure_ferretdb)
  mkdir -p "$dir"
  "$bin" --listen-addr="127.0.0.1:$port" --handler=sqlite --sqlite-url="file:$dir/" \
    --state-dir="$dir" --telemetry=disable --debug-addr=- --log-level=warn >"$logfile" 2>&1 &
  pid=$!
  if ! wait_for_port "$port" 30; then
    cat "$logfile" >&2
    kill "$pid" 2>/dev/null
    die "FerretDB did not start on port $port"
  fi
  echo "$pid"
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
  local origins="http://localhost:$user_port,http://localhost:$carbon_port,http://127.0.0.1:$user_port,http://127.0.0.1:$carbon_port"
  CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS:-$origins}" PORT="$user_port" MONGODB_URI="$user_uri" \
    "$bin/user-service" >"$logs/user-service.log" 2>&1 &
  USER_PID=$!
  CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS:-$origins}" PORT="$carbon_port" MONGODB_URI="$carbon_uri" \
    AUTH_TOKEN_URL="${AUTH_TOKEN_URL:-http://localhost:$user_port/auth/jwt/login}" \
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

# Makes Debian's chromium available (installing it as root where apt works).
# Returns non-zero when it cannot be had.
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian's chromium for the browser test"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 || return 1
  fi
  [ -x /usr/bin/chromium ]
}
