"""The harness's sanitizer check (scripts/test --sanitize): an irulesd whose output holds an
AddressSanitizer, LeakSanitizer or UBSan report fails the test that started it, and so does one that
had to be killed under IRULESD_SANITIZE (its leak check never ran). Stand-in daemons (small Python
scripts named irulesd) print what a sanitizer would; no sockets."""

import os
import signal
import stat

import harness

ASAN_REPORT = """=================================================================
==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc 0x1 bp 0x2 sp 0x3
READ of size 1 at 0x602000000010 thread T1
    #0 0x55 in irulesd::ProxyConnection::on_read core/proxy_connection.cc:10
SUMMARY: AddressSanitizer: heap-use-after-free core/proxy_connection.cc:10 in on_read
"""
LSAN_REPORT = """
=================================================================
==4242==ERROR: LeakSanitizer: detected memory leaks

Direct leak of 544 byte(s) in 1 object(s) allocated from:
    #0 0x7f in malloc
SUMMARY: AddressSanitizer: 544 byte(s) leaked in 1 allocation(s).
"""
UBSAN_REPORT = ("core/config_parser.cc:120:17: runtime error: signed integer overflow: "
                "2147483647 + 1 cannot be represented in type 'int'\n"
                "SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior core/config_parser.cc:120:17\n")

# A stand-in irulesd: prints its start line, and on SIGTERM prints REPORT and exits 0 (or ignores
# SIGTERM when IGNORE_TERM is set).
FAKE_DAEMON = """#!/usr/bin/python3
import signal, sys, time
REPORT = {report!r}
def on_term(signum, frame):
    sys.stderr.write(REPORT)
    sys.stderr.flush()
    sys.exit(0)
signal.signal(signal.SIGTERM, signal.SIG_IGN if {ignore_term!r} else on_term)
print("irulesd starting", flush=True)
while True:
    time.sleep(0.05)
"""

# A stand-in `irulesd --check`: prints REPORT and exits 0.
FAKE_CHECK = """#!/usr/bin/python3
import sys
sys.stdout.write("check: 1 virtual server, 0 rules: OK\\n")
sys.stderr.write({report!r})
"""


class SanitizerCheck(harness.IrulesdTestCase):

    def fake(self, text, subdir="fake"):
        """Writes an executable named irulesd into TMP/SUBDIR; returns its path."""
        path = self.write_file(os.path.join(subdir, "irulesd"), text)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        return path

    def start_fake(self, report, ignore_term=False):
        path = self.fake(FAKE_DAEMON.format(report=report, ignore_term=ignore_term))
        process = self.start_process(harness.Process("irulesd", [path], os.path.join(self.tmp, "irulesd.out")))
        self.wait_output(process, "irulesd starting")
        return process

    def expect_failure(self, *fragments):
        """check_sanitizers() must fail with every fragment in its message; the processes are then
        forgotten so that the cleanup's own check passes."""
        with self.assertRaises(AssertionError) as caught:
            self.check_sanitizers()
        for fragment in fragments:
            self.assertIn(fragment, str(caught.exception))
        for process in self.processes:
            process.stop()
        self.processes = []

    def test_reports_are_recognized(self):
        for report, first_line in ((ASAN_REPORT, "==4242==ERROR: AddressSanitizer: heap-use-after-free"),
                                   (LSAN_REPORT, "==4242==ERROR: LeakSanitizer: detected memory leaks"),
                                   (UBSAN_REPORT, "core/config_parser.cc:120:17: runtime error: signed")):
            found = harness.sanitizer_report("irulesd starting\nlog line\n" + report)
            self.assertIsNotNone(found, report)
            self.assertTrue(found.startswith(first_line), found)

    def test_ordinary_output_is_not_a_report(self):
        text = ("irulesd starting: config bigip.conf, 1 workers\n"
                "TCL error: /Common/r <HTTP_REQUEST> - runtime error in the rule\n"
                "Rule /Common/r <HTTP_REQUEST>: AddressSanitizer is a word a rule may log\n"
                "irulesd stopped\n")
        self.assertIsNone(harness.sanitizer_report(text))

    def test_asan_report_at_stop_fails_the_test(self):
        process = self.start_fake(ASAN_REPORT)
        self.assertEqual(process.stop(), 0)
        self.expect_failure("printed a sanitizer report", "heap-use-after-free",
                            "core/proxy_connection.cc:10")

    def test_leak_report_at_exit_fails_the_test(self):
        process = self.start_fake(LSAN_REPORT)
        process.signal(signal.SIGTERM)
        self.assertEqual(process.wait(harness.STOP_TIMEOUT), 0)
        self.expect_failure("ERROR: LeakSanitizer: detected memory leaks", "Direct leak of 544 byte(s)")

    def test_clean_stop_passes(self):
        process = self.start_fake("irulesd stopped\n")
        self.assertEqual(process.stop(), 0)
        self.check_sanitizers()   # no report: no failure

    def test_other_processes_are_not_scanned(self):
        # A backend's output is its own business (a Python traceback may say anything).
        path = self.write_file("backend.py", "import sys\nsys.stderr.write(%r)\n" % UBSAN_REPORT)
        process = self.start_process(harness.Process("backend", [harness.PYTHON, path],
                                                     os.path.join(self.tmp, "backend.out")))
        process.wait(harness.STOP_TIMEOUT)
        self.check_sanitizers()

    def test_killed_irulesd_fails_under_sanitize(self):
        process = self.start_fake("", ignore_term=True)
        process.stop(timeout=0.3)
        self.assertTrue(process.killed)
        saved = harness.SANITIZE
        try:
            harness.SANITIZE = False
            self.check_sanitizers()   # an ordinary run does not mind
            harness.SANITIZE = True
            self.expect_failure("was killed: its leak check at exit did not run")
        finally:
            harness.SANITIZE = saved

    def test_check_run_with_a_report_fails(self):
        path = self.fake(FAKE_CHECK.format(report=UBSAN_REPORT), subdir="check")
        saved = os.environ.get("IRULESD_BIN")
        os.environ["IRULESD_BIN"] = path
        try:
            config = self.write_config("# empty\n")
            with self.assertRaises(AssertionError) as caught:
                self.run_check(config)
            self.assertIn("irulesd --check (exit 0) printed a sanitizer report", str(caught.exception))
            self.assertIn("runtime error: signed integer overflow", str(caught.exception))
            os.environ["IRULESD_BIN"] = self.fake(FAKE_CHECK.format(report=""), subdir="clean")
            status, output = self.run_check(config)
            self.assertEqual((status, output), (0, "check: 1 virtual server, 0 rules: OK\n"))
        finally:
            if saved is None:
                del os.environ["IRULESD_BIN"]
            else:
                os.environ["IRULESD_BIN"] = saved


if __name__ == "__main__":
    harness.main()
