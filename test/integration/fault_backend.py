#!/usr/bin/python3
"""A backend that fails on purpose, for the fault tests (test_faults.py): what it does to a request
is chosen by the request's path, so one process serves every kind of fault.

    /ok              200 with a short body, keep-alive (the healthy control)
    /hold-body       reads the head (answers `Expect: 100-continue` with 100 Continue), then waits
                     until the peer closes (a test kills this process meanwhile: killed while the
                     body uploads)
    /hold-response   reads the request, sends a head announcing 100,000 bytes and 1,000 of them, then
                     waits until the peer closes (a test kills this process meanwhile)
    /upload-dies     reads the head and 1 KiB of the body, then dies as a killed process does with
                     unread bytes in its socket: a reset (SO_LINGER 0)
    /response-dies   reads the request, sends the head and 1,000 of 100,000 body bytes, then dies as
                     a killed process with nothing unread does: a FIN
    /never           reads the request and never answers; the connection stays until the peer closes
    /reset           reads the request head and resets the connection without answering
    /slow/...        prints `slow request PATH` once it has the request, answers it 2 s later (200, the
                     path as the body): a request in flight for a test that stops irulesd meanwhile
    /tunnel-dies     a WebSocket upgrade: answers 101, echoes the first bytes it gets, then closes (FIN)
    /tunnel-reset    the same, then resets
A killed process and one of these modes look the same to its peer: the kernel closes the socket
with a FIN, or with a reset when unread bytes are left. The modes let a test repeat a fault
thousands of times without starting thousands of processes.

    fault_backend.py --host 127.0.50.11 --port 8001
Prints one line once it is listening; SIGTERM stops it. Each connection is one thread.
"""

import argparse
import base64
import hashlib
import signal
import socket
import socketserver
import struct
import sys
import time

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PARTIAL_BODY = b"p" * 1000
ANNOUNCED_LENGTH = 100000


def abort(sock):
    """Closes with a reset, as the kernel does for a process killed with unread bytes."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class Handler(socketserver.BaseRequestHandler):

    def read_head(self):
        """(request line, {lower-case name: value}, bytes read past the head) or None at EOF."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return lines[0], headers, rest

    def read_exact(self, have, length):
        """Reads until `length` body bytes are in (have: what came with the head); False at EOF."""
        got = len(have)
        while got < length:
            chunk = self.request.recv(min(65536, length - got))
            if not chunk:
                return False
            got += len(chunk)
        return True

    def wait_for_close(self):
        try:
            while self.request.recv(65536):
                pass
        except OSError:
            pass

    def handle(self):
        sock = self.request
        try:
            while True:
                parsed = self.read_head()
                if parsed is None:
                    return
                request_line, headers, rest = parsed
                path = request_line.split(" ")[1] if " " in request_line else "/"
                length = int(headers.get("content-length", "0") or 0)
                if path == "/hold-body":
                    if headers.get("expect", "").lower() == "100-continue":
                        sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")   # the client knows we have the head
                    self.wait_for_close()
                    return
                if path == "/upload-dies":
                    self.read_exact(rest, min(length, 1024))
                    abort(sock)
                    return
                if path == "/reset":
                    abort(sock)
                    return
                if path.startswith("/tunnel-"):
                    self.tunnel(path, headers)
                    return
                if not self.read_exact(rest, length):
                    return
                if path in ("/hold-response", "/response-dies"):
                    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                                 b"Content-Length: %d\r\n\r\n" % ANNOUNCED_LENGTH + PARTIAL_BODY)
                    if path == "/hold-response":
                        self.wait_for_close()
                    return   # the FIN ends the body early
                if path.startswith("/slow/"):
                    print(f"slow request {path}", flush=True)
                    time.sleep(2)
                    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                                 % len(path) + path.encode())
                    continue
                if path == "/never":
                    self.wait_for_close()
                    return
                body = b"ok\n"
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
                             % len(body) + body)
        except OSError:
            return

    def tunnel(self, path, headers):
        key = headers.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.request.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                              f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        data = self.request.recv(65536)
        if data:
            self.request.sendall(data)
        if path == "/tunnel-reset":
            abort(self.request)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


def main():
    parser = argparse.ArgumentParser(description="a backend that fails on purpose")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    try:
        server = Server((args.host, args.port), Handler)
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error}", flush=True)
        sys.exit(1)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"fault backend listening on {args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
