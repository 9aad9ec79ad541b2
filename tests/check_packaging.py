#!/usr/bin/env python3
"""Packaging check: libuiccboot works the two ways a firmware or host project consumes it.

1. As a meson subproject: a throw-away project with subprojects/uiccboot pointing at this
   source tree gets it through dependency('uiccboot') and runs a program against it.
2. Installed: `meson install --destdir` places headers, libraries and uiccboot.pc, and a
   program compiled with the flags pkg-config gives from that tree links and runs.

argv[1]: source root, argv[2]: this build directory.
"""
import os
import shutil
import subprocess
import sys
import tempfile

PROGRAM = r'''
#include <stdio.h>
#include <string.h>
#include <uiccboot/uiccboot.h>
int main(void)
{
    static struct ucb_bootstrap bs;
    static const unsigned char f[] = {0, 0, 0, 0};
    if (ucb_bs_decode(&bs, f, sizeof f, NULL) != 0) return 1;
    if (strcmp(ucb_strerror(UCB_ERR_TRUNCATED), "data truncated") != 0) return 1;
    puts("consumer ok");
    return 0;
}
'''


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        print("FAIL:", " ".join(cmd))
        print(r.stdout[-3000:], r.stderr[-3000:])
        sys.exit(1)
    return r.stdout


def main():
    src, build = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    passed = 0
    with tempfile.TemporaryDirectory() as tmp:
        # 1. subproject
        proj = os.path.join(tmp, "consumer")
        os.makedirs(os.path.join(proj, "subprojects"))
        os.symlink(src, os.path.join(proj, "subprojects", "uiccboot"))
        with open(os.path.join(proj, "main.c"), "w") as f:
            f.write(PROGRAM)
        with open(os.path.join(proj, "meson.build"), "w") as f:
            f.write("project('consumer', 'c', default_options : ['c_std=c11'])\n"
                    "dep = dependency('uiccboot', default_options : ['host_tools=false', 'tests=false'])\n"
                    "executable('consumer', 'main.c', dependencies : dep)\n")
        run(["meson", "setup", os.path.join(tmp, "b1")], cwd=proj)
        run(["ninja", "-C", os.path.join(tmp, "b1")])
        out = run([os.path.join(tmp, "b1", "consumer")])
        assert "consumer ok" in out
        print("ok   usable as a meson subproject through dependency('uiccboot')")
        passed += 1

        # 2. install + pkg-config
        dest = os.path.join(tmp, "dest")
        run(["meson", "install", "-C", build, "--destdir", dest, "--quiet"])
        prefix = subprocess.run(["meson", "introspect", "--buildoptions", build],
                                capture_output=True, text=True).stdout
        import json
        opts = {o["name"]: o["value"] for o in json.loads(prefix)}
        root = dest + opts["prefix"]
        pcdirs = [os.path.join(root, opts["libdir"], "pkgconfig")]
        env = dict(os.environ, PKG_CONFIG_PATH=":".join(pcdirs),
                   PKG_CONFIG_SYSROOT_DIR=dest)
        cflags = run(["pkg-config", "--cflags", "uiccboot"], env=env).split()
        libs = run(["pkg-config", "--libs", "uiccboot"], env=env).split()
        for h in ("uiccboot.h", "ucb_config.h", "tlv.h", "bootstrap.h", "validate.h"):
            assert os.path.exists(os.path.join(root, opts["includedir"], "uiccboot", h)), h
        exe = os.path.join(tmp, "consumer2")
        cc = shutil.which("cc") or "gcc"
        san = opts.get("b_sanitize", "none")
        # A sanitizer build's library needs the sanitizer runtime in the consumer too.
        extra = [] if san in ("none", []) else ["-fsanitize=" + (san if isinstance(san, str) else ",".join(san))]
        run([cc, "-std=c11", "-x", "c", "-", "-o", exe] + extra + cflags + libs, input=PROGRAM)
        libdir = os.path.join(root, opts["libdir"])
        out = run([exe], env=dict(os.environ, LD_LIBRARY_PATH=libdir))
        assert "consumer ok" in out
        print("ok   installs headers, libraries and uiccboot.pc that pkg-config consumers link against")
        passed += 1
    print(f"{passed} passed, 0 failed")


if __name__ == "__main__":
    main()
