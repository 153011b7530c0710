#!/usr/bin/env bash
# Starts irulesd in the foreground as compare.sh's candidate: writes a config for the two backends
# compare.sh started, with one rule on every request (default: allow-ws, the guide's rule).
#   irulesd-candidate.sh BINARY PORT BACKEND1 BACKEND2 RUN_DIR [WORKERS] [RULE]
# RULE: a rule name. bench/rules/RULE.tcl (e.g. thirty-line) is put inline in the config; anything else is
# read by irulesd from irules/RULE.tcl (allow-ws). The config always carries what the 30-line rule needs:
# pools web_pool and api_pool (both over the two backends) and data groups admin_clients (ip) and
# blocked_hosts (string), so a rule that names them loads; they cost nothing when unused.
# IRULESD_ONECONNECT=1 adds BIG-IP's /Common/oneconnect profile to the virtual: server connections are
# kept and reused across client connections, as nginx's `upstream keepalive` does in compare.sh.
set -euo pipefail
bin=$1 port=$2 b1=$3 b2=$4 dir=$5 workers=${6:-1} rule=${7:-allow-ws}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
profiles="/Common/http { } /Common/tcp { }"
if [ "${IRULESD_ONECONNECT:-0}" = 1 ]; then profiles="$profiles /Common/oneconnect { }"; fi
members="members { /Common/b1:${b1##*:} { address ${b1%%:*} } /Common/b2:${b2##*:} { address ${b2%%:*} } }"
{
  cat <<CONF
ltm pool /Common/bench_pool {
    load-balancing-mode round-robin
    $members
}
ltm pool /Common/web_pool {
    load-balancing-mode round-robin
    $members
}
ltm pool /Common/api_pool {
    load-balancing-mode round-robin
    $members
}
ltm data-group internal /Common/admin_clients {
    records { 10.0.0.1 { } 10.0.0.2 { } 192.168.1.0/24 { } }
    type ip
}
ltm data-group internal /Common/blocked_hosts {
    records { .evil.example { } .spam.example { } .bad.example { } }
    type string
}
ltm virtual /Common/bench_vs {
    destination /Common/127.0.0.1:${port}
    ip-protocol tcp
    pool /Common/bench_pool
    profiles { $profiles }
    rules { /Common/${rule} }
    source 0.0.0.0/0
}
CONF
  if [ -f "$here/rules/$rule.tcl" ]; then
    printf 'ltm rule /Common/%s {\n' "$rule"
    cat "$here/rules/$rule.tcl"
    printf '}\n'
  fi
} > "$dir/irulesd-bench.conf"
exec "$bin" --config "$dir/irulesd-bench.conf" --rules-dir "$here/../irules" --workers "$workers" \
     --log "$dir/irulesd.log"
