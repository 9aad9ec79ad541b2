#!/usr/bin/env python3
"""Card commands of the uiccboot host tool without PC/SC (standard library only).

usage: test_card_tool.py UICCBOOT FAKE_MODEM SOURCE_ROOT

`--sim` (the in-process virtual UICC) for every card variant and a fault at
every C-APDU of the walk, the AT transport over a pty with the fake modem
(+CSIM and +CCHO/+CGLA, echo, unsolicited lines, +CME ERROR), and the usage
errors of the card options. Prints one line per check and "N passed, M failed".
"""

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

TOOL = MODEM = ROOT = ""
PASSED = 0
FAILED = 0
TMP = ""


def check(name, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print("ok   %s" % name)
    else:
        FAILED += 1
        print("FAIL %s%s" % (name, (": " + detail) if detail else ""))
    sys.stdout.flush()


def fixture(name):
    return os.path.join(ROOT, "fixtures", "bootstrap", name)


def card_profile(name):
    return os.path.join(ROOT, "fixtures", "cards", name)


def run(*args, timeout=60):
    p = subprocess.run([TOOL] + list(args), capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def sha256_file(path, size=None):
    data = open(path, "rb").read()
    if size is not None and size > len(data):
        data += b"\xff" * (size - len(data))
    return hashlib.sha256(data).hexdigest().upper()


R1 = ""


def test_sim():
    rc, out, err = run("dump", "--sim", R1, "--json")
    doc = json.loads(out) if rc == 0 else {}
    want = json.loads(run("decode", R1, "--json")[1])
    check("dump --sim R1 --json decodes like the file", rc == 0 and doc["objects"] == want["objects"],
          err)
    check("dump --sim gives the card object",
          doc.get("card", {}).get("sha256") == sha256_file(R1)
          and doc["card"]["aid"] == "A000000063504B43532D3135", str(doc.get("card")))
    for prof, extra, route, size in (
            ("default.json", [], "ef-dir", None),
            ("t0.json", [], "oid", None),
            ("double-oid.json", [], "oid-double-encoded", None),
            ("application-oid.json", [], "application-oid", None),
            ("no-ef-dir.json", [], "no-ef-dir-default-aid", None),
            ("no-channels.json", [], "basic-channel", None),
            ("pin.json", ["--pin", "1234"], "pin-verified", None),
            ("big.json", [], "oid", 32768)):
        rc, out, err = run("dump", "--sim", R1, "--profile", card_profile(prof), "--json", *extra)
        doc = json.loads(out) if rc == 0 else {}
        check("dump --sim with profile %s" % prof,
              rc == 0 and doc["card"]["sha256"] == sha256_file(R1, size)
              and route in doc.get("route", []), err + str(doc.get("route")))
    rc, out, err = run("dump", "--sim", R1, "--profile", card_profile("pin.json"), "--pin", "9999")
    check("a wrong PIN is a clean error naming the PIN step", rc == 3 and "PIN" in err, err)
    rc, out, err = run("validate", "--sim", R1)
    check("validate --sim validates the card content", rc == 0 and "valid" in out, out + err)
    rc, out, err = run("validate", "--sim", fixture("invalid-acc-two-bootstrap.bin"))
    check("validate --sim of invalid content exits 1", rc == 1 and "invalid" in out, out + err)
    rc, out, err = run("dump", "--sim", R1, "--trace")
    cmds = [l for l in err.splitlines() if l.startswith("> ")]
    check("dump --sim --trace: at most 14 C-APDUs for R1", 0 < len(cmds) <= 14, str(len(cmds)))
    check("no other stderr line starts with > or <",
          all(re.fullmatch(r"[<>] [0-9A-F*]+", l) for l in err.splitlines() if l[:1] in "<>"))
    keys = psk_hex(R1)
    check("--trace shows no PSK byte of the file (the data of the file's READ BINARY is masked)",
          keys and not [k for k in keys if k in err.upper()] and "**" in err, err[-300:])
    rc, out, err = run("dump", "--sim", R1, "--trace", "--show-secrets")
    check("--trace --show-secrets shows the file bytes, PSKs included",
          rc == 0 and keys and all(k in err.upper() for k in keys))

    # A fault at each C-APDU: a clean error or the whole file, nothing between.
    n = len(cmds)
    bad = []
    for kind in ("sw", "remove", "mute"):
        for k in range(1, n + 1):
            prof = os.path.join(TMP, "fault.json")
            with open(prof, "w") as f:
                json.dump({"faults": {"at": k, "kind": kind, "sw": "6F00"}}, f)
            rc, out, err = run("dump", "--sim", R1, "--profile", prof, "--json")
            if rc == 0:
                if json.loads(out)["card"]["sha256"] != sha256_file(R1):
                    bad.append("%s@%d: success with other content" % (kind, k))
            elif rc != 3 or out != "" or not err.startswith("uiccboot: card: "):
                bad.append("%s@%d: rc %d %r" % (kind, k, rc, err[-160:]))
    check("a fault at each of the %d C-APDUs (sw, remove, mute): clean error or whole file" % n,
          not bad, "; ".join(bad[:6]))


def psk_hex(path):
    """Upper-case hex of the Secret Key (/0/x/5) values of a bootstrap file."""
    out = run("decode", path, "--json", "--show-secrets")[1]
    vals = []
    for obj in json.loads(out)["objects"]:
        for inst in obj["instances"] if obj["oid"] == 0 else []:
            v = inst["resources"].get("5")
            if isinstance(v, dict) and len(v.get("hex", "")) >= 8:
                vals.append(v["hex"].upper())
    return vals


def test_scp03_sim():
    keys = card_profile("scp03-aes128.json")
    req = card_profile("scp03-required.json")
    for level in ("01", "03", "11", "13", "33"):
        rc, out, err = run("dump", "--sim", R1, "--profile", card_profile("scp03-pseudo-random.json"),
                           "--aid", "A000000018434D08090A0B0C000000",
                           "--json", "--scp03-keys", keys, "--scp03-level", level)
        check("dump --sim with another key set than the card's fails at the secure channel (%s)"
              % level, rc == 3 and "SCP03" in err, err)
        rc, out, err = run("dump", "--sim", R1, "--profile", req, "--json",
                           "--scp03-keys", keys, "--scp03-level", level)
        ok = rc == 0 and json.loads(out)["card"]["sha256"] == sha256_file(R1)
        # the card keeps its file to sessions with C-MAC and R-ENC
        check("dump --sim --scp03-level %s on a card that requires R-ENC: %s"
              % (level, "read" if level == "33" else "refused"),
              ok if level == "33" else (rc == 3 and "6982" in err), err)
    rc, out, err = run("dump", "--sim", R1, "--profile", req)
    check("a plain dump of a card that requires SCP03 is refused with 6982",
          rc == 3 and "6982" in err, err)
    rc, out, err = run("write", R1, "--sim", R1, "--profile", req, "--scp03-keys", keys)
    check("write --sim through SCP03 writes and verifies", rc == 0 and "verified" in out, err)
    for bad, what in (('{"kvn": 48, "enc": "00", "mac": "00", "dek": "00"}', "a short key"),
                      ('{"kvn": 48, "enc": "%s", "mac": "%s"}' % ("00" * 16, "11" * 16),
                       "a missing dek"),
                      ('{"kvn": 300, "enc": "%s", "mac": "%s", "dek": "%s"}' % (("00" * 16,) * 3),
                       "a kvn above 255"),
                      ('{"kvn": 48, "enc": "%s", "mac": "%s", "dek": "%s", "extra": 1}'
                       % (("00" * 16,) * 3), "an unknown key"),
                      ('{"kvn": 48, "enc": "%s", "mac": "%s", "dek": "%s"}'
                       % ("00" * 16, "11" * 24, "22" * 16), "keys of different lengths")):
        path = os.path.join(TMP, "bad-keys.json")
        with open(path, "w") as f:
            f.write(bad)
        os.chmod(path, 0o600)
        rc, out, err = run("dump", "--sim", R1, "--scp03-keys", path)
        check("a key file with %s is refused (exit 1) without quoting a key" % what,
              rc == 1 and "0000" not in err and "1111" not in err, err)
    rc, out, err = run("dump", "--sim", R1, "--scp03-level", "33")
    check("--scp03-level without --scp03-keys is a usage error", rc == 2, err)
    rc, out, err = run("dump", "--sim", R1, "--scp03-keys", keys, "--scp03-level", "02")
    check("--scp03-level 02 is refused", rc == 2, err)


def test_usage():
    for args, what in (
            (["dump", "--sim", R1, "--reader", "0"], "two transports"),
            (["dump", "--profile", "x.json"], "--profile without --sim"),
            (["dump", "--baud", "9600"], "--baud without --at"),
            (["dump", "extra-arg", "--sim", R1], "a positional argument"),
            (["validate", R1, "--sim", R1], "FILE and a card"),
            (["dump", "--sim", R1, "--aid", "A0G0"], "bad hex in --aid"),
            (["dump", "--sim", R1, "--path", "3F"], "an odd path"),
            (["dump", "--sim"], "--sim without FILE"),
            (["dump", "--at", "/dev/null", "--baud", "12x"], "bad --baud"),
            (["write", "--sim", R1], "write without FILE")):
        rc, out, err = run(*args)
        check("usage error (exit 2): %s" % what, rc == 2 and err.startswith("uiccboot: "), err)
    rc, out, err = run("dump", "--sim", "/nonexistent.bin")
    check("--sim with a missing file exits 3", rc == 3, err)
    rc, out, err = run("dump", "--at", "/nonexistent-tty")
    check("--at with a missing device exits 3 and names it",
          rc == 3 and "/nonexistent-tty" in err, err)
    rc, out, err = run("write", R1, "--sim", R1)
    check("write --sim writes and verifies", rc == 0 and "verified" in out, out + err)


class Modem:
    def __init__(self, *args):
        self.proc = subprocess.Popen([MODEM, "--bootstrap", R1] + list(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.tty = self.proc.stdout.readline().strip()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def test_at():
    for args, extra, name in (
            ([], [], "AT+CSIM"),
            (["--echo", "--urc"], [], "AT+CSIM with echo and unsolicited lines"),
            (["--mode", "cgla"], ["--at-mode", "cgla"], "AT+CCHO/+CGLA/+CCHC"),
            (["--mode", "cgla", "--ccho-style", "bare", "--echo", "--urc"], ["--at-mode", "cgla"],
             "AT+CCHO bare reply, echo and unsolicited lines")):
        m = Modem(*args)
        try:
            rc, out, err = run("dump", "--at", m.tty, "--json", *extra, timeout=60)
            doc = json.loads(out) if rc == 0 else {}
            check("dump over %s reads R1" % name,
                  rc == 0 and doc["card"]["sha256"] == sha256_file(R1), err[-300:])
        finally:
            m.stop()
    m = Modem("--cme-at", "3")
    try:
        rc, out, err = run("dump", "--at", m.tty)
        check("a +CME ERROR is a clean error (exit 3)", rc == 3 and "modem" in err, err)
    finally:
        m.stop()


def main():
    global TOOL, MODEM, ROOT, TMP, R1
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    TOOL, MODEM, ROOT = (os.path.abspath(a) for a in sys.argv[1:4])
    R1 = fixture("r1-three-accounts.bin")
    TMP = tempfile.mkdtemp(prefix="ucb-card-tool-")
    test_sim()
    test_scp03_sim()
    test_usage()
    test_at()
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
