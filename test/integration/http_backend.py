#!/usr/bin/python3
"""HTTP/1.1 backend for the integration tests: it answers every request with what it received.

Every method gets `200 OK` with a JSON body:
    {"backend": NAME, "method": ..., "path": ..., "version": "HTTP/1.1",
     "headers": [[name, value], ...]   (in arrival order, duplicates kept, names as sent),
     "body_length": N, "body_sha256": HEX, "chunked": bool, "peer": ADDRESS, "peer_port": PORT,
     "request_number": N  (on this backend), "connection_request_number": N (on this connection)}
Connections stay open (keep-alive) unless the client asks otherwise. A request header
`X-Backend-Delay: SECONDS` (at most 10) makes the answer wait that long, for requests in flight; each
`X-Backend-Header: NAME: VALUE` adds that header to the answer. Chunked request bodies are decoded here,
not by http.server. With --delay SECONDS every answer waits that long (a slow member, for the
fastest-* load-balancing methods); a request's own X-Backend-Delay adds to it.

With --record FILE each accepted connection and each request is appended to FILE as one JSON line
({"event": "connection", "peer": ...} / {"event": "request", ...same fields as the body...} /
{"event": "closed", "peer": ..., "requests": N} once a connection is over), a request's line written
before its response is sent, so a test can count what reached this backend.

With --health-file FILE a request for the path /health is not echoed: it is answered with the
status code and body FILE holds, read afresh for each request ("200 server is up" is status 200 with
body "server is up"; a missing or malformed file answers "503 no health file"), and recorded as
{"event": "health", "peer": ..., "status": N}, not as a request. A test flips what health monitors
see by rewriting FILE. Without the option /health is echoed like any other path.

    http_backend.py --name B1 --host 127.0.1.11 --port 8001 [--record FILE] [--health-file FILE] [--delay S]
Prints one line once it is listening; SIGTERM/SIGINT stop it.
"""

import argparse
import hashlib
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RecordingServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, name, record_path, health_path=None, delay=0.0):
        super().__init__(address, BackendHandler)
        self.name = name
        self.delay = delay
        self.health_path = health_path
        self.record_file = open(record_path, "a", encoding="utf-8") if record_path else None
        self.lock = threading.Lock()
        self.requests = 0

    def record(self, entry):
        if self.record_file is None:
            return
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self.lock:
            self.record_file.write(line)
            self.record_file.flush()

    def next_request_number(self):
        with self.lock:
            self.requests += 1
            return self.requests

    def process_request(self, request, client_address):
        self.record({"event": "connection", "peer": client_address[0], "peer_port": client_address[1]})
        super().process_request(request, client_address)


class BadBody(Exception):
    pass


class BackendHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "irulesd-test-backend"

    def setup(self):
        super().setup()
        self.connection_requests = 0

    def finish(self):
        super().finish()
        self.server.record({"event": "closed", "peer": self.client_address[0],
                            "peer_port": self.client_address[1],
                            "requests": self.connection_requests})

    def log_message(self, format, *args):  # keep stderr quiet: the record file is the log
        pass

    def __getattr__(self, name):
        # http.server dispatches to do_<METHOD>: answer every method the same way.
        if name.startswith("do_"):
            return self.answer
        raise AttributeError(name)

    def read_chunked(self, digest):
        length = 0
        while True:
            line = self.rfile.readline(65537)
            if not line.endswith(b"\n"):
                raise BadBody("truncated chunk size line")
            size = int(line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                break
            remaining = size
            while remaining:
                data = self.rfile.read(min(remaining, 1 << 16))
                if not data:
                    raise BadBody("truncated chunk")
                digest.update(data)
                remaining -= len(data)
            length += size
            if self.rfile.read(2) != b"\r\n":
                raise BadBody("chunk not followed by CRLF")
        while True:  # trailer section, up to the empty line
            line = self.rfile.readline(65537)
            if line in (b"\r\n", b"\n", b""):
                break
        return length

    def read_body(self, digest):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked(digest), True
        remaining = int(self.headers.get("Content-Length", "0") or 0)
        length = 0
        while remaining:
            data = self.rfile.read(min(remaining, 1 << 16))
            if not data:
                raise BadBody("truncated body")
            digest.update(data)
            length += len(data)
            remaining -= len(data)
        return length, False

    def health(self):
        """--health-file: the answer FILE holds ("CODE BODY")."""
        try:
            with open(self.server.health_path, encoding="utf-8") as f:
                code_text, _, text = f.read().strip().partition(" ")
            code = int(code_text)
        except (OSError, ValueError):
            code, text = 503, "no health file"
        self.server.record({"event": "health", "peer": self.client_address[0],
                            "peer_port": self.client_address[1], "status": code})
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def answer(self):
        self.connection_requests += 1
        if self.server.health_path and self.path == "/health":
            return self.health()
        digest = hashlib.sha256()
        try:
            body_length, chunked = self.read_body(digest)
        except (BadBody, ValueError) as error:
            self.server.record({"event": "bad-request", "error": str(error)})
            self.send_error(400, str(error))
            self.close_connection = True
            return
        entry = {
            "backend": self.server.name,
            "method": self.command,
            "path": self.path,
            "version": self.request_version,
            "headers": [[name, value] for name, value in self.headers.items()],
            "body_length": body_length,
            "body_sha256": digest.hexdigest(),
            "chunked": chunked,
            "peer": self.client_address[0],
            "peer_port": self.client_address[1],
            "request_number": self.server.next_request_number(),
            "connection_request_number": self.connection_requests,
        }
        self.server.record(dict(entry, event="request"))
        delay = self.server.delay + min(float(self.headers.get("X-Backend-Delay", "0") or 0), 10.0)
        if delay > 0:
            time.sleep(delay)
        body = json.dumps(entry).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Backend", self.server.name)
        for extra in self.headers.get_all("X-Backend-Header") or []:
            name, _, value = extra.partition(":")
            self.send_header(name.strip(), value.strip())
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def main():
    parser = argparse.ArgumentParser(description="HTTP/1.1 echo-the-request backend")
    parser.add_argument("--name", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", help="append connections and requests to this file (JSON lines)")
    parser.add_argument("--health-file", help="answer /health with the status and body this file holds")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds every answer waits (a slow member)")
    args = parser.parse_args()
    try:
        server = RecordingServer((args.host, args.port), args.name, args.record, args.health_file, args.delay)
    except OSError as error:
        print(f"{args.name}: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"{args.name} listening on http://{args.host}:{args.port}/", flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
