"""`after MS SCRIPT`, `after MS -periodic SCRIPT`, `after cancel`, `after info`: timers a rule starts on its
connection run later in that connection's context (its variables, its log prefix), stop with it, and a
failing timer script resets only its own connection. `after MS` alone pauses the rule: the request
goes on after it, while the worker serves other connections. Real irulesd and backend. Addresses:
127.0.37.x."""

import re
import socket
import time

import harness

NET = "127.0.37"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"

RULE = r"""
when HTTP_REQUEST {
    set ticks 0
    switch -- [HTTP::path] {
        /once { after 100 { log local0. "once fired for port [TCP::client_port]" } }
        /periodic {
            set id [after 50 -periodic {
                incr ticks
                log local0. "tick $ticks"
                if { $ticks == 3 } { after cancel -current; log local0. "pending after cancel: <[after info]>" }
            }]
            log local0. "started $id, pending <[after info]> script <[string trim [after info $id]]>"
        }
        /cancelled {
            set id [after 100 { log local0. "must not run" }]
            after cancel $id
        }
        /closing { after 300 { log local0. "ran after close" } }
        /failing { after 50 { error "timer boom" } }
        /pause {
            set before [clock clicks -milliseconds]
            after 600
            HTTP::header insert X-Paused-Ms [expr {[clock clicks -milliseconds] - $before}]
        }
    }
}
"""


class After(harness.IrulesdTestCase):

    def setUp(self):
        super().setUp()
        self.start_backend("web", f"{NET}.11")
        config = self.write_config(harness.make_config(
            NET, rules=["/Common/timers"], extra=harness.inline_rule("/Common/timers", RULE)))
        self.start_irulesd(config, wait_for=[VIP])

    def get(self, client, path):
        client.send(harness.request_bytes("GET", path, HOST))
        return client.read_response()

    def test_one_shot_and_periodic_timers_run_in_the_connection(self):
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            port = client.sock.getsockname()[1]
            self.assertEqual(self.get(client, "/once").status, 200)
            self.wait_log(rf"once fired for port {port}", start=offset)
            self.assertEqual(self.get(client, "/periodic").status, 200)
            self.wait_log(r"pending after cancel: <>", start=offset)
            time.sleep(0.3)   # a cancelled periodic timer stays quiet
        log = self.log_text()[offset:]
        self.assertRegex(log, r"started after#\d+, pending <after#\d+> script <incr ticks")
        self.assertEqual(re.findall(r"tick (\d+)", log), ["1", "2", "3"])

    def test_cancelled_and_closed_timers_never_run(self):
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            self.assertEqual(self.get(client, "/cancelled").status, 200)
            self.assertEqual(self.get(client, "/closing").status, 200)
        time.sleep(0.6)
        with harness.RawClient(*VIP) as client:   # the worker still serves
            self.assertEqual(self.get(client, "/x").status, 200)
        log = self.log_text()[offset:]
        self.assertNotIn("must not run", log)
        self.assertNotIn("ran after close", log)

    def test_a_failing_timer_resets_its_connection_only(self):
        offset = self.log_size()
        with harness.RawClient(*VIP) as other:
            self.assertEqual(self.get(other, "/x").status, 200)
            with harness.RawClient(*VIP) as client:
                self.assertEqual(self.get(client, "/failing").status, 200)
                self.assertEqual(client.read_until_close(), (b"", "reset"))
            self.assertEqual(self.get(other, "/y").status, 200)
        self.wait_log(r"TCL error: /Common/timers <HTTP_REQUEST> - timer boom", start=offset)

    def test_after_without_a_script_pauses_the_rule_not_the_worker(self):
        with harness.RawClient(*VIP) as paused:
            paused.send(harness.request_bytes("GET", "/pause", HOST))
            # While that rule waits, the same worker (one worker) serves another connection.
            with harness.RawClient(*VIP) as other:
                self.assertEqual(self.get(other, "/x").status, 200)
            paused.sock.settimeout(0.05)
            with self.assertRaises(TimeoutError):   # the paused request is still held
                paused.sock.recv(1, socket.MSG_PEEK)
            paused.sock.settimeout(harness.TIMEOUT)
            response = paused.read_response()
        self.assertEqual(response.status, 200)
        headers = dict((name.lower(), value) for name, value in response.json()["headers"])
        self.assertGreaterEqual(int(headers["x-paused-ms"]), 500)   # the loop clock may lag a little


if __name__ == "__main__":
    harness.main()
