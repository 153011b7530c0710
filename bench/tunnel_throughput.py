#!/usr/bin/python3
"""WebSocket tunnel throughput: MB/s and proxy CPU-seconds per GB, irulesd (allow-ws) against HAProxy in
mode tcp and mode http, one tunnel and 100 tunnels, targets alternating within one run.

Each tunnel is a real upgrade: the client sends a WebSocket handshake through the proxy, the backend (a
sink) answers 101 Switching Protocols, and from then on the client streams bytes one way (client to
backend) as fast as the proxy takes them; the sink reads and counts them. A proxy past the upgrade relays
bytes without looking at them (irulesd's HTTP::disable, HAProxy's tunnel), so the payload is not framed.
Sender and sink are separate processes, so neither waits on the other's interpreter lock.

Measured per (target, tunnel count, round): bytes the sink received and the proxy's CPU time (utime +
stime from /proc, all threads) between two samples after a short warm-up; the window ends after
--seconds or when --max-gb have arrived, whichever comes first. Every process it starts is stopped by pid.

    bench/tunnel_throughput.py [--binary build-release/irulesd] [--rounds 3] [--seconds 4] [--tunnels 1,100]
                               [--targets irulesd,haproxy-tcp,haproxy-http] [--pin]
--pin puts the proxy on cpu 1 and sender and sink on cpu 0.
"""

import argparse
import base64
import hashlib
import multiprocessing as mp
import os
import selectors
import signal
import socket
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"
SINK_PORT = 9301
PORTS = {"irulesd": 9310, "haproxy-tcp": 9311, "haproxy-http": 9312}
CHUNK = 256 * 1024
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CLK_TCK = os.sysconf("SC_CLK_TCK")

IRULESD_CONF = """ltm pool /Common/sink_pool {{
    members {{ /Common/sink:{sink} {{ address {host} }} }}
}}
ltm virtual /Common/tunnel_vs {{
    destination /Common/{host}:{port}
    ip-protocol tcp
    pool /Common/sink_pool
    profiles {{ /Common/http {{ }} /Common/tcp {{ }} }}
    rules {{ /Common/allow-ws }}
    source 0.0.0.0/0
}}
"""

HAPROXY_CFG = """global
    nbthread 1
    maxconn 2000
defaults
    mode {mode}
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
frontend fe
    bind {host}:{port}
    default_backend be
backend be
    server sink {host}:{sink}
"""


# ---------- sink (backend): answers the upgrade, then reads and counts ----------

def sink_main(port, counter, ready):
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, port))
    listener.listen(1024)
    listener.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, None)
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    heads = {}   # socket -> bytes of the request head so far (None once upgraded)
    total = 0
    ready.set()
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            if sock is listener:
                try:
                    conn, _ = listener.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                heads[conn] = b""
                sel.register(conn, selectors.EVENT_READ, None)
                continue
            try:
                n = sock.recv_into(view)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                n = 0
            if n == 0:
                sel.unregister(sock)
                heads.pop(sock, None)
                sock.close()
                continue
            head = heads[sock]
            if head is None:
                total += n
                counter.value = total
                continue
            head += bytes(view[:n])
            end = head.find(b"\r\n\r\n")
            if end < 0:
                heads[sock] = head
                continue
            key_value = b""
            for line in head[:end].split(b"\r\n"):
                if line.lower().startswith(b"sec-websocket-key:"):
                    key_value = line.split(b":", 1)[1].strip()
            accept = base64.b64encode(hashlib.sha1(key_value + WS_GUID.encode()).digest())
            sock.setblocking(True)
            sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            sock.setblocking(False)
            heads[sock] = None
            total += len(head) - end - 4   # payload that came with the head
            counter.value = total


# ---------- sender (client): upgrades N tunnels, then streams until told to stop ----------

def open_tunnel(port):
    sock = socket.create_connection((HOST, port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16))
    sock.sendall(b"GET /ws HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        data = sock.recv(4096)
        if not data:
            raise RuntimeError(f"port {port}: connection closed during the upgrade: {head!r}")
        head += data
    status = head.split(b"\r\n", 1)[0]
    if b" 101 " not in status + b" ":
        raise RuntimeError(f"port {port}: upgrade answered {status!r}")
    sock.setblocking(False)
    return sock


def sender_main(port, tunnels, ready, stop, error):
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    try:
        socks = [open_tunnel(port) for _ in range(tunnels)]
    except Exception as e:   # reported to the parent, which stops the run
        error.value = str(e)[:200].encode()
        ready.set()
        return
    payload = memoryview(b"\x5a" * CHUNK)
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_WRITE, None)
    ready.set()
    while not stop.is_set():
        for key, _ in sel.select(timeout=0.1):
            try:
                key.fileobj.send(payload)
            except (BlockingIOError, InterruptedError):
                pass
    for s in socks:
        s.close()


# ---------- proxies ----------

def proc_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])   # utime + stime, all threads


def wait_port(port, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"proxy on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {HOST}:{port}")


