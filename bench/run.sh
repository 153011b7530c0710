#!/usr/bin/env bash
# Side-by-side benchmark: irulesd (allow-ws rule on every request) against HAProxy and nginx, using
# ../shared/bench/compare.sh. Builds Release first. Extra arguments go to compare.sh.
#   bench/run.sh [--rounds 3 --conns 64,256 --duration 10 --pin ...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
compare=${COMPARE_SH:-$root/../shared/bench/compare.sh}
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$root/build-release" -j2 --target irulesd >/dev/null
workers=${IRULESD_WORKERS:-1}
exec "$compare" \
  --candidate "exec $root/bench/irulesd-candidate.sh $root/build-release/irulesd {PORT} {BACKEND1} {BACKEND2} {DIR} $workers" \
  --candidate-name irulesd --targets haproxy,haproxy-acl,nginx,nginx-acl,candidate "$@"
