#!/usr/bin/env bash
# Side-by-side benchmark: irulesd (one rule on every request) against HAProxy and nginx, using
# ../shared/bench/compare.sh. Builds Release first. Extra arguments go to compare.sh.
#   bench/run.sh [--rounds 3 --conns 64,256 --duration 10 --pin ...]
#   IRULESD_RULE=thirty-line bench/run.sh ...      the 30-line rule (bench/rules/thirty-line.tcl)
#   IRULESD_WORKERS=2 bench/run.sh --targets haproxy2,haproxy-acl2,nginx2,candidate --candidate-cpus 0,1
#   bench/run.sh --header 'Connection: close'       new connections per second (see bench/new_connections.sh)
#   IRULESD_BIN=/tmp/irulesd-abc123 bench/run.sh ... that binary, no build
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
compare=${COMPARE_SH:-$root/../shared/bench/compare.sh}
# IRULESD_BIN: a binary to use as it is (e.g. a copy kept stable while others rebuild); else build Release.
bin=${IRULESD_BIN:-}
if [ -z "$bin" ]; then
  "$root/bench/build.sh" irulesd
  bin=$root/build-release/irulesd
fi
workers=${IRULESD_WORKERS:-1}
rule=${IRULESD_RULE:-allow-ws}
exec "$compare" \
  --candidate "exec $root/bench/irulesd-candidate.sh $bin {PORT} {BACKEND1} {BACKEND2} {DIR} $workers $rule" \
  --candidate-name irulesd --targets haproxy,haproxy-acl,nginx,nginx-acl,candidate "$@"
