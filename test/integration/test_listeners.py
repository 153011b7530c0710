"""Listeners follow the configuration: a reload that adds a virtual server opens its address, one that
removes it closes it, and an address another process already listens on is an error — at start (exit
1) and on reload (rejected, the running version keeps serving). SO_REUSEPORT alone would have let two
processes share the port silently. Addresses: 127.0.31.x."""

import os
import socket
import subprocess

import harness

NET = "127.0.31"
VIP = (f"{NET}.10", 8080)
SECOND = (f"{NET}.10", 8081)


def second_virtual(port=8081):
    return (f"ltm virtual /Common/second_vs {{\n    destination /Common/{NET}.10:{port}\n"
            "    ip-protocol tcp\n    pool /Common/test_pool\n"
            "    profiles { /Common/http { } /Common/tcp { } }\n}\n")


class Listeners(harness.IrulesdTestCase):

    def get(self, address, path):
        with harness.RawClient(*address) as client:
            client.send(harness.request_bytes("GET", path, f"{address[0]}:{address[1]}"))
            return client.read_response()

    def test_reload_opens_and_closes_listeners(self):
        self.start_backend("b1", f"{NET}.11")
        config = self.write_config(harness.make_config(NET))
        irulesd = self.start_irulesd(config, wait_for=[VIP], workers=2)
        self.assertFalse(harness.port_accepts(*SECOND))

        self.write_config(harness.make_config(NET, extra=second_virtual()))
        offset = self.log_size()
        self.reload()
        self.wait_log(r"reload: generation 2 in service", start=offset)
        self.wait_until(lambda: harness.port_accepts(*SECOND), message="the new virtual accepts")
        for _ in range(4):   # every worker's listener answers
            self.assertEqual(self.get(SECOND, "/second").status, 200)
        self.assertEqual(self.get(VIP, "/first").status, 200)

        self.write_config(harness.make_config(NET))
        offset = self.log_size()
        self.reload()
        self.wait_log(r"reload: generation 3 in service", start=offset)
        self.wait_until(lambda: not harness.port_accepts(*SECOND), message="the removed virtual stops accepting")
        self.assertEqual(self.get(VIP, "/still").status, 200)
        self.assertTrue(irulesd.alive())

    def test_address_dropped_and_added_back_at_once(self):
        # A version that drops an address, then at once one that adds it back: the workers may still
        # hold the dropped address's listeners (they close them when they switch, after building the
        # version's rules, and skip a version superseded meanwhile). Those are irulesd's own sockets,
        # not another owner's: the reload must pass. 400 unattached rules make each build take a while.
        self.start_backend("b1", f"{NET}.11")
        rules = "".join(harness.inline_rule(f"/Common/r{i}", f"when HTTP_REQUEST {{ set x {i} }}\n")
                        for i in range(400))
        config = self.write_config(harness.make_config(NET, extra=rules + second_virtual()))
        irulesd = self.start_irulesd(config, wait_for=[VIP, SECOND], workers=2)
        offset = self.log_size()
        generation = 1
        for _ in range(5):
            for extra in ("", second_virtual()):
                generation += 1
                self.write_config(harness.make_config(NET, extra=rules + extra))
                self.reload()
                self.wait_log(rf"reload: generation {generation} in service", start=offset, timeout=20)
        self.wait_until(lambda: harness.port_accepts(*SECOND), message="the virtual added back accepts")
        for _ in range(4):
            self.assertEqual(self.get(SECOND, "/back").status, 200)
        self.assertNotRegex(self.log_text()[offset:], "reload rejected")
        self.assertTrue(irulesd.alive())

    def test_address_taken_by_another_process(self):
        self.start_backend("b1", f"{NET}.11")
        taken = socket.socket()
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)   # the sharing we must not fall into
        taken.bind(SECOND)
        taken.listen(8)
        self.addCleanup(taken.close)

        # At start: exit 1 with FILE:LINE naming the virtual and the address.
        config = self.write_config(harness.make_config(NET, extra=second_virtual()), name="both.conf")
        done = subprocess.run([harness.find_irulesd(), "--config", config, "--workers", "1",
                               "--log", os.path.join(self.tmp, "start.log")],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=20)
        output = done.stdout.decode()
        self.assertEqual(done.returncode, 1, output)
        self.assertRegex(output, r"both\.conf:\d+: virtual /Common/second_vs: cannot listen on "
                                 + NET.replace(".", r"\.") + r"\.10:8081: Address already in use")
        self.assertFalse(harness.port_accepts(*VIP), "nothing may listen after a failed start")

        # On reload: rejected, logged, the running version goes on.
        config = self.write_config(harness.make_config(NET))
        irulesd = self.start_irulesd(config, wait_for=[VIP])
        self.write_config(harness.make_config(NET, extra=second_virtual()))
        offset = self.log_size()
        self.reload()
        self.wait_log(r"reload rejected: .*bigip\.conf:\d+: virtual /Common/second_vs: cannot listen on "
                      + NET.replace(".", r"\.") + r"\.10:8081: Address already in use", start=offset)
        self.assertEqual(self.get(VIP, "/after-rejected-reload").status, 200)
        self.assertTrue(irulesd.alive())


if __name__ == "__main__":
    harness.main()
