"""--max-connections: the process accepts at most N client connections at once; the next clients wait
in the listen backlog (not accepted, not dropped), a log line says accepting paused, and they are
served, with a `resumed` line, as soon as a place frees. Addresses: 127.0.48.x."""

import socket

import harness

NET = "127.0.48"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"


class MaxConnections(harness.IrulesdTestCase):

    def test_clients_over_the_limit_wait_and_are_served_when_a_place_frees(self):
        self.start_backend("b1", f"{NET}.11")
        config = self.write_config(harness.make_config(NET))
        # Two workers share the process-wide limit.
        self.start_irulesd(config, wait_for=[VIP], workers=2, extra_args=["--max-connections", "3"])
        offset = self.log_size()
        held = []
        for i in range(3):
            client = harness.RawClient(*VIP)
            self.addCleanup(client.close)
            client.send(harness.request_bytes("GET", f"/held/{i}", HOST))
            self.assertEqual(client.read_response().status, 200)
            held.append(client)
        # The fourth connects (the kernel's backlog takes it) but irulesd does not accept it yet.
        waiting = harness.RawClient(*VIP)
        self.addCleanup(waiting.close)
        waiting.send(harness.request_bytes("GET", "/waiting", HOST))
        self.wait_log(r"accept on \S+ paused: --max-connections 3 reached", start=offset)
        waiting.sock.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            waiting.sock.recv(1, socket.MSG_PEEK)
        # A place frees: the waiting client is accepted and answered.
        held[0].close()
        waiting.sock.settimeout(harness.TIMEOUT)
        self.assertEqual(waiting.read_response().status, 200)
        self.wait_log(r"accept on \S+ resumed", start=offset)
        # Still three at most: the others were never disturbed.
        for client in held[1:]:
            client.send(harness.request_bytes("GET", "/again", HOST))
            self.assertEqual(client.read_response().status, 200)


if __name__ == "__main__":
    harness.main()
