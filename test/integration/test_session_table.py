"""The session table (`table`) is shared by every worker of the process and bounded by
--table-max-entries: past the limit `table set` is a runtime error for that connection only. Real
irulesd with 2 workers. Addresses: 127.0.38.x."""

import harness

NET = "127.0.38"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"

RULE = r"""
when HTTP_REQUEST {
    switch -glob -- [HTTP::path] {
        /set/* { table set [lindex [split [HTTP::path] /] 2] [HTTP::header value X-Value] 60 }
        /get/* { HTTP::respond 200 content "<[table lookup [lindex [split [HTTP::path] /] 2]]>" }
    }
}
"""


class SessionTable(harness.IrulesdTestCase):

    def test_entries_are_shared_by_workers_and_bounded(self):
        self.start_backend("web", f"{NET}.11")
        config = self.write_config(harness.make_config(
            NET, rules=["/Common/t"], extra=harness.inline_rule("/Common/t", RULE)))
        self.start_irulesd(config, wait_for=[VIP], workers=2, extra_args=["--table-max-entries", "3"])
        offset = self.log_size()
        for key in ["a", "b", "c"]:
            result = harness.curl("-H", f"X-Value: value-{key}", f"http://{HOST}/set/{key}")
            self.assertEqual(result.returncode, 0, result.stderr)
        # Separate connections land on either worker: every one sees every entry.
        for _ in range(6):
            for key in ["a", "b", "c"]:
                self.assertEqual(harness.curl(f"http://{HOST}/get/{key}").stdout, f"<value-{key}>".encode())
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/set/d", HOST, headers=[("X-Value", "4")]))
            self.assertEqual(client.read_until_close(), (b"", "reset"))
        self.wait_log(r"TCL error: /Common/t <HTTP_REQUEST> - table set: the session table is full \(3 entries\)",
                      start=offset)
        self.assertEqual(harness.curl(f"http://{HOST}/get/a").stdout, b"<value-a>")


if __name__ == "__main__":
    harness.main()
