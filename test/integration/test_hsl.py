"""High-speed logging: a rule that HSL::sends one line per request over UDP and over TCP to pools of
collectors (hsl_collector.py) that record what they get; every line arrives, once. A TCP collector
that starts late still gets every line (queued, reconnected) while requests are answered at once;
-publisher is a clear runtime error. Real irulesd, real sockets. Addresses: 127.0.36.x."""

import collections
import json
import os

import harness

NET = "127.0.36"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"
COLLECTOR_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hsl_collector.py")
COLLECTORS = [f"{NET}.31", f"{NET}.32"]
UDP_PORT, TCP_PORT = 5140, 6514

SYSLOG_POOLS = f"""ltm pool /Common/udp_syslog {{
    members {{
        /Common/c1:{UDP_PORT} {{ address {COLLECTORS[0]} }}
        /Common/c2:{UDP_PORT} {{ address {COLLECTORS[1]} }}
    }}
}}
ltm pool /Common/tcp_syslog {{
    members {{
        /Common/c1:{TCP_PORT} {{ address {COLLECTORS[0]} }}
        /Common/c2:{TCP_PORT} {{ address {COLLECTORS[1]} }}
    }}
}}
"""

RULE = r"""
when CLIENT_ACCEPTED {
    set udp [HSL::open -proto UDP -pool udp_syslog]
    set tcp [HSL::open -proto TCP -pool /Common/tcp_syslog]
}
when HTTP_REQUEST {
    set sent [HSL::send $udp "<190> udp [HTTP::uri]\n"]
    incr sent [HSL::send $tcp "<190> tcp [HTTP::uri]\n"]
    if { $sent != 2 } { log local0. "HSL::send returned $sent" }
}
"""


class Collector:
    def __init__(self, test, name, host, port, proto):
        self.path = os.path.join(test.tmp, f"hsl-{name}.jsonl")
        argv = [harness.PYTHON, COLLECTOR_PY, "--name", name, "--host", host, "--port", str(port),
                "--proto", proto, "--record", self.path]
        self.process = test.start_process(harness.Process(name, argv, os.path.join(test.tmp, f"hsl-{name}.out")))
        test.wait_output(self.process, "listening")

    def records(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.endswith("\n")]
        except FileNotFoundError:
            return []

    def lines(self):
        return [r["data"] for r in self.records() if "data" in r]

    def connections(self):
        return [r for r in self.records() if r.get("event") == "connection"]


class Hsl(harness.IrulesdTestCase):

    def start(self, rule, workers=1):
        self.start_backend("web", f"{NET}.11")
        config = self.write_config(harness.make_config(
            NET, rules=["/Common/hsl"], extra=SYSLOG_POOLS + harness.inline_rule("/Common/hsl", rule)))
        self.start_irulesd(config, workers=workers, wait_for=[VIP])

    def requests(self, paths, per_connection=5):
        """GETs paths, per_connection requests on each keep-alive connection; all must answer 200."""
        for start in range(0, len(paths), per_connection):
            with harness.RawClient(*VIP) as client:
                for path in paths[start:start + per_connection]:
                    client.send(harness.request_bytes("GET", path, HOST))
                    response = client.read_response()
                    self.assertEqual(response.status, 200, response)

    def wait_lines(self, collectors, expected):
        """Waits until the collectors together got len(expected) lines; returns them, by collector."""
        self.wait_until(lambda: sum(len(c.lines()) for c in collectors) >= len(expected),
                        message=f"{len(expected)} lines at the collectors")
        return [c.lines() for c in collectors]

    def test_every_line_arrives_over_udp_and_tcp_round_robin(self):
        udp = [Collector(self, f"udp{i}", host, UDP_PORT, "udp") for i, host in enumerate(COLLECTORS)]
        tcp = [Collector(self, f"tcp{i}", host, TCP_PORT, "tcp") for i, host in enumerate(COLLECTORS)]
        self.start(RULE)
        offset = self.log_size()
        paths = [f"/r{i}" for i in range(20)]
        self.requests(paths)

        udp_lines = self.wait_lines(udp, paths)
        self.assertEqual(sorted(udp_lines[0] + udp_lines[1]), sorted(f"<190> udp {p}\n" for p in paths))
        # One worker, one round robin: the members take turns, message by message.
        self.assertEqual(udp_lines[0], [f"<190> udp {p}\n" for p in paths[0::2]])
        self.assertEqual(udp_lines[1], [f"<190> udp {p}\n" for p in paths[1::2]])

        tcp_lines = self.wait_lines(tcp, paths)
        self.assertEqual(sorted(tcp_lines[0] + tcp_lines[1]), sorted(f"<190> tcp {p}\n" for p in paths))
        for lines in tcp_lines:   # each member's share in the order it was sent
            self.assertEqual(lines, sorted(lines, key=lambda line: int(line.split("/r")[1])))
            self.assertTrue(lines, "both TCP members get lines")
        # One connection per member for the whole worker, however many client connections opened it.
        self.assertEqual([len(c.connections()) for c in tcp], [1, 1])
        self.assertNotIn("HSL::send returned", self.log_text()[offset:])
        # SIGTERM: the worker closes its HSL sockets with the rest, so its loop ends and irulesd exits 0.
        self.assertEqual(self.irulesd.stop(), 0)
        self.assertIn("irulesd stopped", self.log_text())

    def test_a_tcp_collector_that_starts_late_gets_every_line(self):
        udp = [Collector(self, f"udp{i}", host, UDP_PORT, "udp") for i, host in enumerate(COLLECTORS)]
        self.start(RULE, workers=2)
        offset = self.log_size()
        paths = [f"/late{i}" for i in range(10)]
        self.requests(paths, per_connection=1)   # answered while no TCP collector listens
        self.wait_log(r"HSL: connection to 127\.0\.36\.3[12]:6514 \(TCP\) failed to connect: connection refused",
                      start=offset)
        tcp = [Collector(self, f"tcp{i}", host, TCP_PORT, "tcp") for i, host in enumerate(COLLECTORS)]
        tcp_lines = self.wait_lines(tcp, paths)
        got = collections.Counter(tcp_lines[0] + tcp_lines[1])
        self.assertEqual(got, collections.Counter(f"<190> tcp {p}\n" for p in paths))   # each once
        self.wait_log(r"HSL: connection to 127\.0\.36\.3[12]:6514 \(TCP\) is up$", start=offset)
        udp_lines = self.wait_lines(udp, paths)
        self.assertEqual(sorted(udp_lines[0] + udp_lines[1]), sorted(f"<190> udp {p}\n" for p in paths))

    def test_publisher_is_a_clear_runtime_error(self):
        self.start('when HTTP_REQUEST { HSL::send [HSL::open -publisher /Common/lpAll] "x" }')
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/", HOST))
            data, how = client.read_until_close()
        self.assertEqual((data, how), (b"", "reset"))
        self.wait_log(r"TCL error: /Common/hsl <HTTP_REQUEST> - HSL::open: -publisher is not supported "
                      r"\(irulesd has no log publishers\)", start=offset)


if __name__ == "__main__":
    harness.main()
