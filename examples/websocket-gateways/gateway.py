#!/usr/bin/python3
"""A WebSocket gateway of the example: echoes every message it receives, verbatim.

It says who it is in its handshake response (101 Switching Protocols), with two extra headers:
    X-Gateway: Gateway-1             the --name it was started with
    X-Peer-Address: 127.0.0.20       the address the connection came from, as this gateway saw it
so a client behind irulesd can tell which pool member answered and that SNAT automap was applied.

Uses Debian's python3-websockets (10.4). Prints one line once it is listening; SIGTERM/SIGINT stop it.
    gateway.py --name Gateway-1 --host 127.0.0.11 --port 8001
"""

import argparse
import asyncio
import signal
import sys

import websockets


class GatewayProtocol(websockets.WebSocketServerProtocol):
    """Adds the X-Gateway / X-Peer-Address headers to every successful handshake."""

    gateway_name = "gateway"

    async def handshake(self, *args, **kwargs):
        peer = self.remote_address
        kwargs["extra_headers"] = [
            ("X-Gateway", self.gateway_name),
            ("X-Peer-Address", peer[0] if peer else "unknown"),
        ]
        return await super().handshake(*args, **kwargs)


async def echo(websocket):
    async for message in websocket:
        await websocket.send(message)


async def serve(name, host, port, max_size):
    GatewayProtocol.gateway_name = name
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set_result, None)
    async with websockets.serve(echo, host, port, create_protocol=GatewayProtocol,
                                max_size=max_size):
        print(f"{name} listening on ws://{host}:{port}/", flush=True)
        await stop


def main():
    parser = argparse.ArgumentParser(description="WebSocket echo gateway")
    parser.add_argument("--name", required=True, help="name sent back in X-Gateway")
    parser.add_argument("--host", default="127.0.0.11")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--max-size", type=int, default=64 * 1024 * 1024,
                        help="largest message accepted, bytes (default 64 MiB)")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.name, args.host, args.port, args.max_size))
    except OSError as error:
        print(f"{args.name}: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
