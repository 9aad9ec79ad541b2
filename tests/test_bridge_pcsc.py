#!/usr/bin/env python3
"""The bridge tests with the card behind the real PC/SC stack (python3 standard library only).

usage: test_bridge_pcsc.py UICCBOOT-SIMCARD SOURCE_ROOT TEST_BRIDGE_PCSC TEST_BRIDGE_SWEEP_PCSC

The two programs are tests/test_bridge.c and tests/test_bridge_sweep.c built
with -DRIG_PCSC=1 (tests/rig_pcsc.c): the bridge, the reference core and the
RAM store run in the test program, the card in uiccboot-simcard behind pcscd
and the vsmartcard vpcd driver, reached through the PC/SC transport.

Each job (a program, or a part of the sweep program chosen with a cmocka
filter) runs in its own private mount and network namespace with its own
pcscd (tests/pcsc_ns.py), so the jobs run side by side: most of their time
is pcscd noticing a card come and go (it polls vpcd every 0.4 s). Prints
every job's cmocka output, its wall time, and "N passed, M failed, K
skipped". Needs root (exit 77 = skipped otherwise); exit 1 on any failure,
including a timeout or a process left behind.
"""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcsc_ns  # noqa: E402

# Wall-clock limits (seconds): the whole run, and one job inside its namespace.
TOTAL_TIMEOUT = 540
JOB_TIMEOUT = 500

PLAIN = "fault_at_every_apdu_of_every_scenario*"
SCP03 = "fault_at_every_apdu_with_scp03*"
# (name, program index, arguments). The sweeps are spread by fault kind
# (--faults, tests/rig_pcsc.c); "mute" is not swept through pcscd (the card
# answers a mute fault only after 10 s), the in-process run covers it.
JOBS = [
    ("bridge scenarios", 0, []),
    ("sweep, plain, status word", 1, ["--filter", PLAIN, "--faults", "sw"]),
    # Without the poll after an insertion (an application that does not
    # watch the reader): the bridge must start the walk over by itself.
    ("sweep, plain, removal, no poll", 1,
     ["--filter", PLAIN, "--faults", "remove", "--no-poll-after-insert"]),
    ("sweep, SCP03, status word and corruption", 1, ["--filter", SCP03, "--faults", "sw,corrupt"]),
    ("sweep, SCP03, removal", 1, ["--filter", SCP03, "--faults", "remove"]),
    ("sweep program, other tests", 1, ["--skip", "fault_at_every_apdu_*"]),
]


def worker(argv):
    """Inside the namespaces: pcscd, then one test program; its exit status."""
    # argv: SIMCARD TIMEOUT PROGRAM ARGS...
    simcard, timeout, prog, args = argv[0], float(argv[1]), argv[2], argv[3:]
    pcsc_ns.private_run()
    tmp = tempfile.mkdtemp(prefix="ucb-bridge-pcsc-")
    pcscd = pcsc_ns.Pcscd(tmp)
    proc = None
    rc = 1

    def on_term(signum, frame):
        raise SystemExit(1)

    signal.signal(signal.SIGTERM, on_term)
    try:
        if not pcscd.ready:
            print("FAIL: pcscd did not start")
            return 1
        cmd = [prog, "--simcard", simcard, "--workdir", tmp] + args
        env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="stdout")
        sys.stdout.flush()
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.STDOUT)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            print("FAIL: %s did not finish within %d s" % (os.path.basename(prog), timeout))
            rc = 1
    finally:
        if proc is not None:
            pcsc_ns.stop_process(proc)
        pcscd.stop()
        if rc != 0:
            print("---- pcscd.log (tail)")
            print(pcscd.tail())
            print("---- simcard.log (tail)")
            try:
                with open(os.path.join(tmp, "simcard.log")) as f:
                    print("".join(f.readlines()[-30:]))
            except OSError:
                pass
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)
        sys.stdout.flush()
    return rc


