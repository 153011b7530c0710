#!/usr/bin/env bash
# Release build of the given targets in build-release/ (one job: the machine's cores are shared).
#   bench/build.sh TARGET...
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
for target in "$@"; do
  cmake --build "$root/build-release" -j1 --target "$target" >/dev/null
done
