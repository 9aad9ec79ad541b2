#!/usr/bin/env python3
"""Behaviour tests of the uiccboot host tool (python3 standard library only).

usage: test_tool.py PATH/TO/uiccboot SOURCE_ROOT

Runs the tool as a user would and checks exit codes (0 ok, 1 invalid, 2 usage,
3 I/O), the decode --json and validate --json schemas, secret redaction,
decode -> encode -> decode round trips and the errors of malformed specs.
Prints one line per check and a final "N passed, M failed" line.
"""

import json
import os
import random
import re
import subprocess
import sys
import tempfile

# LwM2M Core Appendix G worked examples (docs: spec-notes 1.5).
# AVSystem Anjay generator.py output, 126 bytes: one PSK account (SSID 1).
AVSYSTEM_HEX = (
    "0002007a000000005e08015bc80022636f6170733a2f2f65752e696f742e617673797374"
    "656d2e636c6f75643a35363834c10100c10200c803146578616d706c652d70736b2d6964"
    "656e74697479c805133378406d706c3350354b3533637233744b3379c10a010001000012"
    "08010fc10001c40100015180c10600c10755")
# Nordic sdk-nrf test vector, 60 bytes: a NoSec bootstrap server, FF FF padding.
NORDIC_HEX = (
    "00010036000000003108002EC80025636F61703A2F2F6C657368616E2E65636C69707365"
    "70726F6A656374732E696F3A35373833C10101C10203FFFF")

AVSYSTEM_PSK = b"3x@mpl3P5K53cr3tK3y"

AVSYSTEM_JSON = {"objects": [
    {"oid": 0, "version": "1.0", "instances": [{"iid": 1, "resources": {
        "0": "coaps://eu.iot.avsystem.cloud:5684",
        "1": False,
        "2": 0,
        "3": {"hex": b"example-psk-identity".hex()},
        "5": {"redacted": True, "length": 19},
        "10": 1}}]},
    {"oid": 1, "version": "1.0", "instances": [{"iid": 1, "resources": {
        "0": 1, "1": 86400, "6": False, "7": "U"}}]}]}

NORDIC_JSON = {"objects": [
    {"oid": 0, "version": "1.0", "instances": [{"iid": 0, "resources": {
        "0": "coap://leshan.eclipseprojects.io:5783", "1": True, "2": 3}}]}]}

TOOL = ""
PASSED = 0
FAILED = 0


