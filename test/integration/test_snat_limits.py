"""SNAT pools, X-Forwarded-For and the limits a real client can hit: `source-address-translation {
type snat pool P }` (the backend sees the snatpool's addresses in turn), `insert-xforwarded-for
enabled`, a virtual's `connection-limit 2` (the third concurrent client is reset, logged, and a
place frees when one leaves), the server connect timeout from the server-side tcp profile's
syn-max-retrans (a member whose listener never accepts: a socket with a full backlog on loopback;
syn-max-retrans 1 is 3 s), and irulesd's request-header timeout on the http profile (a client that
sends half a head and waits is reset; others are not). Addresses: 127.0.43.x."""

import socket
import time

import harness
import tm_support as tm

NET = "127.0.43"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"
SNAT_ADDRESSES = [f"{NET}.21", f"{NET}.22", f"{NET}.23"]
CLIENT_ADDRESS = f"{NET}.77"


class SourcedClient(harness.RawClient):
    """A RawClient whose connection comes from a given local address."""

    def __init__(self, source, timeout=harness.TIMEOUT, port=VIP[1]):
        self.sock = socket.create_connection((VIP[0], port), timeout=timeout, source_address=(source, 0))
        self.reader = self.sock.makefile("rb")


class SnatAndLimits(harness.IrulesdTestCase):

    def start(self, config_text, backends=(("m1", f"{NET}.11"),), workers=2):
        self.backends = {name: self.start_backend(name, address) for name, address in backends}
        self.start_irulesd(self.write_config(config_text), wait_for=[VIP], workers=workers)

    def one_pool(self, members=(("m1", f"{NET}.11"),)):
        return [tm.member(name, address, 8001) for name, address in members]

    def get(self, path="/", headers=(), source="127.0.0.1"):
        with SourcedClient(source) as client:
            client.send(harness.request_bytes("GET", path, HOST, headers=headers))
            return client.read_response()

    def refused(self, path):
        """A new connection that irulesd resets: 'reset' (at connect or at the first read), else
        what came back."""
        try:
            with SourcedClient("127.0.0.1") as client:
                client.send(harness.request_bytes("GET", path, HOST))
                data, how = client.read_until_close()
        except ConnectionResetError:
            return "reset"
        return how if not data else data

    # -- SNAT pool -------------------------------------------------------------------------------

    def test_snat_pool_addresses_in_turn(self):
        members = self.one_pool()
        snatpool = "ltm snatpool /Common/sp {\n    members {\n" + "".join(
            f"        /Common/{a}\n" for a in SNAT_ADDRESSES) + "    }\n}\n"
        self.start(tm.self_ip(NET) + tm.nodes_of(members) + tm.pool("p", members) + snatpool +
                   tm.virtual("vs", *VIP, "p", snat="snat", snat_pool="/Common/sp"))
        peers = []
        for i in range(30):
            response = self.get(f"/snat/{i}")
            self.assertEqual(response.status, 200, response)
            peers.append(response.json()["peer"])
        # One translation address per server connection, taking turns.
        start = SNAT_ADDRESSES.index(peers[0])
        self.assertEqual(peers, [SNAT_ADDRESSES[(start + i) % 3] for i in range(30)])
        self.assertEqual({r["peer"] for r in self.backends["m1"].connections()}, set(SNAT_ADDRESSES))

    # -- X-Forwarded-For -------------------------------------------------------------------------

    def test_insert_xforwarded_for(self):
        members = self.one_pool()
        profile = tm.profile("http", "xff_http", insert_xforwarded_for="enabled")
        self.start(tm.self_ip(NET) + tm.nodes_of(members) + tm.pool("p", members) + profile +
                   tm.virtual("vs", *VIP, "p", profiles=("/Common/xff_http", "/Common/tcp"), snat="automap") +
                   tm.virtual("plain_vs", VIP[0], 8081, "p", snat="automap"))

        def xff(response):
            return [value for name, value in response.json()["headers"] if name.lower() == "x-forwarded-for"]
        # The backend sees the self IP as the peer and the client's own address in the header.
        response = self.get("/xff", source=CLIENT_ADDRESS)
        self.assertEqual(response.json()["peer"], f"{NET}.20")
        self.assertEqual(xff(response), [CLIENT_ADDRESS])
        # A header the client sent stays; BIG-IP's is added after it.
        response = self.get("/xff2", headers=[("X-Forwarded-For", "203.0.113.9")], source=CLIENT_ADDRESS)
        self.assertEqual(xff(response), ["203.0.113.9", CLIENT_ADDRESS])
        # Every request of a keep-alive connection gets exactly one.
        with SourcedClient(CLIENT_ADDRESS) as client:
            for i in range(3):
                client.send(harness.request_bytes("GET", f"/ka/{i}", HOST))
                self.assertEqual(xff(client.read_response()), [CLIENT_ADDRESS])
        # Without the profile setting (a virtual with /Common/http): none.
        with SourcedClient(CLIENT_ADDRESS, port=8081) as plain:
            plain.send(harness.request_bytes("GET", "/plain", f"{VIP[0]}:8081"))
            self.assertEqual(xff(plain.read_response()), [])

    # -- virtual connection-limit ----------------------------------------------------------------

    def test_virtual_connection_limit(self):
        members = self.one_pool()
        self.start(tm.self_ip(NET) + tm.nodes_of(members) + tm.pool("p", members) +
                   tm.virtual("vs", *VIP, "p", connection_limit=2))
        def served_and_kept():
            """A client served once and kept open. Until irulesd has seen the close of the
            harness's start-up probe, that probe still counts: a reset then is tried again."""
            client = None
            try:
                client = SourcedClient("127.0.0.1")
                client.send(harness.request_bytes("GET", "/held", HOST))
                if client.read_response().status == 200:
                    self.addCleanup(client.close)
                    return client
            except (ConnectionResetError, harness.ConnectionClosed):
                pass
            if client is not None:
                client.close()
            return None
        first = self.wait_until(served_and_kept, timeout=5, message="a first client is served")
        second = self.wait_until(served_and_kept, timeout=5, message="a second client is served")
        offset = self.log_size()
        self.assertEqual(self.refused("/third"), "reset")
        line = self.wait_log(r"reset: connection-limit 2 reached", start=offset)
        self.assertIn("/Common/vs", line)
        # The two held clients are untouched.
        second.send(harness.request_bytes("GET", "/still-here", HOST))
        self.assertEqual(second.read_response().status, 200)
        # One leaves: a place is free again (once irulesd has seen the close).
        first.close()

        def third_served():
            with SourcedClient("127.0.0.1") as again:
                again.send(harness.request_bytes("GET", "/again", HOST))
                return again.read_response().status == 200
        self.wait_until(third_served, timeout=5, message="a new connection is served after one closed")
        self.assertFalse(any("/third" == r["path"] for r in self.backends["m1"].requests()))

    # -- server connect timeout ------------------------------------------------------------------

    def blackhole(self, address, port=8001):
        """A listener that never accepts, its backlog full: SYNs to it go unanswered."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, port))
        listener.listen(0)
        self.addCleanup(listener.close)
        for _ in range(16):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.addCleanup(filler.close)
            filler.settimeout(0.5)
            try:
                filler.connect((address, port))
            except (TimeoutError, socket.timeout):
                return listener   # this one's SYN is not answered: the queue is full
        self.fail(f"the backlog of {address}:{port} never filled")

    SERVER_TCP = tm.profile("tcp", "quick_syn", syn_max_retrans=1)

    def test_connect_timeout_then_the_next_member(self):
        self.blackhole(f"{NET}.11")
        members = [tm.member("hole", f"{NET}.11", 8001), tm.member("m2", f"{NET}.12", 8001)]
        self.start(tm.self_ip(NET) + tm.nodes_of(members) + tm.pool("p", members, slow_ramp_time=0, reselect_tries=1) +
                   self.SERVER_TCP + tm.virtual("vs", *VIP, "p", server_tcp="/Common/quick_syn"),
                   backends=(("m2", f"{NET}.12"),))
        offset = self.log_size()
        began = time.monotonic()
        response = self.get("/first")   # round robin starts with the member that never answers
        elapsed = time.monotonic() - began
        self.assertEqual((response.status, response.json()["backend"]), (200, "m2"))
        self.assertGreaterEqual(elapsed, 2.8, "the member had its 3 s")
        self.assertLess(elapsed, 4.5)
        self.wait_log(r"Pool /Common/p member /Common/hole:8001 connect failed: connection timed out", start=offset)

    def test_connect_timeout_with_no_other_member_is_503(self):
        self.blackhole(f"{NET}.11")
        members = [tm.member("hole", f"{NET}.11", 8001)]
        self.start(tm.self_ip(NET) + tm.nodes_of(members) + tm.pool("p", members) +
                   self.SERVER_TCP + tm.virtual("vs", *VIP, "p", server_tcp="/Common/quick_syn"), backends=())
        began = time.monotonic()
        response = self.get("/only")
        elapsed = time.monotonic() - began
        self.assertEqual(response.status, 503, response)
        self.assertGreaterEqual(elapsed, 2.8)
        self.assertLess(elapsed, 4.5)

    # -- request-header timeout ------------------------------------------------------------------

    def test_request_header_timeout_resets_a_slow_client_only(self):
        members = self.one_pool()
        profile = tm.profile("http", "slow_http", irulesd_request_header_timeout=2)
        self.start(tm.self_ip(NET) + tm.nodes_of(members) + tm.pool("p", members) + profile +
                   tm.virtual("vs", *VIP, "p", profiles=("/Common/slow_http", "/Common/tcp")))
        # A keep-alive client idle between requests is not slow: it has no head in progress.
        idle = SourcedClient("127.0.0.1")
        self.addCleanup(idle.close)
        idle.send(harness.request_bytes("GET", "/idle-1", HOST))
        self.assertEqual(idle.read_response().status, 200)
        offset = self.log_size()
        slow = SourcedClient("127.0.0.1")
        self.addCleanup(slow.close)
        began = time.monotonic()
        slow.send(b"GET /slow HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\nX-Slow: ")
        # Slowloris: a byte now and then keeps the connection busy but never ends the head. The
        # timeout runs from the head's first byte, so the trickle does not save it; meanwhile
        # other clients are served as usual.
        reset_after = None
        while time.monotonic() - began < 5:
            self.assertEqual(self.get("/meanwhile").status, 200)
            try:
                slow.send(b"z")
                if slow.sock.recv(1, socket.MSG_DONTWAIT) == b"":
                    self.fail("the slow client got a FIN, not a reset")
            except BlockingIOError:
                pass   # still open, nothing to read
            except (ConnectionResetError, BrokenPipeError):
                reset_after = time.monotonic() - began
                break
            time.sleep(0.3)
        self.assertIsNotNone(reset_after, "the slow client was not reset within 5 s")
        self.assertGreaterEqual(reset_after, 2.0)
        self.assertLess(reset_after, 3.6)
        self.wait_log(r"Request head from 127\.0\.0\.1:\d+ on /Common/vs not complete after 2 s "
                      r"\(request-header timeout of profile /Common/slow_http\); reset", start=offset)
        idle.send(harness.request_bytes("GET", "/idle-2", HOST))
        self.assertEqual(idle.read_response().status, 200)
        self.assertFalse(any(r["path"] == "/slow" for r in self.backends["m1"].requests()))

if __name__ == "__main__":
    harness.main()
