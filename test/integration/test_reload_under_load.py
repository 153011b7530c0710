"""Reload and stop under load.

100 SIGHUPs, each with a new version of the virtuals' rule, while wrk drives keep-alive traffic
(16 connections) through one virtual server and 1,000 WebSocket tunnels (clients spread over
127.0.52.100-199, to the examples' gateway.py) stay open through another; in the middle, one SIGHUP
with a broken config and one with a broken rule, both rejected with a log line. Then: wrk saw no
socket error and no answer other than 2xx, every tunnel still echoes, the last good version
answers, and irulesd's resident memory after the reloads is within RELOAD_RSS_SLACK_KIB of the
memory after the first RSS_WARMUP_RELOADS (the first reloads fill Tcl's per-thread caches once).

SIGTERM under load: slow requests in flight when the TERM arrives (the member, fault_backend.py,
takes 2 s to answer /slow/...)
are answered in full while wrk's idle keep-alive connections are closed and new connections are
refused, then irulesd exits 0.

The numbers (reloads, wrk requests, RSS, fds) are printed for the README. Addresses: 127.0.52.x."""

import asyncio
import os
import signal
import sys
import threading
import time

import websockets

import harness
import fault_support as fs
import tm_support as tm

NET = "127.0.52"
HTTP_VIP = (f"{NET}.10", 8080)
WS_VIP = (f"{NET}.10", 8081)
HTTP_HOST = f"{NET}.10:8080"
FAULT_BACKEND_PY = os.path.join(harness.HERE, "fault_backend.py")
RELOADS = 100
TUNNELS = 1000
WRK_CONNECTIONS = 16
RSS_WARMUP_RELOADS = 10
RELOAD_GAP = 0.03     # seconds between one reload's verdict and the next SIGHUP
# Each reload builds a new Tcl interpreter per worker and drops the old one once no connection
# uses it. A version kept alive by mistake costs its interpreter and config (measured: about
# 0.8 MiB each with this rule), so 90 of them leaked would be some 70 MiB, and five already fail;
# 4 MiB allows for the allocator's caches and arenas (measured: under 0.3 MiB over the 90).
RELOAD_RSS_SLACK_KIB = 4 * 1024


def version_rule(version):
    return ("# says which version of itself answered\n"
            "when HTTP_RESPONSE {\n"
            f"    HTTP::header insert X-Rule-Version \"{version}\"\n"
            "}\n")


BROKEN_RULE = ("# broken on purpose: a missing close-bracket on line 3\n"
               "when HTTP_RESPONSE {\n"
               "    HTTP::header insert X-Rule-Version [string trim \" 3 \"\n"
               "}\n")


def config():
    http_members = [tm.member("web", f"{NET}.11", 8001)]
    ws_members = [tm.member("gw", f"{NET}.12", 8001)]
    return (tm.self_ip(NET) + tm.nodes_of(http_members + ws_members) +
            tm.pool("web_pool", http_members) + tm.pool("ws_pool", ws_members) +
            tm.virtual("http_vs", *HTTP_VIP, "web_pool", rules=["/Common/version"], snat="automap") +
            tm.virtual("ws_vs", *WS_VIP, "ws_pool", rules=["/Common/version"], snat="automap",
                       profiles=("/Common/http", "/Common/tcp", "/Common/websocket")))


