"""tcp profile idle-timeout: a connection on which nothing moves for that long is reset, as BIG-IP's
tcp profile does (reset-on-timeout); a connection that keeps talking is not. Addresses: 127.0.30.x."""

import time

import harness

NET = "127.0.30"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"


class IdleTimeout(harness.IrulesdTestCase):

    def start(self, idle_timeout):
        self.start_backend("b1", f"{NET}.11")
        extra = ("ltm profile tcp /Common/short_idle {\n    defaults-from /Common/tcp\n"
                 f"    idle-timeout {idle_timeout}\n}}\n")
        config = self.write_config(harness.make_config(
            NET, profiles=("/Common/http", "/Common/short_idle"), extra=extra))
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
