#!/usr/bin/env bash
# The local AWS emulator (ministack, pinned) for the contract and rehearsal tests.
#
#   scripts/emulator.sh start   install (once) and start it on 127.0.0.1:<free port>; reuse a running one
#   scripts/emulator.sh env     start if needed, then print `export …` lines:  eval "$(scripts/emulator.sh env)"
#   scripts/emulator.sh stop    stop it
#   scripts/emulator.sh status  print the endpoint when running (exit 1 otherwise)
#
# Listens on 127.0.0.1 only (never 0.0.0.0). State: .venv/emulator (venv), .emulator/ (pid, port, log).
set -euo pipefail

MINISTACK_VERSION="1.5.33"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv/emulator"
STATE="$ROOT/.emulator"
PID_FILE="$STATE/pid"
PORT_FILE="$STATE/port"
LOG_FILE="$STATE/ministack.log"
HOST="127.0.0.1"
REGION="ap-south-1"

log() { echo "emulator: $*" >&2; }

healthy() { # port
  python3 - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_ministack/health", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

running() { # true when our emulator is up and healthy; sets PORT
  [[ -f "$PID_FILE" && -f "$PORT_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  PORT="$(cat "$PORT_FILE")"
  [[ "$pid" =~ ^[0-9]+$ && "$PORT" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  healthy "$PORT"
}

install() {
  if [[ -x "$VENV/bin/ministack" ]] && "$VENV/bin/pip" show ministack 2>/dev/null | grep -qx "Version: $MINISTACK_VERSION"; then
    return 0
  fi
  log "installing ministack==$MINISTACK_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "ministack==$MINISTACK_VERSION" >&2
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  if running; then
    log "already running on $HOST:$PORT"
    return 0
  fi
  install
  mkdir -p "$STATE"
  PORT="$(free_port)"
  log "starting on $HOST:$PORT (log: $LOG_FILE)"
  # setsid: its own process group, so `stop` ends it and anything it spawned (Lambda workers).
  BIND_HOST="$HOST" GATEWAY_PORT="$PORT" setsid "$VENV/bin/ministack" >"$LOG_FILE" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  echo "$PORT" >"$PORT_FILE"
  local deadline=$((SECONDS + 30))
  until healthy "$PORT"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "ministack exited; last log lines:"
      tail -n 20 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE" "$PORT_FILE"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "not healthy after 30 s; stopping it"
      stop
      return 1
    fi
    sleep 0.2
  done
  log "ready on $HOST:$PORT"
}

stop() {
  if [[ -f "$PID_FILE" ]]; then
    local pid
    pid="$(cat "$PID_FILE")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      log "stopped (pid $pid)"
    fi
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
}

print_env() {
  start
  cat <<EOF
export WAPIPE_EMULATOR_ENDPOINT=http://$HOST:$PORT
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=$REGION
EOF
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  status)
    if running; then echo "http://$HOST:$PORT"; else exit 1; fi
    ;;
  *)
    echo "usage: $0 start|stop|env|status" >&2
    exit 2
    ;;
esac
