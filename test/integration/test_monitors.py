"""Health monitors against backends that really fail: a tcp monitor (interval 1, timeout 3) sees a
member's process killed and started again, an http monitor sees a /health answer stop matching its
recv (or match recv-disable), an `a and b` rule with one of them failing, a node monitor takes every member on its node out, and a pool with
every member down answers 503 after LB_FAILED. Each transition is checked in the log in BIG-IP's
words (`Pool /Common/p member /Common/m1:8001 monitor status down.`), within the monitor's timeout,
and the traffic is counted at the backends: the virtual uses SNAT automap, so the proxied
connections come from the self IP 127.0.41.20 and the monitors' probes do not. Addresses:
127.0.41.x."""

import collections
import os
import re
import time

import harness
import tm_support as tm

NET = "127.0.41"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"
SELF_IP = f"{NET}.20"
NAMES = ["m1", "m2", "m3"]
ADDRESSES = {name: f"{NET}.{11 + i}" for i, name in enumerate(NAMES)}
INTERVAL, TIMEOUT = 1, 3

LB_FAILED_RULE = 'when LB_FAILED { log local0. "LB_FAILED pool [LB::server pool] for [HTTP::uri]" }\n'


class HealthBackend(harness.Backend):
    """http_backend.py with --health-file: /health answers what the test writes there."""

    def __init__(self, name, host, port, tmp):
        self.record_path = os.path.join(tmp, f"backend-{name}.jsonl")
        self.health_path = os.path.join(tmp, f"health-{name}")
        self.host, self.port = host, port
        self.set_health("200 server is up")
        harness.Process.__init__(
            self, name, [harness.PYTHON, harness.BACKEND_PY, "--name", name, "--host", host, "--port", str(port),
                         "--record", self.record_path, "--health-file", self.health_path],
            os.path.join(tmp, f"backend-{name}.out"))

    def set_health(self, answer):
        temporary = self.health_path + ".new"
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(answer)
        os.replace(temporary, self.health_path)   # a probe never reads half a file

    def proxied(self):
        """Connections that came through the virtual (from the SNAT address)."""
        return [r for r in self.connections() if r["peer"] == SELF_IP]


