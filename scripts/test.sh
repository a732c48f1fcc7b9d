#!/usr/bin/env bash
# `npm test`: a Postgres server (installed and started if missing) and the redis-server binary
# (installed if missing), then every test file (or the files named) on Node's test runner. Each test file makes
# and drops its own database, and starts and stops its own redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-redis.sh
TEST_PG_ADMIN_URL=$(bash scripts/ensure-postgres.sh)
export TEST_PG_ADMIN_URL
# The URL without its credentials: never print a password.
echo "tests use Postgres at $(echo "$TEST_PG_ADMIN_URL" | sed -E 's#//[^@]*@#//#')"

# Every test file, or those named (npm run soak names one).
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find test -name '*.test.ts' | sort); fi
exec node --import tsx --test --test-timeout=300000 --test-reporter=spec "${files[@]}"
