#!/usr/bin/env python3
"""Exported-symbol check (house style: hidden by default, one prefix).

argv[1]: the shared library; argv[2]: the static library.
- every dynamic symbol the shared library defines starts with ucb_;
- it exports the public API (a few known names must be there);
- every global symbol the static library defines starts with ucb_, so
  linking it into firmware cannot collide with the application's names.
"""
import os
import subprocess
import sys

REQUIRED = ["ucb_strerror", "ucb_tlv_next", "ucb_bs_decode", "ucb_bs_encode",
            "ucb_validate_file", "ucb_rule_get"]


def defined(args):
    out = subprocess.run(["nm", "--defined-only", "-P"] + args, check=True,
                         capture_output=True, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2 or parts[0].endswith(":") or parts[0].endswith("]:"):
            continue
        name, kind = parts[0], parts[1]
        if kind in "TDBRVWGS" and kind.isupper():  # global definitions only
            # ASan adds an ODR indicator "__odr_asan.NAME" for each global
            # variable; it carries the variable's own name.
            if name.startswith("__odr_asan."):
                name = name[len("__odr_asan."):]
            syms.append(name)
    return syms


def main():
    shared, statics = sys.argv[1], sys.argv[2:]
    failures = []
    exported = defined(["-D", shared])
    for s in exported:
        if not s.startswith("ucb_") and s not in ("_init", "_fini"):
            failures.append(f"shared library exports {s!r} without the ucb_ prefix")
    for s in REQUIRED:
        if s not in exported:
            failures.append(f"shared library does not export {s}")
    for static in statics:
        for s in defined([static]):
            if not s.startswith("ucb_"):
                failures.append(f"{os.path.basename(static)} defines global {s!r} "
                                "without the ucb_ prefix")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(exported)} exported symbols checked")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
