#!/usr/bin/python3
"""Memory per idle WebSocket tunnel, irulesd against HAProxy (mode http and mode tcp), one run.

For each proxy: starts it on 127.0.50.10:8080 in front of three gateways (examples/websocket-gateways/
gateway.py on 127.0.50.11-13:8001), opens N WebSocket connections through it, sends one echo on each,
waits until they are idle, and reads the proxy's resident memory (VmRSS) before and after: the
difference over N is the user-space cost of one idle tunnel (the kernel's socket buffers are not in
it). Every process it starts is stopped by pid. Bounded: N connections, one message each.

    bench/tunnel_memory.py --binary build-release/irulesd --tunnels 9000
Each process may hold at most 20,000 files here: irulesd holds two per tunnel, so keep N under 9,900.
"""

import argparse
import asyncio
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NET = "127.0.50"
GATEWAYS = [(f"Gateway-{i}", f"{NET}.{10 + i}") for i in (1, 2, 3)]

IRULESD_CONF = f"""net self /Common/internal-self {{ address {NET}.20/24 vlan /Common/internal }}
ltm pool /Common/gateway_pool {{
    load-balancing-mode round-robin
    members {{
{chr(10).join(f"        /Common/{name}:8001 {{ address {addr} }}" for name, addr in GATEWAYS)}
    }}
}}
ltm profile tcp /Common/ws_tcp {{ defaults-from /Common/tcp idle-timeout 3600 }}
ltm virtual /Common/gateway_vs {{
    destination /Common/{NET}.10:8080
    ip-protocol tcp
    pool /Common/gateway_pool
    profiles {{ /Common/http {{ }} /Common/ws_tcp {{ }} }}
    rules {{ /Common/allow-ws }}
    source-address-translation {{ type automap }}
}}
"""

HAPROXY_CFG = """global
    nbthread 1
    maxconn 9500
defaults
    mode {mode}
    timeout connect 5s
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
frontend fe
    bind {net}.10:8080
    default_backend be
backend be
    balance roundrobin
{servers}
"""


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def wait_port(host, port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            import socket
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{host}:{port} does not accept connections")


async def open_tunnels(n, concurrency=200):
    sockets = []
    sem = asyncio.Semaphore(concurrency)

    async def one(i):
        async with sem:
            ws = await websockets.connect(f"ws://{NET}.10:8080/", open_timeout=20, ping_interval=None,
                                          close_timeout=1)
            await ws.send(f"hello {i}")
            reply = await asyncio.wait_for(ws.recv(), 20)
            assert reply == f"hello {i}", reply
            sockets.append(ws)

    await asyncio.gather(*(one(i) for i in range(n)))
    return sockets


def measure(name, argv, pid_of, n):
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_port(f"{NET}.10", 8080)
        time.sleep(0.5)
        pid = pid_of(proc)
        before = rss_kib(pid)

        async def run():
            sockets = await open_tunnels(n)
            await asyncio.sleep(2)   # idle: buffers drained, nothing in flight
            after = rss_kib(pid)
            await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
            return after

        after = asyncio.run(run())
        per = (after - before) / n
        print(f"{name:14s} tunnels {n:6d}  rss before {before:8d} KiB  after {after:8d} KiB  "
              f"per tunnel {per:6.2f} KiB", flush=True)
        return per
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build-release", "irulesd"))
    parser.add_argument("--tunnels", type=int, default=9000)
    parser.add_argument("--targets", default="irulesd,haproxy-http,haproxy-tcp")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    tmp = tempfile.mkdtemp(prefix="tunnel-memory-")
    gateways = [subprocess.Popen([sys.executable, os.path.join(ROOT, "examples", "websocket-gateways", "gateway.py"),
                                  "--name", name, "--host", addr, "--port", "8001"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name, addr in GATEWAYS]
    try:
        for _, addr in GATEWAYS:
            wait_port(addr, 8001)
        for target in args.targets.split(","):
            if target == "irulesd":
                conf = os.path.join(tmp, "bigip.conf")
                with open(conf, "w") as f:
                    f.write(IRULESD_CONF)
                argv = [args.binary, "--config", conf, "--rules-dir", os.path.join(ROOT, "irules"), "--workers", "1",
                        "--log", os.path.join(tmp, "irulesd.log")]
                measure("irulesd", argv, lambda p: p.pid, args.tunnels)
            elif target.startswith("haproxy-"):
                mode = target.split("-", 1)[1]
                servers = "\n".join(f"    server {name} {addr}:8001" for name, addr in GATEWAYS)
                cfg = os.path.join(tmp, f"haproxy-{mode}.cfg")
                with open(cfg, "w") as f:
                    f.write(HAPROXY_CFG.format(mode=mode, net=NET, servers=servers))
                measure(target, ["haproxy", "-db", "-f", cfg], lambda p: p.pid, args.tunnels)
            else:
                raise SystemExit(f"unknown target {target}")
    finally:
        for g in gateways:
            g.terminate()
        for g in gateways:
            try:
                g.wait(10)
            except subprocess.TimeoutExpired:
                g.kill()


if __name__ == "__main__":
    main()
