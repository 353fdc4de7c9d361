#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server on 127.0.0.1 (STACK.md §7 B).
# Exports MATCHER_TEST_POSTGRES_URL for the tests; stops and removes the server after.
# Without PostgreSQL binaries the command still runs (the postgres tests then skip,
# and fail in CI where CI=true).
set -uo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "${PGBIN}" ] || [ ! -x "${PGBIN}/initdb" ]; then
  echo "with_postgres: no PostgreSQL binaries; running without" >&2
  exec "$@"
fi
PGROOT=$(mktemp -d)
PGPORT=${PGPORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')}
RUN=()
if [ "$(id -u)" = "0" ]; then
  chown postgres:postgres "$PGROOT"; chmod 700 "$PGROOT"
  RUN=(runuser -u postgres --)
fi
cleanup() {
  "${RUN[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PGROOT"
}
trap cleanup EXIT
"${RUN[@]}" "$PGBIN/initdb" -D "$PGROOT/data" -U postgres -A trust -E UTF8 --no-instructions >/dev/null
"${RUN[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGROOT -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
"${RUN[@]}" "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE ROLE matcher LOGIN PASSWORD 'matcher'" -c "CREATE DATABASE matcher OWNER matcher" >/dev/null
export MATCHER_TEST_POSTGRES_URL="postgresql+psycopg://matcher:matcher@127.0.0.1:$PGPORT/matcher"
echo "with_postgres: PostgreSQL on 127.0.0.1:$PGPORT"
"$@"
status=$?
exit $status
