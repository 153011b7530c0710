"""Slow clients and running out of descriptors.

slowhttptest (Debian package slowhttptest) in its three modes, 200 connections opened at 100 a
second (sized for a 2-core machine): slow headers (-H, slowloris), slow body (-B, R-U-Dead-Yet) and
slow read (-X). irulesd must hold each such connection no longer than the limit that applies — the
http profile's irulesd-request-header-timeout for a head that never ends, the tcp profile's
idle-timeout for a body or a read that stalls (both 2 s here) — and serve a normal client all the
while. Checked by sampling irulesd's descriptors: they rise while the slow connections are held
(else the test would prove nothing), and are back at the count before within
OPEN_TIME + TIMEOUT + SWEEP_SLACK seconds of the start, while slowhttptest still runs; every slow
connection is logged; the normal client is served every time (served, not timed).

Descriptors running out: irulesd started with RLIMIT_NOFILE 64 and more idle clients than that
connect. It must stay up, not spin, and serve again once clients leave (checked, passes today); it
must also pause accepting with a log line and resume when descriptors free, so that a connection
waiting in the listen backlog is served rather than dropped — expected to fail today (see that
test). Addresses: 127.0.51.x."""

import os
import re
import shutil
import threading
import time

import harness
import fault_support as fs
import tm_support as tm

NET = "127.0.51"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"
URL = f"http://{HOST}"
SLOWHTTPTEST = shutil.which("slowhttptest")

CONNECTIONS = 200     # slowhttptest -c
RATE = 100            # -r: connections opened per second
OPEN_TIME = CONNECTIONS / RATE
TIMEOUT = 2           # seconds: request-header timeout and idle-timeout of the virtual's profiles
SWEEP_SLACK = 2.5     # the idle sweep runs once a second; the rest is scheduling on 2 busy cores
FD_SLACK = 4          # the normal client's request may be in flight when a sample is taken
NOFILE = 64           # RLIMIT_NOFILE for the descriptor-exhaustion tests

BIG_RULE = r"""
when RULE_INIT {
    set static::big [string repeat x 262144]
}
when HTTP_REQUEST {
    if { [HTTP::path] eq "/big" } {
        HTTP::respond 200 content $static::big
    }
}
"""


def config(short_limits=True):
    members = [tm.member("b1", f"{NET}.11", 8001)]
    profiles = ("/Common/http", "/Common/tcp")
    extra = harness.inline_rule("/Common/big", BIG_RULE)
    if short_limits:
        profiles = ("/Common/slow_http", "/Common/slow_tcp")
        extra += (tm.profile("http", "slow_http", irulesd_request_header_timeout=TIMEOUT) +
                  tm.profile("tcp", "slow_tcp", idle_timeout=TIMEOUT))
    return (tm.self_ip(NET) + tm.nodes_of(members) + tm.pool("p", members) + extra +
            tm.virtual("vs", *VIP, "p", profiles=profiles, rules=["/Common/big"], snat="automap"))


class NormalClient(threading.Thread):
    """A well-behaved client: one GET per connection, every 0.1 s, until stopped. Records how many
    were served (200) and every failure."""

    def __init__(self, source=f"{NET}.50"):
        super().__init__(daemon=True)
        self.source = source
        self.served = 0
        self.failures = []
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                with fs.SourcedClient(self.source, VIP) as client:
                    client.send(harness.request_bytes("GET", "/normal", HOST))
                    response = client.read_response()
                if response.status == 200:
                    self.served += 1
                else:
                    self.failures.append(repr(response))
            except Exception as error:  # every failure is reported by the test
                self.failures.append(repr(error))
            self.stopping.wait(0.1)

    def stop(self):
        self.stopping.set()
        self.join(timeout=harness.TIMEOUT + 5)


