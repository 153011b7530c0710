"""The events of an HTTP/1.1 connection in BIG-IP's order, server-side facts in server-side events,
and rules that answer, drop, reject or choose the server themselves (HTTP::respond, HTTP::redirect,
drop, reject, node, LB_FAILED). Real irulesd, real backends, raw clients. Addresses: 127.0.33.x."""

import re

import harness

NET = "127.0.33"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"

ALL_EVENTS = ["CLIENT_ACCEPTED", "HTTP_REQUEST", "LB_SELECTED", "LB_FAILED", "SERVER_CONNECTED",
              "HTTP_REQUEST_SEND", "HTTP_REQUEST_RELEASE", "HTTP_RESPONSE", "HTTP_RESPONSE_RELEASE",
              "SERVER_CLOSED", "CLIENT_CLOSED"]


def logging_rule():
    return "\n".join(f'when {event} {{ log local0. "event {event} port [TCP::client_port]" }}'
                     for event in ALL_EVENTS)


def events_in(log_text, client_port):
    """The events logged for one client connection (the harness's own port probes connect too)."""
    return re.findall(rf"<([A-Z_]+)>: event \1 port {client_port}\b", log_text)


class EventsAndAnswers(harness.IrulesdTestCase):

    def start(self, rules, extra_rules="", members=None, extra=""):
        text = extra
        names = []
        for name, tcl in rules:
            names.append(f"/Common/{name}")
            text += harness.inline_rule(f"/Common/{name}", tcl)
        config = self.write_config(harness.make_config(NET, members=members, rules=names, extra=text))
        self.start_irulesd(config, wait_for=[VIP])

    def test_event_order_over_two_keep_alive_requests(self):
        self.start_backend("web", f"{NET}.11")
        self.start([("events", logging_rule())])
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            port = client.sock.getsockname()[1]
            for path in ["/one", "/two"]:
                client.send(harness.request_bytes("GET", path, HOST))
                self.assertEqual(client.read_response().status, 200)
        self.wait_log(rf"event CLIENT_CLOSED port {port}", start=offset)
        per_request = ["HTTP_REQUEST", "HTTP_REQUEST_SEND", "HTTP_REQUEST_RELEASE", "HTTP_RESPONSE",
                       "HTTP_RESPONSE_RELEASE"]
        expected = (["CLIENT_ACCEPTED", "HTTP_REQUEST", "LB_SELECTED", "SERVER_CONNECTED"] + per_request[1:] +
                    per_request + ["SERVER_CLOSED", "CLIENT_CLOSED"])
        self.assertEqual(events_in(self.log_text()[offset:], port), expected)

    def test_server_side_events_see_the_server_connection(self):
        self.start_backend("web", f"{NET}.11")
        rule = r"""
when HTTP_REQUEST { log local0. "client [IP::remote_addr] local [IP::local_addr]:[TCP::local_port] server <[IP::server_addr]>" }
when LB_SELECTED { log local0. "selected [LB::server pool] [LB::server addr] [LB::server port]" }
when SERVER_CONNECTED {
    log local0. "server remote [IP::remote_addr]:[TCP::remote_port] local [IP::local_addr] client [IP::client_addr]"
    clientside { log local0. "clientside remote [IP::remote_addr]" }
}
"""
        self.start([("facts", rule)])
        offset = self.log_size()
        self.assertEqual(harness.curl(f"http://{HOST}/").returncode, 0)
        self.wait_log(r"clientside remote", start=offset)
        log = self.log_text()[offset:]
        self.assertRegex(log, rf"client (127[.0-9]+) local {NET}.10:8080 server <>")
        client = re.search(r"client (127[.0-9]+) local", log).group(1)
        self.assertIn(f"selected /Common/test_pool {NET}.11 8001", log)
        # SNAT automap: the connection to the member comes from the self IP.
        self.assertIn(f"server remote {NET}.11:8001 local {NET}.20 client {client}", log)
        self.assertIn(f"clientside remote {client}", log)

    def test_respond_answers_without_the_server_and_keeps_the_connection(self):
        web = self.start_backend("web", f"{NET}.11")
        rule = r"""
when HTTP_REQUEST {
    if { [HTTP::path] eq "/maintenance" } {
        HTTP::respond 503 content "down for maintenance" Content-Type "text/plain" Retry-After 60
    }
}
"""
        later = 'when HTTP_REQUEST priority 900 { log local0. "later handler ran, responded [HTTP::has_responded]" }'
        self.start([("maint", rule), ("later", later)])
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            # A body the rule never reads is read and dropped: the next request still parses.
            client.send(harness.request_bytes("POST", "/maintenance", HOST, body=b"x" * 1000))
            answer = client.read_response()
            self.assertEqual((answer.status, answer.body), (503, b"down for maintenance"))
            self.assertEqual(answer.header("Retry-After"), "60")
            self.assertEqual(answer.header("Server"), "BigIP")
            self.assertEqual(answer.header("Content-Length"), "20")
            client.send(harness.request_bytes("GET", "/open", HOST))
            self.assertEqual(client.read_response().status, 200)
        self.wait_log(r"later handler ran, responded 1", start=offset)
        self.assertEqual([r["path"] for r in web.requests()], ["/open"])

    def test_redirect_and_respond_in_http_response(self):
        self.start_backend("web", f"{NET}.11")
        rule = r"""
when HTTP_REQUEST {
    if { [HTTP::path] eq "/old" } { HTTP::redirect "https://[HTTP::host]/new" }
}
when HTTP_RESPONSE {
    if { [HTTP::status] == 200 && [HTTP::header exists X-Replace-Me] } {
        HTTP::respond 403 content "replaced" noserver
    }
}
"""
        self.start([("answers", rule)])
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/old", HOST))
            redirect = client.read_response()
            self.assertEqual(redirect.status, 302)
            self.assertEqual(redirect.header("Location"), f"https://{HOST}/new")
            client.send(harness.request_bytes("GET", "/x", HOST, headers=[("X-Backend-Header", "X-Replace-Me: 1")]))
            replaced = client.read_response()
            self.assertEqual((replaced.status, replaced.body, replaced.header("Server")), (403, b"replaced", None))
            client.send(harness.request_bytes("GET", "/y", HOST))
            self.assertEqual(client.read_response().status, 200)

    def test_header_after_respond_is_a_runtime_error(self):
        self.start_backend("web", f"{NET}.11")
        rule = 'when HTTP_REQUEST { HTTP::respond 200 content ok\n HTTP::header insert X-After 1 }'
        self.start([("after", rule)])
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/", HOST))
            self.assertEqual(client.read_until_close(), (b"", "reset"))
        self.wait_log(r"TCL error: /Common/after <HTTP_REQUEST> - HTTP::header: illegal after HTTP::respond",
                      start=offset)

    def test_reject_resets_and_drop_closes_quietly(self):
        web = self.start_backend("web", f"{NET}.11")
        rule = r"""
when CLIENT_ACCEPTED { log local0. "accepted" }
when HTTP_REQUEST {
    switch -- [HTTP::path] {
        /reject { reject }
        /drop { drop }
    }
}
"""
        self.start([("gate", rule)])
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/reject", HOST))
            self.assertEqual(client.read_until_close(), (b"", "reset"))
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/drop", HOST))
            self.assertEqual(client.read_until_close(), (b"", "eof"))
        self.wait_log(r"rejected by a rule in HTTP_REQUEST", start=offset)
        self.wait_log(r"dropped by a rule in HTTP_REQUEST", start=offset)
        self.assertEqual(web.requests(), [])

    def test_node_sends_to_a_server_outside_the_pool(self):
        self.start_backend("web", f"{NET}.11")
        other = self.start_backend("other", f"{NET}.12")
        self.start([("to_node", f'when HTTP_REQUEST {{ node {NET}.12 8001 }}')])
        response = harness.curl("-i", f"http://{HOST}/n")
        self.assertEqual(response.returncode, 0, response.stderr)
        self.assertEqual([r["path"] for r in other.requests()], ["/n"])

    def test_snat_chooses_the_source_of_the_server_connection(self):
        web = self.start_backend("web", f"{NET}.11")
        rule = r"""
when HTTP_REQUEST {
    switch -- [HTTP::path] {
        /address { snat 127.0.33.21 }
        /none { snat none }
    }
}
"""
        self.start([("source", rule)])
        for path in ["/automap", "/address", "/none"]:
            with harness.RawClient(*VIP) as client:
                client.send(harness.request_bytes("GET", path, HOST))
                self.assertEqual(client.read_response().status, 200)
        peers = {r["path"]: r["peer"] for r in web.requests()}
        self.assertEqual(peers["/automap"], f"{NET}.20")    # the virtual's automap: the self IP
        self.assertEqual(peers["/address"], f"{NET}.21")
        self.assertEqual(peers["/none"], "127.0.0.1")       # the client's own address

    def test_lb_failed_lets_a_rule_answer_or_choose_another_pool(self):
        spare = self.start_backend("spare", f"{NET}.12")
        # The default pool's only member (NET.11) has nothing listening.
        rule = r"""
when HTTP_REQUEST { if { [HTTP::path] eq "/spare" } { set use_spare 1 } else { set use_spare 0 } }
when LB_FAILED {
    log local0. "lb failed for [LB::server pool]"
    if { $use_spare } { LB::reselect pool spare_pool } else { HTTP::respond 503 content "sorry" }
}
"""
        extra = f"ltm pool /Common/spare_pool {{\n    members {{ /Common/spare:8001 {{ address {NET}.12 }} }}\n}}\n"
        self.start([("fallback", rule)], extra=extra)
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/x", HOST))
            answer = client.read_response()
            self.assertEqual((answer.status, answer.body), (503, b"sorry"))
            client.send(harness.request_bytes("GET", "/spare", HOST))
            self.assertEqual(client.read_response().status, 200)
        self.assertEqual([r["path"] for r in spare.requests()], ["/spare"])
        self.wait_log(r"lb failed for /Common/test_pool", start=offset)


if __name__ == "__main__":
    harness.main()
