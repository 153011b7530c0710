#!/usr/bin/python3
"""Reload with 1,000 rules: time from SIGHUP to the new version serving, and the p99 of a keep-alive wrk
run during repeated reloads against one without reloads (alternating within one run).

The config has --rules small rules (an HTTP_REQUEST `if {[HTTP::uri] starts_with ...}` with a header
insert). The benchmarked virtual (127.0.0.1:9410) carries --per-virtual of them; the rest sit in groups of
the same size on other virtuals (127.0.41.N:9410). Its first rule also has an HTTP_RESPONSE handler that
inserts `X-Config-Version: G`; every reload rewrites the config with the next G (so every rule is parsed
and compiled again, as on any reload) and sends SIGHUP.
"Serving" = a new client connection gets a response with the new G: a probe opens a connection, sends
one GET and reads the head, back to back, from just before the SIGHUP until it sees G (bounded: 10 s).

Per round, in alternating order: one wrk run without reloads and one with a reload every --interval s
(the first reload after 1 s). Every process it starts is stopped by pid.

    bench/reload.sh [--rounds 3] [--duration 8] [--conns 64] [--interval 1] [--workers 1]
"""

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"
BACKEND_PORT = 9401
VS_PORT = 9410
OTHER_NET = "127.0.41"

NGINX_CONF = """pid {tmp}/backend.pid;
error_log {tmp}/backend.error.log warn;
daemon off;
master_process off;
worker_processes 1;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_requests 100000000;
    server {{
        listen {host}:{port} backlog=4096;
        location / {{ default_type text/plain; return 200 "ok\\n"; }}
    }}
}}
"""


def rule_text(i, generation):
    text = (f"ltm rule /Common/rule_{i:04d} {{\n"
            f"when HTTP_REQUEST {{\n"
            f"  if {{ [HTTP::uri] starts_with \"/app{i}/\" }} {{\n"
            f"    HTTP::header insert X-App {i}\n"
            f"  }}\n"
            f"}}\n")
    if i == 0:
        text += f"when HTTP_RESPONSE {{\n  HTTP::header insert X-Config-Version {generation}\n}}\n"
    return text + "}\n"


def config_text(rules, per_virtual, generation):
    parts = [f"ltm pool /Common/bench_pool {{ members {{ /Common/b1:{BACKEND_PORT} {{ address {HOST} }} }} }}\n"]
    parts += [rule_text(i, generation) for i in range(rules)]
    groups = [list(range(start, min(start + per_virtual, rules))) for start in range(0, rules, per_virtual)]
    for g, members in enumerate(groups):
        dest = f"{HOST}:{VS_PORT}" if g == 0 else f"{OTHER_NET}.{g}:{VS_PORT}"
        names = " ".join(f"/Common/rule_{i:04d}" for i in members)
        parts.append(f"ltm virtual /Common/vs_{g:03d} {{\n    destination /Common/{dest}\n    ip-protocol tcp\n"
                     f"    pool /Common/bench_pool\n    profiles {{ /Common/http {{ }} /Common/tcp {{ }} }}\n"
                     f"    rules {{ {names} }}\n    source 0.0.0.0/0\n}}\n")
    return "".join(parts)


def write_config(path, args, generation):
    tmp = path + ".new"
    with open(tmp, "w") as f:
        f.write(config_text(args.rules, args.per_virtual, generation))
    os.replace(tmp, path)


def probe_version():
    """Version header of one request on a new connection, or None."""
    try:
        with socket.create_connection((HOST, VS_PORT), timeout=2) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                data = s.recv(4096)
                if not data:
                    break
                head += data
    except OSError:
        return None
    m = re.search(rb"\r\nX-Config-Version: *(\d+)", head, re.IGNORECASE)
    return int(m.group(1)) if m else None


class Reloader:
    def __init__(self, proc, path, args):
        self.proc, self.path, self.args = proc, path, args
        self.generation = 1
        self.times_ms = []

    def reload_once(self):
        self.generation += 1
        write_config(self.path, self.args, self.generation)
        t0 = time.monotonic()
        os.kill(self.proc.pid, signal.SIGHUP)
        while time.monotonic() - t0 < 10:
            if probe_version() == self.generation:
                self.times_ms.append((time.monotonic() - t0) * 1000)
                return
        raise RuntimeError(f"generation {self.generation} not serving 10 s after SIGHUP")


class LoneClient(threading.Thread):
    """One keep-alive connection sending GET after GET; keeps the slowest answer's time."""

    def __init__(self):
        super().__init__()
        self.halt = threading.Event()
        self.slowest_ms = 0.0

    def run(self):
        with socket.create_connection((HOST, VS_PORT), timeout=5) as s:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while not self.halt.is_set():
                t0 = time.monotonic()
                s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
                data = b""
                while not data.endswith(b"ok\n"):   # the backend's whole answer ends with its body
                    chunk = s.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                self.slowest_ms = max(self.slowest_ms, (time.monotonic() - t0) * 1000)

    def stop(self):
        self.halt.set()
        self.join()
        return self.slowest_ms


def lone_client_max_ms(seconds):
    client = LoneClient()
    client.start()
    time.sleep(seconds)
    return client.stop()


def to_us(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7}[m.group(2)]


