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
    [ "$waited" -ge $((timeout * 5)) ] && return 1
  done
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
