#!/usr/bin/env bash
# Figures for docs/performance.md:
#  1. instructions to decode+validate R1 (callgrind; counts, not seconds, so repeatable);
#  2. Cortex-M4 -Os size of the core library, default and smallest configuration;
#  3. C-APDUs and bytes of a full card read per fixture card (virtual UICC).
#   scripts/perf-figures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
r1=fixtures/bootstrap/r1-three-accounts.bin
if [ -f build-bench/build.ninja ]; then
  meson configure build-bench -Dhost_tools=true >/dev/null
else
  meson setup build-bench --buildtype=release >/dev/null
fi
ninja -C build-bench tests/bench/bench_decode_validate tests/bench/bench_read >/dev/null
out=$(mktemp)
valgrind --tool=callgrind --callgrind-out-file="$out" '--toggle-collect=ucb_bench_once*' \
  build-bench/tests/bench/bench_decode_validate "$r1" 1 2>&1 | grep -E 'Collected' |
  sed 's/.*Collected : /decode+validate R1 (304 bytes), instructions: /'
callgrind_annotate "$out" 2>/dev/null | grep -A8 'file:function' | tail -n +3 | sed 's/\[.*\]//'
rm -f "$out"
build-bench/tests/bench/bench_decode_validate "$r1" 100000
echo
scripts/size-m4.sh build-m4 cross/cortex-m4.txt
echo
scripts/size-m4.sh build-m4-min cross/cortex-m4-minimal.txt
echo
build-bench/tests/bench/bench_read .
