"""Shared helpers for the integration tests: the real irulesd binary, real sockets, real clients.

Each test_*.py script is run by ctest as `/usr/bin/python3 SCRIPT` with
    IRULESD_BIN         path of the irulesd binary
    IRULESD_SOURCE_DIR  the repository root (also the working directory)
Without them (running a script by hand) the repository is found from this file and the binary in
build/ or build-*/.

IrulesdTestCase gives every test a temporary directory and helpers that write a config and rules
there, start irulesd (`--workers 1 --log TMP/irulesd.log` unless told otherwise), gateways
(examples/websocket-gateways/gateway.py) and HTTP backends (http_backend.py), and stop every process
it started by pid (SIGTERM, then SIGKILL after a timeout) even when the test fails. When a test fails,
the irulesd log and every process's output are printed to stderr.

Sanitizers (`scripts/test --sanitize`): every irulesd a test started, and every `--check` run, has its
output scanned when it is over; an AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer
report in it fails the test. LeakSanitizer only runs when irulesd returns from main, which SIGTERM
gives it (drain, then exit 0): with IRULESD_SANITIZE=1 (set by scripts/test --sanitize) an irulesd
that had to be killed with SIGKILL fails the test too, since its leak check never ran.

Each script uses its own 127.0.N.x addresses (all of 127.0.0.0/8 is loopback on Linux), so scripts
never collide: the virtual server on 127.0.N.10, pool members on 127.0.N.11-13, self IP 127.0.N.20.
"""

