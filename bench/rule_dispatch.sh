#!/usr/bin/env bash
# ns per HTTP_REQUEST dispatch inside one process (bench/rule_dispatch.cc), Release build.
#   bench/rule_dispatch.sh [FIRES]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$root/build-release" -j2 --target rule_dispatch >/dev/null
exec "$root/build-release/rule_dispatch" "$root" "${1:-200000}"
