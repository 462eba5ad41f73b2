#!/usr/bin/python3
"""How much resident memory an idle connection and an idle WebSocket subscriber cost spated.

    /usr/bin/python3 scripts/memory-per-connection.py [BUILD_DIR] [CONNECTIONS] [SUBSCRIBERS]

Starts build/bin/spated on a free loopback port with a fresh data directory, creates one
stream, reads the server's RSS (/proc/PID/statm), opens CONNECTIONS keep-alive HTTP/1.1
connections that each made one request (GET /healthz), reads RSS again, then opens
SUBSCRIBERS WebSocket subscriptions (GET /v1/subscribe, from LATEST) and reads it once more.
Prints the difference per connection and per subscriber. docs/operations.md quotes it.
"""

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

build = Path(sys.argv[1] if len(sys.argv) > 1 else "build")
connections = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
subscribers = int(sys.argv[3]) if len(sys.argv) > 3 else 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, text: str) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(text.encode())
    return s


def settle(pid: int) -> int:
    time.sleep(0.5)  # the server's side of the last connections is set up
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * 4096


port = free_port()
with tempfile.TemporaryDirectory() as data:
    server = subprocess.Popen([str(build / "bin" / "spated"), "--port", str(port),
                               "--data-dir", data, "--log-level", "warn"])
    try:
        for _ in range(100):
            try:
                request(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").close()
                break
            except OSError:
                time.sleep(0.05)
        body = b'{"StreamName":"m","ShardCount":1}'
        s = request(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1"
                          "\r\nX-Amz-Target: Kinesis_20131202.CreateStream\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n")
        s.sendall(body)
        assert b"200 OK" in s.recv(4096)
        s.close()
        base = settle(server.pid)
        held = []
        for _ in range(connections):
            c = request(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert c.recv(4096).startswith(b"HTTP/1.1 200")
            held.append(c)
        with_connections = settle(server.pid)
        for _ in range(subscribers):
            w = request(port, "GET /v1/subscribe?stream=m&from=LATEST HTTP/1.1\r\nHost: x\r\n"
                              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n")
            assert b" 101 " in w.recv(4096)
            held.append(w)
        with_subscribers = settle(server.pid)
        print(f"RSS at rest: {base / 2**20:.1f} MiB")
        print(f"per idle keep-alive connection: {(with_connections - base) / connections / 1024:.1f}"
              f" KiB ({connections} connections)")
        print(f"per idle WebSocket subscriber: "
              f"{(with_subscribers - with_connections) / subscribers / 1024:.1f} KiB "
              f"({subscribers} subscribers)")
        for c in held:
            c.close()
    finally:
        server.terminate()
        server.wait(30)
