"""`pool NAME` in HTTP_REQUEST: each keep-alive request may pick another pool; a change of pool moves the
request to a new server-side connection (BIG-IP without OneConnect), and a request whose rule picks no
pool goes where the connection was last sent. Addresses: 127.0.32.x."""

import harness

NET = "127.0.32"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"

RULE = r"""
when HTTP_REQUEST {
    if { [string match "/api/*" [HTTP::path]] } {
        pool api_pool
    } elseif { [string match "/web/*" [HTTP::path]] } {
        pool /Common/test_pool
    }
}
"""

API_POOL = f"""ltm pool /Common/api_pool {{
    members {{ /Common/api-1:8001 {{ address {NET}.12 }} }}
}}
"""


class PoolCommand(harness.IrulesdTestCase):

    def test_pool_per_request_on_one_client_connection(self):
        web = self.start_backend("web", f"{NET}.11")
        api = self.start_backend("api", f"{NET}.12")
        config = self.write_config(harness.make_config(
            NET, rules=["/Common/chooser"], extra=API_POOL + harness.inline_rule("/Common/chooser", RULE)))
        self.start_irulesd(config, wait_for=[VIP])

        answered = []
        with harness.RawClient(*VIP) as client:
            for path in ["/web/1", "/api/1", "/api/2", "/other", "/web/2", "/other-again"]:
                client.send(harness.request_bytes("GET", path, HOST))
                response = client.read_response()
                self.assertEqual(response.status, 200, response)
                answered.append((path, response.json()["backend"]))
        self.assertEqual(answered, [("/web/1", "web"), ("/api/1", "api"), ("/api/2", "api"),
                                    ("/other", "api"), ("/web/2", "web"), ("/other-again", "web")])
        # One server connection per run of requests to the same pool: web, api (3), web (2).
        self.assertEqual(len(web.connections()), 2, web.records())
        self.assertEqual(len(api.connections()), 1, api.records())

    def test_unknown_pool_is_a_runtime_error_that_resets(self):
        # Named literally it is a load error (test_check.py); through a variable only the run time sees it.
        self.start_backend("web", f"{NET}.11")
        rule = 'when HTTP_REQUEST { set name no_such_pool; pool $name }'
        config = self.write_config(harness.make_config(
            NET, rules=["/Common/bad_pool"], extra=harness.inline_rule("/Common/bad_pool", rule)))
        self.start_irulesd(config, wait_for=[VIP])
        offset = self.log_size()
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/x", HOST))
            data, how = client.read_until_close()
        self.assertEqual((data, how), (b"", "reset"))
        self.wait_log(r"TCL error: /Common/bad_pool <HTTP_REQUEST> - .*no_such_pool", start=offset)


if __name__ == "__main__":
    harness.main()
