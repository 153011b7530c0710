"""persist: uie, source_addr and cookie insert keep a client on its member across connections (and
across a reload), persist lookup/add/delete read and write the same records, and a persisted member
that cannot be reached gives way to the pool's next one (reselect-tries 1). Real irulesd, three real backends, curl and
raw clients. Addresses: 127.0.39.x."""

import re

import harness

NET = "127.0.39"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"
MEMBERS = [(f"b{i}", f"{NET}.{10 + i}", 8001) for i in (1, 2, 3)]

RULE = r"""
when HTTP_REQUEST {
    switch -glob -- [HTTP::path] {
        /uie/* {
            set user [lindex [split [HTTP::path] /] 2]
            log local0. "record for $user before: <[persist lookup uie $user]>"
            persist uie $user 600
        }
        /src/* { persist source_addr 255.255.255.0 }
        /cookie/* { persist cookie insert }
        /forget/* {
            persist delete uie [lindex [split [HTTP::path] /] 2]
            HTTP::respond 200 content "forgotten"
        }
    }
}
"""


class Persist(harness.IrulesdTestCase):

    def setUp(self):
        super().setUp()
        self.backends = {name: self.start_backend(name, address) for name, address, _ in MEMBERS}
        text = harness.make_config(
            NET, members=MEMBERS, rules=["/Common/sticky"], extra=harness.inline_rule("/Common/sticky", RULE))
        text = text.replace("    load-balancing-mode round-robin\n", "    load-balancing-mode round-robin\n    reselect-tries 1\n")
        self.assertIn("reselect-tries 1", text)
        self.config = self.write_config(text)
        self.start_irulesd(self.config, wait_for=[VIP], workers=2)

    def served_by(self, path, headers=(), source=None):
        """One request on a new connection; the backend's name (and the response)."""
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", path, HOST, headers=headers))
            response = client.read_response()
        self.assertEqual(response.status, 200, response)
        return response.json()["backend"], response

    def test_uie_keeps_each_user_on_one_member_across_connections_and_reloads(self):
        first = {user: self.served_by(f"/uie/{user}")[0] for user in ["ann", "bob", "cy", "dee", "eve", "fay"]}
        self.assertGreater(len(set(first.values())), 1, "round robin spreads new users")
        for _ in range(3):
            for user, backend in first.items():
                self.assertEqual(self.served_by(f"/uie/{user}")[0], backend, user)
        offset = self.log_size()
        self.reload()
        self.wait_log(r"reload|loaded|version", start=offset)
        for user, backend in first.items():
            self.assertEqual(self.served_by(f"/uie/{user}")[0], backend, f"{user} after the reload")
        log = self.log_text()
        self.assertRegex(log, rf"record for ann before: <{{?/Common/test_pool}}? {re.escape(NET)}\.1[123] 8001>")
        # delete: the record is gone; the next request chooses by the pool and is remembered anew.
        with harness.RawClient(*VIP) as client:
            client.send(harness.request_bytes("GET", "/forget/ann", HOST))
            self.assertEqual(client.read_response().body, b"forgotten")
        offset = self.log_size()
        self.served_by("/uie/ann")
        self.wait_log(r"record for ann before: <>", start=offset)

    def test_source_addr_and_cookie_insert(self):
        by_source = {self.served_by("/src/x")[0] for _ in range(6)}
        self.assertEqual(len(by_source), 1, "one client address, one member")

        backend, response = self.served_by("/cookie/a")
        cookie = response.header("Set-Cookie")
        self.assertRegex(cookie, r"^BIGipServer~Common~test_pool=\d+\.\d+\.0000; path=/$")
        value = cookie.split(";")[0]
        for _ in range(5):
            again, answer = self.served_by("/cookie/a", headers=[("Cookie", value)])
            self.assertEqual(again, backend)
            self.assertIsNone(answer.header("Set-Cookie"), "no new cookie when the request named the member")
        # BIG-IP's encoding: 127.0.39.13:8001 -> address bytes little-endian, port bytes swapped.
        forged = "BIGipServer~Common~test_pool=%d.%d.0000" % (127 + 0 * 256 + 39 * 65536 + 13 * 16777216,
                                                            ((8001 & 0xff) << 8) | (8001 >> 8))
        self.assertEqual(self.served_by("/cookie/b", headers=[("Cookie", forged)])[0], "b3")

    def test_a_persisted_member_that_is_gone_gives_way(self):
        backend = self.served_by("/uie/zed")[0]
        self.backends[backend].stop()
        other = self.served_by("/uie/zed")[0]
        self.assertNotEqual(other, backend)
        self.assertEqual(self.served_by("/uie/zed")[0], other, "the record now names the new member")


if __name__ == "__main__":
    harness.main()
