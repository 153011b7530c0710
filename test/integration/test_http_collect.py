"""HTTP::collect / HTTP::payload / HTTP::release with HTTP_REQUEST_DATA and HTTP_RESPONSE_DATA: whole and
partial bodies, Content-Length and chunked framing, payload rewrites of another length, a rule that
answers from the body. Real irulesd, http_backend.py, raw clients. Addresses: 127.0.35.x."""

import hashlib
import json

import harness

NET = "127.0.35"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"


def sha(data):
    return hashlib.sha256(data).hexdigest()


def chunked(*pieces):
    out = b""
    for piece in pieces:
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return out + b"0\r\n\r\n"


class HttpCollect(harness.IrulesdTestCase):

    def start(self, rule):
        config = self.write_config(harness.make_config(
            NET, rules=["/Common/c"], extra=harness.inline_rule("/Common/c", rule)))
        self.start_irulesd(config, wait_for=[VIP])

    def test_whole_body_rewritten_to_another_length(self):
        web = self.start_backend("web", f"{NET}.11")
        self.start(r"""
when HTTP_REQUEST { if { [HTTP::method] eq "POST" } { HTTP::collect } }
when HTTP_REQUEST_DATA {
    log local0. "body [HTTP::payload length]: [HTTP::payload]"
    HTTP::payload replace 0 [HTTP::payload length] [string map {secret [redacted]} [HTTP::payload]]
    HTTP::release
}
""")
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("POST", "/form", HOST, body=b"user=a&pass=secret"))
            self.assertEqual(client.read_response().status, 200)
            # chunked in, one Content-Length body out
            client.send(f"POST /chunked HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
                        + chunked(b"token=", b"secret"))
            self.assertEqual(client.read_response().status, 200)
            client.send(harness.request_bytes("GET", "/after", HOST))
            self.assertEqual(client.read_response().status, 200)
        self.wait_log(r"body 18: user=a&pass=secret", start=offset)
        got = web.requests()
        self.assertEqual([r["path"] for r in got], ["/form", "/chunked", "/after"])
        self.assertEqual((got[0]["body_length"], got[0]["body_sha256"]), (22, sha(b"user=a&pass=[redacted]")))
        self.assertEqual((got[1]["body_sha256"], got[1]["chunked"]), (sha(b"token=[redacted]"), False))
        self.assertIn(["Content-Length", "16"], got[1]["headers"])

    def test_partial_collect_keeps_the_rest_of_the_body_flowing(self):
        web = self.start_backend("web", f"{NET}.11")
        self.start(r"""
when HTTP_REQUEST { HTTP::collect 5 }
when HTTP_REQUEST_DATA { HTTP::payload replace 0 5 "HEAD:" }
""")
        body = b"abcde" + b"x" * 200000
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("POST", "/cl", HOST, body=body))
            self.assertEqual(client.read_response().status, 200)
            client.send(f"POST /ch HTTP/1.1\r\nHost: {HOST}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
                        + chunked(b"abcdefgh", b"y" * 70000, b"z"))
            self.assertEqual(client.read_response().status, 200)
        got = web.requests()
        self.assertEqual(got[0]["body_sha256"], sha(b"HEAD:" + b"x" * 200000))
        self.assertEqual(got[1]["body_sha256"], sha(b"HEAD:fgh" + b"y" * 70000 + b"z"))
        self.assertTrue(got[1]["chunked"])

    def test_response_body_rewritten(self):
        self.start_backend("web", f"{NET}.11")
        self.start(r"""
when HTTP_RESPONSE { HTTP::collect [HTTP::header Content-Length] }
when HTTP_RESPONSE_DATA {
    HTTP::payload replace 0 [HTTP::payload length] [string map {"\"backend\": \"web\"" "\"backend\": \"rewritten by irulesd\""} [HTTP::payload]]
}
""")
        with harness.RawClient(*VIP) as client:
            for _ in range(2):
                client.send(harness.request_bytes("GET", "/r", HOST))
                answer = client.read_response()
                self.assertEqual(json.loads(answer.body)["backend"], "rewritten by irulesd")
                self.assertEqual(int(answer.header("Content-Length")), len(answer.body))

    def test_a_rule_answers_from_the_body(self):
        web = self.start_backend("web", f"{NET}.11")
        self.start(r"""
when HTTP_REQUEST { if { [HTTP::header exists Content-Length] } { HTTP::collect } }
when HTTP_REQUEST_DATA {
    if { [HTTP::payload] contains "DROP TABLE" } { HTTP::respond 403 content "blocked" }
}
""")
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("POST", "/q", HOST, body=b"q=1; DROP TABLE users"))
            answer = client.read_response()
            self.assertEqual((answer.status, answer.body), (403, b"blocked"))
            client.send(harness.request_bytes("POST", "/q", HOST, body=b"q=2"))
            self.assertEqual(client.read_response().status, 200)
        self.assertEqual([r["body_sha256"] for r in web.requests()], [sha(b"q=2")])

    def test_answered_in_lb_failed_after_a_collect(self):
        # Nothing listens on the member: LB_FAILED answers after the body was collected and released.
        self.start(r"""
when HTTP_REQUEST { HTTP::collect }
when HTTP_REQUEST_DATA { set got [HTTP::payload] }
when LB_FAILED { HTTP::respond 503 content "down, you sent $got" }
""")
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("POST", "/p", HOST, body=b"abc"))
            answer = client.read_response()
            self.assertEqual((answer.status, answer.body), (503, b"down, you sent abc"))
            client.send(harness.request_bytes("POST", "/p", HOST, body=b"second"))
            self.assertEqual(client.read_response().body, b"down, you sent second")


if __name__ == "__main__":
    harness.main()
