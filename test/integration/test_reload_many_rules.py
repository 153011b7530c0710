"""Reload of a config with many rules under concurrent requests: a worker builds the new version's engine
a slice at a time while it goes on serving (core/worker.cc), so every request during the reloads must
still get a whole, correct answer from one version, and each new version must serve afterwards with
its RULE_INIT run in order.

RULES inline rules; the virtual NET.10:8080 carries the first ATTACHED of them (each inserts X-App N
into a request for /appN/...), the rest are loaded and not attached (a worker loads every rule of a
version). Rule 0's RULE_INIT (priority 500) sets static::generation G, rule 5's (priority 900) sets
static::stamp "G-late" from it, and rule 0 stamps both on every response: X-Gen G and X-Init G-late.
Client threads send GET after GET on keep-alive connections (a new connection every few requests)
while the test reloads: several times one after another, and twice in a row without waiting (the
second supersedes the first, maybe mid-build). Two workers. Addresses: 127.0.55.x."""

import json
import threading

import harness

NET = "127.0.55"
VIP = (f"{NET}.10", 8080)
HOST = f"{NET}.10:8080"
RULES = 600
ATTACHED = 10
CLIENTS = 6
REQUESTS_PER_CONNECTION = 5


def rule_text(i, generation):
    text = (f"when HTTP_REQUEST {{\n"
            f"  if {{ [HTTP::uri] starts_with \"/app{i}/\" }} {{\n"
            f"    HTTP::header insert X-App {i}\n"
            f"  }}\n"
            f"}}\n")
    if i == 0:
        text += (f"when RULE_INIT {{\n  set static::generation {generation}\n}}\n"
                 "when HTTP_RESPONSE {\n"
                 "  HTTP::header insert X-Gen $static::generation\n"
                 "  HTTP::header insert X-Init $static::stamp\n"
                 "}\n")
    if i == 5:
        text += "when RULE_INIT priority 900 {\n  set static::stamp \"$static::generation-late\"\n}\n"
    return text


def config_text(generation):
    rules = "".join(harness.inline_rule(f"/Common/rule_{i:04d}", rule_text(i, generation))
                    for i in range(RULES))
    attached = [f"/Common/rule_{i:04d}" for i in range(ATTACHED)]
    return harness.make_config(NET, rules=attached, extra=rules)


class Client(threading.Thread):
    """GET /appN/... on keep-alive connections until told to stop; checks every answer."""

    def __init__(self, index, test):
        super().__init__(daemon=True)
        self.index, self.test = index, test
        self.halt = threading.Event()
        self.answers = 0
        self.generations = set()
        self.failures = []

    def run(self):
        n = 0
        try:
            while not self.halt.is_set():
                with harness.RawClient(*VIP) as client:
                    connection_generation = None
                    for _ in range(REQUESTS_PER_CONNECTION):
                        app = (self.index + n) % (ATTACHED + 2)   # /app10/ and /app11/: no rule matches
                        n += 1
                        client.send(harness.request_bytes("GET", f"/app{app}/x?n={n}", HOST))
                        response = client.read_response()
                        self.check(response, app)
                        generation = int(response.header("X-Gen"))
                        if connection_generation is None:
                            connection_generation = generation
                        elif generation != connection_generation:
                            self.failures.append(f"one connection answered by generations {connection_generation} "
                                                 f"and {generation}")
                        self.generations.add(generation)
                        self.answers += 1
        except Exception as e:   # reported by the test
            self.failures.append(f"client {self.index}: {e!r}")

    def check(self, response, app):
        if response.status != 200:
            raise AssertionError(f"status {response.status}: {response!r}")
        generation = response.header("X-Gen")
        if response.header("X-Init") != f"{generation}-late":
            raise AssertionError(f"X-Gen {generation} with X-Init {response.header('X-Init')}: RULE_INIT out of order")
        sent = json.loads(response.body)
        inserted = [value for name, value in sent["headers"] if name.lower() == "x-app"]
        expected = [str(app)] if app < ATTACHED else []
        if inserted != expected:
            raise AssertionError(f"/app{app}/: the backend got X-App {inserted}, expected {expected}")

    def stop(self):
        self.halt.set()
        self.join(60)


class ReloadManyRules(harness.IrulesdTestCase):

    def generation(self):
        with harness.RawClient(*VIP) as fresh:
            fresh.send(harness.request_bytes("GET", "/probe", HOST))
            response = fresh.read_response()
            self.assertEqual(response.status, 200, response)
            self.assertEqual(response.header("X-Init"), f"{response.header('X-Gen')}-late")
            return int(response.header("X-Gen"))

    def reload_to(self, generation, wait=True):
        self.write_config(config_text(generation))
        self.reload()
        if wait:
            self.wait_until(lambda: self.generation() == generation, timeout=30,
                            message=f"generation {generation} serving after SIGHUP")

    def test_requests_during_reloads_of_many_rules_all_get_correct_answers(self):
        self.start_backend("b1", f"{NET}.11")
        config = self.write_config(config_text(1))
        irulesd = self.start_irulesd(config, workers=2, wait_for=[VIP])
        self.assertEqual(self.generation(), 1)

        clients = [Client(i, self) for i in range(CLIENTS)]
        for client in clients:
            client.start()
        try:
            self.wait_until(lambda: all(c.answers > 0 or c.failures for c in clients),
                            message="every client answered once")
            for generation in range(2, 6):
                self.reload_to(generation)
            # Two in a row: the first may be superseded before (or while) a worker builds it.
            self.reload_to(6, wait=False)
            self.reload_to(7)
            answers_before = sum(c.answers for c in clients)
            self.wait_until(lambda: sum(c.answers for c in clients) > answers_before + 50,
                            message="clients answered under the last version")
        finally:
            for client in clients:
                client.stop()

        failures = [f for c in clients for f in c.failures]
        self.assertEqual(failures, [], "every request gets a whole, correct answer")
        seen = set().union(*(c.generations for c in clients))
        self.assertIn(1, seen)
        self.assertIn(7, seen, "the clients' new connections reach the last version")
        self.assertTrue(seen <= set(range(1, 8)), seen)
        self.assertEqual(self.generation(), 7)
        self.assertTrue(irulesd.alive())
        log = self.log_text()
        self.assertNotIn("rule not loaded", log)
        self.assertNotIn("TCL error", log)
        print(f"{sum(c.answers for c in clients)} answers during 7 reloads of {RULES} rules; generations seen {sorted(seen)}")


if __name__ == "__main__":
    harness.main()
