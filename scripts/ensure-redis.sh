#!/usr/bin/env bash
# Makes sure the redis-server binary is installed: each test file starts a server of its own
# on a free port (nothing here starts or touches a shared one). Installs Debian's
# redis-server as root when missing.
set -euo pipefail
command -v redis-server >/dev/null && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "redis-server is not installed, and installing it needs root: apt-get install redis-server" >&2
  exit 1
fi
echo "test setup: installing Debian's redis-server…" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
