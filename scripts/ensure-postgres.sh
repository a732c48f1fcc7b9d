#!/usr/bin/env bash
# Makes sure a Postgres server the tests can use is running, and prints its admin URL.
# Order: $TEST_PG_ADMIN_URL if set; the local server on 127.0.0.1:5432; else install
# Debian's postgresql (as root), start its cluster and give the postgres role a password
# for TCP logins. Progress goes to stderr; only the URL goes to stdout.
set -euo pipefail

connects() { psql "$1" -Atqc 'SELECT 1' >/dev/null 2>&1; }

if [ -n "${TEST_PG_ADMIN_URL:-}" ]; then
  connects "$TEST_PG_ADMIN_URL" || { echo "TEST_PG_ADMIN_URL is set but does not connect: $TEST_PG_ADMIN_URL" >&2; exit 1; }
  echo "$TEST_PG_ADMIN_URL"; exit 0
fi

url=postgres://postgres@127.0.0.1:5432/postgres
with_password=postgres://postgres:postgres@127.0.0.1:5432/postgres
if command -v psql >/dev/null && connects "$url"; then echo "$url"; exit 0; fi
if command -v psql >/dev/null && connects "$with_password"; then echo "$with_password"; exit 0; fi

if ! command -v pg_ctlcluster >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    echo "No Postgres on 127.0.0.1:5432, and installing one needs root. Start one, or set TEST_PG_ADMIN_URL=postgres://user:pass@host:port/postgres" >&2
    exit 1
  fi
  echo "test setup: installing Debian's postgresql…" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

version=$(ls /etc/postgresql | sort -V | tail -n 1)
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "test setup: starting Postgres $version…" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if connects "$url"; then echo "$url"; exit 0; fi

# A fresh Debian cluster allows the postgres role by peer only; TCP logins need a password.
# 'postgres' is a development default of a server that listens on loopback only.
echo "test setup: giving the postgres role a password for TCP logins…" >&2
su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >&2
connects "$with_password" || { echo "Postgres is running but $with_password does not connect" >&2; exit 1; }
echo "$with_password"
