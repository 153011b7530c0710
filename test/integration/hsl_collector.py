#!/usr/bin/python3
"""High-speed-logging collector for the integration tests: records what irulesd's HSL::send delivers.

    hsl_collector.py --name C1 --host 127.0.36.31 --port 5140 --proto udp|tcp --record FILE

UDP: every datagram is one record. TCP: every line (up to and including its "\\n") is one record, and
bytes left without a newline when a connection closes are one record with "partial": true. Records
are JSON lines appended to FILE as they arrive: {"peer": ADDRESS, "data": TEXT (latin-1)}.
Connections are recorded too: {"event": "connection", "peer": ADDRESS}. Prints one line once it is
listening; SIGTERM stops it.
"""

import argparse
import json
import signal
import socket
import socketserver
import sys
import threading


class Recorder:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def write(self, record):
        with self.lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")


class LineHandler(socketserver.BaseRequestHandler):
    def handle(self):
        recorder = self.server.recorder
        peer = self.client_address[0]
        recorder.write({"event": "connection", "peer": peer})
        buffered = b""
        while True:
            try:
                data = self.request.recv(65536)
            except ConnectionError:
                break
            if not data:
                break
            buffered += data
            while b"\n" in buffered:
                line, _, buffered = buffered.partition(b"\n")
                recorder.write({"peer": peer, "data": (line + b"\n").decode("latin-1")})
        if buffered:
            recorder.write({"peer": peer, "data": buffered.decode("latin-1"), "partial": True})


class TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve_udp(args, recorder, stop):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.host, args.port))
    sock.settimeout(0.1)
    print(f"{args.name} listening on {args.host}:{args.port} (udp)", flush=True)
    while not stop.is_set():
        try:
            data, (peer, _) = sock.recvfrom(65536)
        except socket.timeout:
            continue
        recorder.write({"peer": peer, "data": data.decode("latin-1")})
    sock.close()


def main():
    parser = argparse.ArgumentParser(description="UDP/TCP log collector that records what it gets")
    parser.add_argument("--name", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--proto", choices=("udp", "tcp"), required=True)
    parser.add_argument("--record", required=True)
    args = parser.parse_args()
    recorder = Recorder(args.record)
    stop = threading.Event()

    if args.proto == "udp":
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        try:
            serve_udp(args, recorder, stop)
        except OSError as error:
            print(f"{args.name}: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
            return 1
        return 0

    try:
        server = TcpServer((args.host, args.port), LineHandler)
    except OSError as error:
        print(f"{args.name}: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    server.recorder = recorder

    def shutdown(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    print(f"{args.name} listening on {args.host}:{args.port} (tcp)", flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
