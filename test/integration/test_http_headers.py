"""iRules on HTTP traffic: HTTP::header insert/replace/remove reach the backend exactly, the request
commands (HTTP::method/uri/path/host/version, IP::client_addr, TCP::client_port, HTTP::header
value/exists/count/values) see the request, and variables set in HTTP_REQUEST are seen in HTTP_RESPONSE
of the same connection and never in another one. Addresses: 127.0.5.x."""

import json
import os

import harness

NET = "127.0.5"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"

EDIT_RULE = r"""
when HTTP_REQUEST {
    HTTP::header insert X-Inserted "inserted value"
    HTTP::header insert X-Multi "b"
    HTTP::header replace X-Replace "new value"
    HTTP::header replace X-Absent "added by replace"
    HTTP::header remove X-Remove
}
"""

INSPECT_RULE = r"""# test rule: copies what the request commands return into request headers
when HTTP_REQUEST {
    HTTP::header insert X-Seen-Method [HTTP::method]
    HTTP::header insert X-Seen-Uri [HTTP::uri]
    HTTP::header insert X-Seen-Path [HTTP::path]
    HTTP::header insert X-Seen-Host [HTTP::host]
    HTTP::header insert X-Seen-Version [HTTP::version]
    HTTP::header insert X-Seen-Client [IP::client_addr]
    HTTP::header insert X-Seen-Client-Port [TCP::client_port]
    HTTP::header insert X-Seen-Dup-Count [HTTP::header count X-Dup]
    HTTP::header insert X-Seen-Dup-Values [join [HTTP::header values X-Dup] ","]
    HTTP::header insert X-Seen-Keep-Exists [HTTP::header exists X-Keep]
    HTTP::header insert X-Seen-Nothing-Exists [HTTP::header exists X-Nothing]
    HTTP::header insert X-Seen-Keep [HTTP::header value x-keep]
}
"""

VARIABLE_RULE = r"""
when HTTP_REQUEST {
    if { [HTTP::header exists X-Set-Var] } {
        set saved [HTTP::header value X-Set-Var]
    }
}
when HTTP_RESPONSE {
    if { [info exists saved] } {
        HTTP::header insert X-Saved $saved
    } else {
        HTTP::header insert X-Saved "unset"
    }
    HTTP::header insert X-Response-Status [HTTP::status]
}
"""


