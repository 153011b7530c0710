"""Persistence profiles on a virtual server, without any iRule: cookie insert (the BIGipServer
cookie in BIG-IP's encoding, cookie-name, Secure/HttpOnly/expiration/always-send per profile),
source_addr with a mask (clients of one /24 share a member, records expire on their timeout),
fallback-persistence when the request carries no cookie, user-disabled and forced-offline members
under persistence, and all of it across a SIGHUP reload that keeps the profiles. Many connections
per client, counted at three real backends. Clients bind their source address inside 127.0.42.0/24,
127.0.44.0/24 and 127.0.45.0/24; the virtual and members are 127.0.42.x."""

import collections
import email.utils
import re
import socket
import struct
import time

import harness
import tm_support as tm

NET = "127.0.42"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"
NAMES = ["m1", "m2", "m3"]
ADDRESSES = {name: f"{NET}.{11 + i}" for i, name in enumerate(NAMES)}
POOL_COOKIE = "BIGipServer~Common~p"


def cookie_value(address, port):
    """BIG-IP's insert-cookie value: the address as a little-endian number, the port's bytes swapped."""
    return "%d.%d.0000" % (struct.unpack("<I", socket.inet_aton(address))[0], ((port & 0xff) << 8) | (port >> 8))


class SourcedClient(harness.RawClient):
    """A RawClient whose connection comes from a given local address."""

    def __init__(self, source):
        self.sock = socket.create_connection(VIP, timeout=harness.TIMEOUT, source_address=(source, 0))
        self.reader = self.sock.makefile("rb")


