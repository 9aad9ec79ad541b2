#!/usr/bin/env bash
# Figures for docs/performance.md:
#  1. instructions to decode+validate R1 (callgrind; counts, not seconds, so repeatable);
#  2. Cortex-M4 -Os size of the core library, default and smallest configuration,
#     and what it adds to a linked firmware image;
#  3. C-APDUs and bytes of a full card read per fixture card (virtual UICC);
#  4. what SCP03 adds to the read of R1, and the host's instructions for that
#     read at level 33 (callgrind on a replayed exchange: host work only);
#  5. the check at Register/Update on an unchanged card: C-APDUs, and host
#     instructions of the kept read alone and of a whole bridge check.
#   scripts/perf-figures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
r1=fixtures/bootstrap/r1-three-accounts.bin
if [ -f build-bench/build.ninja ]; then
  meson configure build-bench -Dhost_tools=true >/dev/null
else
  meson setup build-bench --buildtype=release >/dev/null
fi
ninja -C build-bench tests/bench/bench_decode_validate tests/bench/bench_read tests/bench/bench_scp03 \
  tests/bench/bench_check tests/bench/bench_bridge >/dev/null
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
scripts/size-m4-image.sh build-m4-min
echo
build-bench/tests/bench/bench_read .
echo
build-bench/tests/bench/bench_scp03 .
for level in 00 33; do
  out=$(mktemp)
  valgrind --tool=callgrind --callgrind-out-file="$out" '--toggle-collect=ucb_bench_read_once' \
    build-bench/tests/bench/bench_scp03 . replay "$level" 2>&1 | grep -E 'Collected' |
    sed "s/.*Collected : /read of R1 at level $level (00 = plain), host instructions: /"
  rm -f "$out"
done
echo
build-bench/tests/bench/bench_check .
build-bench/tests/bench/bench_bridge .
for level in 00 33; do
  for bench in check:ucb_bench_check_once bridge:ucb_bench_bridge_check; do
    out=$(mktemp)
    valgrind --tool=callgrind --callgrind-out-file="$out" "--toggle-collect=${bench#*:}" \
      "build-bench/tests/bench/bench_${bench%%:*}" . replay "$level" 2>&1 | grep -E 'Collected' |
      sed "s/.*Collected : /${bench%%:*} of R1 at level $level (00 = plain), host instructions: /"
    rm -f "$out"
  done
done
