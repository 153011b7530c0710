"""`irulesd --check`: a good configuration exits 0; a bad one exits 1 and says FILE:LINE: message, for
errors in the configuration itself, in inline rules and in rule files (test/fixtures/check/*.conf,
test/fixtures/rules/broken.tcl). No sockets."""

import os
import re

import harness

CHECK_DIR = os.path.join("test", "fixtures", "check")      # relative: as a user would type it
FIXTURE_RULES = os.path.join("test", "fixtures", "rules")


def fixture(name):
    return os.path.join(CHECK_DIR, name)


def line_of(path, text, occurrence=1):
    """1-based number of the line of path that contains text (its n-th occurrence)."""
    with open(os.path.join(harness.SOURCE_DIR, path)) as f:
        hits = [n for n, line in enumerate(f, 1) if text in line]
    return hits[occurrence - 1]


class Check(harness.IrulesdTestCase):

    def check_fails_at(self, config, file_shown, lines, rules_dir=harness.RULES_DIR):
        """--check exits 1 and reports FILE:LINE: with FILE ending in file_shown, LINE in lines."""
        status, output = self.run_check(config, rules_dir=rules_dir)
        self.assertEqual(status, 1, f"--check must exit 1 on {config}; output:\n{output}")
        found = [int(m.group(1)) for m in
                 re.finditer(r"%s:(\d+):" % re.escape(os.path.basename(file_shown)), output)]
        self.assertTrue(found, f"no '{os.path.basename(file_shown)}:LINE:' in the output:\n{output}")
        self.assertTrue(set(found) & set(lines),
                        f"expected the error on line {sorted(lines)} of {file_shown}, got "
                        f"{found}:\n{output}")
        return output

    def test_good_config_exits_zero(self):
        status, output = self.run_check(fixture("good.conf"), rules_dir=harness.RULES_DIR)
        self.assertEqual(status, 0, output)

    def test_the_example_exits_zero(self):
        status, output = self.run_check(os.path.join("examples", "websocket-gateways", "bigip.conf"),
                                        rules_dir="irules")
        self.assertEqual(status, 0, output)

    def test_unknown_object(self):
        path = fixture("bad-unknown-object.conf")
        output = self.check_fails_at(path, path, {line_of(path, "ltm frobnicator")})
        self.assertIn("frobnicator", output)

    def test_unknown_property(self):
        path = fixture("bad-unknown-property.conf")
        output = self.check_fails_at(path, path, {line_of(path, "frobnicate yes")})
        self.assertIn("frobnicate", output)

    def test_undefined_pool(self):
        path = fixture("bad-undefined-pool.conf")
        output = self.check_fails_at(path, path, {line_of(path, "no_such_pool"),
                                                  line_of(path, "ltm virtual")})
        self.assertIn("no_such_pool", output)

    def test_missing_rule(self):
        path = fixture("bad-missing-rule.conf")
        output = self.check_fails_at(path, path, {line_of(path, "/Common/no-such-rule"),
                                                  line_of(path, "rules {"),
                                                  line_of(path, "ltm virtual")})
        self.assertIn("no-such-rule", output)

    def test_unclosed_brace(self):
        path = fixture("bad-unclosed-brace.conf")
        with open(os.path.join(harness.SOURCE_DIR, path)) as f:
            last_line = len(f.read().splitlines())
        self.check_fails_at(path, path, set(range(line_of(path, "unclosed_pool"), last_line + 2)))

    def test_syntax_error_in_an_inline_rule(self):
        path = fixture("bad-rule-syntax.conf")
        # Anywhere inside the rule's text is acceptable; its own line is best.
        first, last = line_of(path, "ltm rule /Common/bad-syntax"), line_of(path, "x is $x") + 2
        self.check_fails_at(path, path, set(range(first, last + 1)))

    def test_syntax_error_in_a_rule_file(self):
        path = fixture("bad-rule-file.conf")
        rule_file = os.path.join(FIXTURE_RULES, "broken.tcl")
        first = line_of(rule_file, "when HTTP_REQUEST")
        self.check_fails_at(path, rule_file, set(range(first, first + 5)), rules_dir=FIXTURE_RULES)

    def test_missing_config_file(self):
        status, output = self.run_check(os.path.join(self.tmp, "no-such.conf"))
        self.assertEqual(status, 1, output)
        self.assertIn("no-such.conf", output)

    def test_check_does_not_start_serving(self):
        # --check returns by itself (run_check has a timeout) and does not leave a listener behind.
        status, _ = self.run_check(fixture("good.conf"), rules_dir=harness.RULES_DIR)
        self.assertEqual(status, 0)
        self.assertFalse(harness.port_accepts("127.0.8.10", 8080))

    def test_a_folder_of_rules_on_its_own(self):
        # What an administrator runs over a collection: one line per rule, the first error with its line.
        rules = os.path.join(self.tmp, "collection")
        os.makedirs(rules)
        files = {
            "dialect.tcl": 'when HTTP_REQUEST {\n  if { [HTTP::uri] starts_with "/a" }{ pool p }\n}\n',
            "wrong_event.tcl": "when HTTP_RESPONSE {\n  log local0. [HTTP::uri]\n}\n",
            "disabled.tcl": "when CLIENT_ACCEPTED {\n\n  exec ls\n}\n",
            "allow-ws.tcl": open(os.path.join(harness.RULES_DIR, "allow-ws.tcl")).read(),
        }
        for name, text in files.items():
            with open(os.path.join(rules, name), "w") as f:
                f.write(text)
        done = harness.subprocess.run([harness.find_irulesd(), "--check", "--rules-dir", rules],
                                      stdout=harness.subprocess.PIPE, stderr=harness.subprocess.STDOUT, timeout=30)
        output = done.stdout.decode()
        self.assertEqual(done.returncode, 1, output)
        self.assertEqual(output.splitlines(), [
            f"loaded /Common/allow-ws ({rules}/allow-ws.tcl)",
            f"loaded /Common/dialect ({rules}/dialect.tcl)",
            f"error  {rules}/disabled.tcl:3: rule /Common/disabled: command \"exec\" is disabled in iRules",
            f"error  {rules}/wrong_event.tcl:2: rule /Common/wrong_event: command \"HTTP::uri\" is not valid "
            "in event HTTP_RESPONSE",
            f"irulesd: 4 rules in {rules}, 2 loaded, 2 with errors",
        ])


if __name__ == "__main__":
    harness.main()
