"""OneConnect (`ltm profile one-connect`): server-side connections detach after each exchange into the
worker's reuse pool and carry later requests — of the same client connection or of others — so the
backend sees fewer connections than requests; each request is load balanced anew, as on BIG-IP; reuse
is limited by source-mask, max-reuse and the idle timeout; a connection the server closes while idle
is noticed and never reused. Without the profile: one server connection per client connection.
Addresses: 127.0.46.x."""

import socket
import threading

import harness
import tm_support as tm

NET = "127.0.46"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"
CLIENT_A = f"{NET}.77"
CLIENT_B = f"{NET}.78"

LOG_SERVER_CONNECTED = r"""
when SERVER_CONNECTED {
    log local0. "server connected [IP::server_addr]:[TCP::server_port]"
}
"""


def oneconnect(name="oc", **properties):
    return (f"ltm profile one-connect /Common/{name} {{\n    defaults-from /Common/oneconnect\n"
            + tm.props({k.replace("_", "-"): v for k, v in properties.items()}, 4) + "}\n")


class SourcedClient(harness.RawClient):
    """A RawClient whose connection comes from a given local address."""

    def __init__(self, source, timeout=harness.TIMEOUT):
        self.sock = socket.create_connection(VIP, timeout=timeout, source_address=(source, 0))
        self.reader = self.sock.makefile("rb")


class OneAnswerBackend:
    """A member that answers one request per connection (keep-alive in its headers) and closes the
    connection when the next request arrives on it — a server whose keep-alive timeout ran out just as
    a reused connection's request went out. Counts connections and answers."""

    def __init__(self, address, port=8001):
        self.listener = socket.create_server((address, port))
        self.connections = 0
        self.answered = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        with conn:
            reader = conn.makefile("rb")
            for number in (1, 2):
                request_line = reader.readline()
                if not request_line:
                    return
                while reader.readline() not in (b"\r\n", b""):
                    pass
                if number == 2:
                    return   # the second request on a connection: closed unanswered
                path = request_line.split()[1].decode()
                with self.lock:
                    self.answered.append(path)
                body = path.encode()
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    def close(self):
        self.listener.close()


