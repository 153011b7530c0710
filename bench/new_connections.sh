#!/usr/bin/env bash
# New connections per second: every request on its own client connection ("Connection: close"; wrk
# reconnects after each answer), irulesd (allow-ws, or IRULESD_RULE) against HAProxy (plain, acl) and nginx,
# alternating targets in one run (compare.sh). irulesd gets BIG-IP's oneconnect profile (IRULESD_ONECONNECT=0
# leaves it out), so it keeps and reuses its server connections as nginx (upstream keepalive) does; HAProxy
# (http-reuse safe) opens one per client connection. Short and bounded by default.
#   bench/new_connections.sh [compare.sh options, e.g. --rounds 3 --duration 6 --conns 64,256 --pin]
# The client side's TIME_WAIT sockets are reused on loopback (net.ipv4.tcp_tw_reuse = 2, the default).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export IRULESD_ONECONNECT=${IRULESD_ONECONNECT:-1}
exec "$here/run.sh" --header 'Connection: close' --rounds 3 --duration 6 --warmup 1 --conns 64 \
  --targets haproxy,haproxy-acl,nginx,candidate "$@"