class Monitors(harness.IrulesdTestCase):

    def start(self, pool_text, members, extra="", rules=(), persist=None):
        self.backends = {}
        for name in [m[0] for m in members]:
            backend = self.start_process(HealthBackend(name, ADDRESSES[name], 8001, self.tmp))
            self.wait_output(backend, "listening")
            self.backends[name] = backend
        config = (tm.self_ip(NET) + tm.nodes_of(members) + pool_text + extra +
                  tm.virtual("vs", *VIP, "p", snat="automap", rules=rules, persist=persist))
        self.start_irulesd(self.write_config(config), wait_for=[VIP], workers=2)

    def restart(self, name):
        backend = self.start_process(HealthBackend(name, ADDRESSES[name], 8001, self.tmp))
        self.wait_output(backend, "listening")
        self.backends[name] = backend
        return backend

    def one(self, path="/"):
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", path, HOST))
            return client.read_response()

    def served(self, count, path="/"):
        """count requests on new connections, each answered 200; the backends that served them."""
        names = []
        for i in range(count):
            response = self.one(f"{path}{i}")
            self.assertEqual(response.status, 200, response)
            names.append(response.json()["backend"])
        return collections.Counter(names)

    def wait_transition(self, log_name, status, start, since, low, high):
        """Waits for `LOG_NAME monitor status STATUS.` after log offset start; checks that it came
        between low and high seconds after `since` (time.monotonic()); returns the line."""
        line = self.wait_log(rf"{re.escape(log_name)} monitor status {status}\.", start=start, timeout=high + 2)
        elapsed = time.monotonic() - since
        self.assertGreaterEqual(elapsed, low, f"{log_name} {status} after only {elapsed:.1f} s")
        self.assertLessEqual(elapsed, high, f"{log_name} {status} after {elapsed:.1f} s")
        return line

    def connect_failures(self, member, start):
        return [line for line in self.log_text()[start:].splitlines()
                if f"member {member} connect failed" in line]

    # -- tcp monitor -----------------------------------------------------------------------------

    def test_tcp_monitor_member_killed_and_restarted(self):
        monitor = tm.monitor("tcp", "quick_tcp", interval=INTERVAL, timeout=TIMEOUT)
        members = [tm.member(n, ADDRESSES[n], 8001) for n in NAMES]
        # reselect-tries 2: a client that lands on the dead member before the monitor notices is passed on.
        self.start(tm.pool("p", members, monitor="/Common/quick_tcp", slow_ramp_time=0, reselect_tries=2), members,
                   extra=monitor)
        self.assertEqual(self.served(30, "/before/"), {"m1": 10, "m2": 10, "m3": 10})

        offset = self.log_size()
        killed_at = time.monotonic()
        self.backends["m1"].popen.kill()
        self.backends["m1"].wait(5)
        # Until the monitor gives up on it, clients that land on m1 are passed to the next member.
        statuses = []
        down_pattern = re.compile(r"Pool /Common/p member /Common/m1:8001 monitor status down\.")
        while not down_pattern.search(self.log_text()[offset:]) and time.monotonic() - killed_at < TIMEOUT + 3:
            statuses.append(self.one("/meanwhile").status)
            time.sleep(0.05)
        self.assertEqual(set(statuses), {200}, statuses)
        # Down once `timeout` has passed since its last good answer: not at the first failed probe.
        line = self.wait_transition("Pool /Common/p member /Common/m1:8001", "down", offset, killed_at,
                                    TIMEOUT - INTERVAL - 0.5, TIMEOUT + INTERVAL + 1)
        self.assertRegex(line, r"monitor status down\. \[ /Common/quick_tcp: down; last error: .+ \]  "
                               r"\[ was up for \d+hr:\d+min:\d+sec \]")
        down_offset = self.log_size()
        self.assertEqual(self.served(40, "/down/"), {"m2": 20, "m3": 20})
        # irulesd did not even try m1: no connect failure after the down line.
        self.assertEqual(self.connect_failures("/Common/m1:8001", down_offset), [])

        offset = self.log_size()
        started_at = time.monotonic()
        backend = self.restart("m1")
        self.wait_transition("Pool /Common/p member /Common/m1:8001", "up", offset, started_at, 0,
                             INTERVAL + 1.5)
        before = len(backend.proxied())   # the record file goes on from the killed process's
        self.assertEqual(self.served(30, "/after/"), {"m1": 10, "m2": 10, "m3": 10})
        self.assertEqual(len(backend.proxied()) - before, 10)

    # -- http monitor ----------------------------------------------------------------------------

    HTTP_MONITOR = tm.monitor("http", "health", interval=INTERVAL, timeout=TIMEOUT,
                              send='"GET /health HTTP/1.0\\r\\n\\r\\n"', recv='"server is up"',
                              recv_disable='"maintenance"')

    def start_http_monitored(self, persist=None):
        members = [tm.member(n, ADDRESSES[n], 8001) for n in NAMES]
        self.start(tm.pool("p", members, monitor="/Common/health", slow_ramp_time=0), members,
                   extra=self.HTTP_MONITOR, persist=persist)

    def test_http_monitor_recv_stops_matching(self):
        self.start_http_monitored()
        self.assertEqual(self.served(30, "/before/"), {"m1": 10, "m2": 10, "m3": 10})
        # The process still runs and answers /health, but no longer what recv wants.
        offset = self.log_size()
        flipped_at = time.monotonic()
        self.backends["m1"].set_health("200 server is down")
        self.wait_transition("Pool /Common/p member /Common/m1:8001", "down", offset, flipped_at,
                             TIMEOUT - INTERVAL - 0.5, TIMEOUT + INTERVAL + 1)
        proxied_before = len(self.backends["m1"].proxied())
        self.assertEqual(self.served(40, "/down/"), {"m2": 20, "m3": 20})
        self.assertEqual(len(self.backends["m1"].proxied()), proxied_before, "a down member got a new connection")
        # The monitor kept probing it all along (and found it wanting).
        self.assertTrue(any(r["event"] == "health" for r in self.backends["m1"].records()))

        offset = self.log_size()
        flipped_at = time.monotonic()
        self.backends["m1"].set_health("200 server is up")
        self.wait_transition("Pool /Common/p member /Common/m1:8001", "up", offset, flipped_at, 0, INTERVAL + 1.5)
        self.assertEqual(self.served(30, "/after/"), {"m1": 10, "m2": 10, "m3": 10})

    def test_recv_disable_takes_new_connections_away(self):
        self.start_http_monitored()
        offset = self.log_size()
        self.backends["m1"].set_health("200 maintenance")
        # recv does not match, recv-disable does: disabled at once (no timeout to wait for).
        self.wait_log(r"Pool /Common/p member /Common/m1:8001 monitor status disabled\.", start=offset,
                      timeout=INTERVAL + 1.5)
        proxied_before = len(self.backends["m1"].proxied())
        self.assertEqual(self.served(40, "/disabled/"), {"m2": 20, "m3": 20})
        self.assertEqual(len(self.backends["m1"].proxied()), proxied_before)

    def test_and_rule_needs_every_monitor(self):
        tcp = tm.monitor("tcp", "quick_tcp", interval=INTERVAL, timeout=TIMEOUT)
        members = [tm.member(n, ADDRESSES[n], 8001) for n in NAMES]
        self.start(tm.pool("p", members, monitor="/Common/health and /Common/quick_tcp", slow_ramp_time=0),
                   members, extra=self.HTTP_MONITOR + tcp)
        offset = self.log_size()
        flipped_at = time.monotonic()
        self.backends["m3"].set_health("200 server is down")   # tcp still connects; http fails
        line = self.wait_transition("Pool /Common/p member /Common/m3:8001", "down", offset, flipped_at,
                                    TIMEOUT - INTERVAL - 0.5, TIMEOUT + INTERVAL + 1)
        self.assertRegex(line, r"\[ /Common/health: down; last error: .*/Common/quick_tcp: up \]")
        self.assertEqual(self.served(20), {"m1": 10, "m2": 10})

    # -- every member down -----------------------------------------------------------------------

    def test_all_members_down_is_503_after_lb_failed(self):
        monitor = tm.monitor("tcp", "quick_tcp", interval=INTERVAL, timeout=TIMEOUT)
        members = [tm.member(n, ADDRESSES[n], 8001) for n in NAMES[:2]]
        self.start(tm.pool("p", members, monitor="/Common/quick_tcp", slow_ramp_time=0), members,
                   extra=monitor + harness.inline_rule("/Common/lbf", LB_FAILED_RULE), rules=["/Common/lbf"])
        offset = self.log_size()
        for name in ("m1", "m2"):
            self.backends[name].popen.kill()
            self.backends[name].wait(5)
        for name in ("m1", "m2"):
            self.wait_log(rf"Pool /Common/p member /Common/{name}:8001 monitor status down\.", start=offset,
                          timeout=TIMEOUT + INTERVAL + 2)
        offset = self.log_size()
        for i in range(5):
            response = self.one(f"/nobody/{i}")
            self.assertEqual(response.status, 503, response)
        for i in range(5):
            self.wait_log(rf"LB_FAILED pool /Common/p for /nobody/{i}\b", start=offset)
        # No member was tried: the monitors had taken them all out.
        self.assertEqual(self.connect_failures("/Common/m1:8001", offset) +
                         self.connect_failures("/Common/m2:8001", offset), [])

    # -- node monitor ----------------------------------------------------------------------------

    def test_node_monitor_takes_the_nodes_members_out(self):
        monitor = tm.monitor("tcp", "node_tcp", interval=INTERVAL, timeout=TIMEOUT, destination="*:8001")
        members = [tm.member(n, ADDRESSES[n], 8001) for n in NAMES]
        self.backends = {}
        for name in NAMES:
            backend = self.start_process(HealthBackend(name, ADDRESSES[name], 8001, self.tmp))
            self.wait_output(backend, "listening")
            self.backends[name] = backend
        nodes = "".join(tm.node(n, ADDRESSES[n], monitor="/Common/node_tcp") for n in NAMES)
        config = (tm.self_ip(NET) + nodes + monitor + tm.pool("p", members, slow_ramp_time=0) +
                  tm.virtual("vs", *VIP, "p", snat="automap"))
        self.start_irulesd(self.write_config(config), wait_for=[VIP], workers=2)
        self.assertEqual(self.served(30, "/before/"), {"m1": 10, "m2": 10, "m3": 10})

        offset = self.log_size()
        killed_at = time.monotonic()
        self.backends["m2"].popen.kill()
        self.backends["m2"].wait(5)
        self.wait_transition(f"Node /Common/m2 address {ADDRESSES['m2']}", "down", offset, killed_at,
                             TIMEOUT - INTERVAL - 0.5, TIMEOUT + INTERVAL + 1)
        down_offset = self.log_size()
        self.assertEqual(self.served(40, "/down/"), {"m1": 20, "m3": 20})
        self.assertEqual(self.connect_failures("/Common/m2:8001", down_offset), [])

        offset = self.log_size()
        started_at = time.monotonic()
        self.restart("m2")
        self.wait_transition(f"Node /Common/m2 address {ADDRESSES['m2']}", "up", offset, started_at, 0,
                             INTERVAL + 1.5)
        self.assertEqual(self.served(30, "/after/"), {"m1": 10, "m2": 10, "m3": 10})

    def test_recv_and_recv_disable_both_matching_is_up(self):
        # F5: when the answer matches recv, the member is up and enabled whatever recv-disable says.
        self.start_http_monitored()
        offset = self.log_size()
        self.backends["m1"].set_health("200 server is up (maintenance at midnight)")
        time.sleep(INTERVAL + 1.5)   # every member is probed at least once meanwhile
        self.assertNotRegex(self.log_text()[offset:], r"member /Common/m1:8001 monitor status")
        self.assertEqual(self.served(30), {"m1": 10, "m2": 10, "m3": 10})

    # -- every member down -----------------------------------------------------------------------

    def test_recv_disable_keeps_persisted_clients(self):
        # F5: a member disabled by recv-disable keeps its active and persisted connections (the
        # graceful way into a maintenance window); only new clients go elsewhere.
        self.start_http_monitored(persist="/Common/cookie")
        cookie = None
        for i in range(3):
            response = self.one(f"/find-m1/{i}")
            if response.json()["backend"] == "m1":
                cookie = response.header("Set-Cookie").split(";")[0]
        self.assertIsNotNone(cookie, "one of three round-robin requests reaches m1")
        offset = self.log_size()
        self.backends["m1"].set_health("200 maintenance")
        self.wait_log(r"Pool /Common/p member /Common/m1:8001 monitor status disabled\.", start=offset,
                      timeout=INTERVAL + 1.5)
        for i in range(5):
            with harness.RawClient(*VIP) as client:
                client.send(harness.request_bytes("GET", f"/persisted/{i}", HOST, headers=[("Cookie", cookie)]))
                response = client.read_response()
            self.assertEqual((response.status, response.json()["backend"]), (200, "m1"), response)
        self.assertEqual(self.served(20, "/new/"), {"m2": 10, "m3": 10})


if __name__ == "__main__":
    harness.main()
