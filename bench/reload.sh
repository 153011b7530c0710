#!/usr/bin/env bash
# Reload with 1,000 rules loaded: SIGHUP to new version serving, and p99 during repeated reloads against
# none (bench/reload.py says how). Builds Release first. Arguments go to reload.py.
#   bench/reload.sh [--rounds 3 --duration 8 --conns 64 --interval 1 --workers 1]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${IRULESD_BIN:-}   # a binary to use as it is; else build Release
if [ -z "$bin" ]; then
  "$root/bench/build.sh" irulesd
  bin=$root/build-release/irulesd
fi
exec /usr/bin/python3 "$root/bench/reload.py" --binary "$bin" "$@"
