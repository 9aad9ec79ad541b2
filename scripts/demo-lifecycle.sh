#!/usr/bin/env bash
# The bridge's whole lifecycle against the reference core, on the virtual
# UICC behind pcscd (run by scripts/quickstart.sh demo through
# scripts/virtual-card.sh, which sets UCB_SIMCARD_PID):
#   boot with card A (two server accounts and a bootstrap account), an
#   unchanged check, an over-the-air content change, a swap to card B, a
#   removal, and a reboot with the card gone.
#   scripts/demo-lifecycle.sh BUILD CARD-FILE PROFILE-FILE
# CARD-FILE and PROFILE-FILE are the files uiccboot-simcard serves; this
# script rewrites them and sends SIGHUP, as an operator's OTA update or a
# card swap would change the card.
set -euo pipefail
build=$1 card=$2 profile=$3
tool=$build/host-tools/uiccboot
work=$(mktemp -d)
trap 'kill "$watch" 2>/dev/null || true; rm -rf "$work"' EXIT

step() { sleep 2.5; echo; echo "== $*"; }

echo "== boot with card A (ICCID 8988211000000430010): two server accounts (SSID 101, 102) and a bootstrap account"
"$tool" watch --reader 0 --interval 1000 --store "$work/provenance.bin" &
watch=$!

step "over-the-air change on card A: server 101's lifetime 3600 -> 7200"
"$tool" decode "$card" --json --show-secrets |
  python3 -c 'import json,sys; d=json.load(sys.stdin)
for o in d["objects"]:
    for i in o["instances"]:
        if o["oid"] == 1 and i["resources"].get("0") == 101: i["resources"]["1"] = 7200
json.dump(d, sys.stdout)' >"$work/changed.json"
"$tool" encode "$work/changed.json" -o "$work/changed.bin" >/dev/null
cp "$work/changed.bin" "$card"
kill -HUP "$UCB_SIMCARD_PID"

step "swap to card B (ICCID 8944500000000000001): one PSK account, SSID 1"
cp fixtures/bootstrap/valid-avsystem-example.bin "$card"
echo '{"iccid": "8944500000000000001"}' >"$profile"
kill -HUP "$UCB_SIMCARD_PID"

step "card B removed"
kill -USR1 "$UCB_SIMCARD_PID"

step "reboot with the card gone: the stored provenance is checked before any registration"
kill "$watch"; wait "$watch" 2>/dev/null || true
"$tool" watch --reader 0 --interval 1000 --checks 2 --store "$work/provenance.bin"
