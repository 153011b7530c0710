#!/usr/bin/env bash
# Starts irulesd in the foreground as compare.sh's candidate: writes a config for the two backends
# compare.sh started, with the allow-ws rule (the guide's rule) on every request.
#   irulesd-candidate.sh BINARY PORT BACKEND1 BACKEND2 RUN_DIR [WORKERS]
set -euo pipefail
bin=$1 port=$2 b1=$3 b2=$4 dir=$5 workers=${6:-1}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cat > "$dir/irulesd-bench.conf" <<CONF
ltm pool /Common/bench_pool {
    load-balancing-mode round-robin
    members { /Common/b1:${b1##*:} { address ${b1%%:*} } /Common/b2:${b2##*:} { address ${b2%%:*} } }
}
ltm virtual /Common/bench_vs {
    destination /Common/127.0.0.1:${port}
    ip-protocol tcp
    pool /Common/bench_pool
    profiles { /Common/http { } /Common/tcp { } }
    rules { /Common/allow-ws }
    source 0.0.0.0/0
}
CONF
exec "$bin" --config "$dir/irulesd-bench.conf" --rules-dir "$here/../irules" --workers "$workers" \
     --log "$dir/irulesd.log"
