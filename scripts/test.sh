#!/usr/bin/env bash
# Run the whole suite on SQLite, then again on a throwaway PostgreSQL 15 cluster that this script
# installs (Debian package), starts in a temp folder, and stops by PID on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

run_pytest() {
  # pytest exits 5 when it collected nothing: that is a failure here, not a pass.
  "$BIN/python" -m pytest "$@"
}

# System packages the suite needs, installed from Debian when missing: PostgreSQL for the second run,
# chromium for the browser journeys (never `playwright install`), a font that draws Chinese, Redis for
# the job-queue test.
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
[ -x /usr/bin/redis-server ] || need+=(redis-server)  # tests/jobs: a job through RedisHuey
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing from Debian: ${need[*]} =="
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

echo "== test suite on SQLite =="
run_pytest tests

PGDIR=$(mktemp -d /tmp/market-pg.XXXXXX)
PGPORT=$("$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if [ "$(id -u)" = 0 ]; then AS_PG=(runuser -u postgres --); chown postgres:postgres "$PGDIR"; else AS_PG=(); fi
cleanup() {
  if [ -f "$PGDIR/data/postmaster.pid" ]; then
    PID=$(head -n 1 "$PGDIR/data/postmaster.pid")
    kill -INT "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$PGDIR"
}
trap cleanup EXIT

"${AS_PG[@]}" "$PG_BIN/initdb" -D "$PGDIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
"${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGDIR -c fsync=off -c full_page_writes=off" start >/dev/null
echo "== test suite on PostgreSQL ($("$PG_BIN/postgres" --version | awk '{print $3}'), port $PGPORT) =="
MARKET_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres" run_pytest tests