def check(name, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print("ok   %s" % name)
    else:
        FAILED += 1
        print("FAIL %s%s" % (name, ": " + detail if detail else ""))
    sys.stdout.flush()


def run(*args, stdin=None):
    p = subprocess.run([TOOL] + list(args), input=stdin, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def same_json(a, b):
    """Equal values and equal key order."""
    return json.dumps(a) == json.dumps(b)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def is_usage_error(rc, out, err):
    lines = err.strip().splitlines()
    return (rc == 2 and out == "" and len(lines) == 1 and lines[0].startswith("uiccboot: ")
            and "--help" in lines[0])


def test_help_and_version():
    ok, bad = True, []
    for args in (["--help"], ["-h"], ["help"], ["decode", "--help"], ["validate", "--help"],
                 ["encode", "--help"], ["help", "decode"], ["help", "encode"]):
        rc, out, err = run(*args)
        if rc != 0 or not out.startswith("usage: uiccboot") or err != "":
            ok = False
            bad.append(" ".join(args))
    check("help_prints_usage_on_stdout_and_exits_0", ok, ", ".join(bad))
    rc, out, _ = run("--version")
    check("version_prints_name_and_version", rc == 0 and re.match(r"^uiccboot \S+\n$", out),
          repr(out))


def test_usage_errors(tmp, avs):
    cases = [[], ["frobnicate"], ["--bogus"], ["decode"], ["decode", "--bogus", avs],
             ["decode", avs, "extra"], ["validate", avs, "--show-secrets"], ["encode", avs],
             ["encode", avs, "-o"], ["help", "nope"]]
    bad = []
    for args in cases:
        rc, out, err = run(*args)
        if not is_usage_error(rc, out, err):
            bad.append("%s -> %d %r" % (" ".join(args) or "(none)", rc, err))
    check("usage_errors_exit_2_with_one_line_and_hint", not bad, "; ".join(bad))


def test_io_errors(tmp, spec_path):
    missing = os.path.join(tmp, "no-such-file.bin")
    blocker = write(os.path.join(tmp, "not-a-dir"), b"x")
    target = os.path.join(blocker, "out.bin")  # parent is a regular file: ENOTDIR, even for root
    results = {
        "decode missing": run("decode", missing),
        "validate missing": run("validate", missing),
        "decode directory": run("decode", tmp),
        "encode missing spec": run("encode", missing, "-o", os.path.join(tmp, "x.bin")),
        "encode unwritable -o": run("encode", spec_path, "-o", target),
    }
    bad = ["%s -> %d" % (k, v[0]) for k, v in results.items()
           if v[0] != 3 or not v[2].startswith("uiccboot: ")]
    check("unreadable_input_or_unwritable_output_exits_3", not bad, "; ".join(bad))


def test_decode_vectors(avs, nordic):
    rc, out, err = run("decode", "--json", avs)
    try:
        doc = json.loads(out)
    except ValueError:
        doc = None
    check("decode_json_avsystem_example_redacts_secret_key", rc == 0 and same_json(doc, AVSYSTEM_JSON),
          "rc=%d out=%s err=%s" % (rc, out, err))

    rc, out, _ = run("decode", avs, "--json", "--show-secrets")
    want = json.loads(json.dumps(AVSYSTEM_JSON))
    want["objects"][0]["instances"][0]["resources"]["5"] = {"hex": AVSYSTEM_PSK.hex()}
    check("decode_json_show_secrets_prints_secret_key_as_hex",
          rc == 0 and same_json(json.loads(out or "null"), want), out)

    rc, out, _ = run("decode", "--json", nordic)
    check("decode_json_nordic_example_ignores_ff_padding",
          rc == 0 and same_json(json.loads(out or "null"), NORDIC_JSON), out)

    rc, out, _ = run("decode", avs)
    want_lines = ["EF LwM2M_Bootstrap: 2 objects, 122 bytes (+0 padding)",
                  "Security /0 (version 1.0)",
                  "    /0/1/0  LWM2M Server URI             \"coaps://eu.iot.avsystem.cloud:5684\"",
                  "    /0/1/5  Secret Key                   <redacted, 19 bytes>",
                  "    /0/1/10 Short Server ID              1",
                  "Server /1 (version 1.0)",
                  "    /1/1/1  Lifetime                     86400"]
    lines = out.splitlines()
    missing = [l for l in want_lines if l not in lines]
    check("decode_tree_names_objects_and_resources", rc == 0 and not missing, repr(missing))


def secret_hexes(doc):
    """Hex of every Security Secret Key / SMS Binding Secret Key in a --show-secrets doc."""
    found = []
    for o in doc["objects"]:
        if o["oid"] != 0:
            continue
        for inst in o["instances"]:
            for rid in ("5", "8"):
                v = inst["resources"].get(rid)
                vals = list(v["instances"].values()) if isinstance(v, dict) and "instances" in v else [v]
                found += [x["hex"] for x in vals if isinstance(x, dict) and x.get("hex")]
    return found


def test_redaction(files):
    leaks = []
    checked = 0
    for path in files:
        rc, out, _ = run("decode", "--json", "--show-secrets", path)
        if rc != 0:
            continue
        secrets = secret_hexes(json.loads(out))
        outputs = [run("decode", path), run("decode", "--json", path), run("validate", path),
                   run("validate", "--json", path)]
        text = "".join(o[1] + o[2] for o in outputs).lower()
        for s in secrets:
            checked += 1
            raw = bytes.fromhex(s)
            if s in text or (len(raw) >= 4 and raw.decode("latin-1").lower() in text):
                leaks.append(os.path.basename(path))
    check("secret_keys_never_appear_in_default_output", checked > 0 and not leaks,
          "checked %d, leaks in %s" % (checked, leaks))


def test_validate(avs, bad_spec_file, tmp):
    rc, out, _ = run("validate", avs)
    check("validate_valid_file_exits_0_with_summary",
          rc == 0 and out.strip().splitlines()[-1].startswith("valid"), "rc=%d %r" % (rc, out))

    bad = os.path.join(tmp, "no-uri.bin")
    rc_enc, _, err = run("encode", bad_spec_file, "-o", bad)
    rc, out, _ = run("validate", bad)
    lines = out.strip().splitlines()
    check("validate_invalid_file_exits_1_with_diagnostic_lines",
          rc_enc == 0 and rc == 1 and lines and lines[-1].startswith("invalid: ")
          and any(re.match(r"^error SEC-URI-MISSING /0/1 @0x[0-9a-f]{4,}: .+", l) for l in lines),
          "rc=%d %r %s" % (rc, out, err))

    bad_schema = []
    for path, want_rc in ((avs, 0), (bad, 1)):
        rc, out, _ = run("validate", "--json", path)
        try:
            doc = json.loads(out)
        except ValueError:
            bad_schema.append("not JSON")
            continue
        if rc != want_rc or list(doc) != ["valid", "diagnostics"] or \
                not isinstance(doc["valid"], bool) or doc["valid"] != (rc == 0):
            bad_schema.append("top: %r" % list(doc))
            continue
        for d in doc["diagnostics"]:
            if list(d) != ["rule", "severity", "path", "offset", "message"] or \
                    d["severity"] not in ("error", "warning") or \
                    not isinstance(d["offset"], int) or not d["path"].startswith("/") or \
                    not isinstance(d["message"], str) or not isinstance(d["rule"], str):
                bad_schema.append(repr(d))
        if doc["valid"] == any(d["severity"] == "error" for d in doc["diagnostics"]):
            bad_schema.append("valid disagrees with the errors")
        if path == bad and not any(d["rule"] == "SEC-URI-MISSING" and d["path"] == "/0/1"
                                   for d in doc["diagnostics"]):
            bad_schema.append("no SEC-URI-MISSING /0/1")
    check("validate_json_has_exact_schema", not bad_schema, "; ".join(bad_schema))


def test_undecodable(avs_bytes, tmp):
    cut = write(os.path.join(tmp, "cut.bin"), avs_bytes[:50])
    big = write(os.path.join(tmp, "big.bin"), avs_bytes + b"\xff" * 40000)
    bad = []
    for path in (cut, big):
        rc, out, err = run("decode", path)
        if rc != 1 or out != "" or not re.match(
                r"^uiccboot: .+: .+ at offset \d+ \(path /[0-9/]*\)\n$", err):
            bad.append("decode %s -> %d %r" % (os.path.basename(path), rc, err))
        rc, out, _ = run("validate", path)
        if rc != 1 or "invalid" not in out:
            bad.append("validate %s -> %d" % (os.path.basename(path), rc))
    check("undecodable_and_oversized_files_exit_1_naming_offset_and_path", not bad, "; ".join(bad))


def test_round_trip(files, tmp):
    bad, done = [], 0
    for i, path in enumerate(files):
        rc, first, _ = run("decode", "--json", "--show-secrets", path)
        if rc != 0:
            continue
        spec = write(os.path.join(tmp, "rt%d.json" % i), first.encode())
        out = os.path.join(tmp, "rt%d.bin" % i)
        rc_enc, _, err = run("encode", spec, "-o", out)
        rc2, second, _ = run("decode", "--json", "--show-secrets", out)
        done += 1
        if rc_enc != 0 or rc2 != 0 or first != second or "objects" not in json.loads(first):
            bad.append("%s (%s)" % (os.path.basename(path), err.strip()))
    check("decode_encode_decode_round_trips_every_decodable_file (%d files)" % done,
          done >= 3 and not bad, "; ".join(bad))


def test_encode_bytes(avs, avs_bytes, nordic_bytes, tmp):
    ok = True
    for name, src, want in (("avs", avs, avs_bytes), ("nordic", None, nordic_bytes[:-2])):
        if src is None:
            src = write(os.path.join(tmp, "n.bin"), nordic_bytes)
        rc, js, _ = run("decode", "--json", "--show-secrets", src)
        out = os.path.join(tmp, name + "-re.bin")
        rc2, _, _ = run("encode", "-", "-o", out, stdin=js.encode())
        ok = ok and rc == 0 and rc2 == 0 and open(out, "rb").read() == want
    check("encode_reproduces_the_spec_vectors_byte_for_byte", ok)

    spec = {"objects": [
        {"oid": 0, "version": "1.1", "instances": [{"iid": 3, "resources": {
            "2": -129, "10": 65534, "13": 300, "17": {"objlnk": "21:65535"},
            "16": {"instances": {"0": 49320, "7": 5}}}}]},
        {"oid": 3442, "version": "2.5", "instances": [{"iid": 0, "resources": {
            "1": {"hex": "ABcd"}, "2": {"instances": {"3": {"hex": ""}}}}}]}]}
    sp = write(os.path.join(tmp, "typed.json"), json.dumps(spec).encode())
    out = os.path.join(tmp, "typed.bin")
    rc, _, err = run("encode", sp, "-o", out)
    data = open(out, "rb").read() if rc == 0 else b""
    # Smallest two's complement / unsigned forms (Core Appendix C) and a 1.1 version header.
    want_parts = [bytes.fromhex("00000101"), bytes.fromhex("c202ff7f"), bytes.fromhex("c40a0000fffe"),
                  bytes.fromhex("c20d012c"), bytes.fromhex("c4110015ffff"),
                  bytes.fromhex("87104200c0a8410705"), bytes.fromhex("0d720205"),
                  bytes.fromhex("c201abcd"), bytes.fromhex("82024003")]
    rc2, back, _ = run("decode", "--json", out)
    spec["objects"][1]["instances"][0]["resources"]["1"]["hex"] = "abcd"
    check("encode_writes_typed_values_in_smallest_form",
          rc == 0 and all(p in data for p in want_parts) and rc2 == 0
          and same_json(json.loads(back), spec),
          "rc=%d %s data=%s back=%s" % (rc, err, data.hex(), back))


def test_malformed_specs(tmp):
    res = lambda r: json.dumps({"objects": [{"oid": 0, "version": "1.0", "instances": [
        {"iid": 1, "resources": r}]}]})
    path0 = 'objects[0].instances[0].resources."%s"'
    cases = [
        ("not_json", "{\"objects\": [", "line 1"),
        ("string_for_integer", res({"2": "zero"}), path0 % "2" + ": expected an integer for Security Mode"),
        ("id_not_decimal", res({"x1": 1}), path0 % "x1"),
        ("id_out_of_range", res({"65536": {"hex": ""}}), path0 % "65536"),
        ("bad_hex", res({"3": {"hex": "6g"}}), path0 % "3"),
        ("odd_hex", res({"3": {"hex": "616"}}), path0 % "3"),
        ("string_for_opaque", res({"3": "identity"}), path0 % "3"),
        ("number_for_boolean", res({"1": 0}), path0 % "1"),
        ("negative_unsigned", res({"13": -1}), path0 % "13"),
        ("plain_value_for_unknown_resource", res({"99": 1}), path0 % "99"),
        ("redacted_secret", res({"5": {"redacted": True, "length": 16}}),
         "/0/1/5 is redacted; decode with --show-secrets"),
        ("bad_version", json.dumps({"objects": [{"oid": 0, "version": "1", "instances": []}]}),
         "objects[0]"),
        ("oid_not_integer", json.dumps({"objects": [{"oid": "0", "instances": []}]}), "objects[0]"),
        ("unknown_key", json.dumps({"objects": [], "extra": 1}), "extra"),
        ("instances_not_array", json.dumps({"objects": [{"oid": 1, "instances": {}}]}), "objects[0]"),
        ("capacity", json.dumps({"objects": [{"oid": i, "instances": []} for i in range(100)]}),
         "objects[8]"),
    ]
    bad = []
    for name, text, needle in cases:
        sp = write(os.path.join(tmp, "m-%s.json" % name), text.encode())
        out = os.path.join(tmp, "m-%s.bin" % name)
        rc, stdout, err = run("encode", sp, "-o", out)
        lines = err.strip().splitlines()
        if rc != 1 or len(lines) != 1 or not lines[0].startswith("uiccboot: ") or \
                needle not in lines[0] or os.path.exists(out) or os.path.exists(out + ".tmp"):
            bad.append("%s -> %d %r" % (name, rc, err))
    check("malformed_specs_exit_1_naming_the_json_path_and_write_nothing (%d cases)" % len(cases),
          not bad, "; ".join(bad))


def test_hostile_inputs(seeds, tmp):
    rnd = random.Random(20240601)
    bad, path = [], os.path.join(tmp, "fuzz.bin")
    for i in range(150):
        data = bytearray(rnd.choice(seeds))
        for _ in range(rnd.randint(1, 4)):
            op = rnd.randint(0, 2)
            if op == 0 and data:
                data[rnd.randrange(len(data))] = rnd.randrange(256)
            elif op == 1:
                data = data[:rnd.randrange(len(data) + 1)]
            else:
                data += bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8)))
        write(path, bytes(data))
        for args in (("decode", path), ("decode", "--json", "--show-secrets", path),
                     ("validate", "--json", path)):
            rc, out, err = run(*args)
            if rc not in (0, 1) or (args[1] == "--json" and rc == 0 and not json.loads(out)):
                bad.append("%s on %s -> %d %s" % (args[0], bytes(data).hex(), rc, err[-200:]))
    check("mutated_files_never_crash_the_tool", not bad, "; ".join(bad[:3]))


