"""The guide's set-up, as shipped: examples/websocket-gateways/bigip.conf with irules/allow-ws.tcl,
three gateway.py echo servers on 127.0.0.11-13:8001, the virtual server on 127.0.0.10:8080, SNAT
automap to the self IP 127.0.0.20. (This script owns 127.0.0.10-20; the others use 127.0.N.x.)"""

import collections
import os
import subprocess

import harness

VIP = ("127.0.0.10", 8080)
URL = "ws://127.0.0.10:8080/"
GATEWAYS = [("Gateway-1", "127.0.0.11"), ("Gateway-2", "127.0.0.12"), ("Gateway-3", "127.0.0.13")]
CONFIG = os.path.join(harness.EXAMPLE_DIR, "bigip.conf")


class WebSocketGatewaysExample(harness.IrulesdTestCase):

    def start_example(self, gateways=GATEWAYS):
        for name, host in gateways:
            self.start_gateway(name, host, 8001)
        return self.start_irulesd(CONFIG, rules_dir=harness.RULES_DIR, wait_for=[VIP])

    def run_echo_client(self, count):
        return subprocess.run([harness.PYTHON, harness.ECHO_CLIENT_PY, "--url", URL,
                               "--count", str(count), "--timeout", "5"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=120, cwd=harness.SOURCE_DIR)

    def test_example_config_passes_check(self):
        status, output = self.run_check(CONFIG, rules_dir=harness.RULES_DIR)
        self.assertEqual(status, 0, f"--check on the example failed:\n{output}")

    def test_echo_client_through_the_virtual_server(self):
        """The guide's echo test: echo_client.py connects, sends, prints the echo and the gateway."""
        self.start_example()
        done = self.run_echo_client(3)
        output = done.stdout.decode("utf-8", "replace")
        self.assertEqual(done.returncode, 0, f"echo_client.py failed:\n{output}")
        lines = [line for line in output.splitlines() if line.startswith("connection ")]
        self.assertEqual(len(lines), 3, output)
        for i, line in enumerate(lines, 1):
            self.assertIn(f"echo 'hello gateway #{i}'", line)
            self.assertRegex(line, r"from Gateway-[123] \(gateway saw peer 127\.0\.0\.20\)")
        self.assertIn("3 of 3 echoes ok", output)

    def test_six_connections_two_per_gateway_all_from_self_ip(self):
        self.start_example()
        answered = []
        for i in range(6):
            message = f"message {i} " + "x" * i
            headers, echoes = harness.ws_echo(URL, [message])
            self.assertEqual(echoes, [message])
            self.assertEqual(headers.get("X-Peer-Address"), "127.0.0.20",
                             "the gateway must see the SNAT automap address (self IP)")
            answered.append(headers.get("X-Gateway"))
        self.assertEqual(collections.Counter(answered),
                         {"Gateway-1": 2, "Gateway-2": 2, "Gateway-3": 2},
                         f"round robin over 3 gateways, 6 connections: {answered}")
        # Round robin: the same gateway never answers two connections in a row.
        for previous, current in zip(answered, answered[1:]):
            self.assertNotEqual(previous, current, answered)

    def test_the_rule_logs_ltm_style_lines(self):
        self.start_example()
        harness.ws_echo(URL, ["hello"])
        pid = self.irulesd.pid
        self.wait_log(r"Rule /Common/allow-ws <HTTP_REQUEST>: processing irule for http request")
        line = self.wait_log(r"Rule /Common/allow-ws <HTTP_REQUEST>: enabling websockets and "
                             r"disabling http")
        self.assertRegex(line, r"^\w{3} +\d{1,2} \d\d:\d\d:\d\d \S+ info tmm\[%d\]: Rule " % pid)

    def test_echo_client_exits_non_zero_when_an_echo_fails(self):
        """No gateway running: every pool member is down, the handshake gets 503, echo fails."""
        self.start_irulesd(CONFIG, rules_dir=harness.RULES_DIR, wait_for=[VIP])
        done = self.run_echo_client(2)
        output = done.stdout.decode("utf-8", "replace")
        self.assertEqual(done.returncode, 1, output)
        self.assertIn("FAILED", output)
        self.assertIn("0 of 2 echoes ok", output)


if __name__ == "__main__":
    harness.main()
