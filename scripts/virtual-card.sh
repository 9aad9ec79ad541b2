#!/usr/bin/env bash
# Run a command against the virtual UICC through the real PC/SC stack:
# pcscd with the vsmartcard vpcd driver, and uiccboot-simcard as the card.
#
#   scripts/virtual-card.sh [-b BUILD] [--profile CARD.json] BOOTSTRAP-FILE -- COMMAND...
#
# COMMAND gets UCB_SIMCARD_PID, the card's process, to remove, insert or
# reload the card with signals.
#
# pcscd 1.9.9 always uses /run/pcscd/pcscd.comm and vpcd listens on fixed
# ports, so everything runs in a private mount and network namespace
# (unshare -mn): a tmpfs on /run and its own loopback. Nothing collides with
# a pcscd of the host, and everything stops when the command ends.
# Needs root (or CAP_SYS_ADMIN) and the packages pcscd and vsmartcard-vpcd.
set -euo pipefail

build=build
profile=()
while [ $# -gt 0 ]; do
  case "$1" in
    -b) build=$2; shift 2 ;;
    --profile) profile=(--profile "$2"); shift 2 ;;
    --) shift; break ;;
    -*) echo "virtual-card.sh: unknown option $1" >&2; exit 2 ;;
    *) file=$1; shift ;;
  esac
done
if [ -z "${file:-}" ] || [ $# -eq 0 ]; then
  echo "usage: scripts/virtual-card.sh [-b BUILD] [--profile CARD.json] FILE -- COMMAND..." >&2
  exit 2
fi

if [ -z "${UCB_IN_NAMESPACE:-}" ]; then
  export UCB_IN_NAMESPACE=1
  exec unshare --mount --net --propagation private -- bash "$0" -b "$build" "${profile[@]}" "$file" -- "$@"
fi

mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/pcscd
ip link set lo up

log=$(mktemp -d)
pcscd --foreground >"$log/pcscd.log" 2>&1 &
pcscd_pid=$!
"$build/host-tools/simcard/uiccboot-simcard" --bootstrap "$file" "${profile[@]}" \
  >"$log/simcard.log" 2>&1 &
card_pid=$!
cleanup() {
  kill "$card_pid" "$pcscd_pid" 2>/dev/null || true
  wait "$card_pid" "$pcscd_pid" 2>/dev/null || true
  rm -rf "$log"
}
trap cleanup EXIT

# The command may drive the card: SIGUSR1 removes it, SIGUSR2 inserts it,
# SIGHUP reloads FILE and the profile (docs/simcard.md).
export UCB_SIMCARD_PID=$card_pid

# Wait until pcscd sees the card in the first virtual reader.
for _ in $(seq 1 100); do
  if "$build/host-tools/uiccboot" readers --json 2>/dev/null | grep -q '"card": true'; then
    break
  fi
  sleep 0.1
done

"$@"