def main():
    global TOOL
    if len(sys.argv) != 3:
        print("usage: test_tool.py UICCBOOT SOURCE_ROOT", file=sys.stderr)
        return 2
    TOOL, root = sys.argv[1], sys.argv[2]
    fixtures_dir = os.path.join(root, "fixtures", "bootstrap")
    fixtures = sorted(os.path.join(fixtures_dir, f) for f in os.listdir(fixtures_dir)
                      if f.endswith(".bin")) if os.path.isdir(fixtures_dir) else []
    with tempfile.TemporaryDirectory(prefix="uiccboot-test-") as tmp:
        avs_bytes, nordic_bytes = bytes.fromhex(AVSYSTEM_HEX), bytes.fromhex(NORDIC_HEX)
        avs = write(os.path.join(tmp, "avsystem.bin"), avs_bytes)
        nordic = write(os.path.join(tmp, "nordic.bin"), nordic_bytes)
        no_uri = write(os.path.join(tmp, "no-uri.json"), json.dumps({"objects": [
            {"oid": 0, "version": "1.0", "instances": [
                {"iid": 1, "resources": {"1": True, "2": 3}}]}]}).encode())

        tests = [
            (test_help_and_version, ()),
            (test_usage_errors, (tmp, avs)),
            (test_io_errors, (tmp, no_uri)),
            (test_decode_vectors, (avs, nordic)),
            (test_redaction, ([avs, nordic] + fixtures,)),
            (test_validate, (avs, no_uri, tmp)),
            (test_undecodable, (avs_bytes, tmp)),
            (test_round_trip, ([avs, nordic] + fixtures, tmp)),
            (test_encode_bytes, (avs, avs_bytes, nordic_bytes, tmp)),
            (test_malformed_specs, (tmp,)),
            (test_hostile_inputs, ([avs_bytes, nordic_bytes] +
                                   [open(f, "rb").read() for f in fixtures], tmp)),
        ]
        for fn, args in tests:
            try:
                fn(*args)
            except Exception as e:  # a broken tool must fail the check, not the script
                check(fn.__name__, False, "%s: %s" % (type(e).__name__, e))
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