class HttpHeaders(harness.IrulesdTestCase):

    def setUp(self):
        super().setUp()
        self.backend = self.start_backend("b1", f"{NET}.11")

    def test_insert_replace_remove_reach_the_backend_exactly(self):
        config = self.write_config(harness.make_config(
            NET, rules=["/Common/edit-headers"],
            extra=harness.inline_rule("/Common/edit-headers", EDIT_RULE)))
        self.start_irulesd(config, wait_for=[VIP])
        request = (f"GET /edit?x=1 HTTP/1.1\r\n"
                   f"Host: {HOST}\r\n"
                   f"X-Keep: keep me\r\n"
                   f"X-Remove: first\r\n"
                   f"X-Replace: old value\r\n"
                   f"x-remove: second, lower case\r\n"
                   f"X-Multi: a\r\n"
                   f"X-Dup: 1\r\n"
                   f"X-Dup: 2\r\n"
                   f"\r\n").encode()
        with harness.RawClient(*VIP) as client:
            client.send(request)
            response = client.read_response()
        self.assertEqual(response.status, 200, response)
        seen = response.json()
        self.assertEqual(seen["method"], "GET")
        self.assertEqual(seen["path"], "/edit?x=1")
        self.assertEqual(seen["headers"], [
            ["Host", HOST],
            ["X-Keep", "keep me"],
            ["X-Replace", "new value"],
            ["X-Multi", "a"],
            ["X-Dup", "1"],
            ["X-Dup", "2"],
            ["X-Inserted", "inserted value"],
            ["X-Multi", "b"],
            ["X-Absent", "added by replace"],
        ])
        self.assertEqual(len(self.backend.requests()), 1)

    def test_header_edits_from_a_rule_file_reach_the_backend_via_curl(self):
        self.write_rule("edit-headers", "# test rule: header edits\n" + EDIT_RULE.lstrip("\n"))
        config = self.write_config(harness.make_config(NET, rules=["/Common/edit-headers"]))
        self.start_irulesd(config, rules_dir=self.rules_dir(), wait_for=[VIP])
        done = harness.curl(f"http://{HOST}/curl", "-H", "X-Remove: gone", "-H", "X-Replace: old",
                            "-H", "X-Keep: yes")
        self.assertEqual(done.returncode, 0, done.stderr)
        headers = json.loads(done.stdout)["headers"]
        names = [name.lower() for name, _ in headers]
        self.assertNotIn("x-remove", names)
        self.assertEqual([v for n, v in headers if n.lower() == "x-replace"], ["new value"])
        self.assertEqual([v for n, v in headers if n.lower() == "x-inserted"], ["inserted value"])
        self.assertEqual([v for n, v in headers if n.lower() == "x-keep"], ["yes"])
        self.assertEqual([v for n, v in headers if n.lower() == "user-agent"][0][:5], "curl/")

    def test_request_commands_see_the_request(self):
        self.write_rule("inspect", INSPECT_RULE)
        config = self.write_config(harness.make_config(NET, rules=["/Common/inspect"]))
        self.start_irulesd(config, rules_dir=self.rules_dir(), wait_for=[VIP])
        body_path = os.path.join(self.tmp, "body.json")
        done = harness.curl(f"http://{HOST}/some/path?q=1&r=2", "-X", "PUT", "--data-binary", "xyz",
                            "-H", "X-Keep: kept", "-H", "X-Dup: one", "-H", "X-Dup: two",
                            "-o", body_path, "-w", "%{http_code} %{local_ip} %{local_port}")
        self.assertEqual(done.returncode, 0, done.stderr)
        code, local_ip, local_port = done.stdout.decode().split()
        self.assertEqual(code, "200")
        with open(body_path) as f:
            seen = json.load(f)
        got = {name: value for name, value in seen["headers"] if name.startswith("X-Seen-")}
        self.assertEqual(got, {
            "X-Seen-Method": "PUT",
            "X-Seen-Uri": "/some/path?q=1&r=2",
            "X-Seen-Path": "/some/path",
            "X-Seen-Host": HOST,
            "X-Seen-Version": "1.1",
            "X-Seen-Client": local_ip,
            "X-Seen-Client-Port": local_port,
            "X-Seen-Dup-Count": "2",
            "X-Seen-Dup-Values": "one,two",
            "X-Seen-Keep-Exists": "1",
            "X-Seen-Nothing-Exists": "0",
            "X-Seen-Keep": "kept",
        })
        self.assertEqual(seen["body_length"], 3)

    def test_variables_live_per_connection_from_request_to_response(self):
        config = self.write_config(harness.make_config(
            NET, rules=["/Common/variables"],
            extra=harness.inline_rule("/Common/variables", VARIABLE_RULE)))
        self.start_irulesd(config, wait_for=[VIP])

        def saved(client, set_to=None):
            headers = [("X-Set-Var", set_to)] if set_to is not None else []
            client.send(harness.request_bytes("GET", "/var", HOST, headers))
            response = client.read_response()
            self.assertEqual(response.status, 200, response)
            self.assertEqual(response.header("X-Response-Status"), "200")
            return response.header("X-Saved")

        with harness.RawClient(*VIP) as a, harness.RawClient(*VIP) as b:
            self.assertEqual(saved(a, "alpha"), "alpha", "HTTP_RESPONSE sees HTTP_REQUEST's variable")
            self.assertEqual(saved(a), "alpha", "later events of the same connection see it too")
            self.assertEqual(saved(b), "unset", "another connection must not see it")
            self.assertEqual(saved(b, "beta"), "beta")
            self.assertEqual(saved(a), "alpha", "connection b's variable must not leak into a")
        with harness.RawClient(*VIP) as c:
            self.assertEqual(saved(c), "unset", "a new connection starts with no variables")


if __name__ == "__main__":
    harness.main()