class Tunnels:
    """TUNNELS WebSocket connections held open by an asyncio loop in a thread of their own."""

    def __init__(self, count):
        self.count = count
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sockets = []

    def call(self, coroutine, timeout):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _open(self):
        semaphore = asyncio.Semaphore(50)   # handshakes at a time

        async def one(i):
            async with semaphore:
                ws = await websockets.connect(
                    f"ws://{WS_VIP[0]}:{WS_VIP[1]}/", open_timeout=30, close_timeout=5,
                    compression=None, ping_interval=None, max_size=None,
                    local_addr=(f"{NET}.{100 + i % 100}", 0))
                await ws.send(f"hello {i}")
                echo = await asyncio.wait_for(ws.recv(), 30)
                if echo != f"hello {i}":
                    raise AssertionError(f"tunnel {i} echoed {echo!r}")
                return ws
        self.sockets = await asyncio.gather(*(one(i) for i in range(self.count)))

    async def _echo_all(self, tag):
        async def one(i, ws):
            try:
                await ws.send(f"{tag} {i}")
                echo = await asyncio.wait_for(ws.recv(), 30)
                return None if echo == f"{tag} {i}" else f"tunnel {i}: echoed {echo!r}"
            except Exception as error:  # counted and reported: a dropped tunnel
                return f"tunnel {i}: {error!r}"
        results = await asyncio.gather(*(one(i, ws) for i, ws in enumerate(self.sockets)))
        return [r for r in results if r is not None]

    async def _close(self):
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)

    def open(self):
        self.call(self._open(), 120)

    def echo_all(self, tag):
        """The tunnels that failed to echo (empty when none)."""
        return self.call(self._echo_all(tag), 120)

    def closed(self):
        return [i for i, ws in enumerate(self.sockets) if ws.closed]

    def close(self):
        try:
            self.call(self._close(), 30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)


