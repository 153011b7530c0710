"""The WebSocket upgrade through an HTTP virtual server: refused without the rule (as BIG-IP does),
allowed by /Common/allow-ws or by the websocket profile, and the rule added by a reload (SIGHUP) takes
effect in the same process. Addresses: 127.0.2.x."""

import websockets

import harness

NET = "127.0.2"
VIP = (f"{NET}.10", 8080)
URL = f"ws://{NET}.10:8080/"
MEMBERS = [("gw-1", f"{NET}.11", 8001), ("gw-2", f"{NET}.12", 8001)]


class WebSocketUpgrade(harness.IrulesdTestCase):

    def start_gateways(self):
        self.start_gateway("gw-1", f"{NET}.11")
        self.start_gateway("gw-2", f"{NET}.12")

    def assert_handshake_refused(self):
        error = harness.ws_handshake_error(URL)
        self.assertIsInstance(error, websockets.exceptions.InvalidStatusCode,
                              f"the handshake must fail with an HTTP status, got {error!r}")
        # The gateway got the request without Upgrade/Connection and answered as websockets does
        # to a plain HTTP request: 426 Upgrade Required.
        self.assertEqual(error.status_code, 426, repr(error))

    def assert_echo_works(self):
        headers, echoes = harness.ws_echo(URL, ["ping", "pong"])
        self.assertEqual(echoes, ["ping", "pong"])
        self.assertIn(headers.get("X-Gateway"), ("gw-1", "gw-2"))
        self.assertEqual(headers.get("X-Peer-Address"), f"{NET}.20")

    def test_without_rule_the_handshake_fails(self):
        self.start_gateways()
        config = self.write_config(harness.make_config(NET, members=MEMBERS))
        self.start_irulesd(config, rules_dir=harness.RULES_DIR, wait_for=[VIP])
        for _ in range(2):
            self.assert_handshake_refused()
        self.assertTrue(self.irulesd.alive())

    def test_websocket_profile_alone_lets_the_upgrade_through(self):
        self.start_gateways()
        config = self.write_config(harness.make_config(
            NET, members=MEMBERS,
            profiles=("/Common/http", "/Common/tcp", "/Common/websocket")))
        self.start_irulesd(config, rules_dir=harness.RULES_DIR, wait_for=[VIP])
        for _ in range(3):
            self.assert_echo_works()

    def test_adding_the_rule_and_sighup_enables_websockets_in_the_same_process(self):
        self.start_gateways()
        config = self.write_config(harness.make_config(NET, members=MEMBERS))
        irulesd = self.start_irulesd(config, rules_dir=harness.RULES_DIR, wait_for=[VIP])
        pid = irulesd.pid
        self.assert_handshake_refused()

        self.write_config(harness.make_config(NET, members=MEMBERS, rules=["/Common/allow-ws"]))
        self.reload()
        # The reload is asynchronous: new connections use the new version once it is in place.
        self.wait_until(lambda: harness.ws_handshake_error(URL) is None, timeout=10,
                        message="the WebSocket handshake succeeds after adding the rule + SIGHUP")
        self.assertTrue(irulesd.alive(), "irulesd must still be running after SIGHUP")
        self.assertEqual(irulesd.pid, pid)
        for _ in range(4):
            self.assert_echo_works()
        self.wait_log(r"tmm\[%d\]: Rule /Common/allow-ws <HTTP_REQUEST>: enabling websockets" % pid)

        # And back: removing the rule again refuses new upgrades.
        self.write_config(harness.make_config(NET, members=MEMBERS))
        self.reload()
        self.wait_until(lambda: isinstance(harness.ws_handshake_error(URL),
                                           websockets.exceptions.InvalidStatusCode),
                        timeout=10, message="the handshake fails again after removing the rule")
        self.assertTrue(irulesd.alive())
        self.assertEqual(irulesd.pid, pid)


if __name__ == "__main__":
    harness.main()
