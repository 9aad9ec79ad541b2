#!/usr/bin/env python3
"""Integration tests through the real PC/SC stack (python3 standard library only).

usage: test_pcsc.py UICCBOOT UICCBOOT-SIMCARD SOURCE_ROOT PCSC-PROBE SCP03-SESSION-KEYS

Starts its own pcscd with the vsmartcard vpcd driver and uiccboot-simcard as
the card, then runs `uiccboot readers/dump/validate/write` through PC/SC as a
user would. pcscd 1.9.9 always uses /run/pcscd/pcscd.comm and vpcd listens on
fixed ports, so the whole test re-executes itself in a private mount and
network namespace (unshare -mn): a tmpfs on /run, its own loopback, its own
ports; nothing touches a pcscd of the host. Needs root (exit 77 = skipped
otherwise). Prints one line per check and "N passed, M failed".
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOOL = SIMCARD = ROOT = PROBE = ""
PASSED = 0
FAILED = 0
TMP = ""

DEFAULT_ICCID = "8988211000000430010"
PKCS15_AID = "A000000063504B43532D3135"


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


class Card:
    """One uiccboot-simcard process connected to vpcd slot 0."""

    def __init__(self, bootstrap, profile=None, extra=()):
        self.args = [SIMCARD, "--bootstrap", bootstrap]
        if profile:
            self.args += ["--profile", profile]
        self.args += list(extra)
        self.log = open(os.path.join(TMP, "simcard.log"), "a")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=self.log)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        # pcscd learns of the closed vpcd connection at its next presence
        # poll; until then the reader still shows the old card. Wait, so the
        # next card is not mistaken for this one.
        reader_has_card(False)
        return self.proc.returncode


def reader_has_card(want=True, timeout=10.0):
    """Wait until `uiccboot readers --json` shows reader 0 with (or without) a card."""
    end = time.time() + timeout
    while time.time() < end:
        rc, out, _ = run("readers", "--json")
        if rc == 0:
            try:
                readers = json.loads(out)["readers"]
                if readers and readers[0].get("card") is want:
                    return True
            except (ValueError, KeyError, IndexError):
                pass
        time.sleep(0.1)
    return False


def with_card(bootstrap, profile=None, extra=()):
    card = Card(bootstrap, profile, extra)
    if not reader_has_card(True):
        card.stop()
        return None
    return card


def decode_json(path):
    rc, out, err = run("decode", path, "--json")
    return json.loads(out) if rc == 0 else None


def sha256_file(path, size=None):
    data = open(path, "rb").read()
    if size is not None and size > len(data):
        data += b"\xff" * (size - len(data))
    return hashlib.sha256(data).hexdigest().upper()


def trace_lines(err):
    return [l for l in err.splitlines() if l[:1] in (">", "<")]


def test_readers():
    rc, out, err = run("readers")
    check("readers lists the two vpcd readers with their index",
          rc == 0 and re.search(r"^0: Virtual PCD 00 00$", out, re.M) is not None
          and "1: Virtual PCD 00 01" in out, out + err)
    rc, out, err = run("readers", "--json")
    doc = json.loads(out) if rc == 0 else {}
    names = [r.get("name") for r in doc.get("readers", [])]
    check("readers --json gives index, name and card presence",
          rc == 0 and names[:2] == ["Virtual PCD 00 00", "Virtual PCD 00 01"]
          and all(isinstance(r.get("card"), bool) for r in doc["readers"]), out)


def test_dump_default():
    r1 = fixture("r1-three-accounts.bin")
    card = with_card(r1)
    check("the virtual UICC appears in reader 0", card is not None)
    if card is None:
        return
    try:
        rc, out, err = run("dump", "--reader", "0", "--json")
        doc = json.loads(out) if rc == 0 else {}
        want = decode_json(r1)
        check("dump --json of R1 through PC/SC exits 0", rc == 0, err)
        check("dump --json objects equal decode --json of the same file",
              doc.get("objects") == want["objects"])
        c = doc.get("card", {})
        check("dump --json card object has exactly iccid, aid, path, sha256",
              sorted(c.keys()) == ["aid", "iccid", "path", "sha256"], str(c))
        check("card iccid, aid and sha256 are the card's",
              c.get("iccid") == DEFAULT_ICCID and c.get("aid") == PKCS15_AID
              and c.get("sha256") == sha256_file(r1), str(c))
        check("card path is the bootstrap EF 6432", c.get("path", "").endswith("6432"), str(c))
        check("route: EF.DIR, logical channel, correct OID",
              {"ef-dir", "logical-channel", "oid"} <= set(doc.get("route", [])),
              str(doc.get("route")))
        check("dump without --reader uses the first reader with a card",
              run("dump", "--json")[0] == 0)
        rc, out, err = run("dump", "--reader", "Virtual PCD 00 00")
        check("dump by reader name prints the card summary and the tree",
              rc == 0 and out.startswith("card ICCID " + DEFAULT_ICCID) and "Security" in out,
              out[:200] + err)
        check("dump hides the secret keys by default",
              "redacted" in out or "hidden" in out or "<" in out, out[:400])
        rc, out, err = run("dump", "--reader", "0", "--trace")
        lines = trace_lines(err)
        cmds = [l for l in lines if l.startswith("> ")]
        resps = [l for l in lines if l.startswith("< ")]
        check("--trace prints one '> C-APDU' and one '< R-APDU' line per exchange",
              rc == 0 and len(cmds) == len(resps) and len(cmds) > 0
              and all(re.fullmatch(r"[<>] [0-9A-F*]+", l) for l in lines), "\n".join(lines[:5]))
        check("the R1 read through PC/SC takes at most 14 C-APDUs",
              0 < len(cmds) <= 14, "%d commands" % len(cmds))
        check("--trace writes to stderr only", trace_lines(out) == [])
        rc, out, err = run("validate", "--reader", "0")
        check("validate --reader 0 validates the card content",
              rc == 0 and "valid" in out and "card ICCID" in out, out + err)
        rc, out, err = run("validate", "--reader", "0", "--json")
        doc = json.loads(out) if rc == 0 else {}
        check("validate --json on a card has valid and card",
              doc.get("valid") is True and doc.get("card", {}).get("iccid") == DEFAULT_ICCID)
        rc, out, err = run("dump", "--reader", "7")
        check("a reader index that does not exist is a clean error (exit 3)",
              rc == 3 and "not found" in err and "Traceback" not in err, err)

        # Removal (SIGUSR1), insertion (SIGUSR2), new content (SIGHUP).
        card.signal(signal.SIGUSR1)
        check("SIGUSR1 removes the card from the reader", reader_has_card(False))
        rc, out, err = run("dump", "--reader", "0")
        check("dump with the card removed fails cleanly (exit 3, says no card)",
              rc == 3 and "card" in err and out == "", err)
        card.signal(signal.SIGUSR2)
        check("SIGUSR2 inserts the card again", reader_has_card(True))
        rc, out, err = run("dump", "--reader", "0", "--json")
        check("dump after re-insertion reads the card",
              rc == 0 and json.loads(out)["card"]["sha256"] == sha256_file(r1), err)
    finally:
        card.stop()


def test_reload():
    work = os.path.join(TMP, "reload.bin")
    shutil.copyfile(fixture("r1-three-accounts.bin"), work)
    prof = os.path.join(TMP, "reload.json")
    with open(prof, "w") as f:
        json.dump({"iccid": DEFAULT_ICCID}, f)
    card = with_card(work, prof)
    if card is None:
        check("reload: card up", False)
        return
    try:
        shutil.copyfile(fixture("valid-avsystem-example.bin"), work)
        card.signal(signal.SIGHUP)
        ok = False
        for _ in range(50):
            rc, out, err = run("dump", "--reader", "0", "--json")
            if rc == 0 and json.loads(out)["card"]["sha256"] == sha256_file(work):
                ok = True
                break
            time.sleep(0.1)
        check("SIGHUP re-reads the file: new content on the same card", ok)
        with open(prof, "w") as f:
            json.dump({"iccid": "8944500000000000001"}, f)
        card.signal(signal.SIGHUP)
        ok = False
        for _ in range(50):
            rc, out, err = run("dump", "--reader", "0", "--json")
            if rc == 0 and json.loads(out)["card"]["iccid"] == "8944500000000000001":
                ok = True
                break
            time.sleep(0.1)
        check("SIGHUP with a new ICCID in the profile presents a different card", ok)
    finally:
        card.stop()


# profile file, extra dump args, expected route names, file size (None = file length)
VARIANTS = [
    ("t0.json", [], {"oid"}, None),
    ("double-oid.json", [], {"oid-double-encoded"}, None),
    ("application-oid.json", [], {"application-oid"}, None),
    ("no-ef-dir.json", [], {"no-ef-dir-default-aid"}, None),
    ("no-channels.json", [], {"basic-channel"}, None),
    ("big.json", [], {"oid"}, 32768),
]


def test_variants():
    r1 = fixture("r1-three-accounts.bin")
    for prof, extra, route, size in VARIANTS:
        card = with_card(r1, card_profile(prof))
        if card is None:
            check("variant %s: card up" % prof, False)
            continue
        try:
            rc, out, err = run("dump", "--reader", "0", "--json", *extra)
            doc = json.loads(out) if rc == 0 else {}
            check("variant %s is read through PC/SC" % prof,
                  rc == 0 and doc["card"]["sha256"] == sha256_file(r1, size)
                  and route <= set(doc.get("route", [])),
                  err + str(doc.get("route")))
        finally:
            card.stop()


def test_pin():
    """A PIN-protected file; the card keeps a verified PIN until it is reset."""
    r1 = fixture("r1-three-accounts.bin")
    card = with_card(r1, card_profile("pin.json"))
    if card is None:
        check("pin: card up", False)
        return
    try:
        rc, out, err = run("dump", "--reader", "0")
        check("a PIN-protected file without --pin fails cleanly and says --pin",
              rc == 3 and "--pin" in err and out == "", err)
        rc, out, err = run("dump", "--reader", "0", "--json", "--pin", "1234", "--trace")
        doc = json.loads(out) if rc == 0 else {}
        check("variant pin.json is read through PC/SC with --pin",
              rc == 0 and doc["card"]["sha256"] == sha256_file(r1)
              and {"pin-verified", "private"} <= set(doc.get("route", [])),
              err[-300:] + str(doc.get("route")))
        verify = [l for l in err.splitlines() if re.match(r"> [04][0-9A-F]20", l)]
        check("--trace masks the PIN bytes of VERIFY",
              rc == 0 and "31323334" not in err and any("**" in l for l in verify),
              "\n".join(verify))
    finally:
        card.stop()
    card = with_card(r1, card_profile("pin.json"))
    if card is None:
        check("pin: card up again", False)
        return
    try:
        rc, out, err = run("dump", "--reader", "0", "--pin", "1234", "--trace", "--show-secrets")
        check("--trace --show-secrets shows the PIN bytes",
              rc == 0 and "31323334FFFFFFFF" in err, err[-400:])
        rc, out, err = run("dump", "--reader", "0", "--pin", "9999")
        check("a PIN already verified on the card is not sent again",
              rc == 0, err[-300:])
    finally:
        card.stop()


def test_write():
    work = os.path.join(TMP, "writable.bin")
    with open(work, "wb") as f:
        f.write(open(fixture("r1-three-accounts.bin"), "rb").read())
    prof = os.path.join(TMP, "writable.json")
    with open(prof, "w") as f:
        json.dump({"file_size": 1024, "writable": True}, f)
    card = with_card(work, prof)
    if card is None:
        check("write: card up", False)
        return
    try:
        newfile = fixture("valid-avsystem-example.bin")
        rc, out, err = run("write", newfile, "--reader", "0", "--pad")
        check("write FILE --reader 0 writes and verifies", rc == 0 and "verified" in out, err)
        rc, out, err = run("dump", "--reader", "0", "--json")
        check("the card then holds the written file (FF padded to the EF size)",
              rc == 0 and json.loads(out)["card"]["sha256"] == sha256_file(newfile, 1024), err)
        bad = os.path.join(TMP, "bad.bin")
        with open(bad, "wb") as f:
            f.write(b"\x00\x01\x00\x09\x00")
        rc, out, err = run("write", bad, "--reader", "0")
        check("write refuses a file that does not validate (exit 1)", rc == 1, err)
    finally:
        card.stop()
    card = with_card(fixture("r1-three-accounts.bin"), card_profile("read-only.json"))
    if card is None:
        check("write: read-only card up", False)
        return
    try:
        rc, out, err = run("write", fixture("r1-three-accounts.bin"), "--reader", "0")
        check("write to a read-only card fails cleanly with the status word",
              rc == 3 and "6982" in err, err)
    finally:
        card.stop()


class Probe:
    """tests/pcsc_probe.c: one PC/SC connection held across card events."""

    def __init__(self):
        self.proc = subprocess.Popen([PROBE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)

    def cmd(self, c):
        self.proc.stdin.write(c + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().split()

    def stop(self):
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.wait(timeout=10)


def test_transport_events():
    """The PC/SC transport on one connection: reset, removal, re-insertion, another card."""
    r1 = fixture("r1-three-accounts.bin")
    prof = os.path.join(TMP, "events.json")
    with open(prof, "w") as f:
        json.dump({"iccid": DEFAULT_ICCID}, f)
    card = with_card(r1, prof)
    if card is None:
        check("events: card up", False)
        return
    probe = Probe()
    try:
        r = probe.cmd("open")
        check("probe opens reader 0", r[:3] == ["open", "0", "OK"], str(r))
        r = probe.cmd("read")
        check("probe reads the card", r[2:] == ["OK", DEFAULT_ICCID], str(r))
        check("card_event with nothing happened: 0", probe.cmd("event")[2] == "OK")
        check("reset succeeds", probe.cmd("reset")[2] == "OK")
        r = probe.cmd("read")
        check("the card reads again after a reset (reconnected)", r[2] == "OK", str(r))

        card.signal(signal.SIGUSR1)
        reader_has_card(False)
        r = probe.cmd("event")
        check("card_event after removal: CARD_REMOVED", r[2] == "CARD_REMOVED", str(r))
        r = probe.cmd("read")
        check("a read with the card removed fails with CARD_REMOVED", r[2] == "CARD_REMOVED",
              str(r))
        card.signal(signal.SIGUSR2)
        reader_has_card(True)
        r = probe.cmd("event")
        check("card_event after insertion: CARD_REINSERTED", r[2] == "CARD_REINSERTED", str(r))
        r = probe.cmd("read")
        check("the re-inserted card reads on the same connection", r[2] == "OK", str(r))

        # Removal and insertion between two checks, nobody polling in between.
        card.signal(signal.SIGUSR1)
        reader_has_card(False)
        card.signal(signal.SIGUSR2)
        reader_has_card(True)
        r = probe.cmd("event")
        check("removal + re-insertion between two checks is detected (CARD_REINSERTED)",
              r[2] == "CARD_REINSERTED", str(r))
        check("then the card reads", probe.cmd("read")[2] == "OK")

        # The same, but the next thing the client does is a read.
        card.signal(signal.SIGUSR1)
        reader_has_card(False)
        card.signal(signal.SIGUSR2)
        reader_has_card(True)
        r = probe.cmd("read")
        check("a read after an unseen removal + re-insertion fails with CARD_REINSERTED",
              r[2] == "CARD_REINSERTED", str(r))
        check("and the next read succeeds", probe.cmd("read")[2] == "OK")

        # Another card (SIGHUP with a new ICCID): seen as a re-insertion.
        with open(prof, "w") as f:
            json.dump({"iccid": "8944500000000000001"}, f)
        card.signal(signal.SIGHUP)
        seen = []
        for _ in range(100):
            r = probe.cmd("event")
            if not seen or seen[-1] != r[2]:
                seen.append(r[2])
            if r[2] == "CARD_REINSERTED":
                break
            time.sleep(0.1)
        # The simulator drops the vpcd connection and connects again as
        # another card; a poll may catch the empty reader in between.
        check("a swapped card is reported as CARD_REINSERTED (after CARD_REMOVED at most)",
              seen[-1] == "CARD_REINSERTED" and set(seen) <= {"OK", "CARD_REMOVED",
                                                              "CARD_REINSERTED"}, str(seen))
        r = probe.cmd("read")
        check("and reads with the new ICCID", r[2:] == ["OK", "8944500000000000001"], str(r))
    finally:
        probe.stop()
        card.stop()


SCP03_KEYS = {16: "scp03-aes128.json", 24: "scp03-aes192.json", 32: "scp03-aes256.json"}
SCP03_LEVELS = ["01", "03", "11", "13", "33"]


def test_scp03():
    """Host against the virtual card through pcscd at every level and key size."""
    r1 = fixture("r1-three-accounts.bin")
    for klen, keyfile in sorted(SCP03_KEYS.items()):
        keys = card_profile(keyfile)
        card = with_card(r1, None, ["--scp03-keys", keys])
        if card is None:
            check("scp03 AES-%d: card up" % (8 * klen), False)
            continue
        try:
            for level in SCP03_LEVELS:
                rc, out, err = run("dump", "--reader", "0", "--json", "--trace",
                                   "--scp03-keys", keys, "--scp03-level", level)
                doc = json.loads(out) if rc == 0 else {}
                n = len([l for l in err.splitlines() if l.startswith("> ")])
                check("SCP03 AES-%d level %s through pcscd reads R1" % (8 * klen, level),
                      rc == 0 and doc["card"]["sha256"] == sha256_file(r1)
                      and "scp03" in doc.get("route", []), err[-300:])
                if level == "33":
                    check("SCP03 AES-%d level 33: the whole read in at most 16 C-APDUs (%d)"
                          % (8 * klen, n), 0 < n <= 16)
        finally:
            card.stop()

    keys = card_profile(SCP03_KEYS[16])
    wrong = os.path.join(TMP, "wrong-keys.json")
    with open(keys) as f:
        k = json.load(f)
    k["mac"] = k["mac"][:-2] + ("00" if k["mac"][-2:] != "00" else "01")
    with open(wrong, "w") as f:
        json.dump(k, f)
    os.chmod(wrong, 0o600)
    card = with_card(r1, card_profile("scp03-required.json"), ["--scp03-keys", keys])
    if card is None:
        check("scp03-required: card up", False)
        return
    try:
        rc, out, err = run("dump", "--reader", "0", "--trace", "--scp03-keys", wrong)
        check("wrong static keys: exit 3, authentication failed, no EXTERNAL AUTHENTICATE sent",
              rc == 3 and "authentication" in err and out == ""
              and not re.search(r"^> [8C-F][0-9A-F]82", err, re.M), err[-400:])
        rc, out, err = run("dump", "--reader", "0")
        check("a card that requires SCP03 refuses a plain read (6982)",
              rc == 3 and "6982" in err, err)
        rc, out, err = run("dump", "--reader", "0", "--scp03-keys", keys, "--scp03-level", "13")
        check("a card that requires SCP03 with R-ENC refuses level 13", rc == 3, err)
        rc, out, err = run("dump", "--reader", "0", "--json", "--scp03-keys", keys)
        check("... and reads at the default level 33",
              rc == 0 and "scp03" in json.loads(out).get("route", []), err)

        # Nothing secret in the trace, the output or the card's log.
        rc, out, err = run("dump", "--reader", "0", "--trace", "--json", "--scp03-keys", keys)
        blob = out + err + open(os.path.join(TMP, "simcard.log")).read()
        with open(keys) as f:
            k = json.load(f)
        secrets = [k["enc"], k["mac"], k["dek"]] + [p.hex() for p in psks(r1)]
        found = [x for x in secrets if x.upper() in blob.upper()]
        check("no static key or PSK in the trace, the JSON or the card log", rc == 0 and not found,
              str(found))
        if os.path.exists(SESSION_KEYS_TOOL):
            sk = session_keys(keys, err)
            check("no session key in the trace or the output",
                  sk and not [x for x in sk if x.upper() in blob.upper()], str(sk))
        rc, out, err = run("dump", "--reader", "0", "--json", "--show-secrets",
                           "--scp03-keys", keys)
        check("--show-secrets does print the PSKs (the check above can fail)",
              rc == 0 and all(p.hex() in out.lower() for p in psks(r1)))
    finally:
        card.stop()

    card = with_card(r1)   # no keys on the card
    try:
        rc, out, err = run("dump", "--reader", "0", "--scp03-keys", keys)
        check("require policy: a card without SCP03 is not read in plain", rc == 3, err)
        rc, out, err = run("dump", "--reader", "0", "--json", "--scp03-keys", keys,
                           "--scp03-policy", "prefer")
        check("prefer policy: a card without SCP03 is read in plain and the route says so",
              rc == 0 and "scp03-skipped-card-has-none" in json.loads(out).get("route", []), err)
    finally:
        if card is not None:
            card.stop()


def psks(path):
    """The Secret Key (/0/x/5) values of a bootstrap file, from decode --json --show-secrets."""
    rc, out, err = run("decode", path, "--json", "--show-secrets")
    vals = []
    for obj in json.loads(out)["objects"]:
        if obj["oid"] != 0:
            continue
        for inst in obj["instances"]:
            v = inst["resources"].get("5")
            if isinstance(v, dict) and "hex" in v and len(v["hex"]) >= 8:
                vals.append(bytes.fromhex(v["hex"]))
    return vals


SESSION_KEYS_TOOL = ""


def session_keys(keyfile, trace):
    """S-ENC, S-MAC, S-RMAC of the session in `trace` (tests/scp03_session_keys.c)."""
    lines = trace.splitlines()
    for i, l in enumerate(lines):
        if re.match(r"^> 8[0-3]50", l) and i + 1 < len(lines):
            p = subprocess.run([SESSION_KEYS_TOOL, keyfile, l[2:], lines[i + 1][2:]],
                               capture_output=True, text=True)
            return p.stdout.split() if p.returncode == 0 else []
    return []


def test_watch_lifecycle():
    """The bridge through pcscd: uiccboot watch --json on the reference core
    while the card is changed over the air, swapped, removed and re-inserted."""
    work_card = os.path.join(TMP, "watch-card.bin")
    prof = os.path.join(TMP, "watch-profile.json")
    shutil.copyfile(fixture("r1-three-accounts.bin"), work_card)
    with open(prof, "w") as f:
        json.dump({"iccid": DEFAULT_ICCID}, f)
    card = with_card(work_card, prof)
    if card is None:
        check("watch: card up", False)
        return
    store = os.path.join(TMP, "watch-provenance.bin")
    w = subprocess.Popen([TOOL, "watch", "--reader", "0", "--json", "--interval", "300",
                          "--store", store], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    events = []

    def wait_for(kind, timeout=15.0):
        end = time.time() + timeout
        while time.time() < end:
            line = w.stdout.readline()
            if not line:
                return None
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            events.append(ev)
            if ev.get("event") == kind:
                return ev
        return None

    try:
        ev = wait_for("inserted")
        paths = sorted(a["path"] for a in (ev or {}).get("actions", []) if a["op"] == "create")
        check("watch: boot with card A creates its 7 instances",
              paths == ["/0/0", "/0/1", "/0/2", "/1/0", "/1/1", "/2/0", "/2/1"], str(ev))
        ev = wait_for("unchanged")
        check("watch: a check on the unchanged card takes 3 C-APDUs and does nothing",
              ev is not None and ev["commands"] == 3 and ev["actions"] == [], str(ev))
        # over the air: Lifetime of server 101 changes
        data = bytearray(open(work_card, "rb").read())
        i = data.find(bytes.fromhex("c2010e10"))
        data[i + 2:i + 4] = bytes.fromhex("1c20")
        with open(work_card, "wb") as f:
            f.write(data)
        card.signal(signal.SIGHUP)
        ev = wait_for("changed")
        ops = [(a["op"], a.get("ssid")) for a in (ev or {}).get("actions", [])]
        check("watch: an OTA change replaces account 101 only (disable first, enable last)",
              ev is not None and ops[0] == ("disable", 101) and ops[-1] == ("enable", 101)
              and all(s in (101, None) for _, s in ops), str(ops))
        # swap to card B
        shutil.copyfile(fixture("valid-avsystem-example.bin"), work_card)
        with open(prof, "w") as f:
            json.dump({"iccid": "8944500000000000001"}, f)
        card.signal(signal.SIGHUP)
        ev = wait_for("inserted")
        check("watch: a swapped card is applied with its ICCID",
              ev is not None and ev.get("iccid") == "8944500000000000001"
              and sorted(ev["objects"]) == ["/0/1", "/1/1"], str(ev))
        card.signal(signal.SIGUSR1)
        ev = wait_for("removed")
        check("watch: removal deletes the card's instances and de-registers",
              ev is not None and ev["objects"] == []
              and ("deregister", 1) in [(a["op"], a.get("ssid")) for a in ev["actions"]], str(ev))
        card.signal(signal.SIGUSR2)
        ev = wait_for("inserted")
        check("watch: the card inserted again is applied again",
              ev is not None and sorted(ev["objects"]) == ["/0/1", "/1/1"], str(ev))
    finally:
        w.terminate()
        try:
            w.wait(timeout=5)
        except subprocess.TimeoutExpired:
            w.kill()
    check("watch exits 0 on SIGTERM", w.returncode == 0, str(w.returncode))
    # Powered off with card B applied; the card leaves; the device boots.
    try:
        card.signal(signal.SIGUSR1)
        reader_has_card(False)
        p = subprocess.run([TOOL, "watch", "--reader", "0", "--json", "--interval", "200",
                            "--checks", "1", "--store", store], capture_output=True, text=True,
                           timeout=30)
        lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
        kinds = [l.get("event") for l in lines]
        start = [l for l in lines if l.get("event") == "start"]
        check("watch: a card removed while off is cleaned up at boot, before registering",
              p.returncode == 0 and "removed" in kinds and start
              and kinds.index("removed") < kinds.index("start")
              and start[0].get("next") == "factory-bootstrap", p.stdout + p.stderr)
    finally:
        card.stop()


def test_watch_fault_sweep():
    """The bridge's first boot through pcscd with a fault at every C-APDU of
    the walk: the client ends with none or all of the card's instances,
    never part of them, and watch keeps running (exit 0)."""
    r1 = fixture("r1-three-accounts.bin")
    full = ["/0/0", "/0/1", "/0/2", "/1/0", "/1/1", "/2/0", "/2/1"]
    bad = []
    n = 13  # the first walk of R1 (no MANAGE CHANNEL close: the channel is kept)
    for kind in ("sw", "remove"):
        for k in range(1, n + 1):
            prof = os.path.join(TMP, "watch-fault.json")
            with open(prof, "w") as f:
                json.dump({"faults": {"at": k, "kind": kind, "sw": "6F00"}}, f)
            card = with_card(r1, prof)
            if card is None:
                bad.append("%s@%d: card not up" % (kind, k))
                continue
            try:
                p = subprocess.run([TOOL, "watch", "--reader", "0", "--json", "--interval", "200",
                                    "--checks", "2"], capture_output=True, text=True, timeout=60)
            finally:
                card.stop()
            lines = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
            states = [sorted(l["objects"]) for l in lines if "objects" in l]
            if p.returncode != 0:
                bad.append("%s@%d: exit %d %s" % (kind, k, p.returncode, p.stderr[-200:]))
            elif any(st not in ([], full) for st in states):
                bad.append("%s@%d: partial state %s" % (kind, k, states))
    check("watch: a fault at each C-APDU of the first boot leaves none or all of the card's "
          "instances", not bad, "; ".join(bad[:5]))


def test_fault_sweep():
    """A fault at each C-APDU of the walk: a clean error, never a partial file."""
    r1 = fixture("r1-three-accounts.bin")
    card = with_card(r1)
    if card is None:
        check("fault sweep: card up", False)
        return
    try:
        rc, out, err = run("dump", "--reader", "0", "--trace")
        n = len([l for l in err.splitlines() if l.startswith("> ")])
    finally:
        card.stop()
    check("fault sweep: a clean read counts its C-APDUs", rc == 0 and n > 0, err)
    for kind, extra in (("sw", {"sw": "6F00"}), ("remove", {})):
        bad = []
        for k in range(1, n + 1):
            prof = os.path.join(TMP, "fault.json")
            faults = {"at": k, "kind": kind}
            faults.update(extra)
            with open(prof, "w") as f:
                json.dump({"faults": faults}, f)
            card = with_card(r1, prof)
            if card is None:
                bad.append("%d: card not up" % k)
                continue
            try:
                rc, out, err = run("dump", "--reader", "0", "--json")
            finally:
                card.stop()
            # The last command (MANAGE CHANNEL close) may fail after the file
            # was read whole: success is allowed only with the exact content.
            if rc == 0:
                doc = json.loads(out)
                if doc["card"]["sha256"] != sha256_file(r1):
                    bad.append("%d: success with other content" % k)
            elif rc != 3 or out != "" or "Traceback" in err or "card" not in err:
                bad.append("%d: rc %d err %r" % (k, rc, err[-200:]))
        check("fault '%s' at each of the %d C-APDUs: clean error, no partial file" % (kind, n),
              not bad, "; ".join(bad[:5]))


def main():
    global TOOL, SIMCARD, ROOT, TMP, PROBE, SESSION_KEYS_TOOL
    if len(sys.argv) != 6:
        print(__doc__)
        return 2
    TOOL, SIMCARD, ROOT, PROBE, SESSION_KEYS_TOOL = (os.path.abspath(a) for a in sys.argv[1:6])
    if os.environ.get("UCB_IN_NAMESPACE") != "1":
        if os.geteuid() != 0:
            print("SKIP: needs root for unshare -mn (private pcscd socket and vpcd ports)")
            return 77
        for prog in ("pcscd", "unshare", "ip"):
            if shutil.which(prog) is None:
                print("FAIL: %s not installed" % prog)
                return 1
        if not os.path.exists("/usr/lib/pcsc/drivers/serial/libifdvpcd.so"):
            print("FAIL: vsmartcard-vpcd is not installed")
            return 1
        env = dict(os.environ, UCB_IN_NAMESPACE="1")
        return subprocess.call(["unshare", "--mount", "--net", "--propagation", "private",
                                sys.executable] + sys.argv, env=env)

    subprocess.check_call(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run"])
    os.makedirs("/run/pcscd", exist_ok=True)
    subprocess.check_call(["ip", "link", "set", "lo", "up"])
    TMP = tempfile.mkdtemp(prefix="ucb-pcsc-")
    pcscd_log = open(os.path.join(TMP, "pcscd.log"), "w")
    pcscd = subprocess.Popen(["pcscd", "--foreground"], stdout=pcscd_log, stderr=pcscd_log)
    try:
        for _ in range(100):
            if os.path.exists("/run/pcscd/pcscd.comm"):
                break
            time.sleep(0.05)
        test_readers()
        test_dump_default()
        test_reload()
        test_variants()
        test_pin()
        test_write()
        test_transport_events()
        test_scp03()
        test_watch_lifecycle()
        test_watch_fault_sweep()
        test_fault_sweep()
    finally:
        pcscd.terminate()
        try:
            pcscd.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pcscd.kill()
        pcscd_log.close()
        if FAILED:
            for log in ("pcscd.log", "simcard.log"):
                print("---- %s (tail)" % log)
                try:
                    print("".join(open(os.path.join(TMP, log)).readlines()[-30:]))
                except OSError:
                    pass
        shutil.rmtree(TMP, ignore_errors=True)
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
