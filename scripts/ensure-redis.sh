#!/usr/bin/env bash
# Makes sure the redis-server and redis-cli binaries are installed: each test file starts a
# server (or a cluster, which redis-cli creates) of its own on free ports (nothing here starts
# or touches a shared one). Installs Debian's redis-server (redis-cli comes with it, in
# redis-tools) as root when missing.
set -euo pipefail
command -v redis-server >/dev/null && command -v redis-cli >/dev/null && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "redis-server or redis-cli is not installed, and installing them needs root: apt-get install redis-server redis-tools" >&2
  exit 1
fi
echo "test setup: installing Debian's redis-server…" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >&2
