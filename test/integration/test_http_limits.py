"""The http and tcp profile limits no other script hits with a real client:

- max-header-count: 64 headers pass by default, the 65th resets the connection (as BIG-IP), with a
  log line naming the limit and the profile; a profile's own smaller count (at the top level, as
  BIG-IP 11.5 and older write it, and inside `enforcement { }`, as later versions do).
- oversize handling: `excess-client-headers` / `oversize-client-headers pass-through` — BIG-IP
  stops HTTP processing and passes the connection through to a member instead of resetting it.
- the tcp profile's idle-timeout on a passed-through WebSocket tunnel (allow-ws's HTTP::disable): an
  idle tunnel is reset after it, one that keeps talking is not.

(max-header-size with its default and a profile's value: test_bad_input.py; the server connect
timeout from syn-max-retrans and the request-header timeout: test_snat_limits.py; idle-timeout on a
plain HTTP connection: test_idle_timeout.py.) Addresses: 127.0.72.x."""

import base64
import os
import time

import harness
import tm_support as tm

NET = "127.0.72"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"
MEMBER = f"{NET}.11"


def headers(count):
    """count header fields in all, Host (written by request_bytes) included."""
    return [(f"X-H-{i}", str(i)) for i in range(count - 1)]


def ws_frame(payload):
    """A masked WebSocket text frame (a client's), payload under 126 bytes, mask key zero."""
    return bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


