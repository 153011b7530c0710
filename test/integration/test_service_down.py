"""What a pool does when members fail, with real backends that really fail:

- service-down-action none|reset|drop|reselect, once an http monitor marks down the member a client
  connection uses (its /health answer stops matching; the process keeps running, so the server
  connection itself stays healthy). BIG-IP ("LTM: Action on Service Down"): none leaves established
  connections alone; reset sends a reset to client and server; drop cleans the connection up without
  a word to the client; reselect moves the connection to another member. What the client sees is
  checked for a keep-alive client idle between requests and for one whose request is in flight.
- reselect-tries: connect failures on members with nothing listening → the next member, counted up to
  reselect-tries, then LB_FAILED and 503.
- min-up-members with min-up-members-checking: BIG-IP's actions (failover, reboot, restart-all) are
  HA-cluster actions; irulesd logs the pool's fall below the minimum and its return and keeps
  serving. Without min-up-members-checking nothing is logged, as BIG-IP ignores the minimum then.

Addresses: 127.0.71.x (members .11-.13; .21-.23 have nothing listening)."""

import collections
import time

import harness
import tm_support as tm

NET = "127.0.71"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"
NAMES = ["m1", "m2", "m3"]
ADDRESSES = {name: f"{NET}.{11 + i}" for i, name in enumerate(NAMES)}
DEAD = [f"{NET}.{21 + i}" for i in range(3)]
INTERVAL, TIMEOUT = 1, 2
HELD = 8   # seconds a request in flight waits at its member: past the monitor's verdict and the check after it

HTTP_MONITOR = tm.monitor("http", "health", interval=INTERVAL, timeout=TIMEOUT,
                          send='"GET /health HTTP/1.0\\r\\n\\r\\n"', recv='"server is up"')
TCP_MONITOR = tm.monitor("tcp", "quick_tcp", interval=INTERVAL, timeout=TIMEOUT)
LB_FAILED_RULE = 'when LB_FAILED { log local0. "LB_FAILED for [HTTP::uri]" }\n'


