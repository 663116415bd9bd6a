#!/usr/bin/env bash
# N app servers behind nginx on PORT (default 8080), from this checkout, in the foreground:
#   deploy/serve.sh N [PORT] [-- APP OPTIONS]
# Prints "server PORT PID" per app server once it is ready, then "nginx PORT PID" and "ready URL".
# SIGTERM or Ctrl-C stops everything it started. See deploy/serve.py.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 deploy/serve.py "$@"
