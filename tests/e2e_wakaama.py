#!/usr/bin/env python3
"""End-to-end proof with Eclipse Wakaama (docs/integration/wakaama.md).

    tests/e2e_wakaama.py CLIENT SERVER [BUILD]

CLIENT is examples/wakaama/uiccboot_wakaama_client.c built by hand with
Wakaama and our adapter library; SERVER is Wakaama's example server
(examples/server/lwm2mserver) built by hand; BUILD is this project's meson
build directory (default: build), for uiccboot-simcard and the uiccboot
tool. Nothing here builds either program.

The run, in private mount and network namespaces (pcsc_ns.py) with their
own pcscd, vpcd ports and loopback:
  - five Wakaama servers on 127.0.0.1:5701..5704 and 5799;
  - the virtual UICC (uiccboot-simcard) holds card A: one NoSec account,
    SSID 101 at coap://127.0.0.1:5701;
  - the client starts with its own account SSID 900 at 5799 (not from the
    card);
  1. boot: the servers at 5701 and 5799 see the client register;
  2. content change over the air (same ICCID): the account becomes SSID 102
     at 5702: 5701 sees De-register, 5702 sees Register;
  3. card swap (card B, another ICCID): SSID 103 at 5703: 5702 sees
     De-register, 5703 sees Register;
  4. card removed: 5703 sees De-register and the client deletes the card's
     instances, while 5799 keeps the client registered (it sees Updates
     and no De-register).
Every check reads a server's own output ("New client #N registered.",
"Client #N unregistered.", "Client #N updated."). Exit 0 when all hold,
1 on a failure (with the logs' tails), 77 when it cannot run here.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcsc_ns  # noqa: E402

ENDPOINT = "uiccboot-e2e"
PORTS = {"A": 5701, "changed": 5702, "B": 5703, "unused": 5704, "app": 5799}
STEP_TIMEOUT = 40.0


def card_json(ssid, port):
    """A card with one NoSec server account (lifetime 20 s: an Update every 10 s)."""
    return {"objects": [
        {"oid": 0, "version": "1.0", "instances": [
            {"iid": 1, "resources": {"0": "coap://127.0.0.1:%d" % port, "1": False, "2": 3,
                                     "3": {"hex": ""}, "4": {"hex": ""}, "5": {"hex": ""},
                                     "10": ssid}}]},
        {"oid": 1, "version": "1.0", "instances": [
            {"iid": 1, "resources": {"0": ssid, "1": 20, "6": False, "7": "U"}}]},
    ]}


class Server:
    """One Wakaama example server; its stdout is collected line by line."""

    def __init__(self, prog, port, logdir):
        self.port = port
        self.lines, self.times = [], []
        self.lock = threading.Lock()
        self.log = open(os.path.join(logdir, "server-%d.log" % port), "w")
        self.proc = subprocess.Popen([prog, "-4", "-l", str(port)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").strip()
            self.log.write(line + "\n")
            self.log.flush()
            with self.lock:
                self.lines.append(line)
                self.times.append(time.time())

    def when(self, what):
        """Time the first such line was read, or None."""
        with self.lock:
            lines, times = list(self.lines), list(self.times)
        for line, t in zip(lines, times):
            if line.startswith("Client #") and line.endswith(what + "."):
                return t
        return None

    def count(self, what):
        """Registrations / de-registrations / updates of our endpoint seen so far."""
        with self.lock:
            lines = list(self.lines)
        n = 0
        for i, line in enumerate(lines):
            if what == "registered" and line.startswith("New client #") and line.endswith("registered."):
                n += any('name: "%s"' % ENDPOINT in l for l in lines[i + 1:i + 4])
            elif what == "unregistered" and line.startswith("Client #") and line.endswith("unregistered."):
                n += 1
            elif what == "updated" and line.startswith("Client #") and line.endswith("updated."):
                n += 1
        return n

    def stop(self):
        try:
            self.proc.stdin.write(b"q\n")
            self.proc.stdin.flush()
        except OSError:
            pass
        pcsc_ns.stop_process(self.proc, grace=2.0)
        self.log.close()


class Client:
    def __init__(self, prog, store, logdir):
        self.lines, self.times = [], []
        self.lock = threading.Lock()
        self.log = open(os.path.join(logdir, "client.log"), "w")
        self.proc = subprocess.Popen([prog, "-n", ENDPOINT, "-s", store, "-p", "56830",
                                      "-a", "coap://127.0.0.1:%d" % PORTS["app"], "900"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip()
            self.log.write(line + "\n")
            self.log.flush()
            with self.lock:
                self.lines.append(line)
                self.times.append(time.time())

    def when(self, *texts):
        """Time the first line containing all of texts was read, or None."""
        with self.lock:
            hits = [t for l, t in zip(self.lines, self.times) if all(x in l for x in texts)]
        return hits[0] if hits else None

    def seen(self, text):
        with self.lock:
            return sum(text in l for l in self.lines)

    def stop(self):
        pcsc_ns.stop_process(self.proc)
        self.log.close()


failures = []


def prompt(what, server, client, ssid):
    """A De-register, not an expired registration: the server sees it within
    2 s of the bridge disabling the account (the registration lives 20 s)."""
    t_ev, t_un = client.when("bridge: disable", "ssid %d" % ssid), server.when("unregistered")
    check("%s within 2 s of the bridge disabling SSID %d" % (what, ssid),
          t_ev is not None and t_un is not None and -0.5 <= t_un - t_ev < 2.0)


def wait_for(what, cond, timeout=STEP_TIMEOUT):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            print("  ok   %s" % what)
            return True
        time.sleep(0.2)
    print("  FAIL %s (after %.0f s)" % (what, timeout))
    failures.append(what)
    return False


def check(what, cond):
    print("  %s %s" % ("ok  " if cond else "FAIL", what.strip()))
    if not cond:
        failures.append(what)


def encode(tool, obj, path):
    src = path + ".json"
    with open(src, "w") as f:
        json.dump(obj, f)
    subprocess.check_call([tool, "encode", src, "-o", path], stdout=subprocess.DEVNULL)


def run(client_prog, server_prog, build):
    tool = os.path.join(build, "host-tools", "uiccboot")
    simcard = os.path.join(build, "host-tools", "simcard", "uiccboot-simcard")
    pcsc_ns.private_run()
    tmp = tempfile.mkdtemp(prefix="ucb-e2e-")
    card, profile = os.path.join(tmp, "card.bin"), os.path.join(tmp, "profile.json")
    encode(tool, card_json(101, PORTS["A"]), card)
    with open(profile, "w") as f:
        json.dump({"iccid": "8988211000000430010"}, f)

    pcscd = pcsc_ns.Pcscd(tmp)
    if not pcscd.ready:
        print("FAIL: pcscd did not start\n" + pcscd.tail())
        return 1
    servers = {k: Server(server_prog, p, tmp) for k, p in PORTS.items()}
    sim_log = open(os.path.join(tmp, "simcard.log"), "w")
    sim = subprocess.Popen([simcard, "--bootstrap", card, "--profile", profile],
                           stdout=sim_log, stderr=sim_log)
    client = None
    try:
        end = time.time() + 10
        while time.time() < end:
            out = subprocess.run([tool, "readers", "--json"], capture_output=True, text=True)
            if '"card": true' in out.stdout:
                break
            time.sleep(0.1)
        t0 = time.time()
        client = Client(client_prog, os.path.join(tmp, "provenance.bin"), tmp)

        print("1. boot with card A (ICCID 8988211000000430010): account SSID 101 -> :5701,"
              " application account SSID 900 -> :5799")
        wait_for("server :5701 sees the client register", lambda: servers["A"].count("registered") == 1)
        wait_for("server :5799 sees the client register", lambda: servers["app"].count("registered") == 1)

        print("2. content change over the air (same ICCID): SSID 101 -> SSID 102 at :5702")
        encode(tool, card_json(102, PORTS["changed"]), card)
        sim.send_signal(1)  # SIGHUP: reload
        wait_for("server :5701 sees the client de-register", lambda: servers["A"].count("unregistered") == 1)
        wait_for("server :5702 sees the client register", lambda: servers["changed"].count("registered") == 1)
        prompt("  :5701's De-register", servers["A"], client, 101)
        check("client: old card instances deleted, new ones created",
              client.seen("bridge: delete /1/1 ssid 101") >= 1 and client.seen("bridge: create /1/1 ssid 102") >= 1)

        print("3. card swap: card B (ICCID 8944500000000000001), SSID 103 at :5703")
        encode(tool, card_json(103, PORTS["B"]), card)
        with open(profile, "w") as f:
            json.dump({"iccid": "8944500000000000001"}, f)
        sim.send_signal(1)
        wait_for("server :5702 sees the client de-register", lambda: servers["changed"].count("unregistered") == 1)
        wait_for("server :5703 sees the client register", lambda: servers["B"].count("registered") == 1)
        prompt("  :5702's De-register", servers["changed"], client, 102)

        print("4. card removed")
        updates_before = servers["app"].count("updated")
        sim.send_signal(10)  # SIGUSR1: remove
        wait_for("server :5703 sees the client de-register", lambda: servers["B"].count("unregistered") == 1)
        prompt("  :5703's De-register", servers["B"], client, 103)
        check("client: card instances deleted",
              client.seen("bridge: removed") >= 1 and client.seen("bridge: delete /0/1 ssid 103") >= 1)
        wait_for("server :5799 still gets Updates after the removal",
                 lambda: servers["app"].count("updated") > updates_before, timeout=25)

        print("whole run")
        check("server :5799 never saw a De-register", servers["app"].count("unregistered") == 0)
        check("server :5799 saw exactly one Register", servers["app"].count("registered") == 1)
        check("server :5704 (no account points at it) saw nothing", servers["unused"].count("registered") == 0)
        check("client is still running", client.proc.poll() is None)
        for k in ("A", "changed", "B"):
            check("server :%d: one Register, one De-register" % PORTS[k],
                  servers[k].count("registered") == 1 and servers[k].count("unregistered") == 1)
        print("elapsed %.1f s" % (time.time() - t0))
    finally:
        if client is not None:
            client.stop()
        pcsc_ns.stop_process(sim)
        sim_log.close()
        for s in servers.values():
            s.stop()
        pcscd.stop()
    if failures:
        for name in ("client.log", "simcard.log", "server-5799.log"):
            print("---- %s (tail)" % name)
            with open(os.path.join(tmp, name)) as f:
                print("".join(f.readlines()[-25:]))
        print("%d check(s) failed; logs in %s" % (len(failures), tmp))
        return 1
    print("all checks passed")
    return 0


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__)
        return 2
    client_prog, server_prog = (os.path.abspath(a) for a in sys.argv[1:3])
    build = os.path.abspath(sys.argv[3] if len(sys.argv) == 4 else "build")
    for p in (client_prog, server_prog, os.path.join(build, "host-tools", "uiccboot")):
        if not os.access(p, os.X_OK):
            print("FAIL: %s is not an executable" % p)
            return 2
    if pcsc_ns.in_namespace():
        return run(client_prog, server_prog, build)
    problem = pcsc_ns.preflight()
    if problem is not None:
        print(problem[1])
        return problem[0]
    return pcsc_ns.reexec_in_namespace([os.path.abspath(__file__)] + sys.argv[1:3] + [build])


if __name__ == "__main__":
    sys.exit(main())
