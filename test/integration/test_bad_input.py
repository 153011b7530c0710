"""Bad input: a malformed request line gets 400 and a close with nothing sent to a backend; a header
section over the http profile's max-header-size (32 KiB by default) is reset, as BIG-IP does, with a
log line naming the limit; a runtime error in a rule resets that connection only, and the next one is
served. Addresses: 127.0.7.x."""

import signal
import time

import harness

NET = "127.0.7"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"

RUNAWAY_RULE = r"""
when HTTP_REQUEST {
    if { [HTTP::path] eq "/spin" } {
        while {1} {}
    }
}
"""

RUNTIME_ERROR_RULE = r"""
when HTTP_REQUEST {
    if { [HTTP::path] eq "/boom" } {
        set divisor 0
        set x [expr {1 / $divisor}]
    }
}
"""


def head_of_size(total, path="/big"):
    """A GET whose request line + header section is `total` bytes, padding in X-Fill-N headers of
    at most 8000 bytes each (well under the default max-header-count of 64)."""
    head = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n".encode()
    fills = []
    remaining = total - len(head) - 2  # the final CRLF
    i = 0
    while remaining > 0:
        prefix = f"X-Fill-{i}: ".encode()
        value_len = min(8000, remaining - len(prefix) - 2)
        if value_len < 1:  # too little left for another header: grow the previous one
            fills[-1] = fills[-1][:-2] + b"y" * remaining + b"\r\n"
            break
        fills.append(prefix + b"x" * value_len + b"\r\n")
        remaining -= len(fills[-1])
        i += 1
    data = head + b"".join(fills) + b"\r\n"
    assert len(data) == total, (len(data), total)
    return data


class BadInput(harness.IrulesdTestCase):

    def start(self, config_text=None):
        self.backend = self.start_backend("b1", f"{NET}.11")
        config = self.write_config(config_text or harness.make_config(NET))
        return self.start_irulesd(config, wait_for=[VIP])

    def assert_nothing_reached_the_backend(self):
        self.assertEqual(self.backend.requests(), [], "a request reached the backend")
        self.assertEqual(self.backend.connections(), [], "irulesd connected to the backend")

    def assert_still_serving(self, path="/ok"):
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", path, HOST))
            response = client.read_response()
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.json()["path"], path)

    def test_malformed_request_line_gets_400_and_close(self):
        self.start()
        cases = {
            "garbage": b"THIS IS NOT HTTP\r\nHost: x\r\n\r\n",
            "bad version": b"GET / HTTP/1.x\r\nHost: x\r\n\r\n",
            "space in target": b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
            "control character": b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        }
        for name, data in cases.items():
            with self.subTest(name), harness.RawClient(*VIP) as client:
                client.send(data)
                response = client.read_response()
                self.assertEqual(response.version, "HTTP/1.1")
                self.assertEqual(response.status, 400, response)
                rest, how = client.read_until_close()
                self.assertEqual((rest, how), (b"", "eof"),
                                 "after the 400 the connection must simply be closed")
        self.assert_nothing_reached_the_backend()
        self.assertTrue(self.irulesd.alive())

    def test_header_section_over_32_kib_is_reset_with_a_log_line(self):
        self.start()
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            try:
                client.send(head_of_size(40 * 1024))
            except (ConnectionResetError, BrokenPipeError):
                pass  # the reset may already arrive while we are still sending
            data, how = client.read_until_close()
        self.assertEqual(data, b"", "nothing must be answered: BIG-IP resets the connection")
        self.assertEqual(how, "reset", "the connection must be reset (TCP RST), not closed")
        self.wait_log(r"max-header-size", start=offset)
        self.assert_nothing_reached_the_backend()
        self.assert_still_serving()

    def test_header_section_just_over_32_kib_is_reset(self):
        self.start()
        with harness.RawClient(*VIP) as client:
            client.send(head_of_size(32 * 1024 + 64))
            data, how = client.read_until_close()
        self.assertEqual((data, how), (b"", "reset"))
        self.assert_nothing_reached_the_backend()

    def test_header_section_under_32_kib_passes(self):
        self.start()
        with harness.RawClient(*VIP) as client:
            client.send(head_of_size(30 * 1024, path="/just-under"))
            response = client.read_response()
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.json()["path"], "/just-under")

    def test_profile_max_header_size_is_the_limit(self):
        profile = ("ltm profile http /Common/small-http {\n"
                   "    defaults-from /Common/http\n"
                   "    max-header-size 4096\n"
                   "}\n")
        self.start(harness.make_config(NET, profiles=("/Common/small-http", "/Common/tcp"),
                                       extra=profile))
        with harness.RawClient(*VIP) as client:
            client.send(head_of_size(3000, path="/small"))
            self.assertEqual(client.read_response().status, 200)
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            client.send(head_of_size(5000))
            data, how = client.read_until_close()
        self.assertEqual((data, how), (b"", "reset"))
        self.wait_log(r"max-header-size", start=offset)
        self.assertEqual([r["path"] for r in self.backend.requests()], ["/small"])

    def test_runtime_error_in_a_rule_resets_that_connection_only(self):
        self.start(harness.make_config(
            NET, rules=["/Common/runtime-error"],
            extra=harness.inline_rule("/Common/runtime-error", RUNTIME_ERROR_RULE)))
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/boom", HOST))
            data, how = client.read_until_close()
        self.assertEqual((data, how), (b"", "reset"), "a rule error must reset the connection")
        line = self.wait_log(r"TCL error: /Common/runtime-error <HTTP_REQUEST>", start=offset)
        self.assertIn("divide by zero", line)
        self.assertTrue(self.irulesd.alive())
        self.assert_still_serving("/ok")

        # On a keep-alive connection: the first request is served, the failing one resets it.
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/first", HOST))
            self.assertEqual(client.read_response().status, 200)
            client.send(harness.request_bytes("GET", "/boom", HOST))
            data, how = client.read_until_close()
        self.assertEqual((data, how), (b"", "reset"))
        self.assert_still_serving("/after")
        self.assertNotIn("/boom", [r["path"] for r in self.backend.requests()])

    def test_runaway_rule_is_stopped_by_the_time_budget(self):
        self.backend = self.start_backend("b1", f"{NET}.11")
        config = self.write_config(harness.make_config(
            NET, rules=["/Common/runaway"],
            extra=harness.inline_rule("/Common/runaway", RUNAWAY_RULE)))
        self.start_irulesd(config, wait_for=[VIP], extra_args=["--rule-time-budget", "100"])
        offset = self.log_size()
        started = time.monotonic()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/spin", HOST))
            data, how = client.read_until_close()
        self.assertEqual((data, how), (b"", "reset"), "a runaway rule resets its connection")
        self.assertLess(time.monotonic() - started, 5, "the budget, not the client, ended the rule")
        line = self.wait_log(r"TCL error: /Common/runaway <HTTP_REQUEST> - execution budget of 100 ms exceeded",
                             start=offset)
        self.assertTrue(self.irulesd.alive())
        self.assert_still_serving("/calm")
        self.assertNotIn("/spin", [r["path"] for r in self.backend.requests()])
        # Counted: SIGUSR1 makes each worker log its counters.
        offset = self.log_size()
        self.irulesd.signal(signal.SIGUSR1)
        self.wait_log(r"worker 0 stats: \d+ connections open, \d+ accepted; OneConnect 0 idle, 0 reused; "
                      r"rules 1 runtime errors \(1 runaway stopped\)", start=offset)


if __name__ == "__main__":
    harness.main()
