#!/usr/bin/env bash
# `npm test`: a Postgres server (installed and started if missing) and the redis-server binary
# (installed if missing), Chromium for the cache page's browser test (installed if missing), then
# every test file (or the files named) on Node's test runner, and
# then the cached-gateway tests again on a Redis Cluster (`--cluster` runs only that pass: npm
# run test:cluster). Each test file makes and drops its own database, and starts and stops its
# own redis-server (or cluster of six).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-redis.sh
bash scripts/ensure-chromium.sh
TEST_PG_ADMIN_URL=$(bash scripts/ensure-postgres.sh)
export TEST_PG_ADMIN_URL
# The URL without its credentials: never print a password.
echo "tests use Postgres at $(echo "$TEST_PG_ADMIN_URL" | sed -E 's#//[^@]*@#//#')"

# A test file may take 5 minutes, or a long soak (SOAK_SECONDS) and 3 minutes for its setup.
timeout_s=$(( ${SOAK_SECONDS:-0} + 180 > 300 ? ${SOAK_SECONDS:-0} + 180 : 300 ))
run_tests() { node --import tsx --test --test-timeout=$(( timeout_s * 1000 )) --test-reporter=spec "$@"; }

# The cache and invalidation tests that use Redis, which run unchanged against one Redis or a
# cluster (TEST_REDIS=cluster: test/helpers/testRedis.ts); those that freeze or kill one
# redis-server skip. Not those on L1 alone (coldBatch, stampede, gatewayWrites, milestone):
# a cluster would change nothing in them.
cluster_files=(
  test/requestPath/{computed,failSafe,instances,responseTier,tiers}.test.ts
  test/invalidation/{busDelivery,busWatcher,everyInstance,outbox,writtenValues}.test.ts
  test/server/persistedQueries.test.ts test/faults/{herd,evictedVersion,chaosSoak}.test.ts
)
cluster_pass() {
  echo "the cache and invalidation tests and the chaos soak again, each on a Redis Cluster of its own (TEST_REDIS=cluster)"
  # The soak with the cluster's faults (a master killed, 17) for 30 s, within npm test's time
  # (`SOAK_SECONDS=300 npm run test:cluster` runs it longer).
  TEST_REDIS=cluster SOAK_SECONDS="${SOAK_SECONDS:-30}" run_tests "${cluster_files[@]}"
}

if [ "${1:-}" = "--cluster" ]; then cluster_pass; exit; fi
# Those named (npm run soak names one), or every test file and then the cluster pass.
if [ "$#" -gt 0 ]; then run_tests "$@"; exit; fi
mapfile -t files < <(find test -name '*.test.ts' | sort)
run_tests "${files[@]}"
cluster_pass
