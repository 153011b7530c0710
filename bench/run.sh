#!/usr/bin/env bash
# Side-by-side benchmark: irulesd (one rule on every request) against HAProxy and nginx, using
# ../shared/bench/compare.sh. Builds Release first. Extra arguments go to compare.sh.
#   bench/run.sh [--rounds 3 --conns 64,256 --duration 10 --pin ...]
#   IRULESD_RULE=thirty-line bench/run.sh ...      the 30-line rule (bench/rules/thirty-line.tcl)
#   IRULESD_WORKERS=2 bench/run.sh --targets haproxy2,haproxy-acl2,nginx2,candidate --candidate-cpus 0,1
#   bench/run.sh --header 'Connection: close'       new connections per second (see bench/new_connections.sh)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
compare=${COMPARE_SH:-$root/../shared/bench/compare.sh}
"$root/bench/build.sh" irulesd
workers=${IRULESD_WORKERS:-1}
rule=${IRULESD_RULE:-allow-ws}
exec "$compare" \
  --candidate "exec $root/bench/irulesd-candidate.sh $root/build-release/irulesd {PORT} {BACKEND1} {BACKEND2} {DIR} $workers $rule" \
  --candidate-name irulesd --targets haproxy,haproxy-acl,nginx,nginx-acl,candidate "$@"