class HttpLimits(harness.IrulesdTestCase):

    def start(self, extra="", profiles=("/Common/http", "/Common/tcp"), rules=(), member="backend",
              rules_dir=None):
        if member == "gateway":
            self.start_gateway("gw", MEMBER)
        else:
            self.backend = self.start_backend("b1", MEMBER)
        members = [tm.member("b1", MEMBER, 8001)]
        config = (tm.nodes_of(members) + tm.pool("p", members) + extra +
                  tm.virtual("vs", *VIP, "p", profiles=profiles, rules=rules))
        self.start_irulesd(self.write_config(config), wait_for=[VIP], rules_dir=rules_dir)

    def send_head(self, count, path):
        """A request with `count` headers on a new connection: the response, or 'reset'/'eof'."""
        with harness.RawClient(*VIP) as client:
            try:
                client.send(harness.request_bytes("GET", path, HOST, headers=headers(count)))
                return client.read_response()
            except harness.ConnectionClosed:
                return "eof"
            except ConnectionResetError:
                return "reset"

    def paths(self):
        return [r["path"] for r in self.backend.requests()]

    # -- max-header-count ------------------------------------------------------------------------

    def test_64_headers_pass_and_the_65th_resets(self):
        self.start()
        response = self.send_head(64, "/sixty-four")
        self.assertEqual(response.status, 200, response)
        self.assertEqual(len(response.json()["headers"]), 64)
        offset = self.log_size()
        self.assertEqual(self.send_head(65, "/sixty-five"), "reset")
        self.wait_log(r"HTTP header section from 127\.0\.0\.1:\d+ on /Common/vs exceeds max-header-count of "
                      r"profile /Common/http \(32768 bytes / 64 headers\); connection reset", start=offset)
        self.assertEqual(self.paths(), ["/sixty-four"])

    def check_count_limit(self, profile_text, name):
        self.start(extra=profile_text, profiles=(name, "/Common/tcp"))
        self.assertEqual(self.send_head(10, "/ten").status, 200)
        offset = self.log_size()
        self.assertEqual(self.send_head(11, "/eleven"), "reset")
        self.wait_log(rf"exceeds max-header-count of profile {name} \(32768 bytes / 10 headers\)", start=offset)
        self.assertEqual(self.paths(), ["/ten"])

    def test_a_profiles_max_header_count_at_the_top_level(self):
        self.check_count_limit(tm.profile("http", "ten", max_header_count=10), "/Common/ten")

    def test_a_profiles_max_header_count_in_enforcement(self):
        text = ("ltm profile http /Common/ten_enf {\n    defaults-from /Common/http\n"
                "    enforcement {\n        max-header-count 10\n    }\n}\n")
        self.check_count_limit(text, "/Common/ten_enf")

    # -- oversize handling -----------------------------------------------------------------------

    def test_excess_client_headers_pass_through(self):
        # BIG-IP: with excess-client-headers pass-through, a request over max-header-count is not
        # reset: HTTP processing stops and the connection is passed through to a member, which gets
        # the request as sent.
        text = ("ltm profile http /Common/passing {\n    defaults-from /Common/http\n"
                "    enforcement {\n        max-header-count 10\n        excess-client-headers pass-through\n    }\n}\n")
        self.start(extra=text, profiles=("/Common/passing", "/Common/tcp"))
        response = self.send_head(11, "/eleven")
        self.assertNotIn(response, ("reset", "eof"))
        self.assertEqual(response.status, 200)
        self.assertEqual(self.paths(), ["/eleven"])

    def test_oversize_client_headers_pass_through(self):
        # As above, for a head over max-header-size with oversize-client-headers pass-through; the head
        # arrives in two reads, and the member gets every byte of it.
        text = ("ltm profile http /Common/passing_big {\n    defaults-from /Common/http\n"
                "    enforcement {\n        max-header-size 1024\n        oversize-client-headers pass-through\n    }\n}\n")
        self.start(extra=text, profiles=("/Common/passing_big", "/Common/tcp"))
        with harness.RawClient(*VIP) as client:
            try:
                head = harness.request_bytes("GET", "/big", HOST, headers=[("X-Big", "x" * 2000)])
                client.send(head[:600])
                time.sleep(0.2)
                client.send(head[600:])
                response = client.read_response()
            except (harness.ConnectionClosed, ConnectionResetError) as error:
                self.fail(f"the connection ended: {error!r}")
        self.assertEqual(response.status, 200)
        self.assertEqual(self.paths(), ["/big"])
        sent = dict((name.lower(), value) for name, value in response.json()["headers"])
        self.assertEqual(sent["x-big"], "x" * 2000)

    # -- idle-timeout on a tunnel ----------------------------------------------------------------

    def websocket_tunnel(self):
        """A WebSocket handshake through allow-ws (HTTP::disable) to gateway.py; the client once the
        101 is in and one echo came back."""
        client = harness.RawClient(*VIP, timeout=15)
        self.addCleanup(client.close)
        key = base64.b64encode(os.urandom(16)).decode()
        client.send(harness.request_bytes("GET", "/", HOST, headers=[
            ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
            ("Sec-WebSocket-Version", "13")]))
        response = client.read_response()
        self.assertEqual(response.status, 101, response)
        self.echo(client, b"hello")
        return client

    def echo(self, client, payload):
        client.send(ws_frame(payload))
        first = client.reader.read(2)
        self.assertEqual(first[0], 0x81, first)
        self.assertEqual(client.reader.read(first[1] & 0x7f), payload)

    def start_tunnel(self):
        idle = tm.profile("tcp", "short_idle", idle_timeout=2)
        self.start(extra=idle, profiles=("/Common/http", "/Common/short_idle"), rules=["/Common/allow-ws"],
                   member="gateway", rules_dir=harness.RULES_DIR)

    def test_an_idle_websocket_tunnel_is_reset_after_the_idle_timeout(self):
        self.start_tunnel()
        client = self.websocket_tunnel()
        offset = self.log_size()
        # Nothing moves either way: the tunnel is reset (as BIG-IP's tcp profile resets an idle
        # connection), not left open forever.
        self.assertEqual(client.read_until_close(), (b"", "reset"))
        self.wait_log(r"idle for 2 s \(idle-timeout of profile /Common/short_idle\); reset", start=offset)

    def test_a_websocket_tunnel_that_keeps_talking_stays_open(self):
        self.start_tunnel()
        client = self.websocket_tunnel()
        for i in range(6):   # a message every 0.8 s: 4.8 s in all, never 2 s idle
            time.sleep(0.8)
            self.echo(client, f"tick {i}".encode())
        self.assertNotIn("idle-timeout", self.log_text())


if __name__ == "__main__":
    harness.main()
