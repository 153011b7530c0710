"""Reload (SIGHUP) and stop (SIGTERM): a good new version takes effect for new connections in the same
process, a broken one is rejected with a log line saying FILE:LINE and the old version keeps serving,
open connections finish under the version they started with, SIGTERM exits 0. Addresses: 127.0.4.x."""

import os
import shutil
import signal
import time

import harness

NET = "127.0.4"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"
URL = f"ws://{NET}.10:8080/"


def version_rule(version):
    return ("# test rule: says which version of itself answered\n"
            "when HTTP_RESPONSE {\n"
            f"    HTTP::header insert X-Rule-Version \"{version}\"\n"
            "}\n")


BROKEN_VERSION_RULE = (
    "# test rule, broken on purpose: a missing close-bracket on line 3\n"
    "when HTTP_RESPONSE {\n"
    "    HTTP::header insert X-Rule-Version [string trim \" 3 \"\n"
    "}\n")

BROKEN_ALLOW_WS = (
    "# allow-ws, broken on purpose: a missing close-bracket on line 4\n"
    "when HTTP_REQUEST {\n"
    " log local0. \"processing irule for http request\"\n"
    " if { \"websocket\" eq [string tolower [HTTP::header value \"Upgrade\"] } {\n"
    "  HTTP::disable\n"
    " }\n"
    "}\n")


class Reload(harness.IrulesdTestCase):

    def get_version(self, client=None):
        """X-Rule-Version of one GET: on a new connection, or on client (a RawClient)."""
        if client is None:
            with harness.RawClient(*VIP) as fresh:
                return self.get_version(fresh)
        client.send(harness.request_bytes("GET", "/version", HOST))
        response = client.read_response()
        self.assertEqual(response.status, 200, response)
        return response.header("X-Rule-Version")

    def start_versioned(self):
        self.backend = self.start_backend("b1", f"{NET}.11")
        rules_dir = self.rules_dir()
        self.write_rule("version", version_rule(1))
        config = self.write_config(harness.make_config(NET, rules=["/Common/version"]))
        return self.start_irulesd(config, rules_dir=rules_dir, wait_for=[VIP])

    def test_good_reload_then_broken_rule_keeps_the_good_version(self):
        irulesd = self.start_versioned()
        self.assertEqual(self.get_version(), "1")

        self.write_rule("version", version_rule(2))
        self.reload()
        self.wait_until(lambda: self.get_version() == "2", message="version 2 after SIGHUP")

        offset = self.log_size()
        rule_path = self.write_rule("version", BROKEN_VERSION_RULE)
        self.reload()
        line = self.wait_log(r"version\.tcl:\d+", start=offset)
        self.assertIn(os.path.basename(rule_path), line)
        for _ in range(5):
            self.assertEqual(self.get_version(), "2", "the last good version keeps serving")
            time.sleep(0.1)
        self.assertTrue(irulesd.alive())

        # Fixing the file and reloading again works.
        self.write_rule("version", version_rule(4))
        self.reload()
        self.wait_until(lambda: self.get_version() == "4", message="version 4 after the fix")

    def test_broken_allow_ws_on_disk_keeps_the_old_rule_serving(self):
        self.start_gateway("gw-1", f"{NET}.11")
        rules_dir = self.rules_dir()
        shutil.copy(os.path.join(harness.RULES_DIR, "allow-ws.tcl"), rules_dir)
        config = self.write_config(harness.make_config(
            NET, members=[("gw-1", f"{NET}.11", 8001)], rules=["/Common/allow-ws"]))
        irulesd = self.start_irulesd(config, rules_dir=rules_dir, wait_for=[VIP])
        pid = irulesd.pid
        _, echoes = harness.ws_echo(URL, ["before"])
        self.assertEqual(echoes, ["before"])

        offset = self.log_size()
        self.write_rule("allow-ws", BROKEN_ALLOW_WS)
        self.reload()
        line = self.wait_log(r"allow-ws\.tcl:\d+", start=offset)
        self.assertIn("allow-ws.tcl:", line, "the log must say which file and line is broken")

        for i in range(3):
            _, echoes = harness.ws_echo(URL, [f"after {i}"])
            self.assertEqual(echoes, [f"after {i}"])
        self.assertTrue(irulesd.alive())
        self.assertEqual(irulesd.pid, pid)
        self.wait_log(r"Rule /Common/allow-ws <HTTP_REQUEST>: enabling websockets", start=offset)

    def test_broken_config_keeps_serving(self):
        irulesd = self.start_versioned()
        self.assertEqual(self.get_version(), "1")
        good = harness.make_config(NET, rules=["/Common/version"])
        bad_line = good.count("\n") + 1
        offset = self.log_size()
        config = self.write_config(good + "ltm no-such-object /Common/x {\n}\n")
        self.reload()
        self.wait_log(r"%s:%d\b" % (os.path.basename(config).replace(".", r"\."), bad_line),
                      start=offset)
        for _ in range(3):
            self.assertEqual(self.get_version(), "1")
        self.assertTrue(irulesd.alive())

    def test_open_connection_finishes_under_its_version(self):
        self.start_versioned()
        with harness.RawClient(*VIP) as old:
            self.assertEqual(self.get_version(old), "1")
            self.write_rule("version", version_rule(2))
            self.reload()
            self.wait_until(lambda: self.get_version() == "2", message="version 2 after SIGHUP")
            self.assertEqual(self.get_version(old), "1",
                             "a connection opened before the reload keeps its version")

    def test_sigterm_exits_zero(self):
        irulesd = self.start_versioned()
        self.assertEqual(self.get_version(), "1")
        irulesd.signal(signal.SIGTERM)
        status = irulesd.wait(15)
        self.assertIsNotNone(status, "irulesd still running 15 s after SIGTERM")
        self.assertEqual(status, 0)
        self.assertFalse(harness.port_accepts(*VIP), "the virtual server still accepts after exit")

    def test_sigterm_lets_a_request_in_flight_finish(self):
        irulesd = self.start_versioned()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/slow", HOST, headers=[("X-Backend-Delay", "1.5")]))
            self.wait_until(lambda: len(self.backend.requests()) == 1, timeout=5,
                            message="the slow request reached the backend")
            irulesd.signal(signal.SIGTERM)
            self.wait_until(lambda: not harness.port_accepts(*VIP), timeout=5,
                            message="no new connections once draining")
            response = client.read_response()
            self.assertEqual(response.status, 200, "the request in flight is answered in full")
            self.assertEqual(response.json()["path"], "/slow")
            data, how = client.read_until_close()
            self.assertEqual((data, how), (b"", "eof"), "then the connection closes cleanly")
        self.assertEqual(irulesd.wait(15), 0)


if __name__ == "__main__":
    harness.main()
