#!/usr/bin/env python3
"""Print, one per line, the compiler arguments a Zephyr build directory used
for its LwM2M engine, for compiling uiccboot's Zephyr adapter outside west
(src/adapters/zephyr/meson.build). Exit 1 with a message on stderr when the
directory is not a configured Zephyr build with CONFIG_LWM2M=y.

Kept: include directories (as -isystem: Zephyr's headers are not held to
uiccboot's warnings), -D, -imacros (autoconf.h), and the target options
(-m*, -nostdinc, -ffreestanding, --sysroot, -fno-builtin...). Dropped:
warnings, optimisation, -std and output options, which the meson project
sets itself.
"""
import json
import os
import shlex
import sys


def fail(msg):
    sys.stderr.write(msg + "\n")
    sys.exit(1)


def main():
    if len(sys.argv) != 2:
        fail("usage: zephyr_flags.py ZEPHYR_BUILD_DIR")
    build = os.path.abspath(sys.argv[1])
    cache = os.path.join(build, "CMakeCache.txt")
    ccj = os.path.join(build, "compile_commands.json")
    if not os.path.isfile(cache):
        if os.path.isfile(os.path.join(build, "include", "zephyr", "net", "lwm2m.h")):
            fail(f"{build} is a Zephyr source tree; -Dzephyr= wants the *build directory* of an "
                 "application built with CONFIG_LWM2M=y (it holds the generated autoconf.h, "
                 "devicetree and syscall headers a tree lacks)")
        fail(f"{build}: no CMakeCache.txt: not a Zephyr build directory")
    base = None
    with open(cache, encoding="utf-8") as f:
        for line in f:
            if line.startswith("ZEPHYR_BASE:"):
                base = line.split("=", 1)[1].strip()
    if not base or not os.path.isfile(os.path.join(base, "include", "zephyr", "net", "lwm2m.h")):
        fail(f"{cache}: no ZEPHYR_BASE with include/zephyr/net/lwm2m.h")
    if not os.path.isfile(ccj):
        fail(f"{build}: no compile_commands.json (Zephyr writes it by default; "
             "CMAKE_EXPORT_COMPILE_COMMANDS=ON)")
    with open(ccj, encoding="utf-8") as f:
        entries = json.load(f)
    entry = next((e for e in entries
                  if e["file"].replace("\\", "/").endswith("subsys/net/lib/lwm2m/lwm2m_registry.c")),
                 None)
    if entry is None:
        fail(f"{ccj}: the LwM2M engine was not built (CONFIG_LWM2M=y missing)")
    args = entry.get("arguments") or shlex.split(entry["command"])
    wd = entry.get("directory", build)
    out = []
    i = 1
    while i < len(args):
        a = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else ""
        if a in ("-I", "-isystem", "-imacros", "-include", "--sysroot"):
            val = os.path.normpath(os.path.join(wd, nxt))
            if a == "-include" and "ucb_poison" in val:
                pass
            elif a in ("-I", "-isystem"):
                out += ["-isystem", val]
            else:
                out += [a, val]
            i += 2
            continue
        if a.startswith("-I"):
            out += ["-isystem", os.path.normpath(os.path.join(wd, a[2:]))]
        elif a.startswith("-isystem"):
            out += ["-isystem", os.path.normpath(os.path.join(wd, a[8:]))]
        elif a.startswith("-D") or a.startswith("--sysroot="):
            out.append(a)
        elif a.startswith("-imacros"):
            out += ["-imacros", os.path.normpath(os.path.join(wd, a[8:]))]
        elif a.startswith("-m") or a in ("-nostdinc", "-ffreestanding", "-fno-builtin",
                                          "-fno-common", "-fshort-enums"):
            out.append(a)
        i += 1
    # The engine's private headers (PRIVATE: notes in adapter_zephyr.c).
    out += ["-isystem", os.path.join(base, "subsys", "net", "lib", "lwm2m")]
    print("\n".join(out))


if __name__ == "__main__":
    main()
