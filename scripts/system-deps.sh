#!/usr/bin/env bash
# Debian packages the test suite needs (redis-server for the shared rate limit and Celery tests,
# postgresql for the shared store and Celery tests, chromium for the builder's browser tests).
# Installs only what is missing; the tests start their own servers (temp dirs, free ports).
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Debian keeps initdb and postgres in /usr/lib/postgresql/<version>/bin, off PATH.
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  need+=(postgresql)
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "missing ${need[*]}: install them (sudo apt-get install ${need[*]}) or run as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# The Debian postgresql package creates a cluster and may try to start it; the tests never use it.
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
