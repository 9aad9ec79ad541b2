#!/usr/bin/env bash
# The README's two quick-start commands (run as root on Debian 12, or with sudo):
#   bash scripts/quickstart.sh demo   install what is missing, build, run the main job
#   bash scripts/quickstart.sh test   install what is missing, build, run the whole suite
# .ci/run runs the second one.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}

# pcscd + vsmartcard-vpcd: the real PC/SC stack the virtual UICC plugs into;
# iproute2 and util-linux (unshare, mount) give it a private namespace.
demo_pkgs=(meson ninja-build gcc libc6-dev pkg-config python3 libjansson-dev
           libpcsclite-dev pcscd vsmartcard-vpcd iproute2 util-linux mount libmbedtls-dev)
test_pkgs=("${demo_pkgs[@]}" libcmocka-dev clang libclang-rt-14-dev binutils
           gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi)

install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# setup DIR [meson args...]: configure once, reconfigure when the options change.
setup() {
  local dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson configure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

case "$mode" in
demo)
  install_missing "${demo_pkgs[@]}"
  setup build-demo -Dtests=false
  ninja -C build-demo
  # The main job: pcscd with the vpcd driver and the virtual UICC, in a
  # private namespace; the card is read through PC/SC as on a real reader,
  # then the bridge runs the whole lifecycle against the reference core
  # (boot with card A, unchanged check, OTA change, swap to card B, removal,
  # reboot with the card gone).
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp fixtures/bootstrap/r1-three-accounts.bin "$work/card.bin"
  chmod u+w "$work/card.bin"
  echo '{}' >"$work/profile.json"
  echo "== virtual UICC holding fixtures/bootstrap/r1-three-accounts.bin on pcscd + vpcd"
  bash scripts/virtual-card.sh -b build-demo --profile "$work/profile.json" "$work/card.bin" -- \
    bash -c 'set -e
      echo "== uiccboot readers"; build-demo/host-tools/uiccboot readers
      echo "== uiccboot dump --reader 0"; build-demo/host-tools/uiccboot dump --reader 0
      echo; echo "== the bridge at work: uiccboot watch on the reference LwM2M core"
      bash scripts/demo-lifecycle.sh build-demo "$0" "$1"' "$work/card.bin" "$work/profile.json"
  ;;
test)
  install_missing "${test_pkgs[@]}"
  export CMOCKA_MESSAGE_OUTPUT=stdout
  logs=()

  echo "== gcc build, -Werror, whole suite"
  setup build -Dwerror=true
  ninja -C build
  meson test -C build --print-errorlogs
  logs+=(build/meson-logs/testlog.json)

  echo "== ASan + UBSan build, whole suite"
  setup build-san -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
  ninja -C build-san
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C build-san --print-errorlogs
  logs+=(build-san/meson-logs/testlog.json)

  echo "== clang libFuzzer harnesses (short run from the corpus)"
  CC=clang setup build-fuzz -Dwerror=true -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false -Dhost_tools=false
  ninja -C build-fuzz
  meson test -C build-fuzz --print-errorlogs --suite fuzz
  logs+=(build-fuzz/meson-logs/testlog.json)
  for h in tlv bootstrap fcp pkcs15 at scp03_iu scp03_unwrap; do
    work=$(mktemp -d)
    cp tests/fuzz/corpus/$h/* "$work"/
    build-fuzz/tests/fuzz/fuzz_$h -runs=200000 -max_len=4096 "$work" 2>&1 | tail -n 2
    rm -rf "$work"
  done

  echo "== Cortex-M4 core library (-Os): default and smallest configuration"
  scripts/size-m4.sh build-m4 cross/cortex-m4.txt
  scripts/size-m4.sh build-m4-min cross/cortex-m4-minimal.txt

  python3 - "${logs[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            if r.get("is_parallel") is None and "result" not in r:
                continue
            res = r["result"]
            if res in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif res == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
  ;;
*)
  echo "usage: bash scripts/quickstart.sh demo|test" >&2
  exit 2
  ;;
esac