class OneConnect(harness.IrulesdTestCase):

    def start(self, *, profile=None, members=(("m1", f"{NET}.11"),), snat="none", rules=()):
        self.backends = {name: self.start_backend(name, address) for name, address in members}
        pool_members = [tm.member(name, address, 8001) for name, address in members]
        profiles = ["/Common/http", "/Common/tcp"] + ([f"/Common/{profile[0]}"] if profile else [])
        rule_text = "".join(f"ltm rule /Common/{name} {{\n{body}\n}}\n" for name, body in rules)
        config = (tm.self_ip(NET) + tm.nodes_of(pool_members) + tm.pool("p", pool_members) +
                  (profile[1] if profile else "") + rule_text +
                  tm.virtual("vs", *VIP, "p", profiles=profiles, snat=snat,
                             rules=[f"/Common/{name}" for name, _ in rules]))
        self.start_irulesd(self.write_config(config), wait_for=[VIP], workers=1)

    def one_request(self, path, source=CLIENT_A, headers=()):
        """A client connection with one request; closed by the client after the answer."""
        with SourcedClient(source) as client:
            client.send(harness.request_bytes("GET", path, HOST, headers=headers))
            response = client.read_response()
        self.assertEqual(response.status, 200, response)
        return response.json()

    def server_connections(self, name="m1"):
        return len(self.backends[name].connections())

    def test_without_oneconnect_one_server_connection_per_client_connection(self):
        self.start()
        for i in range(10):
            self.one_request(f"/plain/{i}")
        self.assertEqual(self.server_connections(), 10)

    def test_sequential_clients_share_one_server_connection(self):
        self.start(profile=("oc", oneconnect()), rules=[("log_connected", LOG_SERVER_CONNECTED)])
        answers = [self.one_request(f"/oc/{i}") for i in range(20)]
        # 20 requests on 20 client connections, one server connection carried them all.
        self.assertEqual(self.server_connections(), 1)
        self.assertEqual([a["connection_request_number"] for a in answers], list(range(1, 21)))
        # SERVER_CONNECTED fires when a server connection is set up, not when one is reused.
        self.assertEqual(self.log_text().count("server connected"), 1, self.log_text())

    def test_each_request_of_a_keep_alive_connection_is_balanced_anew(self):
        members = (("m1", f"{NET}.11"), ("m2", f"{NET}.12"))
        self.start(profile=("oc", oneconnect()), members=members)
        with SourcedClient(CLIENT_A) as client:
            seen = []
            for i in range(6):
                client.send(harness.request_bytes("GET", f"/rr/{i}", HOST))
                seen.append(client.read_response().json()["backend"])
        # Round robin per request (BIG-IP with OneConnect), not per client connection.
        self.assertEqual(seen, [seen[0], seen[1]] * 3)
        self.assertNotEqual(seen[0], seen[1])
        # Each member was reached over one connection, reused for its three requests.
        self.assertEqual(self.server_connections("m1"), 1)
        self.assertEqual(self.server_connections("m2"), 1)

    def test_without_oneconnect_a_keep_alive_connection_stays_on_its_member(self):
        members = (("m1", f"{NET}.11"), ("m2", f"{NET}.12"))
        self.start(members=members)
        with SourcedClient(CLIENT_A) as client:
            seen = set()
            for i in range(6):
                client.send(harness.request_bytes("GET", f"/stay/{i}", HOST))
                seen.add(client.read_response().json()["backend"])
        self.assertEqual(len(seen), 1)

    def test_source_mask_any_reuses_across_clients(self):
        # The default source-mask (any): client B's request goes out over the connection client A's
        # request opened, as on BIG-IP.
        self.start(profile=("oc", oneconnect()))
        first = self.one_request("/a", source=CLIENT_A)
        second = self.one_request("/b", source=CLIENT_B)
        self.assertEqual(self.server_connections(), 1)
        self.assertEqual((first["peer_port"], second["peer_port"]), (first["peer_port"], first["peer_port"]))

    def test_host_source_mask_keeps_each_client_on_its_own_connections(self):
        # Without SNAT (snat none) the key is the client's address under the mask: A's connection is
        # never B's. (irulesd connects from its own address then: see the README's SNAT row.)
        self.start(profile=("oc_host", oneconnect("oc_host", source_mask="255.255.255.255")))
        ports = {CLIENT_A: set(), CLIENT_B: set()}
        for i in range(3):
            for source in (CLIENT_A, CLIENT_B):
                ports[source].add(self.one_request(f"/{source}/{i}", source=source)["peer_port"])
        self.assertEqual(self.server_connections(), 2)
        self.assertEqual((len(ports[CLIENT_A]), len(ports[CLIENT_B])), (1, 1))
        self.assertNotEqual(ports[CLIENT_A], ports[CLIENT_B])

    def test_a_24_source_mask_shares_within_the_subnet_only(self):
        self.start(profile=("oc_24", oneconnect("oc_24", source_mask="255.255.255.0")))
        self.one_request("/a", source=CLIENT_A)
        self.one_request("/b", source=CLIENT_B)        # same /24 as A: reused
        self.one_request("/c", source="127.0.47.77")   # another /24: a connection of its own
        self.assertEqual(self.server_connections(), 2)

    def test_snat_automap_connections_are_shared_whatever_the_mask(self):
        self.start(profile=("oc_host", oneconnect("oc_host", source_mask="255.255.255.255")), snat="automap")
        self.assertEqual(self.one_request("/a", source=CLIENT_A)["peer"], f"{NET}.20")
        self.assertEqual(self.one_request("/b", source=CLIENT_B)["peer"], f"{NET}.20")
        self.assertEqual(self.server_connections(), 1)

    def test_max_reuse_closes_a_connection_after_that_many_requests(self):
        self.start(profile=("oc3", oneconnect("oc3", max_reuse=3)))
        for i in range(9):
            self.one_request(f"/reuse/{i}")
        self.assertEqual(self.server_connections(), 3)
        self.wait_until(lambda: len(self.backends["m1"].closed()) >= 3, message="3 server connections closed")

    def test_max_size_bounds_the_parked_connections(self):
        self.start(profile=("oc1", oneconnect("oc1", max_size=1)))
        clients = [SourcedClient(CLIENT_A) for _ in range(3)]
        try:
            # Three requests in flight at once: three server connections.
            for i, client in enumerate(clients):
                client.send(harness.request_bytes("GET", f"/slow/{i}", HOST, headers=[("X-Backend-Delay", "0.5")]))
            for client in clients:
                self.assertEqual(client.read_response().status, 200)
        finally:
            for client in clients:
                client.close()
        self.assertEqual(self.server_connections(), 3)
        # Only one may wait in the pool: the other two were closed when their exchange ended.
        self.wait_until(lambda: len(self.backends["m1"].closed()) == 2, message="two server connections closed")
        self.one_request("/after")
        self.assertEqual(self.server_connections(), 3)

    def test_idle_timeout_override_closes_a_parked_connection(self):
        self.start(profile=("oc_idle", oneconnect("oc_idle", idle_timeout_override=1)))
        self.one_request("/first")
        self.assertEqual(self.backends["m1"].closed(), [])
        # Closed by irulesd once idle for 1 s (the sweep runs each second), not reused afterwards.
        self.wait_until(lambda: len(self.backends["m1"].closed()) == 1, timeout=5, message="parked connection closed")
        self.one_request("/second")
        self.assertEqual(self.server_connections(), 2)

    def sent_headers(self, answer):
        return [(name.lower(), value) for name, value in answer["headers"]]

    def test_a_request_that_says_close_keeps_its_server_connection_open(self):
        # BIG-IP's OneConnect transformations: the member sees `X-Cnection: close`, and an HTTP/1.0
        # request `Connection: Keep-Alive`, so the connection is pooled; the client's still closes.
        self.start(profile=("oc", oneconnect()))
        answer = self.one_request("/close", headers=[("Connection", "close")])
        self.assertIn(("x-cnection", "close"), self.sent_headers(answer))
        self.assertNotIn("connection", [name for name, _ in self.sent_headers(answer)])
        with SourcedClient(CLIENT_A) as client:
            client.send(b"GET /ten HTTP/1.0\r\nHost: " + HOST.encode() + b"\r\n\r\n")
            response = client.read_response()
            self.assertEqual(client.read_until_close()[1], "eof")   # closed after the answer, as asked
        self.assertIn(("connection", "Keep-Alive"), self.sent_headers(response.json()))
        self.one_request("/after")
        self.assertEqual(self.server_connections(), 1)

    def test_oneconnect_reuse_disable_in_a_rule(self):
        rule = ("when HTTP_REQUEST {\n"
                "    if { [HTTP::path] starts_with \"/private\" } { ONECONNECT::reuse disable }\n"
                "    log local0. \"reuse [ONECONNECT::reuse] detach [ONECONNECT::detach]\"\n"
                "}")
        self.start(profile=("oc", oneconnect()), rules=[("oc_rule", rule)])
        self.one_request("/public/1")
        self.one_request("/public/2")            # reuses the first one's server connection
        answer = self.one_request("/private/1", headers=[("Connection", "close")])
        self.assertIn(("connection", "close"), self.sent_headers(answer))   # not transformed
        self.assertEqual(self.server_connections(), 2)
        self.assertIn("reuse 0 detach 1", self.log_text())

    def test_oneconnect_detach_disable_keeps_the_member(self):
        members = (("m1", f"{NET}.11"), ("m2", f"{NET}.12"))
        rule = "when CLIENT_ACCEPTED {\n    ONECONNECT::detach disable\n}"
        self.start(profile=("oc", oneconnect()), members=members, rules=[("oc_rule", rule)])
        with SourcedClient(CLIENT_A) as client:
            seen = set()
            for i in range(4):
                client.send(harness.request_bytes("GET", f"/stay/{i}", HOST))
                seen.add(client.read_response().json()["backend"])
        self.assertEqual(len(seen), 1)

    def test_a_member_restarted_while_its_connection_is_parked(self):
        self.start(profile=("oc", oneconnect()))
        self.one_request("/before")
        # The member goes away and comes back: the parked connection saw its close and is gone.
        backend = self.backends["m1"]
        backend.stop()
        self.backends["m1"] = self.start_backend("m1-again", f"{NET}.11")
        answer = self.one_request("/after")
        self.assertEqual(answer["backend"], "m1-again")
        self.assertEqual(answer["connection_request_number"], 1)

    def test_a_reused_connection_closed_unanswered_is_retried_on_a_new_one(self):
        backend = OneAnswerBackend(f"{NET}.13")
        self.addCleanup(backend.close)
        members = [tm.member("m3", f"{NET}.13", 8001)]
        config = (tm.self_ip(NET) + tm.nodes_of(members) + tm.pool("p", members) + oneconnect() +
                  tm.virtual("vs", *VIP, "p", profiles=("/Common/http", "/Common/tcp", "/Common/oc")))
        self.start_irulesd(self.write_config(config), wait_for=[VIP], workers=1)
        for i in range(4):
            with SourcedClient(CLIENT_A) as client:
                client.send(harness.request_bytes("GET", f"/retry/{i}", HOST))
                response = client.read_response()
            self.assertEqual((response.status, response.body), (200, f"/retry/{i}".encode()))
        # Each reuse met a closed connection: the request went again on a new one, and was answered once.
        self.assertEqual(backend.answered, [f"/retry/{i}" for i in range(4)])
        self.assertEqual(backend.connections, 4)
        self.assertEqual(self.log_text().count("sending the request again on a new connection"), 3)

    def test_concurrent_clients_each_get_their_answers(self):
        # 8 clients with 5 keep-alive requests each, interleaved: every answer is for its own request.
        self.start(profile=("oc", oneconnect()))
        clients = [SourcedClient(CLIENT_A) for _ in range(8)]
        try:
            for round_number in range(5):
                for i, client in enumerate(clients):
                    client.send(harness.request_bytes("GET", f"/c{i}/r{round_number}", HOST))
                for i, client in enumerate(clients):
                    answer = client.read_response().json()
                    self.assertEqual(answer["path"], f"/c{i}/r{round_number}")
        finally:
            for client in clients:
                client.close()
        self.assertLessEqual(self.server_connections(), 8)


if __name__ == "__main__":
    harness.main()