import asyncio
import fcntl
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import websockets

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("IRULESD_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
PYTHON = "/usr/bin/python3"
GATEWAY_PY = os.path.join(SOURCE_DIR, "examples", "websocket-gateways", "gateway.py")
ECHO_CLIENT_PY = os.path.join(SOURCE_DIR, "examples", "websocket-gateways", "echo_client.py")
EXAMPLE_DIR = os.path.join(SOURCE_DIR, "examples", "websocket-gateways")
BACKEND_PY = os.path.join(HERE, "http_backend.py")
RULES_DIR = os.path.join(SOURCE_DIR, "irules")
FIXTURES_DIR = os.path.join(SOURCE_DIR, "test", "fixtures")

SANITIZE = os.environ.get("IRULESD_SANITIZE") == "1"
TIMEOUT = 10.0        # seconds for any single client step (connect, send, receive)
START_TIMEOUT = 10.0  # seconds for a process to start listening
STOP_TIMEOUT = 10.0   # seconds between SIGTERM and SIGKILL
LOCK_TIMEOUT = 240.0  # seconds to wait for another run of the same script (same addresses)


# What the sanitizers print (to stderr, which Process sends to its output file): ASan and LSan's
# "==PID==ERROR: AddressSanitizer: ..." / "ERROR: LeakSanitizer: ...", every sanitizer's closing
# "SUMMARY: XSanitizer: ...", and UBSan's "FILE:LINE:COL: runtime error: ...".
SANITIZER_REPORT = re.compile(r"^==\d+==\s*(ERROR|WARNING): \w*Sanitizer\b|^SUMMARY: \w*Sanitizer\b|"
                              r": runtime error: ", re.MULTILINE)


def sanitizer_report(text):
    """The sanitizer report in a process's output, from its first line on (at most 8000
    characters), or None when there is none."""
    match = SANITIZER_REPORT.search(text)
    if match is None:
        return None
    start = text.rfind("\n", 0, match.start()) + 1
    return text[start:start + 8000]


def is_irulesd(argv):
    return os.path.basename(argv[0]) == "irulesd"


def find_irulesd():
    binary = os.environ.get("IRULESD_BIN")
    if binary:
        return binary
    candidates = [os.path.join(SOURCE_DIR, "build", "irulesd")]
    candidates += sorted(glob.glob(os.path.join(SOURCE_DIR, "build-*", "irulesd")))
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    raise unittest.SkipTest("irulesd binary not found: set IRULESD_BIN")


# ---------------------------------------------------------------------------------------------
# Configuration text
# ---------------------------------------------------------------------------------------------

def make_config(net, *, members=None, rules=(), profiles=("/Common/http", "/Common/tcp"),
                snat="automap", port=8080, pool="/Common/test_pool", virtual="/Common/test_vs",
                extra=""):
    """A bigip.conf: self IP NET.20 on /Common/internal, one node per member, a round-robin pool,
    and a virtual server on NET.10:PORT. members: [(node name, address, port)], default one
    backend on NET.11:8001. extra is appended (inline rules, http profiles)."""
    if members is None:
        members = [("backend-1", f"{net}.11", 8001)]
    out = [
        "net self /Common/internal-self {",
        f"    address {net}.20/24",
        "    vlan /Common/internal",
        "}",
    ]
    seen_nodes = set()
    for name, address, _ in members:
        if name not in seen_nodes:
            seen_nodes.add(name)
            out += [f"ltm node /Common/{name} {{", f"    address {address}", "}"]
    out += [f"ltm pool {pool} {{", "    load-balancing-mode round-robin", "    members {"]
    for name, address, member_port in members:
        out += [f"        /Common/{name}:{member_port} {{", f"            address {address}",
                "        }"]
    out += ["    }", "}"]
    out += [
        f"ltm virtual {virtual} {{",
        f"    destination /Common/{net}.10:{port}",
        "    ip-protocol tcp",
        "    mask 255.255.255.255",
        f"    pool {pool}",
        "    profiles {",
    ]
    out += [f"        {profile} {{ }}" for profile in profiles]
    out += ["    }"]
    if rules:
        out += ["    rules {"] + [f"        {rule}" for rule in rules] + ["    }"]
    out += [
        "    source 0.0.0.0/0",
        "    source-address-translation {",
        f"        type {snat}",
        "    }",
        "}",
    ]
    text = "\n".join(out) + "\n"
    if extra:
        text += extra if extra.endswith("\n") else extra + "\n"
    return text


def inline_rule(name, tcl):
    """`ltm rule NAME { TCL }` (TCL must have balanced braces, as in any bigip.conf)."""
    return f"ltm rule {name} {{\n{tcl.strip(chr(10))}\n}}\n"


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------

class Process:
    """A child process whose stdout+stderr go to a file in the test's temporary directory."""

    killed = False   # stop() had to use SIGKILL (a class default: subclasses may skip __init__)

    def __init__(self, name, argv, output_path, env=None):
        self.name = name
        self.argv = argv
        self.output_path = output_path
        self._output = open(output_path, "wb")
        self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._output,
                                      stderr=subprocess.STDOUT, cwd=SOURCE_DIR, env=env)

    @property
    def pid(self):
        return self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def output(self):
        try:
            with open(self.output_path, "r", encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def signal(self, signum):
        if self.alive():
            self.popen.send_signal(signum)

    def wait(self, timeout):
        """Returns the exit status, or None if it is still running after timeout."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, then SIGKILL after timeout. Returns the exit status."""
        if self.alive():
            self.popen.terminate()
            if self.wait(timeout) is None:
                self.killed = True
                self.popen.kill()
                self.popen.wait(timeout=timeout)
        self._output.close()
        return self.popen.returncode


class Backend(Process):
    """http_backend.py: records every connection and request it gets to a JSON-lines file."""

    def __init__(self, name, host, port, tmp):
        self.record_path = os.path.join(tmp, f"backend-{name}.jsonl")
        self.host, self.port = host, port
        super().__init__(name, [PYTHON, BACKEND_PY, "--name", name, "--host", host,
                                "--port", str(port), "--record", self.record_path],
                         os.path.join(tmp, f"backend-{name}.out"))

    def records(self):
        try:
            with open(self.record_path, "r", encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.endswith("\n")]
        except FileNotFoundError:
            return []

    def requests(self):
        return [r for r in self.records() if r["event"] == "request"]

    def connections(self):
        return [r for r in self.records() if r["event"] == "connection"]

    def closed(self):
        """Connections that are over (the peer closed, or this backend did)."""
        return [r for r in self.records() if r["event"] == "closed"]


def port_accepts(host, port, timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# The test case base class
# ---------------------------------------------------------------------------------------------

class IrulesdTestCase(unittest.TestCase):
    """Base class: a temporary directory per test, process helpers, cleanup, diagnostics."""

    maxDiff = None
    _script_lock = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Two runs of the same script at once (two checkouts, or ctest in two build dirs) would use
        # the same addresses: the second waits for the first. Held until this process exits.
        if IrulesdTestCase._script_lock is None:
            script = os.path.basename(getattr(sys.modules.get(cls.__module__), "__file__", "") or
                                      cls.__module__)
            path = os.path.join(tempfile.gettempdir(), f"irulesd-integration-{script}.lock")
            lock = open(path, "a")
            deadline = time.monotonic() + LOCK_TIMEOUT
            waiting = False
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"another run of {script} holds {path} for "
                                           f"{LOCK_TIMEOUT} s")
                    if not waiting:
                        sys.stderr.write(f"waiting for another run of {script} ({path})\n")
                        waiting = True
                    time.sleep(0.2)
            IrulesdTestCase._script_lock = lock

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix=f"irulesd-{self._testMethodName}-")
        self.processes = []
        self.irulesd = None
        self.log_path = os.path.join(self.tmp, "irulesd.log")
        self.addCleanup(self.stop_all)

    def run(self, result=None):
        # Dump diagnostics after cleanups have stopped every process, then drop the directory.
        if result is None:
            result = self.defaultTestResult()
        problems_before = len(result.failures) + len(result.errors)
        try:
            return super().run(result)
        finally:
            if len(result.failures) + len(result.errors) > problems_before:
                self.dump_diagnostics()
            tmp = getattr(self, "tmp", None)
            if tmp and not os.environ.get("IRULESD_KEEP_TMP"):
                shutil.rmtree(tmp, ignore_errors=True)

    def dump_diagnostics(self):
        out = sys.stderr
        out.write(f"\n===== diagnostics for {self.id()} (tmp {getattr(self, 'tmp', '?')}) =====\n")
        out.write(f"----- irulesd log {self.log_path} -----\n{self.log_text()}\n")
        for process in getattr(self, "processes", []):
            out.write(f"----- {process.name} (pid {process.pid}, exit {process.popen.returncode}) "
                      f"{' '.join(process.argv)} -----\n{process.output()}\n")
        out.write("===== end of diagnostics =====\n")
        out.flush()

    # -- files -------------------------------------------------------------------------------

    def write_file(self, relative_path, text, mode="w"):
        path = os.path.join(self.tmp, relative_path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, mode) as f:
            f.write(text)
        return path

    def write_config(self, text, name="bigip.conf"):
        """Written whole, then renamed over the old one (as an editor saves): a SIGHUP sent while the test
        writes the next config, or right after, never reads half a file."""
        path = self.write_file(name + ".new", text)
        os.replace(path, os.path.join(self.tmp, name))
        return os.path.join(self.tmp, name)

    def rules_dir(self):
        path = os.path.join(self.tmp, "rules")
        os.makedirs(path, exist_ok=True)
        return path

    def write_rule(self, short_name, tcl):
        """RULES_DIR/SHORT_NAME.tcl in this test's rules dir; returns its path."""
        return self.write_file(os.path.join("rules", short_name + ".tcl"), tcl)

    # -- processes ---------------------------------------------------------------------------

    def start_process(self, process):
        self.processes.append(process)
        return process

    def stop_all(self):
        for process in self.processes:   # everyone gets SIGTERM at once, then we wait for each
            process.signal(signal.SIGTERM)
        for process in self.processes:
            process.stop()
        self.check_sanitizers()

    def check_sanitizers(self):
        """Fails the test when an irulesd it started printed a sanitizer report, or (under
        IRULESD_SANITIZE) had to be killed before its leak check could run. Called once every
        process is over, so a report printed at exit (LeakSanitizer) is seen."""
        problems = []
        for process in self.processes:
            if not is_irulesd(process.argv):
                continue
            report = sanitizer_report(process.output())
            if report is not None:
                problems.append(f"irulesd (pid {process.pid}, exit {process.popen.returncode}) printed "
                                f"a sanitizer report:\n{report}")
            elif SANITIZE and process.killed:
                problems.append(f"irulesd (pid {process.pid}) was still running {STOP_TIMEOUT} s after "
                                f"SIGTERM and was killed: its leak check at exit did not run")
        if problems:
            self.fail("\n".join(problems))

    def start_irulesd(self, config_path, *, rules_dir=None, workers=1, wait_for=None,
                      extra_args=()):
        """Starts irulesd and waits until every (host, port) in wait_for accepts connections."""
        binary = find_irulesd()
        for host, port in wait_for or ():
            self.assertFalse(port_accepts(host, port),
                             f"{host}:{port} is already taken by another process before irulesd "
                             f"started (a leftover from an earlier run?)")
        argv = [binary, "--config", config_path, "--log", self.log_path]
        if rules_dir is not None:
            argv += ["--rules-dir", rules_dir]
        if workers is not None:
            argv += ["--workers", str(workers)]
        argv += list(extra_args)
        process = self.start_process(Process("irulesd", argv, os.path.join(self.tmp, "irulesd.out")))
        self.irulesd = process
        for host, port in wait_for or ():
            self.wait_port(process, host, port)
        return process

    def wait_port(self, process, host, port, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not process.alive():
                self.fail(f"{process.name} exited with status {process.popen.returncode} before "
                          f"{host}:{port} accepted connections")
            if port_accepts(host, port, timeout=0.5):
                return
            time.sleep(0.05)
        self.fail(f"{process.name}: {host}:{port} does not accept connections after {timeout} s")

    def wait_output(self, process, text, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in process.output():
                return
            if not process.alive():
                self.fail(f"{process.name} exited with status {process.popen.returncode}: "
                          f"{process.output()}")
            time.sleep(0.05)
        self.fail(f"{process.name} did not print {text!r} within {timeout} s: {process.output()}")

    def start_gateway(self, name, host, port=8001):
        """examples/websocket-gateways/gateway.py; returns once it is listening (it exits with
        'cannot listen' when the address is taken)."""
        process = self.start_process(Process(
            name, [PYTHON, GATEWAY_PY, "--name", name, "--host", host, "--port", str(port)],
            os.path.join(self.tmp, f"gateway-{name}.out")))
        self.wait_output(process, "listening")
        return process

    def start_backend(self, name, host, port=8001):
        """http_backend.py; returns the Backend once it is listening (it exits with 'cannot
        listen' when the address is taken; no probe here, a probe would count as a connection)."""
        backend = self.start_process(Backend(name, host, port, self.tmp))
        self.wait_output(backend, "listening")
        return backend

    def run_check(self, config_path, rules_dir=None, timeout=30):
        """`irulesd --config FILE [--rules-dir DIR] --check`: returns (exit status, stdout+stderr)."""
        argv = [find_irulesd(), "--config", config_path]
        if rules_dir is not None:
            argv += ["--rules-dir", rules_dir]
        argv.append("--check")
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, cwd=SOURCE_DIR, timeout=timeout)
        output = done.stdout.decode("utf-8", "replace")
        report = sanitizer_report(output)
        if report is not None:
            self.fail(f"irulesd --check (exit {done.returncode}) printed a sanitizer report:\n{report}")
        return done.returncode, output

    def reload(self):
        """SIGHUP to irulesd (the caller waits for the effect: a reload is asynchronous)."""
        self.assertTrue(self.irulesd.alive(), "irulesd is not running")
        self.irulesd.signal(signal.SIGHUP)

    # -- the irulesd log ---------------------------------------------------------------------

    def log_text(self):
        try:
            with open(self.log_path, "r", encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_size(self):
        return len(self.log_text())

    def wait_log(self, pattern, start=0, timeout=TIMEOUT):
        """Waits until a line of the log after offset start matches the regex; returns the line."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_text()[start:].splitlines():
                if regex.search(line):
                    return line
            if time.monotonic() >= deadline:
                self.fail(f"no log line matching {pattern!r} within {timeout} s; log since offset "
                          f"{start}:\n{self.log_text()[start:]}")
            time.sleep(0.05)

    def wait_until(self, predicate, timeout=TIMEOUT, message="condition", interval=0.1):
        """Polls predicate() until it returns a true value; returns that value."""
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            try:
                value = predicate()
                if value:
                    return value
            except Exception as error:  # polling: remember why, try again
                last_error = error
            time.sleep(interval)
        self.fail(f"{message} not reached within {timeout} s (last error: {last_error!r})")


# ---------------------------------------------------------------------------------------------
# HTTP clients: curl and raw sockets
# ---------------------------------------------------------------------------------------------

def curl(*args, timeout=TIMEOUT):
    """Runs curl (never through a proxy); returns the CompletedProcess (stdout as bytes)."""
    argv = ["curl", "--silent", "--show-error", "--noproxy", "*", "--max-time", str(int(timeout))]
    argv += list(args)
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout + 10)


class HttpResponse:
    def __init__(self, version, status, reason, headers, body):
        self.version, self.status, self.reason = version, status, reason
        self.headers = headers  # [(name, value)] in order
        self.body = body

    def header(self, name):
        """The last value of header name (case-insensitive), or None."""
        values = self.header_values(name)
        return values[-1] if values else None

    def header_values(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<HttpResponse {self.status} {self.reason} {self.headers} {self.body[:200]!r}>"


class ConnectionClosed(Exception):
    """The peer closed the connection where a response was expected."""


class RawClient:
    """One TCP connection with exact control over the bytes sent; parses HTTP/1.1 responses."""

    def __init__(self, host, port, timeout=TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.reader = self.sock.makefile("rb")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.reader.close()
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _line(self):
        line = self.reader.readline(65537)
        if not line:
            raise ConnectionClosed("connection closed")
        return line

    def read_response(self, method="GET"):
        """Reads one final response (1xx interim responses are skipped)."""
        while True:
            status_line = self._line().decode("latin-1").rstrip("\r\n")
            parts = status_line.split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/"):
                raise AssertionError(f"not an HTTP status line: {status_line!r}")
            status = int(parts[1])
            headers = []
            while True:
                line = self._line().decode("latin-1").rstrip("\r\n")
                if not line:
                    break
                name, _, value = line.partition(":")
                headers.append((name, value.strip()))
            if 100 <= status < 200 and status != 101:
                continue
            break
        response = HttpResponse(parts[0], status, parts[2] if len(parts) > 2 else "", headers, b"")
        if method == "HEAD" or status in (101, 204, 304):
            return response
        if "chunked" in (response.header("Transfer-Encoding") or "").lower():
            body = []
            while True:
                size = int(self._line().split(b";")[0].strip(), 16)
                if size == 0:
                    while self._line() not in (b"\r\n", b"\n"):
                        pass
                    break
                body.append(self._read_exact(size))
                self._read_exact(2)
            response.body = b"".join(body)
        elif response.header("Content-Length") is not None:
            response.body = self._read_exact(int(response.header("Content-Length")))
        else:
            response.body = self.reader.read()
        return response

    def _read_exact(self, n):
        data = self.reader.read(n)
        if len(data) != n:
            raise ConnectionClosed(f"connection closed after {len(data)} of {n} bytes")
        return data

    def read_until_close(self):
        """Everything up to the peer's close. Returns (bytes, how): how is 'eof' (FIN), 'reset'
        (RST), or 'timeout' (still open after the socket's timeout)."""
        chunks = []
        try:
            while True:
                data = self.reader.read1(65536)
                if not data:
                    return b"".join(chunks), "eof"
                chunks.append(data)
        except ConnectionResetError:
            return b"".join(chunks), "reset"
        except TimeoutError:
            return b"".join(chunks), "timeout"


def request_bytes(method, path, host, headers=(), body=b""):
    """An HTTP/1.1 request exactly as given: headers [(name, value)], Content-Length when body."""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    for name, value in headers:
        head += f"{name}: {value}\r\n"
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode("latin-1") + b"\r\n" + body


# ---------------------------------------------------------------------------------------------
# WebSocket clients (python3-websockets 10.4)
# ---------------------------------------------------------------------------------------------

async def _ws_session(url, messages, timeout):
    async with websockets.connect(url, open_timeout=timeout, close_timeout=timeout,
                                  max_size=None, compression=None) as ws:
        echoes = []
        for message in messages:
            await asyncio.wait_for(ws.send(message), timeout)
            echoes.append(await asyncio.wait_for(ws.recv(), timeout))
        return ws.response_headers, echoes


def ws_echo(url, messages, timeout=TIMEOUT):
    """One WebSocket connection: sends each message, waits for its echo.
    Returns (handshake response headers, [echoes]); raises on any failure."""
    return asyncio.run(asyncio.wait_for(_ws_session(url, messages, timeout),
                                        timeout * (2 + len(messages))))


def ws_handshake_error(url, timeout=TIMEOUT):
    """Attempts a handshake; returns the exception it raised, or None when it succeeded."""
    try:
        ws_echo(url, [], timeout)
    except Exception as error:  # the caller asserts on the kind
        return error
    return None


def main():
    """unittest.main with verbose output; exits non-zero on any failure."""
    unittest.main(verbosity=2)
