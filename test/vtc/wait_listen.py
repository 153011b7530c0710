"""Waits until HOST:PORT accepts a TCP connection (irulesd is listening): exit 0, or 1 after 10 s.
Usage: wait_listen.py HOST PORT [HOST PORT ...]"""
import socket
import sys
import time

deadline = time.monotonic() + 10.0
pairs = list(zip(sys.argv[1::2], sys.argv[2::2]))
while pairs:
    host, port = pairs[0]
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
        pairs.pop(0)
    except OSError:
        if time.monotonic() > deadline:
            sys.exit(f"{host}:{port} is not listening after 10 s")
        time.sleep(0.05)