class SlowClients(harness.IrulesdTestCase):

    def start(self):
        self.start_backend("b1", f"{NET}.11")
        self.start_irulesd(self.write_config(config()), wait_for=[VIP])
        time.sleep(0.3)   # the start-up probe's close is processed

    def slowhttptest(self, mode_args, length, path="/"):
        """Runs slowhttptest for `length` seconds with a normal client beside it, sampling
        irulesd's descriptors. Returns (baseline, [(seconds since start, fds)], output, client)."""
        if SLOWHTTPTEST is None:
            self.skipTest("slowhttptest is not installed (Debian package slowhttptest)")
        pid = self.irulesd.pid
        baseline = fs.fd_count(pid)
        client = NormalClient()
        argv = [SLOWHTTPTEST, *mode_args, "-c", str(CONNECTIONS), "-r", str(RATE), "-l", str(length),
                "-p", "3", "-u", URL + path]
        began = time.monotonic()
        attack = self.start_process(harness.Process("slowhttptest", argv,
                                                    os.path.join(self.tmp, "slowhttptest.out")))
        client.start()
        samples = []
        while attack.alive() and time.monotonic() - began < length + 15:
            samples.append((time.monotonic() - began, fs.fd_count(pid)))
            time.sleep(0.1)
        # slowhttptest may end early (every connection closed): keep sampling to the bound.
        while time.monotonic() - began < OPEN_TIME + TIMEOUT + SWEEP_SLACK + 1:
            samples.append((time.monotonic() - began, fs.fd_count(pid)))
            time.sleep(0.1)
        client.stop()
        self.assertIsNotNone(attack.wait(5), "slowhttptest did not end")
        return baseline, samples, attack.output(), client

    def assert_held_no_longer_than_the_timeout(self, baseline, samples, client, log_pattern):
        peak = max(count for _, count in samples)
        self.assertGreaterEqual(peak - baseline, CONNECTIONS // 2,
                                f"the slow connections were never held (peak {peak}, baseline "
                                f"{baseline}): the test would prove nothing")
        bound = OPEN_TIME + TIMEOUT + SWEEP_SLACK
        late = [(round(t, 1), count) for t, count in samples if t >= bound]
        self.assertTrue(late, "no sample after the bound")
        self.assertLessEqual(max(count for _, count in late), baseline + FD_SLACK,
                             f"descriptors still held {bound} s after the start: {late}")
        self.assertEqual(client.failures, [], "the normal client must be served throughout")
        self.assertGreaterEqual(client.served, 10)
        # Every slow connection was ended by the limit, with a log line.
        self.wait_until(lambda: len(re.findall(log_pattern, self.log_text())) >= CONNECTIONS,
                        timeout=5, message=f"{CONNECTIONS} log lines matching {log_pattern!r}")
        fds = fs.settle_fds(self, self.irulesd.pid, baseline)
        self.assertLessEqual(fds, baseline)
        print(f"\n{self._testMethodName}: baseline {baseline} fds, peak {peak}, after {fds}; "
              f"normal client served {client.served} times")

    def test_slow_headers_held_no_longer_than_the_request_header_timeout(self):
        self.start()
        # -i 1: a header line every second, which does not reset the head's timeout.
        baseline, samples, output, client = self.slowhttptest(["-H", "-i", "1"], length=15)
        self.assert_held_no_longer_than_the_timeout(
            baseline, samples, client, r"not complete after 2 s \(request-header timeout of profile "
                                       r"/Common/slow_http\); reset")
        self.assertIn("No open connections left", output, "irulesd ended them all before -l")

    def test_slow_body_held_no_longer_than_the_idle_timeout(self):
        self.start()
        # -i 5: a piece of body every 5 s, more than the 2 s idle-timeout. (A body that trickles
        # faster than the idle-timeout is a slow upload, served as on BIG-IP.)
        baseline, samples, output, client = self.slowhttptest(["-B", "-i", "5", "-s", "8192"], length=15)
        self.assert_held_no_longer_than_the_timeout(
            baseline, samples, client, r"idle for 2 s \(idle-timeout of profile /Common/slow_tcp\); reset")
        self.assertIn("No open connections left", output)

    def test_slow_read_held_no_longer_than_the_idle_timeout(self):
        self.start()
        # 256 KiB answers read 32 bytes every 5 s through a window of at most 64 bytes.
        baseline, samples, output, client = self.slowhttptest(
            ["-X", "-w", "1", "-y", "64", "-n", "5", "-z", "32", "-k", "2"], length=10, path="/big")
        self.assert_held_no_longer_than_the_timeout(
            baseline, samples, client, r"idle for 2 s \(idle-timeout of profile /Common/slow_tcp\); reset")

    # -- descriptors running out -----------------------------------------------------------------

    def exhaust(self):
        """irulesd under RLIMIT_NOFILE NOFILE, then NOFILE + 16 idle clients (from spread source
        addresses). Returns the clients, each (socket, 'open' | 'eof' | 'reset')."""
        self.start_backend("b1", f"{NET}.11")
        fs.start_limited_irulesd(self, self.write_config(config(short_limits=False)), NOFILE,
                                 wait_for=[VIP])
        time.sleep(0.3)
        clients = []
        for i in range(NOFILE + 16):
            sock = fs.connect_from(f"{NET}.{100 + i % 100}", VIP)
            self.addCleanup(sock.close)
            clients.append(sock)
        self.wait_until(lambda: fs.fd_count(self.irulesd.pid) >= NOFILE - 1, timeout=5,
                        message=f"irulesd reaching its {NOFILE} descriptors")
        time.sleep(0.5)
        states = []
        for sock in clients:
            data, how = fs.outcome(sock, timeout=0.05)
            states.append((sock, "open" if how == "timeout" and not data else how))
        return states

    def served_on_a_new_connection(self):
        try:
            with harness.RawClient(*VIP, timeout=2) as client:
                client.send(harness.request_bytes("GET", "/again", HOST))
                return client.read_response().status == 200
        except (OSError, harness.ConnectionClosed):
            return False

    def test_descriptors_running_out_irulesd_stays_up_and_serves_again(self):
        states = self.exhaust()
        pid = self.irulesd.pid
        self.assertTrue(self.irulesd.alive(), "irulesd must survive running out of descriptors")
        held = [sock for sock, state in states if state == "open"]
        self.assertGreaterEqual(len(held), NOFILE // 2, "irulesd held the clients it accepted")
        # No busy loop while it has no descriptor left and clients keep coming.
        cpu_before = fs.cpu_seconds(pid)
        for i in range(20):
            try:
                extra = fs.connect_from(f"{NET}.{200 + i}", VIP, timeout=1)
                self.addCleanup(extra.close)
            except OSError:
                pass
            time.sleep(0.1)
        cpu_used = fs.cpu_seconds(pid) - cpu_before
        self.assertLess(cpu_used, 1.0, f"irulesd used {cpu_used:.2f} s of CPU in 2 s while out of "
                                       f"descriptors: a busy loop")
        self.assertTrue(self.irulesd.alive())
        for sock, _ in states:
            sock.close()
        self.wait_until(self.served_on_a_new_connection, timeout=10,
                        message="a new client served once the others left")
        self.assertTrue(self.irulesd.alive())

    def test_descriptors_running_out_pauses_accept_with_a_log_line(self):
        # libuv's own accept loop would meet EMFILE with its "emfile trick" (accept every waiting
        # client and close it at once); irulesd accepts by hand instead: it logs `accept on … paused:
        # too many open files (N connections …)`, leaves waiting clients in the listen backlog, and
        # logs `accept on … resumed` and accepts them once descriptors free up.
        offset = self.log_size()
        states = self.exhaust()
        self.wait_log(r"accept on \S+ paused", start=offset, timeout=3)
        waiting = [sock for sock, state in states if state == "open"][-8:]
        dropped = [state for _, state in states if state != "open"]
        self.assertEqual(dropped, [], "clients over the limit wait in the backlog, not dropped")
        # Room frees: every other client leaves; the last ones, still waiting, are served.
        for sock, _ in states[:-8]:
            sock.close()
        self.wait_log(r"accept on \S+ resumed", start=offset, timeout=5)
        for sock in waiting:
            sock.sendall(harness.request_bytes("GET", "/waited", HOST))
            sock.settimeout(harness.TIMEOUT)
            self.assertTrue(sock.recv(12).startswith(b"HTTP/1.1 200"))


if __name__ == "__main__":
    harness.main()