def start_proxy(target, binary, tmp, pin):
    port = PORTS[target]
    if target == "irulesd":
        conf = os.path.join(tmp, "irulesd.conf")
        with open(conf, "w") as f:
            f.write(IRULESD_CONF.format(host=HOST, port=port, sink=SINK_PORT))
        argv = [binary, "--config", conf, "--rules-dir", os.path.join(ROOT, "irules"), "--workers", "1",
                "--log", os.path.join(tmp, "irulesd.log")]
    else:
        mode = target.split("-", 1)[1]
        cfg = os.path.join(tmp, f"{target}.cfg")
        with open(cfg, "w") as f:
            f.write(HAPROXY_CFG.format(mode=mode, host=HOST, port=port, sink=SINK_PORT))
        argv = ["haproxy", "-db", "-f", cfg]
    if pin:
        argv = ["taskset", "-c", "1"] + argv
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=open(os.path.join(tmp, f"{target}.out"), "w"),
                            stderr=subprocess.STDOUT)
    wait_port(port, proc)
    return proc


def stop_proc(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---------- one measurement ----------

def measure(target, proxy, tunnels, counter, args):
    ctx = mp.get_context("fork")
    ready, stop = ctx.Event(), ctx.Event()
    error = ctx.Array("c", 256)
    sender = ctx.Process(target=sender_main, args=(PORTS[target], tunnels, ready, stop, error))
    sender.start()
    try:
        if args.pin:
            os.sched_setaffinity(sender.pid, {0})
        if not ready.wait(30):
            raise RuntimeError(f"{target}: {tunnels} tunnels not open within 30 s")
        if error.value:
            raise RuntimeError(error.value.decode())
        time.sleep(args.warmup)
        b0, c0, t0 = counter.value, proc_ticks(proxy.pid), time.monotonic()
        limit = args.max_gb * 1e9
        while time.monotonic() - t0 < args.seconds and counter.value - b0 < limit:
            time.sleep(0.05)
        b1, c1, t1 = counter.value, proc_ticks(proxy.pid), time.monotonic()
    finally:
        stop.set()
        sender.join(10)
        if sender.is_alive():
            sender.terminate()
            sender.join()
    moved = b1 - b0
    cpu_s = (c1 - c0) / CLK_TCK
    mbps = moved / 1e6 / (t1 - t0)
    cpu_per_gb = cpu_s / (moved / 1e9) if moved else float("nan")
    return mbps, cpu_per_gb, cpu_s / (t1 - t0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build-release", "irulesd"))
    parser.add_argument("--targets", default="irulesd,haproxy-tcp,haproxy-http")
    parser.add_argument("--tunnels", default="1,100")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0, help="measured window per run (bound)")
    parser.add_argument("--max-gb", type=float, default=20.0, help="bytes per run (bound), GB")
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--ref", default="haproxy-tcp")
    parser.add_argument("--pin", action="store_true")
    args = parser.parse_args()
    targets = args.targets.split(",")
    counts = [int(n) for n in args.tunnels.split(",")]
    for t in targets:
        if t not in PORTS:
            raise SystemExit(f"unknown target {t} (known: {', '.join(PORTS)})")

    tmp = tempfile.mkdtemp(prefix="tunnel-throughput-")
    print(f"# run dir {tmp}; {os.cpu_count()} cpus; pin {args.pin}; window {args.seconds}s or {args.max_gb} GB; "
          f"{args.rounds} rounds, targets alternate", flush=True)
    ctx = mp.get_context("fork")
    counter = ctx.RawValue("Q", 0)
    sink_ready = ctx.Event()
    sink = ctx.Process(target=sink_main, args=(SINK_PORT, counter, sink_ready))
    sink.start()
    proxies = {}
    results = {}   # (target, tunnels) -> [(mbps, cpu_per_gb, cores)]
    try:
        if args.pin:
            os.sched_setaffinity(sink.pid, {0})
        if not sink_ready.wait(10):
            raise RuntimeError("sink did not start")
        for t in targets:
            proxies[t] = start_proxy(t, args.binary, tmp, args.pin)
        for r in range(args.rounds):
            order = targets[r % len(targets):] + targets[:r % len(targets)]
            for n in counts:
                for t in order:
                    m = measure(t, proxies[t], n, counter, args)
                    results.setdefault((t, n), []).append(m)
                    print(f"  round {r + 1} tunnels {n:4d} {t:13s} {m[0]:9.1f} MB/s  {m[1]:6.3f} proxy CPU-s/GB  "
                          f"proxy {m[2]:.2f} cores", flush=True)
    finally:
        for p in proxies.values():
            stop_proc(p)
        sink.terminate()
        sink.join(10)

    print()
    print(f"medians over {args.rounds} rounds; ratios against {args.ref} in the same run")
    print(f"{'tunnels':>7} {'target':13s} {'MB/s':>9} {'[min..max]':>17} {'CPU-s/GB':>9} {'proxy cores':>11} "
          f"{'MB/s ratio':>10} {'CPU/GB ratio':>12}")
    for n in counts:
        ref = results.get((args.ref, n))
        ref_mbps = statistics.median(x[0] for x in ref) if ref else None
        ref_cpu = statistics.median(x[1] for x in ref) if ref else None
        for t in targets:
            rows = results[(t, n)]
            mbps = statistics.median(x[0] for x in rows)
            cpu = statistics.median(x[1] for x in rows)
            cores = statistics.median(x[2] for x in rows)
            lo, hi = min(x[0] for x in rows), max(x[0] for x in rows)
            r1 = f"{mbps / ref_mbps:.2f}" if ref_mbps else "-"
            r2 = f"{cpu / ref_cpu:.2f}" if ref_cpu else "-"
            print(f"{n:7d} {t:13s} {mbps:9.1f} {f'[{lo:.0f}..{hi:.0f}]':>17} {cpu:9.3f} {cores:11.2f} {r1:>10} {r2:>12}")


if __name__ == "__main__":
    main()
