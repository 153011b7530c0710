"""A virtual server without an http profile: plain TCP load balancing with CLIENT_ACCEPTED,
SERVER_CONNECTED and CLIENT_CLOSED, and the TCP::collect family (CLIENT_DATA, SERVER_DATA,
TCP::payload, TCP::release, TCP::respond, TCP::close) on TCP and HTTP virtuals. Real irulesd, a real
TCP backend (tcp_backend.py), raw clients. Addresses: 127.0.34.x."""

import json
import os
import re
import time

import harness

NET = "127.0.34"
VIP = (f"{NET}.10", 8080)
TCP_BACKEND_PY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tcp_backend.py")

POOL_B = f"""ltm pool /Common/pool_b {{
    members {{ /Common/b:9001 {{ address {NET}.12 }} }}
}}
"""


class TcpVirtual(harness.IrulesdTestCase):

    def start_tcp_backend(self, name, host, banner=""):
        record = os.path.join(self.tmp, f"tcp-{name}.jsonl")
        argv = [harness.PYTHON, TCP_BACKEND_PY, "--name", name, "--host", host, "--port", "9001",
                "--record", record]
        if banner:
            argv += ["--banner", banner]
        process = self.start_process(harness.Process(name, argv, os.path.join(self.tmp, f"tcp-{name}.out")))
        self.wait_output(process, "listening")

        def received():
            try:
                with open(record, encoding="utf-8") as f:
                    return [json.loads(line)["received"] for line in f]
            except FileNotFoundError:
                return []
        return received

    def start(self, rule, profiles=("/Common/tcp",), extra=""):
        config = self.write_config(harness.make_config(
            NET, members=[("a", f"{NET}.11", 9001)], profiles=profiles, rules=["/Common/r"],
            extra=extra + harness.inline_rule("/Common/r", rule)))
        self.start_irulesd(config, wait_for=[VIP])

    def exchange(self, payload, expect_len):
        with harness.RawClient(*VIP) as client:
            client.send(payload)
            data = b""
            while len(data) < expect_len:
                chunk = client.reader.read1(65536)
                if not chunk:
                    break
                data += chunk
            return data

    def test_plain_tcp_load_balancing_with_events(self):
        received = self.start_tcp_backend("a", f"{NET}.11")
        rule = "\n".join(f'when {e} {{ log local0. "{e} [IP::remote_addr] [TCP::client_port]" }}'
                         for e in ["CLIENT_ACCEPTED", "LB_SELECTED", "SERVER_CONNECTED", "SERVER_CLOSED",
                                   "CLIENT_CLOSED"])
        self.start(rule)
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            port = client.sock.getsockname()[1]
            client.send(b"hello")
            self.assertEqual(client.reader.read1(100), b"a:hello")
            client.sock.shutdown(1)   # our FIN reaches the backend, which closes in turn
            self.assertEqual(client.read_until_close(), (b"", "eof"))
        self.wait_log(rf"CLIENT_CLOSED [0-9.]+ {port}", start=offset)
        # Only this client's connection: the harness's port probe is a connection too.
        self.wait_until(lambda: "hello" in received(), message="the backend got hello")
        log = self.log_text()[offset:]
        events = re.findall(rf"<([A-Z_]+)>: \1 ([0-9.]+) {port}\b", log)
        # In a server-side event "remote" is the member.
        self.assertEqual([name for name, _ in events], ["CLIENT_ACCEPTED", "LB_SELECTED", "SERVER_CONNECTED",
                                                        "SERVER_CLOSED", "CLIENT_CLOSED"])
        self.assertEqual(events[2], ("SERVER_CONNECTED", f"{NET}.11"))

    def test_collect_chooses_the_pool_from_the_first_bytes_and_rewrites_them(self):
        received_a = self.start_tcp_backend("a", f"{NET}.11")
        received_b = self.start_tcp_backend("b", f"{NET}.12")
        rule = r"""
when CLIENT_ACCEPTED { TCP::collect 4 }
when CLIENT_DATA {
    log local0. "collected [TCP::payload length]: [TCP::payload 4]"
    if { [TCP::payload 4] eq "to-b" } {
        pool pool_b
        TCP::payload replace 0 4 "FOR-B"
    }
    TCP::release
}
"""
        self.start(rule, extra=POOL_B)
        self.assertEqual(self.exchange(b"to-b please", 14), b"b:FOR-B please")
        self.assertEqual(self.exchange(b"to-a thanks", 13), b"a:to-a thanks")
        self.wait_until(lambda: "FOR-B please" in received_b(), message="pool_b got the rewritten bytes")
        self.wait_until(lambda: "to-a thanks" in received_a(), message="pool a got the bytes as sent")

    def test_collect_across_several_reads_until_the_length(self):
        self.start_tcp_backend("a", f"{NET}.11")
        self.start('when CLIENT_ACCEPTED { TCP::collect 10 }\n'
                   'when CLIENT_DATA { log local0. "data [TCP::payload] released [TCP::release]" }')
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            client.send(b"12345")
            time.sleep(0.2)   # two reads on the proxy's side
            client.send(b"67890")
            self.assertEqual(client.reader.read1(100), b"a:1234567890")
        self.wait_log(r"data 1234567890 released 10", start=offset)

    def test_respond_and_close_answer_without_a_server(self):
        received = self.start_tcp_backend("a", f"{NET}.11")
        rule = r"""
when CLIENT_ACCEPTED { TCP::collect }
when CLIENT_DATA {
    if { [TCP::payload] starts_with "QUIT" } {
        TCP::respond "bye\n"
        TCP::close
    }
}
"""
        self.start(rule)
        with harness.RawClient(*VIP) as client:
            client.send(b"QUIT now")
            self.assertEqual(client.read_until_close(), (b"bye\n", "eof"))
        time.sleep(0.2)
        self.assertNotIn("QUIT now", received())

    def test_server_data_rewrites_the_servers_banner(self):
        self.start_tcp_backend("a", f"{NET}.11", banner="220 welcome\n")
        rule = r"""
when SERVER_CONNECTED { TCP::collect }
when SERVER_DATA {
    log local0. "server said [string trim [TCP::payload]] to [IP::remote_addr]"
    TCP::payload replace 0 3 "999"
    TCP::release
}
"""
        self.start(rule)
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            self.assertEqual(client.reader.read1(100), b"999 welcome\n")
            client.send(b"x")
            self.assertEqual(client.reader.read1(100), b"a:x")
        self.wait_log(rf"server said 220 welcome to {NET}.11", start=offset)

    def test_collect_on_an_http_virtual_sees_the_raw_request_first(self):
        self.start_backend("web", f"{NET}.11", port=9001)
        rule = r"""
when CLIENT_ACCEPTED { TCP::collect }
when CLIENT_DATA { log local0. "first line: [lindex [split [TCP::payload] \r] 0]"; TCP::release }
when HTTP_REQUEST { log local0. "then HTTP_REQUEST [HTTP::uri]" }
"""
        self.start(rule, profiles=("/Common/http", "/Common/tcp"))
        offset = self.log_size()
        response = harness.curl(f"http://{NET}.10:8080/raw?x=1")
        self.assertEqual(response.returncode, 0, response.stderr)
        self.wait_log(r"then HTTP_REQUEST /raw\?x=1", start=offset)
        self.assertIn("first line: GET /raw?x=1 HTTP/1.1", self.log_text()[offset:])

    def test_every_server_answer_rewritten_with_release_and_collect_again(self):
        self.start_tcp_backend("a", f"{NET}.11")
        rule = r"""
when SERVER_CONNECTED { TCP::collect }
when SERVER_DATA {
    TCP::payload replace 0 1 "A"
    TCP::release
    TCP::collect
}
"""
        self.start(rule)
        with harness.RawClient(*VIP) as client:
            for word in [b"one", b"two", b"three"]:
                client.send(word)
                self.assertEqual(client.reader.read1(100), b"A:" + word)

    def test_without_release_the_bytes_stay_held_until_the_client_closes(self):
        received = self.start_tcp_backend("a", f"{NET}.11")
        self.start('when CLIENT_ACCEPTED { TCP::collect }\n'
                   'when CLIENT_DATA { log local0. "holding [TCP::payload length]" }')
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            client.send(b"held")
            self.wait_log(r"holding 4", start=offset)
            client.send(b"more")
            self.wait_log(r"holding 8", start=offset)
            time.sleep(0.2)
            self.assertNotIn("heldmore", received())
            client.sock.shutdown(1)   # the peer's close releases what is held
            self.assertEqual(client.read_until_close(), (b"a:heldmore", "eof"))

    def test_a_half_closed_client_still_gets_the_servers_answer(self):
        self.start_tcp_backend("a", f"{NET}.11")
        self.start('when CLIENT_ACCEPTED { log local0. accepted }')
        with harness.RawClient(*VIP) as client:
            client.send(b"question")
            client.sock.shutdown(1)   # FIN right after the bytes
            self.assertEqual(client.read_until_close(), (b"a:question", "eof"))


if __name__ == "__main__":
    harness.main()
