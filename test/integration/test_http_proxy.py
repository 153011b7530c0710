"""Plain HTTP through a virtual server with no rule: curl GET, keep-alive, pipelining, 10 MiB bodies
(chunked and Content-Length), SNAT automap, a member down (the next one serves), all members down
(503). Addresses: 127.0.6.x."""

import hashlib
import http.client
import json
import os
import re
import socket

import harness

NET = "127.0.6"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"
BASE = f"http://{HOST}"


class HttpProxy(harness.IrulesdTestCase):

    def start_one_backend(self, workers=1):
        self.backend = self.start_backend("b1", f"{NET}.11")
        config = self.write_config(harness.make_config(NET))
        return self.start_irulesd(config, wait_for=[VIP], workers=workers)

    def big_file(self, size=10 << 20):
        path = os.path.join(self.tmp, "body.bin")
        data = os.urandom(size)
        with open(path, "wb") as f:
            f.write(data)
        return path, hashlib.sha256(data).hexdigest()

    def test_curl_get(self):
        self.start_one_backend()
        done = harness.curl(f"{BASE}/hello?name=world", "-D", os.path.join(self.tmp, "head"))
        self.assertEqual(done.returncode, 0, done.stderr)
        seen = json.loads(done.stdout)
        self.assertEqual(seen["backend"], "b1")
        self.assertEqual(seen["method"], "GET")
        self.assertEqual(seen["path"], "/hello?name=world")
        self.assertEqual(seen["peer"], f"{NET}.20", "SNAT automap: the backend sees the self IP")
        self.assertEqual(seen["headers"][0], ["Host", HOST])
        with open(os.path.join(self.tmp, "head"), "rb") as f:
            head = f.read().decode("latin-1")
        self.assertRegex(head, r"^HTTP/1\.1 200 ")
        self.assertRegex(head, r"(?im)^X-Backend: b1\r$")

    def test_snat_none_keeps_the_client_address(self):
        self.backend = self.start_backend("b1", f"{NET}.11")
        config = self.write_config(harness.make_config(NET, snat="none"))
        self.start_irulesd(config, wait_for=[VIP])
        done = harness.curl(f"{BASE}/", "-w", "\n%{local_ip}")
        self.assertEqual(done.returncode, 0, done.stderr)
        body, local_ip = done.stdout.decode().rsplit("\n", 1)
        self.assertEqual(json.loads(body)["peer"], local_ip)

    def test_keep_alive_requests_on_one_connection_with_curl(self):
        self.start_one_backend()
        urls = [f"{BASE}/ka/{i}" for i in range(5)]
        args = []
        for url in urls:
            args += [url, "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n"]
        done = harness.curl(*args)
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.decode().split()
        self.assertEqual(lines, ["200", "1"] + ["200", "0"] * 4,
                         "curl must reuse its one connection for all five requests")
        self.assertEqual([r["path"] for r in self.backend.requests()], [f"/ka/{i}" for i in range(5)])

    def test_keep_alive_requests_on_one_connection_with_http_client(self):
        self.start_one_backend()
        conn = http.client.HTTPConnection(*VIP, timeout=harness.TIMEOUT)
        conn.connect()
        sock = conn.sock
        try:
            for i in range(10):
                body = f"body {i}".encode() * i
                conn.request("POST" if i % 2 else "GET", f"/n/{i}", body=body or None)
                response = conn.getresponse()
                data = response.read()
                self.assertEqual(response.status, 200)
                self.assertNotEqual((response.getheader("Connection") or "").lower(), "close")
                seen = json.loads(data)
                self.assertEqual(seen["path"], f"/n/{i}")
                self.assertEqual(seen["body_length"], len(body))
                self.assertIs(conn.sock, sock, "http.client had to reconnect: keep-alive broken")
        finally:
            conn.close()

    def test_client_close_closes_the_server_connection(self):
        self.start_one_backend()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/one", HOST))
            self.assertEqual(client.read_response().status, 200)
        # The client closed its idle keep-alive connection: irulesd must close the server side too.
        self.wait_until(lambda: len(self.backend.closed()) == 1, timeout=5,
                        message="the backend's connection closed after the client closed")
        self.assertEqual(len(self.backend.connections()), 1)

    def test_client_half_close_after_a_response_is_answered_by_a_close(self):
        self.start_one_backend()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/one", HOST))
            self.assertEqual(client.read_response().status, 200)
            client.sock.shutdown(socket.SHUT_WR)   # FIN: the client is done
            data, how = client.read_until_close()
        self.assertEqual((data, how), (b"", "eof"),
                         "irulesd must close an idle keep-alive connection whose client sent FIN")
        self.wait_until(lambda: len(self.backend.closed()) == 1, timeout=5,
                        message="the backend's connection closed after the client closed")

    def test_client_gone_in_the_middle_of_a_body_closes_both_sides(self):
        self.start_one_backend()
        with harness.RawClient(*VIP) as client:
            client.send(b"POST /upload HTTP/1.1\r\nHost: " + HOST.encode() +
                        b"\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
            self.wait_until(lambda: len(self.backend.connections()) == 1, timeout=5,
                            message="the request head reached the backend")
            client.sock.shutdown(socket.SHUT_WR)   # 90 bytes of the body will never come
            data, how = client.read_until_close()
        self.assertEqual((data, how), (b"", "eof"), "closed at once, not after the idle timeout")
        self.wait_until(lambda: len(self.backend.closed()) == 1, timeout=5,
                        message="the backend's connection closed too")
        self.wait_log(r"closed in the middle of a request body")

    def test_pipelined_requests_are_answered_in_order(self):
        self.start_one_backend()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/first", HOST)
                        + harness.request_bytes("GET", "/second", HOST))
            first, second = client.read_response(), client.read_response()
            self.assertEqual((first.status, first.json()["path"]), (200, "/first"))
            self.assertEqual((second.status, second.json()["path"]), (200, "/second"))
            # A request with a body, then another, in one send: the body boundary is respected.
            client.send(harness.request_bytes("POST", "/third", HOST, body=b"abc" * 1000)
                        + harness.request_bytes("GET", "/fourth", HOST)
                        + harness.request_bytes("DELETE", "/fifth", HOST))
            third, fourth, fifth = (client.read_response() for _ in range(3))
            self.assertEqual(third.json()["path"], "/third")
            self.assertEqual(third.json()["body_length"], 3000)
            self.assertEqual(fourth.json()["path"], "/fourth")
            self.assertEqual((fifth.json()["method"], fifth.json()["path"]), ("DELETE", "/fifth"))
        self.assertEqual([r["path"] for r in self.backend.requests()],
                         ["/first", "/second", "/third", "/fourth", "/fifth"])

    def check_big_post(self, *curl_args, expect_chunked):
        self.start_one_backend()
        path, digest = self.big_file()
        done = harness.curl(f"{BASE}/upload", "--data-binary", f"@{path}", *curl_args, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        seen = json.loads(done.stdout)
        self.assertEqual(seen["method"], "POST")
        self.assertEqual(seen["body_length"], 10 << 20)
        self.assertEqual(seen["body_sha256"], digest, "the body arrived altered")
        self.assertEqual(seen["chunked"], expect_chunked)

    def test_ten_mebibyte_chunked_post_arrives_intact(self):
        self.check_big_post("-H", "Transfer-Encoding: chunked", "-H", "Expect:", expect_chunked=True)

    def test_ten_mebibyte_chunked_post_with_expect_100_continue(self):
        # curl's default for a big upload: Expect: 100-continue, the backend answers 100 first.
        self.check_big_post("-H", "Transfer-Encoding: chunked", expect_chunked=True)

    def test_ten_mebibyte_content_length_post_arrives_intact(self):
        self.check_big_post("-H", "Expect:", expect_chunked=False)

    def test_member_down_the_next_one_serves(self):
        # Member 1 (127.0.6.11) has nothing listening: connections to it are refused, and with
        # reselect-tries 1 the next member is tried.
        members = [("down-1", f"{NET}.11", 8001), ("b2", f"{NET}.12", 8001)]
        backend = self.start_backend("b2", f"{NET}.12")
        text = harness.make_config(NET, members=members).replace(
            "    load-balancing-mode round-robin\n", "    load-balancing-mode round-robin\n    reselect-tries 1\n")
        self.assertIn("reselect-tries 1", text)
        config = self.write_config(text)
        self.start_irulesd(config, wait_for=[VIP])
        for i in range(4):
            done = harness.curl(f"{BASE}/try/{i}", "-w", "\n%{http_code}")
            self.assertEqual(done.returncode, 0, done.stderr)
            body, code = done.stdout.decode().rsplit("\n", 1)
            self.assertEqual(code, "200", body)
            self.assertEqual(json.loads(body)["backend"], "b2")
        self.assertEqual(len(backend.requests()), 4)

    def test_all_members_down_503(self):
        members = [("down-1", f"{NET}.11", 8001), ("down-2", f"{NET}.12", 8001)]
        config = self.write_config(harness.make_config(NET, members=members))
        self.start_irulesd(config, wait_for=[VIP])
        offset = self.log_size()
        for _ in range(2):
            done = harness.curl(f"{BASE}/nobody", "-o", "/dev/null", "-w", "%{http_code}")
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(done.stdout.decode(), "503")
        self.wait_log(r"test_pool|%s\.1[12]\b|503" % re.escape(NET), start=offset)
        self.assertTrue(self.irulesd.alive())

    def test_two_workers_serve_many_connections(self):
        self.start_one_backend(workers=2)
        for i in range(20):
            done = harness.curl(f"{BASE}/w/{i}", "-o", "/dev/null", "-w", "%{http_code}")
            self.assertEqual((done.returncode, done.stdout.decode()), (0, "200"), done.stderr)
        self.assertEqual(len(self.backend.requests()), 20)


if __name__ == "__main__":
    harness.main()
