#!/usr/bin/env bash
# ns per HTTP_REQUEST dispatch inside one process (bench/rule_dispatch.cc), Release build.
#   bench/rule_dispatch.sh [FIRES]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/bench/build.sh" rule_dispatch
exec "$root/build-release/rule_dispatch" "$root" "${1:-200000}"