class Persistence(harness.IrulesdTestCase):

    def config(self, *, persist=None, fallback=None, extra="", members=None, reverse=False):
        members = members or [tm.member(n, ADDRESSES[n], 8001) for n in NAMES]
        ordered = list(reversed(members)) if reverse else members
        return (tm.self_ip(NET) + tm.nodes_of(members) + tm.pool("p", ordered, slow_ramp_time=0) + extra +
                tm.virtual("vs", *VIP, "p", persist=persist, fallback=fallback))

    def start(self, config_text, names=NAMES):
        self.backends = {n: self.start_backend(n, ADDRESSES[n]) for n in names}
        self.config_path = self.write_config(config_text)
        self.start_irulesd(self.config_path, wait_for=[VIP], workers=2)

    def reload_with(self, config_text):
        self.write_config(config_text)
        offset = self.log_size()
        self.reload()
        self.wait_log(r"reload: generation \d+ in service", start=offset)
        self.assertNotIn("reload rejected", self.log_text()[offset:])

    def get(self, path="/", cookie=None, source="127.0.0.1"):
        """One request on a new connection from `source`; (backend, response)."""
        headers = [("Cookie", cookie)] if cookie else []
        with SourcedClient(source) as client:
            client.send(harness.request_bytes("GET", path, HOST, headers=headers))
            response = client.read_response()
        self.assertEqual(response.status, 200, response)
        return response.json()["backend"], response

    def backend_of(self, path="/", cookie=None, source="127.0.0.1"):
        return self.get(path, cookie, source)[0]

    # -- cookie ----------------------------------------------------------------------------------

    COOKIE_PROFILE = """ltm persistence cookie /Common/web_cookie {
    defaults-from /Common/cookie
    httponly enabled
    secure enabled
}
"""

    def test_cookie_insert_keeps_each_client_on_its_member(self):
        self.start(self.config(persist="/Common/web_cookie", extra=self.COOKIE_PROFILE))
        cookies = {}
        for i in range(3):   # three new clients, three members in turn, three cookies
            backend, response = self.get(f"/new/{i}")
            set_cookie = response.header("Set-Cookie")
            self.assertRegex(set_cookie, rf"^{POOL_COOKIE}=\d+\.\d+\.0000; path=/; Secure; HttpOnly$")
            value = set_cookie.split(";")[0]
            self.assertEqual(value, f"{POOL_COOKIE}={cookie_value(ADDRESSES[backend], 8001)}")
            cookies[backend] = value
        self.assertEqual(sorted(cookies), NAMES)
        # Each client comes back on 20 new connections, interleaved: always its member, and no
        # new cookie (the request already names the member; always-send is disabled).
        for i in range(20):
            for backend, cookie in cookies.items():
                served, response = self.get(f"/again/{i}", cookie=cookie)
                self.assertEqual(served, backend)
                self.assertIsNone(response.header("Set-Cookie"))
        # Clients without the cookie are balanced as before.
        self.assertEqual(collections.Counter(self.backend_of(f"/fresh/{i}") for i in range(30)),
                         {"m1": 10, "m2": 10, "m3": 10})

    def test_cookie_profile_name_attributes_expiration_and_always_send(self):
        profile = """ltm persistence cookie /Common/plain_cookie {
    defaults-from /Common/cookie
    cookie-name AppSticky
    expiration 1:00:00
    httponly disabled
    secure disabled
    always-send enabled
}
"""
        self.start(self.config(persist="/Common/plain_cookie", extra=profile))
        backend, response = self.get("/first")
        set_cookie = response.header("Set-Cookie")
        match = re.fullmatch(r"AppSticky=(\d+\.\d+\.0000); path=/; expires=([^;]+)", set_cookie)
        self.assertIsNotNone(match, set_cookie)
        self.assertEqual(match.group(1), cookie_value(ADDRESSES[backend], 8001))
        expires = email.utils.parsedate_to_datetime(match.group(2).replace("-", " ")).timestamp()
        self.assertAlmostEqual(expires, time.time() + 3600, delta=120)
        # always-send: the cookie comes back on every response, even when the request carried it.
        for i in range(10):
            served, again = self.get(f"/again/{i}", cookie=f"AppSticky={match.group(1)}")
            self.assertEqual(served, backend)
            self.assertRegex(again.header("Set-Cookie") or "", rf"^AppSticky={re.escape(match.group(1))}; path=/; expires=")

    def test_cookie_reaches_a_user_disabled_member_not_a_forced_offline_one(self):
        members = [tm.member("m1", ADDRESSES["m1"], 8001, session="user-disabled"),
                   tm.member("m2", ADDRESSES["m2"], 8001, state="user-down"),
                   tm.member("m3", ADDRESSES["m3"], 8001)]
        self.start(self.config(persist="/Common/web_cookie", extra=self.COOKIE_PROFILE, members=members))
        to_m1 = f"{POOL_COOKIE}={cookie_value(ADDRESSES['m1'], 8001)}"
        to_m2 = f"{POOL_COOKIE}={cookie_value(ADDRESSES['m2'], 8001)}"
        # A persisted client keeps reaching a member that takes no new connections...
        self.assertEqual({self.backend_of(f"/disabled/{i}", cookie=to_m1) for i in range(10)}, {"m1"})
        # ...but not one forced offline; new clients reach neither.
        self.assertEqual({self.backend_of(f"/offline/{i}", cookie=to_m2) for i in range(10)}, {"m3"})
        self.assertEqual({self.backend_of(f"/new/{i}") for i in range(10)}, {"m3"})
        self.assertEqual(self.backends["m2"].connections(), [])

    # -- source address --------------------------------------------------------------------------

    SOURCE_PROFILE = """ltm persistence source-addr /Common/by_subnet {
    defaults-from /Common/source_addr
    mask 255.255.255.0
    timeout 600
}
"""

    def test_source_addr_with_a_mask_keeps_a_subnet_on_one_member(self):
        self.start(self.config(persist="/Common/by_subnet", extra=self.SOURCE_PROFILE))
        first = self.backend_of("/a", source=f"{NET}.101")
        second = self.backend_of("/b", source="127.0.44.101")
        self.assertNotEqual(first, second, "a second subnet is balanced to the next member")
        # 60 connections from 20 addresses of each subnet, interleaved: each subnet keeps its member.
        seen = collections.defaultdict(collections.Counter)
        for i in range(20):
            for subnet in (NET, "127.0.44"):
                for _ in range(1 if i % 2 else 2):
                    seen[subnet][self.backend_of(f"/{subnet}/{i}", source=f"{subnet}.{101 + i}")] += 1
        self.assertEqual(dict(seen[NET]), {first: 30})
        self.assertEqual(dict(seen["127.0.44"]), {second: 30})

    def test_source_addr_record_expires_after_its_timeout(self):
        profile = """ltm persistence source-addr /Common/short {
    defaults-from /Common/source_addr
    timeout 2
}
"""
        self.start(self.config(persist="/Common/short", extra=profile))
        first = self.backend_of("/a", source="127.0.45.5")
        self.assertEqual({self.backend_of(f"/b{i}", source="127.0.45.5") for i in range(5)}, {first})
        time.sleep(3)   # idle longer than the record's 2 s
        # The record is gone: round robin goes on from where it was, to the next member.
        self.assertNotEqual(self.backend_of("/c", source="127.0.45.5"), first)

    def test_fallback_persistence_when_the_request_has_no_cookie(self):
        self.start(self.config(persist="/Common/web_cookie", fallback="/Common/by_subnet",
                               extra=self.COOKIE_PROFILE + self.SOURCE_PROFILE))
        # No cookie (a client that drops them): the source-address record keeps it on one member.
        by_source = collections.Counter(self.backend_of(f"/nocookie/{i}", source="127.0.45.7") for i in range(20))
        self.assertEqual(len(by_source), 1, by_source)
        (member,) = by_source
        # A cookie, when there is one, decides.
        other = next(n for n in NAMES if n != member)
        cookie = f"{POOL_COOKIE}={cookie_value(ADDRESSES[other], 8001)}"
        self.assertEqual({self.backend_of(f"/cookie/{i}", cookie=cookie, source="127.0.45.8") for i in range(5)},
                         {other})

    # -- reload ----------------------------------------------------------------------------------

    def test_cookie_and_source_addr_survive_a_reload(self):
        text = self.config(persist="/Common/web_cookie", fallback="/Common/by_subnet",
                           extra=self.COOKIE_PROFILE + self.SOURCE_PROFILE)
        self.start(text)
        cookies = {}
        for i in range(3):
            backend, response = self.get(f"/new/{i}")
            cookies[backend] = response.header("Set-Cookie").split(";")[0]
        sources = {}
        for subnet in (NET, "127.0.44", "127.0.45"):
            sources[subnet] = self.backend_of(f"/src/{subnet}", source=f"{subnet}.33")
        self.assertEqual(len(set(sources.values())), 3, sources)
        # The new version lists the members the other way round: round robin alone would now
        # send these clients elsewhere.
        self.reload_with(self.config(persist="/Common/web_cookie", fallback="/Common/by_subnet",
                                     extra=self.COOKIE_PROFILE + self.SOURCE_PROFILE, reverse=True))
        for i in range(10):
            for backend, cookie in cookies.items():
                self.assertEqual(self.backend_of(f"/after/{i}", cookie=cookie), backend)
            for subnet, backend in sources.items():
                self.assertEqual(self.backend_of(f"/after-src/{i}", source=f"{subnet}.{40 + i}"), backend,
                                 f"subnet {subnet} after the reload")

    def test_persisted_client_respects_the_members_connection_limit(self):
        # BIG-IP: a pool member's connection limit holds for persisted clients too unless the
        # persistence profile says override-connection-limit enabled.
        members = [tm.member("m1", ADDRESSES["m1"], 8001, connection_limit=1),
                   tm.member("m2", ADDRESSES["m2"], 8001), tm.member("m3", ADDRESSES["m3"], 8001)]
        self.start(self.config(persist="/Common/web_cookie", extra=self.COOKIE_PROFILE, members=members))
        to_m1 = f"{POOL_COOKIE}={cookie_value(ADDRESSES['m1'], 8001)}"
        held = SourcedClient("127.0.0.1")
        self.addCleanup(held.close)
        held.send(harness.request_bytes("GET", "/held", HOST, headers=[("Cookie", to_m1)]))
        self.assertEqual(held.read_response().json()["backend"], "m1")   # m1 now has its one connection
        for i in range(5):
            self.assertNotEqual(self.backend_of(f"/over/{i}", cookie=to_m1), "m1",
                                "a persisted client took m1 past its connection-limit 1")

    # -- source address --------------------------------------------------------------------------

    SOURCE_PROFILE = """ltm persistence source-addr /Common/by_subnet {
    defaults-from /Common/source_addr
    mask 255.255.255.0
    timeout 600
}
"""


if __name__ == "__main__":
    harness.main()
