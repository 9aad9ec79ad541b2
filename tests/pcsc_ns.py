"""A private PC/SC stack for the integration tests (python3 standard library only).

pcscd 1.9.9 always uses /run/pcscd/pcscd.comm and the vpcd driver listens on
fixed ports (35963, 35964), so a test that starts its own pcscd runs in a
private mount and network namespace (unshare -mn): a tmpfs on /run, its own
loopback, its own ports. Nothing touches a pcscd of the host.

    problem = preflight()          # None, or (exit status, message)
    reexec_in_namespace(argv)      # runs argv in new namespaces, returns its status
    private_run()                  # inside: tmpfs on /run, /run/pcscd, lo up
    d = Pcscd(logdir); d.stop()    # pcscd --foreground, ready when it returns
    stop_process(proc)             # SIGTERM, SIGKILL after a grace period
"""

import os
import shutil
import subprocess
import sys
import time

VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
SOCKET = "/run/pcscd/pcscd.comm"
ENV_FLAG = "UCB_IN_NAMESPACE"


def preflight():
    """None when a private pcscd can run here, else (77 or 1, reason)."""
    if os.geteuid() != 0:
        return 77, "SKIP: needs root for unshare -mn (private pcscd socket and vpcd ports)"
    for prog in ("pcscd", "unshare", "ip", "mount"):
        if shutil.which(prog) is None:
            return 1, "FAIL: %s not installed" % prog
    if not os.path.exists(VPCD_DRIVER):
        return 1, "FAIL: vsmartcard-vpcd is not installed"
    return None


def in_namespace():
    return os.environ.get(ENV_FLAG) == "1"


def namespace_command(argv):
    """The command line that runs argv (a python script and its arguments)
    in new mount and network namespaces."""
    return ["unshare", "--mount", "--net", "--propagation", "private", sys.executable] + argv


def namespace_env():
    return dict(os.environ, **{ENV_FLAG: "1"})


def reexec_in_namespace(argv):
    """Run argv (a python script and its arguments) in new namespaces; its exit status."""
    return subprocess.call(namespace_command(argv), env=namespace_env())


def private_run(quickack=True):
    """Inside the namespaces: a private /run for pcscd's socket, loopback up.

    quickack: no delayed ACKs on the private loopback. vpcd writes a frame's
    length and its payload in two small writes without TCP_NODELAY, so Nagle
    holds the payload until the peer ACKs the length, which it delays by
    40 ms: every C-APDU through vpcd then costs about 44 ms instead of well
    under 1 ms. The route attribute changes only this namespace.
    """
    subprocess.check_call(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run"])
    os.makedirs("/run/pcscd", exist_ok=True)
    subprocess.check_call(["ip", "link", "set", "lo", "up"])
    if quickack:
        for dst in ("127.0.0.1", "127.0.0.0/8"):
            subprocess.check_call(["ip", "route", "change", "local", dst, "dev", "lo",
                                   "proto", "kernel", "scope", "host", "src", "127.0.0.1",
                                   "table", "local", "quickack", "1"])


def stop_process(proc, grace=5.0):
    """SIGTERM, then SIGKILL if it has not gone after `grace` seconds; reaps it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Pcscd:
    """pcscd --foreground with its log in logdir/pcscd.log; ready (socket up) on return."""

    def __init__(self, logdir, timeout=10.0):
        self.log_path = os.path.join(logdir, "pcscd.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(["pcscd", "--foreground"], stdout=self.log,
                                     stderr=self.log)
        end = time.time() + timeout
        while not os.path.exists(SOCKET) and time.time() < end and self.proc.poll() is None:
            time.sleep(0.02)
        self.ready = os.path.exists(SOCKET) and self.proc.poll() is None

    def stop(self):
        stop_process(self.proc)
        self.log.close()

    def tail(self, n=30):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""
