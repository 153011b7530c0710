#!/usr/bin/python3
"""The guide's echo test: open N WebSocket connections through the virtual server, send a message on
each, print the echo and which gateway answered (and the peer address that gateway saw).

Exits 0 when every echo came back identical, 1 otherwise. Uses Debian's python3-websockets (10.4).
    echo_client.py [--url ws://127.0.0.10:8080/] [--count 3] [--message TEXT] [--timeout 5]
"""

import argparse
import asyncio
import sys

import websockets


async def echo_once(url, message, timeout):
    """One connection: handshake, send, receive. Returns (echo, gateway, peer address it saw)."""
    async with websockets.connect(url, open_timeout=timeout, close_timeout=timeout) as ws:
        await asyncio.wait_for(ws.send(message), timeout)
        echo = await asyncio.wait_for(ws.recv(), timeout)
        headers = ws.response_headers
        return echo, headers.get("X-Gateway", "?"), headers.get("X-Peer-Address", "?")


async def run(url, count, message, timeout):
    failures = 0
    for i in range(1, count + 1):
        sent = f"{message} #{i}"
        try:
            echo, gateway, peer = await echo_once(url, sent, timeout)
        except Exception as error:  # any failure of this connection is a failed echo
            print(f"connection {i}: FAILED: {type(error).__name__}: {error}", flush=True)
            failures += 1
            continue
        ok = echo == sent
        failures += not ok
        print(f"connection {i}: sent {sent!r}, echo {echo!r} from {gateway} "
              f"(gateway saw peer {peer}){'' if ok else ' MISMATCH'}", flush=True)
    return failures


def main():
    parser = argparse.ArgumentParser(description="WebSocket echo test through the virtual server")
    parser.add_argument("--url", default="ws://127.0.0.10:8080/")
    parser.add_argument("--count", type=int, default=3, help="connections to open, one after another")
    parser.add_argument("--message", default="hello gateway")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per step")
    args = parser.parse_args()
    failures = asyncio.run(run(args.url, args.count, args.message, args.timeout))
    print(f"{args.count - failures} of {args.count} echoes ok", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
