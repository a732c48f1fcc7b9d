#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed, for the test that opens the live cache page in a
# headless browser (test/operations/cachePage.test.ts, through playwright-core). Installs the
# `chromium` package as root when missing.
set -euo pipefail
command -v chromium >/dev/null && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "chromium is not installed, and installing it needs root: apt-get install chromium" >&2
  exit 1
fi
echo "test setup: installing Debian's chromium (for the cache page's browser test)…" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
