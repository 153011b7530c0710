#!/bin/sh
# ctest's entry for one conformance test: runs TEST.vtc with the real varnishtest (Debian package
# varnish) against the irulesd binary given. Usage: run_vtc.sh IRULESD_BIN TEST.vtc
#
# Exit 77 (ctest's SKIP_RETURN_CODE) with a message when varnishtest is not installed. Each test owns
# fixed addresses (127.0.6N.x), so two runs of the same test (two build folders on one machine) take
# turns through a lock instead of failing on a busy address.
set -u
irulesd=$1
vtc=$2
here=$(cd "$(dirname "$0")" && pwd)
varnishtest=$(command -v varnishtest || true)
if [ -z "$varnishtest" ]; then
  echo "SKIPPED: varnishtest not found; install Debian's package varnish (apt-get install -y varnish)"
  exit 77
fi
if [ ! -x "$irulesd" ]; then
  echo "irulesd binary not found: $irulesd"
  exit 1
fi
name=$(basename "$vtc" .vtc)
# -q: only failures are logged in full; -t: a test that hangs fails after 60 s.
exec flock --timeout 240 "/tmp/irulesd-vtc-$name.lock" \
  "$varnishtest" -q -t 60 \
  -Dirulesd="$irulesd" -Dvtcdir="$here" -Drulesdir="$here/../../irules" \
  "$vtc"
