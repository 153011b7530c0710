#!/usr/bin/python3
"""TCP backend for the integration tests: on each connection it optionally sends a banner, then
answers every chunk it reads with `NAME:` + the chunk, and closes when the peer does.

    tcp_backend.py --name B1 --host 127.0.34.11 --port 9001 [--banner TEXT] [--record FILE]
With --record each connection is appended to FILE as one JSON line once it is over:
{"peer": ADDRESS, "received": TEXT (latin-1)}. Prints one line once it is listening; SIGTERM stops it.
"""

import argparse
import json
import signal
import socketserver
import sys
import threading


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        server = self.server
        received = b""
        if server.banner:
            self.request.sendall(server.banner.encode())
        while True:
            try:
                data = self.request.recv(65536)
            except ConnectionError:
                break
            if not data:
                break
            received += data
            self.request.sendall(server.name.encode() + b":" + data)
        if server.record_path:
            with server.lock, open(server.record_path, "a", encoding="utf-8") as f:
                f.write(json.dumps({"peer": self.client_address[0], "received": received.decode("latin-1")}) + "\n")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description="TCP echo backend with a name prefix")
    parser.add_argument("--name", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--banner", default="")
    parser.add_argument("--record")
    args = parser.parse_args()
    try:
        server = Server((args.host, args.port), Handler)
    except OSError as error:
        print(f"{args.name}: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    server.name, server.banner, server.record_path = args.name, args.banner, args.record
    server.lock = threading.Lock()

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"{args.name} listening on {args.host}:{args.port}", flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
