#!/usr/bin/env bash
# What uiccboot costs a Cortex-M4 firmware image: cross/image/fw_bridge.c,
# which calls every bridge entry point, linked with --gc-sections against the
# minimal archive, against the same image without uiccboot. Crypto is stubbed
# (cross/image/crypto_stub.c): a firmware brings its own.
#   scripts/size-m4-image.sh [BUILD_DIR]   (default build-m4-min)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-m4-min}
scripts/size-m4.sh "$dir" cross/cortex-m4-minimal.txt >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os -ffunction-sections
       -fdata-sections -Iinclude -I"$dir/include" -Iapdu -DUCB_CONFIG_TEXT=0
       -DUCB_CONFIG_STRERROR=0 -DUCB_CONFIG_ENCODER=0 --specs=nosys.specs -Wl,--gc-sections)
arm-none-eabi-gcc "${flags[@]}" -o "$out/base.elf" cross/image/fw_bridge.c
arm-none-eabi-gcc "${flags[@]}" -DWITH_UCB -o "$out/ucb.elf" cross/image/fw_bridge.c \
  cross/image/crypto_stub.c "$dir/src/libuiccboot.a"
base=$(arm-none-eabi-size "$out/base.elf" | awk 'NR==2{print $1}')
with=$(arm-none-eabi-size "$out/ucb.elf" | awk 'NR==2{print $1}')
echo "firmware image .text: $base B without uiccboot, $with B with the bridge: +$((with - base)) B"
