"""Support for the fault, slow-client and reload-under-load tests (test_faults.py,
test_slow_clients.py, test_reload_under_load.py): what irulesd holds (its descriptors and resident
memory, read from /proc), irulesd started under a low descriptor limit, clients from chosen source
addresses, a log reader that does not re-read a large log from its start, and wrk's summary.

Kept apart from harness.py (shared by every script) so these heavier tests can grow their own tools.
"""

import os
import re
import socket
import struct
import time

import harness

# Under the sanitizers (scripts/test --sanitize) freed memory sits in ASan's quarantine: resident
# memory says nothing about leaks there (LeakSanitizer checks them at exit instead).
SANITIZE = bool(os.environ.get("IRULESD_SANITIZE"))


# ---------------------------------------------------------------------------------------------
# What a process holds
# ---------------------------------------------------------------------------------------------

def fd_count(pid):
    """Open descriptors of a process (every worker thread shares them)."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    """Resident set size in KiB (VmRSS)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid):
    """User + system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks   # utime, stime (fields 14, 15 of stat)


def settle_fds(test, pid, baseline, timeout=10.0, slack=0):
    """Waits until the process holds at most baseline + slack descriptors; returns the count.
    Closing is asynchronous (libuv closes in a later loop turn), hence the wait."""
    deadline = time.monotonic() + timeout
    count = fd_count(pid)
    while count > baseline + slack and time.monotonic() < deadline:
        time.sleep(0.05)
        count = fd_count(pid)
    return count


def open_fds_listing(pid):
    """What each descriptor points at (for a failure message)."""
    out = []
    for name in sorted(os.listdir(f"/proc/{pid}/fd"), key=int):
        try:
            out.append(f"{name} -> {os.readlink(f'/proc/{pid}/fd/{name}')}")
        except OSError:
            pass
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# irulesd with a low RLIMIT_NOFILE
# ---------------------------------------------------------------------------------------------

# Sets the descriptor limit, then becomes the program (same pid): a preexec step that leaves
# harness.Process's own start-up (and whatever it records about its child) untouched.
_LIMIT_THEN_EXEC = ("import os, resource, sys; n = int(sys.argv[1]); "
                    "resource.setrlimit(resource.RLIMIT_NOFILE, (n, n)); "
                    "os.execv(sys.argv[2], sys.argv[2:])")


class LimitedProcess(harness.Process):
    """A harness.Process whose descriptor limit (soft and hard: irulesd raises its soft limit to
    the hard one at start) is set before exec. argv stays the program's own, so the harness
    treats it as what it is (an irulesd: its sanitizer report is looked for)."""

    def __init__(self, name, argv, output_path, nofile):
        super().__init__(name, [harness.PYTHON, "-c", _LIMIT_THEN_EXEC, str(nofile), *argv],
                         output_path)
        self.argv = list(argv)


def start_limited_irulesd(test, config_path, nofile, wait_for, workers=1):
    """Like IrulesdTestCase.start_irulesd, under RLIMIT_NOFILE = nofile."""
    argv = [harness.find_irulesd(), "--config", config_path, "--log", test.log_path,
            "--workers", str(workers)]
    process = test.start_process(LimitedProcess("irulesd", argv,
                                                os.path.join(test.tmp, "irulesd.out"), nofile))
    test.irulesd = process
    for host, port in wait_for:
        test.wait_port(process, host, port)
    return process


# ---------------------------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------------------------

def connect_from(source, address, timeout=harness.TIMEOUT):
    """A TCP connection from a chosen local address (any of 127.0.0.0/8 works on loopback):
    spreading clients over many source addresses saves ephemeral ports."""
    return socket.create_connection(address, timeout=timeout, source_address=(source, 0))


class SourcedClient(harness.RawClient):
    """A harness.RawClient whose connection comes from a given local address."""

    def __init__(self, source, address, timeout=harness.TIMEOUT):
        self.sock = connect_from(source, address, timeout)
        self.reader = self.sock.makefile("rb")


def abort(sock):
    """Closes with a reset (SO_LINGER 0): the peer vanished, it did not say goodbye."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def outcome(sock, timeout=harness.TIMEOUT):
    """Reads until the peer ends the connection: (bytes, 'eof' | 'reset' | 'timeout')."""
    sock.settimeout(timeout)
    chunks = []
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return b"".join(chunks), "eof"
            chunks.append(data)
    except ConnectionResetError:
        return b"".join(chunks), "reset"
    except (TimeoutError, socket.timeout):
        return b"".join(chunks), "timeout"


# ---------------------------------------------------------------------------------------------
# The log, read from an offset (a load test's log grows to megabytes)
# ---------------------------------------------------------------------------------------------

def log_lines_since(test, offset):
    """(lines after byte offset, new offset)."""
    try:
        with open(test.log_path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError:
        return [], offset
    end = data.rfind(b"\n") + 1   # a line still being written waits for the next read
    return data[:end].decode("utf-8", "replace").splitlines(), offset + end


def log_offset(test):
    try:
        return os.path.getsize(test.log_path)
    except OSError:
        return 0


def wait_log_from(test, pattern, offset, timeout=harness.TIMEOUT):
    """Waits for a line after byte offset that matches the regex: (line, offset past it)."""
    regex = re.compile(pattern)
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        lines, next_offset = log_lines_since(test, offset)
        position = offset
        for line in lines:
            position += len(line.encode("utf-8", "replace")) + 1
            if regex.search(line):
                return line, position
        seen += lines
        offset = next_offset
        if time.monotonic() >= deadline:
            test.fail(f"no log line matching {pattern!r} within {timeout} s; last lines:\n" +
                      "\n".join(seen[-20:]))
        time.sleep(0.02)


def count_log(test, pattern, offset=0):
    regex = re.compile(pattern)
    lines, _ = log_lines_since(test, offset)
    return sum(1 for line in lines if regex.search(line))


# ---------------------------------------------------------------------------------------------
# wrk
# ---------------------------------------------------------------------------------------------

WRK = "/usr/bin/wrk"


def parse_wrk(text):
    """wrk's summary: {'requests', 'non2xx', 'connect', 'read', 'write', 'timeout'}."""
    result = {"requests": None, "non2xx": 0, "connect": 0, "read": 0, "write": 0, "timeout": 0}
    match = re.search(r"(\d+) requests in", text)
    if match:
        result["requests"] = int(match.group(1))
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if match:
        result["non2xx"] = int(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if match:
        for key, value in zip(("connect", "read", "write", "timeout"), match.groups()):
            result[key] = int(value)
    return result