class Job:
    def __init__(self, name, prog, args, simcard):
        self.name = name
        self.label = "%s (%s%s)" % (name, os.path.basename(prog),
                                    "".join(" " + a for a in args))
        argv = [os.path.abspath(__file__), "--worker", simcard, str(JOB_TIMEOUT), prog] + args
        self.start = time.time()
        self.proc = subprocess.Popen(pcsc_ns.namespace_command(argv), env=pcsc_ns.namespace_env(),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.pgid = self.proc.pid
        self.out = []
        self.wall = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for chunk in iter(lambda: self.proc.stdout.read1(65536), b""):
            self.out.append(chunk)
        self.proc.wait()
        self.wall = time.time() - self.start

    def output(self):
        return b"".join(self.out).decode("utf-8", "replace")

    def kill(self, sig):
        try:
            os.killpg(self.pgid, sig)
        except ProcessLookupError:
            pass

    def leftovers(self):
        """True when a process of the job's session is still there."""
        try:
            os.killpg(self.pgid, 0)
            return True
        except ProcessLookupError:
            return False


def count(out, tag):
    n = 0
    for line in out.splitlines():
        if line.startswith("[  %s  ]" % tag) or line.startswith("[  %s ]" % tag):
            words = line.split("]", 1)[1].split()
            if words and words[0].isdigit():
                n += int(words[0])
    return n


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--worker":
        return worker(sys.argv[2:])
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    simcard, root, *progs = (os.path.abspath(a) for a in sys.argv[1:])
    problem = pcsc_ns.preflight()
    if problem is not None:
        print(problem[1])
        return problem[0]
    for p in [simcard] + progs:
        if not os.access(p, os.X_OK):
            print("FAIL: %s is not an executable" % p)
            return 1
    if not os.path.isdir(os.path.join(root, "fixtures", "bootstrap")):
        print("FAIL: %s has no fixtures/bootstrap" % root)
        return 1

    def on_term(signum, frame):
        raise SystemExit(1)

    # meson ends a test that overruns with SIGTERM: stop every job then too.
    signal.signal(signal.SIGTERM, on_term)
    t0 = time.time()
    jobs = []
    failed_jobs = []
    try:
        for name, i, args in JOBS:
            jobs.append(Job(name, progs[i], args, simcard))
        for j in jobs:
            left = max(1.0, TOTAL_TIMEOUT - (time.time() - t0))
            try:
                j.proc.wait(timeout=left)
            except subprocess.TimeoutExpired:
                failed_jobs.append("%s: timed out after %d s" % (j.name, TOTAL_TIMEOUT))
    except SystemExit:
        failed_jobs.append("interrupted by SIGTERM: every job stopped")
    finally:
        for j in jobs:
            if j.proc.poll() is None or j.leftovers():
                j.kill(signal.SIGTERM)
        # A stopped job's processes (pcscd, the test program, the card)
        # get a few seconds to go; whatever is left then is killed.
        end = time.time() + 10
        for j in jobs:
            try:
                j.proc.wait(timeout=max(0.1, end - time.time()))
            except subprocess.TimeoutExpired:
                pass
            while j.leftovers() and time.time() < end:
                time.sleep(0.05)
            if j.leftovers():
                j.kill(signal.SIGKILL)
                failed_jobs.append("%s: processes left behind, killed" % j.name)
            j.proc.wait()
            j.reader.join(timeout=5)

    passed = failed = skipped = 0
    for j in jobs:
        out = j.output()
        print("==== %s" % j.label)
        print(out.rstrip("\n"))
        p, f, s = count(out, "PASSED"), count(out, "FAILED"), count(out, "SKIPPED")
        passed, failed, skipped = passed + p, failed + f, skipped + s
        if j.proc.returncode != 0 and not any(x.startswith(j.name + ":") for x in failed_jobs):
            failed_jobs.append("%s: exit status %d" % (j.name, j.proc.returncode))
        if p + f + s == 0 and j.proc.returncode == 0:
            failed_jobs.append("%s: ran no test" % j.name)
    print("==== wall time per job")
    for j in jobs:
        print("  %6.1f s  %s" % (j.wall if j.wall is not None else -1.0, j.label))
    print("  %6.1f s  total" % (time.time() - t0))
    for x in failed_jobs:
        print("FAIL %s" % x)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed or failed_jobs else 0


if __name__ == "__main__":
    sys.exit(main())