class ServiceDown(harness.IrulesdTestCase):

    def start(self, pool_text, names, extra="", rules=(), nodes=""):
        self.backends = {name: tm.start_health_backend(self, name, ADDRESSES[name]) for name in names}
        config = (tm.self_ip(NET) + nodes + pool_text + extra +
                  tm.virtual("vs", *VIP, "p", rules=rules))
        self.start_irulesd(self.write_config(config), wait_for=[VIP], workers=2)

    def start_action(self, action):
        members = [tm.member(n, ADDRESSES[n], 8001) for n in NAMES[:2]]
        self.start(tm.pool("p", members, monitor="/Common/health", service_down_action=action, slow_ramp_time=0),
                   NAMES[:2], extra=HTTP_MONITOR, nodes=tm.nodes_of(members))

    def mark_down(self, name):
        """The member's /health stops matching recv; returns once the monitor has said down."""
        offset = self.log_size()
        self.backends[name].set_health("200 server is down")
        self.wait_log(rf"Pool /Common/p member /Common/{name}:8001 monitor status down\.", start=offset,
                      timeout=TIMEOUT + INTERVAL + 3)

    def idle_client(self):
        """A keep-alive client after one answered request: (client, member, server-side peer port)."""
        client = harness.RawClient(*VIP)
        self.addCleanup(client.close)
        client.send(harness.request_bytes("GET", "/first", HOST))
        response = client.read_response()
        self.assertEqual(response.status, 200, response)
        body = response.json()
        return client, body["backend"], body["peer_port"]

    def in_flight_client(self):
        """A client whose request its member holds for HELD seconds: (client, member)."""
        client = harness.RawClient(*VIP, timeout=HELD + 6)
        self.addCleanup(client.close)
        client.send(harness.request_bytes("GET", "/held", HOST, headers=[("X-Backend-Delay", str(HELD))]))

        def arrived():
            for name, backend in self.backends.items():
                if any(r["path"] == "/held" for r in backend.requests()):
                    return name
            return None
        return client, self.wait_until(arrived, timeout=5, message="/held reaches a member", interval=0.01)

    def server_side_closed(self, name, peer_port):
        self.wait_until(lambda: any(r["peer_port"] == peer_port for r in self.backends[name].closed()),
                        timeout=5, message=f"{name} sees its connection from port {peer_port} closed")

    def after_the_check(self):
        # irulesd looks at its connections' members once a second: let one such pass happen.
        time.sleep(2)

    # -- service-down-action, idle keep-alive client ---------------------------------------------

    def test_none_keeps_an_idle_connection_on_its_member(self):
        self.start_action("none")
        client, name, port = self.idle_client()
        self.mark_down(name)
        self.after_the_check()
        client.send(harness.request_bytes("GET", "/second", HOST))
        response = client.read_response()
        self.assertEqual(response.status, 200, response)
        # The same member over the same server connection: established connections are left alone.
        self.assertEqual((response.json()["backend"], response.json()["peer_port"]), (name, port))

    def test_reset_resets_an_idle_client_and_closes_the_server_side(self):
        self.start_action("reset")
        client, name, port = self.idle_client()
        offset = self.log_size()
        self.mark_down(name)
        data, how = client.read_until_close()
        self.assertEqual((data, how), (b"", "reset"))
        self.server_side_closed(name, port)
        self.wait_log(rf"Pool /Common/p member /Common/{name}:8001 is down: connection .* reset \(service-down-action\)",
                      start=offset)

    def test_drop_closes_an_idle_client_without_a_reset(self):
        self.start_action("drop")
        client, name, port = self.idle_client()
        offset = self.log_size()
        self.mark_down(name)
        # BIG-IP forgets the connection and sends nothing; a kernel socket cannot vanish in silence,
        # so irulesd closes it (FIN): no answer, no reset.
        data, how = client.read_until_close()
        self.assertEqual((data, how), (b"", "eof"))
        self.server_side_closed(name, port)
        self.wait_log(rf"Pool /Common/p member /Common/{name}:8001 is down: connection .* dropped \(service-down-action\)",
                      start=offset)

    def test_reselect_sends_the_next_request_to_another_member(self):
        self.start_action("reselect")
        client, name, port = self.idle_client()
        self.mark_down(name)
        self.after_the_check()
        self.server_side_closed(name, port)
        (other,) = set(NAMES[:2]) - {name}
        for i in range(3):   # the same client connection, now served by the member that is up
            client.send(harness.request_bytes("GET", f"/again/{i}", HOST))
            response = client.read_response()
            self.assertEqual((response.status, response.json()["backend"]), (200, other), response)

    # -- service-down-action, request in flight --------------------------------------------------

    def test_none_lets_a_request_in_flight_finish(self):
        self.start_action("none")
        client, name = self.in_flight_client()
        self.mark_down(name)
        response = client.read_response()
        self.assertEqual((response.status, response.json()["backend"]), (200, name))

    def test_reset_resets_a_client_with_a_request_in_flight(self):
        self.start_action("reset")
        client, name = self.in_flight_client()
        self.mark_down(name)
        self.assertEqual(client.read_until_close(), (b"", "reset"))

    def test_drop_ends_a_client_with_a_request_in_flight_without_an_answer(self):
        self.start_action("drop")
        client, name = self.in_flight_client()
        self.mark_down(name)
        self.assertEqual(client.read_until_close(), (b"", "eof"))

    def test_reselect_resets_a_request_in_flight(self):
        # A request half answered cannot move to another member: irulesd resets it (BIG-IP's
        # reselect suits members that are transparent devices, where the packets can move).
        self.start_action("reselect")
        client, name = self.in_flight_client()
        self.mark_down(name)
        self.assertEqual(client.read_until_close(), (b"", "reset"))

    # -- reselect-tries --------------------------------------------------------------------------

    def dead_pool(self, tries, live=False):
        """Members on addresses with nothing listening (and m3, up, when live); LB_FAILED logged."""
        members = [tm.member(f"dead{i}", address, 8001) for i, address in enumerate(DEAD)]
        if live:
            members.append(tm.member("m3", ADDRESSES["m3"], 8001))
        self.start(tm.pool("p", members, reselect_tries=tries, slow_ramp_time=0), ["m3"] if live else [],
                   extra=harness.inline_rule("/Common/lbf", LB_FAILED_RULE), rules=["/Common/lbf"],
                   nodes=tm.nodes_of(members))

    def attempt(self, path):
        """One request; (status, connect failures logged for it, LB_FAILED lines logged for it)."""
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", path, HOST))
            status = client.read_response().status
        time.sleep(0.2)   # the log lines of this request are written before its answer; let them land
        lines = self.log_text()[offset:].splitlines()
        failures = [line for line in lines if "connect failed" in line]
        lb_failed = [line for line in lines if f"LB_FAILED for {path}" in line]
        return status, failures, lb_failed

    def test_reselect_tries_2_tries_three_members_then_503(self):
        self.dead_pool(2)
        status, failures, lb_failed = self.attempt("/tries-2")
        # The first choice and 2 reselections: three connect failures, LB_FAILED once, 503.
        self.assertEqual((status, len(failures), len(lb_failed)), (503, 3, 1), failures)
        self.assertEqual(len({line.split(" member ")[1].split(" ")[0] for line in failures}), 3,
                         "each try goes to a member not tried yet")

    def test_reselect_tries_1_stops_after_one_reselection(self):
        # BIG-IP: reselect-tries is how many new members a passive failure (a connect failure) may
        # lead to. With 1, the first choice and one more fail, then LB_FAILED and the answer, though
        # a third member is there.
        self.dead_pool(1)
        status, failures, lb_failed = self.attempt("/tries-1")
        self.assertEqual((status, len(failures), len(lb_failed)), (503, 2, 1), failures)

    def test_reselect_tries_0_does_not_reselect(self):
        # BIG-IP's default, 0: no reselection after a connect failure — LB_FAILED at once, even with
        # a live member in the pool. Round robin's first choice in a fresh process is the first
        # member, a dead one.
        self.dead_pool(0, live=True)
        status, failures, lb_failed = self.attempt("/tries-0")
        self.assertEqual((status, len(failures), len(lb_failed)), (503, 1, 1), failures)

    # -- min-up-members --------------------------------------------------------------------------

    def start_min_up(self, checking):
        members = [tm.member(n, ADDRESSES[n], 8001) for n in NAMES]
        self.start(tm.pool("p", members, monitor="/Common/quick_tcp", slow_ramp_time=0, min_up_members=2,
                           min_up_members_action="failover", min_up_members_checking=checking),
                   NAMES, extra=TCP_MONITOR, nodes=tm.nodes_of(members))

    def stop_member(self, name):
        offset = self.log_size()
        self.backends[name].stop()
        self.wait_log(rf"Pool /Common/p member /Common/{name}:8001 monitor status down\.", start=offset,
                      timeout=TIMEOUT + INTERVAL + 3)

    def served(self, count, path):
        names = []
        for i in range(count):
            with harness.RawClient(*VIP) as client:
                client.send(harness.request_bytes("GET", f"{path}{i}", HOST))
                response = client.read_response()
            self.assertEqual(response.status, 200, response)
            names.append(response.json()["backend"])
        return collections.Counter(names)

    BELOW = (r"Pool /Common/p: 1 of 3 members up, fewer than min-up-members 2; "
             r"min-up-members-action failover not taken \(irulesd is not part of an HA cluster\)")

    def test_min_up_members_logs_the_fall_below_and_the_return(self):
        self.start_min_up("enabled")
        self.stop_member("m1")
        self.assertNotIn("min-up-members", self.log_text(), "2 of 3 up is not below the minimum of 2")
        offset = self.log_size()
        self.stop_member("m2")
        self.wait_log(self.BELOW, start=offset)
        # No HA peer to fail over to: the member left keeps serving.
        self.assertEqual(self.served(10, "/below/"), {"m3": 10})
        offset = self.log_size()
        self.backends["m2"] = tm.start_health_backend(self, "m2", ADDRESSES["m2"])
        self.wait_log(r"Pool /Common/p: 2 of 3 members up, min-up-members 2 met again", start=offset,
                      timeout=INTERVAL + 3)
        self.assertEqual(len([line for line in self.log_text().splitlines() if "fewer than min-up-members" in line]), 1)

    def test_min_up_members_without_checking_logs_nothing(self):
        self.start_min_up("disabled")
        self.stop_member("m1")
        self.stop_member("m2")
        self.assertEqual(self.served(6, "/below/"), {"m3": 6})
        self.assertNotIn("min-up-members", self.log_text())


if __name__ == "__main__":
    harness.main()
