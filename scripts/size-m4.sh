#!/usr/bin/env bash
# Print .text/.data/.bss of the core library built for Cortex-M4 (-Os), per
# object and in total, and check that it references no heap or stdio.
#   scripts/size-m4.sh [BUILD_DIR [CROSS_FILE]]
#   (defaults: build-m4 and cross/cortex-m4.txt; the build dir is set up if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-m4}
cross=${2:-cross/cortex-m4.txt}
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" --cross-file "$cross" >/dev/null
fi
ninja -C "$dir" >/dev/null
lib="$dir/src/libuiccboot.a"
echo "Cortex-M4 -Os ($cross), $(arm-none-eabi-gcc --version | head -1)"
arm-none-eabi-size -t "$lib" | sed 's/ (ex .*)//'
# The library never allocates or prints: no reference may reach the heap or stdio.
bad=$(arm-none-eabi-nm -u "$lib" | grep -Ew 'malloc|calloc|realloc|free|printf|puts|_sbrk|_malloc_r|_free_r' || true)
if [ -n "$bad" ]; then
  echo "FAIL: heap or stdio reference in the core library:"; echo "$bad"; exit 1
fi
echo "heap/stdio references: none"