def run_wrk(args, out):
    cmd = ["wrk", "-t1", f"-c{args.conns}", f"-d{args.duration}s", "--timeout", "5s", "--latency",
           f"http://{HOST}:{VS_PORT}/"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc


def parse_wrk(text):
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p50 = to_us(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
    p99 = to_us(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
    mx = to_us(re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", text, re.M).group(1))
    errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return rps, p50, p99, mx, errors + (int(m.group(1)) if m else 0)


def wait_port(host, port, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {host}:{port}")


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build-release", "irulesd"))
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--per-virtual", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--conns", type=int, default=64)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between reloads during a wrk run")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="reload-bench-")
    conf = os.path.join(tmp, "bigip.conf")
    write_config(conf, args, 1)
    with open(os.path.join(tmp, "backend.conf"), "w") as f:
        f.write(NGINX_CONF.format(tmp=tmp, host=HOST, port=BACKEND_PORT))
    print(f"# run dir {tmp}; {os.cpu_count()} cpus; {args.rules} rules, {args.per_virtual} on the measured virtual, "
          f"{-(-args.rules // args.per_virtual)} virtuals; irulesd {args.workers} worker(s); wrk -c{args.conns} "
          f"-d{args.duration}s keep-alive; a reload every {args.interval}s in the 'reloads' runs", flush=True)
    backend = proxy = wrk = None
    results = {"steady": [], "reloads": []}
    reloader = None
    try:
        backend = subprocess.Popen(["nginx", "-e", os.path.join(tmp, "backend.error.log"), "-p", tmp,
                                    "-c", os.path.join(tmp, "backend.conf")],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(HOST, BACKEND_PORT, backend)
        t0 = time.monotonic()
        proxy = subprocess.Popen([args.binary, "--config", conf, "--workers", str(args.workers),
                                  "--log", os.path.join(tmp, "irulesd.log")],
                                 stdout=open(os.path.join(tmp, "irulesd.out"), "w"), stderr=subprocess.STDOUT)
        wait_port(HOST, VS_PORT, proxy)
        while probe_version() != 1:
            if time.monotonic() - t0 > 30:
                raise RuntimeError("generation 1 never served")
            time.sleep(0.01)
        print(f"# start to first answer: {(time.monotonic() - t0) * 1000:.0f} ms", flush=True)
        reloader = Reloader(proxy, conf, args)
        # Idle reloads: the time to serving without load, and how long the worker stops answering while
        # it builds the new version (a lone keep-alive client, one request at a time: its slowest answer
        # during 1.5 s that hold a reload, against its slowest during 1.5 s that hold none).
        for _ in range(3):
            quiet = lone_client_max_ms(1.5)
            prober = LoneClient()
            prober.start()
            time.sleep(0.3)
            reloader.reload_once()
            time.sleep(1.2)
            busy = prober.stop()
            print(f"# idle reload: SIGHUP to new version serving {reloader.times_ms[-1]:.0f} ms; lone keep-alive client's "
                  f"slowest answer {busy:.1f} ms with the reload, {quiet:.1f} ms without", flush=True)
        reloader.times_ms.clear()

        for r in range(args.rounds):
            order = ["steady", "reloads"] if r % 2 == 0 else ["reloads", "steady"]
            for kind in order:
                wrk = run_wrk(args, tmp)
                stop_flag = threading.Event()
                failure = []

                def reload_loop():
                    try:
                        while not stop_flag.wait(args.interval):
                            reloader.reload_once()
                    except Exception as e:   # reported after the run
                        failure.append(e)

                thread = None
                if kind == "reloads":
                    thread = threading.Thread(target=reload_loop)
                    thread.start()
                out, _ = wrk.communicate(timeout=args.duration + 30)
                wrk = None
                if thread:
                    stop_flag.set()
                    thread.join()
                if failure:
                    raise failure[0]
                with open(os.path.join(tmp, f"wrk-{kind}-r{r + 1}.txt"), "w") as f:
                    f.write(out)
                rps, p50, p99, mx, errs = parse_wrk(out)
                results[kind].append((rps, p50, p99, mx, errs))
                print(f"  round {r + 1} {kind:8s} {rps:9.0f} req/s  p50 {p50:7.0f} us  p99 {p99:7.0f} us  "
                      f"max {mx:8.0f} us  errors {errs}", flush=True)
                time.sleep(1)
    finally:
        if wrk:
            wrk.kill()
            wrk.wait()
        stop(proxy)
        stop(backend)

    times = reloader.times_ms if reloader else []
    print()
    if times:
        print(f"SIGHUP to new version serving, under load ({len(times)} reloads): median {statistics.median(times):.0f} ms, "
              f"min {min(times):.0f}, max {max(times):.0f}")
    med = {k: [statistics.median(x[i] for x in v) for i in range(4)] for k, v in results.items()}
    s, rl = med["steady"], med["reloads"]
    print(f"{'':8s} {'req/s':>9} {'p50 us':>8} {'p99 us':>8} {'max us':>9}   medians over {args.rounds} rounds")
    for k in ("steady", "reloads"):
        print(f"{k:8s} {med[k][0]:9.0f} {med[k][1]:8.0f} {med[k][2]:8.0f} {med[k][3]:9.0f}")
    print(f"reloads/steady: req/s {rl[0] / s[0]:.2f}  p50 {rl[1] / s[1]:.2f}  p99 {rl[2] / s[2]:.2f}  max {rl[3] / s[3]:.2f}")
    print(f"errors + non-2xx over all runs: {sum(x[4] for v in results.values() for x in v)}")


if __name__ == "__main__":
    main()
