"""tcp profile idle-timeout: a connection on which nothing moves for that long is reset, as BIG-IP's
tcp profile does (reset-on-timeout); a connection that keeps talking is not; a server-side tcp
profile's shorter idle-timeout ends it too. Addresses: 127.0.30.x."""

import time

import harness

NET = "127.0.30"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"


class IdleTimeout(harness.IrulesdTestCase):

    def start(self, idle_timeout, server_side=False):
        self.start_backend("b1", f"{NET}.11")
        extra = ("ltm profile tcp /Common/short_idle {\n    defaults-from /Common/tcp\n"
                 f"    idle-timeout {idle_timeout}\n}}\n")
        profiles = ("/Common/http", "/Common/short_idle")
        text = harness.make_config(NET, profiles=profiles, extra=extra)
        if server_side:
            # The client side keeps /Common/tcp (300 s); the server side gets the short one.
            text = text.replace("        /Common/short_idle { }\n",
                                "        /Common/tcp { context clientside }\n        /Common/short_idle { context serverside }\n")
            self.assertIn("context serverside", text)
        config = self.write_config(text)
        self.start_irulesd(config, wait_for=[VIP])

    def test_idle_connection_is_reset_after_the_profile_timeout(self):
        self.start(idle_timeout=2)
        started = time.monotonic()
        with harness.RawClient(*VIP, timeout=10) as client:
            client.send(harness.request_bytes("GET", "/once", HOST))
            self.assertEqual(client.read_response().status, 200)
            data, how = client.read_until_close()
        waited = time.monotonic() - started
        self.assertEqual(how, "reset", "an idle connection is reset, not left open")
        self.assertGreaterEqual(waited, 1.5)
        self.assertLess(waited, 8)
        self.wait_log(r"idle for 2 s \(idle-timeout of profile /Common/short_idle\); reset")

    def test_a_server_side_profile_idle_timeout_ends_an_idle_connection(self):
        self.start(idle_timeout=2, server_side=True)
        with harness.RawClient(*VIP, timeout=10) as client:
            client.send(harness.request_bytes("GET", "/once", HOST))
            self.assertEqual(client.read_response().status, 200)
            data, how = client.read_until_close()
        self.assertEqual(how, "reset")
        self.wait_log(r"idle for 2 s \(idle-timeout of profile /Common/short_idle\); reset")

    def test_a_connection_that_keeps_talking_stays_open(self):
        self.start(idle_timeout=2)
        with harness.RawClient(*VIP, timeout=10) as client:
            for i in range(5):   # 5 requests 1 s apart: 4 s in all, never 2 s idle
                client.send(harness.request_bytes("GET", f"/tick/{i}", HOST))
                self.assertEqual(client.read_response().status, 200)
                time.sleep(1)
            client.send(harness.request_bytes("GET", "/last", HOST))
            self.assertEqual(client.read_response().status, 200)


if __name__ == "__main__":
    harness.main()