class ReloadUnderLoad(harness.IrulesdTestCase):

    def start(self):
        # The HTTP member is fault_backend.py (its /ok answers in one write, tens of thousands a
        # second; http_backend.py's answers wait for delayed ACKs, a few hundred a second).
        self.web = self.start_process(harness.Process(
            "web", [harness.PYTHON, FAULT_BACKEND_PY, "--host", f"{NET}.11", "--port", "8001"],
            os.path.join(self.tmp, "web.out")))
        self.wait_output(self.web, "listening")
        self.start_gateway("gw", f"{NET}.12")
        self.rules = self.rules_dir()
        self.write_rule("version", version_rule(0))
        self.config_path = self.write_config(config())
        irulesd = self.start_irulesd(self.config_path, rules_dir=self.rules,
                                     wait_for=[HTTP_VIP, WS_VIP])
        time.sleep(0.2)
        return irulesd

    def start_wrk(self, connections, seconds):
        if not os.access(fs.WRK, os.X_OK):
            self.skipTest("wrk is not installed (Debian package wrk)")
        return self.start_process(harness.Process(
            "wrk", [fs.WRK, "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                    f"http://{HTTP_HOST}/ok"], os.path.join(self.tmp, "wrk.out")))

    def stop_wrk(self, wrk):
        """SIGINT: wrk stops and prints its summary."""
        wrk.signal(signal.SIGINT)
        self.assertIsNotNone(wrk.wait(15), "wrk did not stop")
        return fs.parse_wrk(wrk.output())

    def version(self):
        with harness.RawClient(*HTTP_VIP) as client:
            client.send(harness.request_bytes("GET", "/version", HTTP_HOST))
            response = client.read_response()
        self.assertEqual(response.status, 200, response)
        return response.header("X-Rule-Version")

    def reload_to(self, offset, expect_rejected=False):
        """SIGHUP and wait for the daemon's verdict; returns the log offset past it."""
        self.reload()
        pattern = (r"reload rejected: \d+ error\(s\)" if expect_rejected
                   else r"reload: generation \d+ in service|reload rejected")
        line, offset = fs.wait_log_from(self, pattern, offset, timeout=30)
        if not expect_rejected:
            self.assertNotIn("rejected", line)
        return offset

    def test_hundred_reloads_under_keep_alive_traffic_and_a_thousand_tunnels(self):
        irulesd = self.start()
        pid = irulesd.pid
        tunnels = Tunnels(TUNNELS)
        self.addCleanup(tunnels.close)
        began = time.monotonic()
        tunnels.open()
        opened_in = time.monotonic() - began
        wrk = self.start_wrk(WRK_CONNECTIONS, 600)
        time.sleep(2)   # wrk's connections are up and busy
        fds_loaded = fs.fd_count(pid)
        rss_start = fs.rss_kib(pid)
        offset = fs.log_offset(self)
        began = time.monotonic()
        rss_after_warmup = None
        for n in range(1, RELOADS + 1):
            self.write_rule("version", version_rule(n))
            offset = self.reload_to(offset)
            if n == RELOADS // 3:
                # A broken config in the middle: rejected, logged; the running one serves on.
                self.write_config(config() + "ltm no-such-object /Common/x {\n}\n")
                offset = self.reload_to(offset, expect_rejected=True)
                self.write_config(config())
            if n == 2 * RELOADS // 3:
                self.write_rule("version", BROKEN_RULE)
                offset = self.reload_to(offset, expect_rejected=True)
                self.assertEqual(self.version(), str(n), "the broken rule did not take effect")
            if n == RSS_WARMUP_RELOADS:
                rss_after_warmup = fs.rss_kib(pid)
            time.sleep(RELOAD_GAP)   # each version reaches the worker while traffic flows
        reload_seconds = time.monotonic() - began
        self.wait_until(lambda: self.version() == str(RELOADS), timeout=10,
                        message=f"version {RELOADS} in service")
        time.sleep(1)   # traffic after the last reload too
        result = self.stop_wrk(wrk)
        rss_end = fs.rss_kib(pid)
        dropped = tunnels.closed()
        failed_echoes = tunnels.echo_all("after")
        fds_end = fs.fd_count(pid)
        print(f"\n{TUNNELS} tunnels opened in {opened_in:.1f} s; {RELOADS} reloads (+2 rejected) in "
              f"{reload_seconds:.1f} s under wrk -c {WRK_CONNECTIONS}: {result['requests']} requests, "
              f"non-2xx {result['non2xx']}, socket errors {result}; RSS {rss_start} KiB before, "
              f"{rss_after_warmup} KiB after {RSS_WARMUP_RELOADS} reloads, {rss_end} KiB after "
              f"{RELOADS}; fds {fds_loaded} under load, {fds_end} after wrk stopped", file=sys.stderr)
        self.assertTrue(result["requests"], f"wrk served nothing: {wrk.output()}")
        self.assertEqual((result["non2xx"], result["connect"], result["read"], result["write"],
                          result["timeout"]), (0, 0, 0, 0, 0),
                         f"failed requests during the reloads:\n{wrk.output()}")
        self.assertEqual(dropped, [], "tunnels closed during the reloads")
        self.assertEqual(failed_echoes, [], "tunnels that no longer echo after the reloads")
        if not fs.SANITIZE:
            self.assertLess(rss_end - rss_after_warmup, RELOAD_RSS_SLACK_KIB,
                            f"resident memory grew from {rss_after_warmup} to {rss_end} KiB over "
                            f"{RELOADS - RSS_WARMUP_RELOADS} reloads")
        self.assertEqual(fs.count_log(self, r"reload rejected: \d+ error\(s\)"), 2)
        self.assertTrue(irulesd.alive())

    def test_sigterm_under_load_finishes_requests_in_flight_then_exits_zero(self):
        irulesd = self.start()
        wrk = self.start_wrk(8, 600)
        time.sleep(1.5)
        slow = []
        for i in range(5):
            client = fs.SourcedClient(f"{NET}.{150 + i}", HTTP_VIP)
            self.addCleanup(client.close)
            client.send(harness.request_bytes("GET", f"/slow/{i}", HTTP_HOST))
            slow.append(client)
        self.wait_until(lambda: self.web.output().count("slow request /slow/") == 5,
                        timeout=10, message="the slow requests reached the member")
        offset = fs.log_offset(self)
        irulesd.signal(signal.SIGTERM)
        fs.wait_log_from(self, r"SIGTERM: no longer accepting", offset)
        self.wait_until(lambda: not harness.port_accepts(*HTTP_VIP), timeout=5,
                        message="no new connections once draining")
        for i, client in enumerate(slow):
            response = client.read_response()
            self.assertEqual((response.status, response.body), (200, f"/slow/{i}".encode()),
                             "a request in flight when the TERM came is answered in full")
            self.assertEqual(client.read_until_close(), (b"", "eof"), "then closed cleanly")
        self.assertEqual(irulesd.wait(15), 0, "irulesd exits 0 once the requests in flight are done")
        result = self.stop_wrk(wrk)
        self.assertTrue(result["requests"], wrk.output())
        self.assertEqual(result["non2xx"], 0, "no request was answered with an error while stopping")


if __name__ == "__main__":
    harness.main()
