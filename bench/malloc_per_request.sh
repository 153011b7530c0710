#!/usr/bin/env bash
# Heap allocations per keep-alive request through irulesd with the allow-ws rule (and its log line)
# on every request: an LD_PRELOAD malloc counter (bench/tools/malloc_count.c) read before and after a
# bounded wrk run against one nginx backend. Loopback 127.0.90.x; everything started is stopped.
#   bench/malloc_per_request.sh [SECONDS]   (default 3)
#   IRULESD_ONECONNECT=1 bench/malloc_per_request.sh    the virtual with /Common/oneconnect: every request
#                                                       parks its server connection and takes it back
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-3}
dir=$(mktemp -d /tmp/irulesd-malloc.XXXXXX)
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$root/build-release" -j2 --target irulesd >/dev/null
gcc -O2 -shared -fPIC -o "$dir/malloc_count.so" "$root/bench/tools/malloc_count.c"
cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx.err;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.90.11:8001; location / { return 200 "ok\n"; } } }
CONF
cat > "$dir/bigip.conf" <<CONF
ltm pool /Common/p {
    members { /Common/127.0.90.11:8001 { address 127.0.90.11 } }
}
ltm virtual /Common/vs {
    destination /Common/127.0.90.10:8080
    ip-protocol tcp
    pool /Common/p
    profiles { /Common/http { } /Common/tcp { } $([ "${IRULESD_ONECONNECT:-0}" = 1 ] && echo "/Common/oneconnect { }") }
    rules { /Common/allow-ws }
    source 0.0.0.0/0
}
CONF
nginx -c "$dir/nginx.conf" -p "$dir"
LD_PRELOAD="$dir/malloc_count.so" "$root/build-release/irulesd" --config "$dir/bigip.conf" \
    --rules-dir "$root/irules" --workers 1 --log "$dir/irulesd.log" 2>"$dir/counts" &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true; }
trap cleanup EXIT
sleep 1
wrk -t1 -c1 -d1s http://127.0.90.10:8080/ >/dev/null   # warm: buffers reach their size
kill -USR2 "$pid"; sleep 0.2
requests=$(wrk -t1 -c1 -d"${seconds}s" http://127.0.90.10:8080/ | awk '/requests in/ {print $1}')
kill -USR2 "$pid"; sleep 0.2
read -r before after < <(awk '/^mallocs/ {printf "%s ", $2} END {print ""}' "$dir/counts")
echo "requests $requests  mallocs $((after - before))  per request $(awk -v m=$((after - before)) -v r="$requests" 'BEGIN {printf "%.3f", m / r}')"
