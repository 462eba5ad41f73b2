"""Memory stays within the server's budgets whatever clients do, and a full server makes room.

Proves, against a real spated with small budgets:
- request bodies are reserved from --max-inflight-bytes when their header arrives: a body
  that does not fit is answered 503 ServiceUnavailable at once (its bytes read and dropped,
  the connection still usable), and a storm of large stalled bodies leaves the server's RSS
  within the budget while /healthz keeps answering;
- with --auth sigv4, a request without a signature is refused as soon as its header is in,
  before any of its (declared, never sent) body;
- GetRecords answers that readers do not take count against --max-response-bytes: a reader
  that pipelines GetRecords and never reads gets 503s once the budget is spent, and so does
  anyone else until it is released;
- WebSocket subscribers that never read are cut off (1008) once they hold more than their
  share of --max-subscriber-bytes, while one that reads keeps getting every record;
- at --max-connections, a new connection closes the connection idle the longest instead of
  being turned away; with nobody idle, the new one is closed;
- every budget is in /metrics (used, limit, peak, refusals).
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import time
import weakref

import pytest
import websockets

from spate_harness import (
    JSON_CONTENT_TYPE,
    TARGET_PREFIX,
    http_get,
    sign_headers,
    wait_active,
)

MIB = 1 << 20


def wait_for(condition, timeout=20.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def budget(server, name: str, series: str) -> float:
    return server.metrics()[f'spate_memory_budget_{series}{{budget="{name}"}}']


def connect(server, timeout=10.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


def request_head(server, action: str, length: int, *, signed_body: bytes | None = None,
                 extra: dict | None = None) -> bytes:
    """The header of a POST declaring `length` body bytes (signed over `signed_body`)."""
    headers = {"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": f"{TARGET_PREFIX}.{action}"}
    if signed_body is not None:
        headers = sign_headers(server.endpoint, signed_body, headers)
    headers.update(extra or {})
    lines = ["POST / HTTP/1.1", f"Host: 127.0.0.1:{server.port}", f"Content-Length: {length}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


_readers: "weakref.WeakKeyDictionary[socket.socket, object]" = weakref.WeakKeyDictionary()


def read_response(sock: socket.socket) -> tuple[int, dict, bytes]:
    """One response from `sock` (its buffered reader is kept, for pipelined answers)."""
    f = _readers.get(sock)
    if f is None:
        f = _readers[sock] = sock.makefile("rb")
    status_line = f.readline()
    if not status_line:
        raise ConnectionError("closed before a response")
    status = int(status_line.split()[1])
    headers = {}
    while True:
        line = f.readline().decode()
        if line in ("\r\n", "\n", ""):
            break
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    body = f.read(int(headers.get("content-length", "0")))
    return status, headers, body


def put_records_body(stream: str, records: int, size: int) -> bytes:
    data = base64.b64encode(b"x" * size).decode()
    return json.dumps({"StreamName": stream, "Records": [
        {"PartitionKey": f"k{i}", "Data": data} for i in range(records)]}).encode()


@pytest.fixture
def small_budgets(spated_factory):
    return spated_factory(extra_args=["--max-inflight-bytes", str(4 * MIB),
                                      "--max-response-bytes", str(8 * MIB)])


def test_a_body_that_does_not_fit_is_refused_at_once_and_the_connection_stays_usable(
        small_budgets):
    server = small_budgets
    kinesis = server.client()
    kinesis.create_stream(StreamName="s", ShardCount=1)
    wait_active(kinesis, "s")
    assert budget(server, "requests", "limit_bytes") == 4 * MIB

    # A holds 3.5 MiB of the budget: its header declared that much, its body stalls.
    holder = connect(server)
    holder.sendall(request_head(server, "PutRecords", 3 * MIB + MIB // 2) + b"{" * 1000)
    wait_for(lambda: budget(server, "requests", "used_bytes") >= 3 * MIB, what="A's reservation")

    # B's 900 KB body does not fit in what is left: answered 503 ServiceUnavailable, its body
    # read past and dropped, the connection kept.
    body = put_records_body("s", 2, 330_000)
    assert MIB // 2 < len(body) <= MIB
    b = connect(server)
    b.sendall(request_head(server, "PutRecords", len(body), signed_body=body) + body)
    status, headers, answer = read_response(b)
    assert status == 503
    assert json.loads(answer)["__type"] == "ServiceUnavailable"
    assert headers.get("connection", "").lower() != "close"
    refusals = server.metrics()['spate_memory_budget_refusals_total{budget="requests"}']
    assert refusals >= 1
    assert budget(server, "requests", "used_bytes") <= 4 * MIB

    # The same connection goes on with the next request.
    small = b"{}"
    b.sendall(request_head(server, "ListStreams", len(small), signed_body=small) + small)
    status, _, answer = read_response(b)
    assert status == 200 and "s" in json.loads(answer)["StreamNames"]

    # A larger body is not read just to be dropped: answered 503, then the connection closes.
    large = put_records_body("s", 4, 330_000)
    c = connect(server)
    c.sendall(request_head(server, "PutRecords", len(large), signed_body=large))
    status, headers, answer = read_response(c)
    assert status == 503 and headers.get("connection", "").lower() == "close"
    c.settimeout(10)
    assert c.recv(100) == b""
    c.close()

    # Once A is gone its reservation is back, and B's body fits.
    holder.close()
    wait_for(lambda: budget(server, "requests", "used_bytes") == 0, what="A's release")
    b.sendall(request_head(server, "PutRecords", len(body), signed_body=body) + body)
    status, _, answer = read_response(b)
    assert status == 200, answer[:300]
    assert json.loads(answer)["FailedRecordCount"] == 0
    b.close()
    assert budget(server, "requests", "peak_bytes") <= 4 * MIB


def test_a_storm_of_stalled_large_bodies_stays_within_the_budget(spated_factory):
    limit = 32 * MIB
    server = spated_factory(extra_args=["--max-inflight-bytes", str(limit)])
    wait_for(lambda: http_get(server.endpoint, "/healthz")[0] == 200)
    before = rss_bytes(server.pid)
    declared, sent = 8_000_000, 7_500_000
    chunk = b"[" * (256 * 1024)
    conns = []
    try:
        # 24 clients x 8 MB declared: six times the budget. Each sends 7.5 MB and stalls (or
        # is refused and closed before that).
        def storm(i):
            s = connect(server, timeout=30)
            conns.append(s)
            s.sendall(request_head(server, "PutRecords", declared))
            left = sent
            try:
                while left > 0:
                    s.sendall(chunk[: min(len(chunk), left)])
                    left -= min(len(chunk), left)
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused: answered 503 and closed, its body never read

        threads = [threading.Thread(target=storm, args=(i,)) for i in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        # Everything sent has been taken in by the server (held, or read and dropped).
        wait_for(lambda: server.metrics()['spate_memory_budget_refusals_total{budget="requests"}']
                 >= 24 - limit // declared, what="refusals")
        status, _ = http_get(server.endpoint, "/healthz", timeout=5)
        assert status == 200
        assert budget(server, "requests", "peak_bytes") <= limit
        grown = rss_bytes(server.pid) - before
        # Without the budget this storm holds 24 x 7.5 MB = 180 MB.
        assert grown < limit + 24 * MIB, f"RSS grew by {grown / MIB:.0f} MiB"
    finally:
        for s in conns:
            s.close()


def test_unsigned_request_is_refused_before_its_body(spated_factory, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("AKIDTEST secret\n")
    keys.chmod(0o600)
    server = spated_factory(extra_args=["--auth", "sigv4", "--credentials", str(keys)])
    s = connect(server, timeout=10)
    # 10 MB declared, nothing of it sent: the answer must come from the header alone.
    s.sendall(request_head(server, "PutRecords", 10_000_000))
    status, headers, body = read_response(s)
    assert status == 400
    assert json.loads(body)["__type"] == "MissingAuthenticationTokenException"
    assert headers.get("connection", "").lower() == "close"
    s.settimeout(10)
    assert s.recv(100) == b"", "the connection stays open after an unauthenticated request"
    s.close()
    assert budget(server, "requests", "peak_bytes") == 0  # nothing was ever reserved


def test_getrecords_answers_nobody_takes_are_bounded_by_the_response_budget(small_budgets):
    server = small_budgets
    kinesis = server.client()
    kinesis.create_stream(StreamName="g", ShardCount=1)
    wait_active(kinesis, "g")
    for _ in range(12):  # 12 x 500 KB of records
        kinesis.put_records(StreamName="g", Records=[
            {"PartitionKey": f"k{i}", "Data": b"y" * 100_000} for i in range(5)])
    shard = kinesis.list_shards(StreamName="g")["Shards"][0]["ShardId"]

    def iterator():
        return kinesis.get_shard_iterator(StreamName="g", ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]

    # A reader that pipelines GetRecords and does not read its answers.
    hog = socket.socket()
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hog.connect(("127.0.0.1", server.port))
    pipelined = 12
    for _ in range(pipelined):
        body = json.dumps({"ShardIterator": iterator()}).encode()
        hog.sendall(request_head(server, "GetRecords", len(body), signed_body=body) + body)
    wait_for(lambda: server.metrics()['spate_memory_budget_refusals_total{budget="responses"}'] >= 1,
             what="a GetRecords refused for lack of response budget")
    # What the server holds for this reader stays within the budget (plus the one answer a
    # read may overshoot by: a page holds at least one whole record).
    assert budget(server, "responses", "peak_bytes") <= 8 * MIB + MIB

    # On the wire: answers first, then 503 ServiceUnavailable once the budget is spent; every
    # pipelined request is answered, in order.
    hog.settimeout(30)
    statuses = []
    for _ in range(pipelined):
        status, _, body = read_response(hog)
        statuses.append(status)
        if status == 503:
            assert json.loads(body)["__type"] == "ServiceUnavailable"
        else:
            assert status == 200 and json.loads(body)["Records"]
    assert statuses[0] == 200 and 503 in statuses, statuses
    hog.close()
    wait_for(lambda: budget(server, "responses", "used_bytes") < MIB, what="the hog's release")
    got = kinesis.get_records(ShardIterator=iterator(), Limit=10)
    assert len(got["Records"]) == 10


def test_subscribers_that_never_read_are_cut_at_the_global_budget(spated_factory):
    # 16 MiB: room for eight subscribers' largest messages (each pull reserves 2 MiB first).
    server = spated_factory(extra_args=["--max-subscriber-bytes", str(16 * MIB),
                                        "--subscriber-buffer-bytes", str(64 * MIB),
                                        "--subscriber-lag-ms", "2000"])
    kinesis = server.client()
    kinesis.create_stream(StreamName="w", ShardCount=1)
    wait_active(kinesis, "w")
    url = f"ws://127.0.0.1:{server.port}/v1/subscribe?stream=w&from=LATEST"

    async def scenario():
        # Ten subscribers that never read (small receive buffers), one that reads everything.
        stuck = []
        for _ in range(10):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", server.port))
            s.sendall(
                f"GET /v1/subscribe?stream=w&from=LATEST HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n".encode())
            stuck.append(s)
        received = 0
        async with websockets.connect(url, max_size=None) as reader:
            wait_for(lambda: server.metrics()['spate_subscribers{kind="websocket"}'] == 11,
                     what="11 subscribers")
            payload = b"z" * 50_000
            sent = 0
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                await asyncio.to_thread(kinesis.put_records, StreamName="w", Records=[
                    {"PartitionKey": f"p{i}", "Data": payload} for i in range(20)])
                sent += 20
                try:
                    while True:
                        message = await asyncio.wait_for(reader.recv(), 0.01)
                        received += len(json.loads(message)["records"])
                except asyncio.TimeoutError:
                    pass
                closed = server.metrics()["spate_slow_subscribers_closed_total"]
                if closed >= 10 and sent >= 400:
                    break
            assert server.metrics()["spate_slow_subscribers_closed_total"] >= 10
            assert budget(server, "subscribers", "peak_bytes") <= 16 * MIB
            while received < sent:
                message = await asyncio.wait_for(reader.recv(), 10)
                received += len(json.loads(message)["records"])
        for s in stuck:
            s.close()
        return sent, received

    sent, received = asyncio.run(scenario())
    assert received == sent


def server_has_read(server, client: socket.socket) -> bool:
    """Whether the server's end of `client`'s connection has nothing left unread (from the
    kernel's table of TCP sockets: the receive queue of the socket on the server's port whose
    peer is `client`)."""
    local = f"0100007F:{server.port:04X}"
    peer = f"0100007F:{client.getsockname()[1]:04X}"
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == local and fields[2] == peer:
                return int(fields[4].split(":")[1], 16) == 0
    return False


def list_streams(server, s: socket.socket) -> int:
    body = b"{}"
    s.sendall(request_head(server, "ListStreams", len(body), signed_body=body) + body)
    return read_response(s)[0]


def idle_connections_seen_from(s: socket.socket) -> int:
    """spate_idle_connections, asked on `s` (busy while it asks, so not counted itself)."""
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, text = read_response(s)
    assert status == 200
    for line in text.decode().splitlines():
        if line.startswith("spate_idle_connections "):
            return int(float(line.split()[1]))
    raise AssertionError("/metrics has no spate_idle_connections")


def test_a_new_connection_closes_the_longest_idle_one_at_the_limit(spated_factory):
    server = spated_factory(extra_args=["--max-connections", "3"])
    # Three keep-alive connections, each served once and then idle, oldest first. A connection
    # rejoins the idle list only after its answer is written, on its own thread, so before the
    # next one is used the test waits (asking on that next one) until the server counts every
    # earlier one idle: the idle order is then the order of the list, whatever the scheduling.
    held = []
    for k in range(3):
        held.append(connect(server))
        for _ in range(200):
            if idle_connections_seen_from(held[-1]) == k:
                break
            time.sleep(0.01)
        else:
            raise AssertionError(f"the server never counted the {k} earlier connections idle")
        assert list_streams(server, held[-1]) == 200
    # A fourth client is served: the longest-idle connection made room for it.
    newcomer = connect(server)
    assert list_streams(server, newcomer) == 200
    oldest = held.pop(0)
    oldest.settimeout(5)
    assert oldest.recv(100) == b"", "the longest-idle connection was not closed"
    for s in held:  # the others were left alone
        assert list_streams(server, s) == 200
    s = held[0]
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, text = read_response(s)
    assert status == 200
    assert "spate_idle_connections_evicted_total 1" in text.decode()
    for c in held + [newcomer]:
        c.close()


def test_with_nobody_idle_a_new_connection_is_closed(spated_factory):
    server = spated_factory(extra_args=["--max-connections", "3"])
    watcher = connect(server)  # asks /metrics on a connection of its own, kept open
    busy = []
    for _ in range(2):
        s = connect(server)
        assert list_streams(server, s) == 200
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # a request has begun: not idle
        busy.append(s)

    def idle_now():
        watcher.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        status, _, text = read_response(watcher)
        assert status == 200
        for line in text.decode().splitlines():
            if line.startswith("spate_idle_connections "):
                return float(line.split()[1])
        raise AssertionError("no spate_idle_connections")

    wait_for(lambda: idle_now() == 0, what="both clients mid-request")
    watcher.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # the watcher is busy too
    wait_for(lambda: server_has_read(server, watcher), what="the watcher's bytes taken in")
    extra = connect(server)
    extra.settimeout(5)
    try:
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert extra.recv(1024) == b"", "a connection over the limit was served"
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        extra.close()
    # Nobody was evicted, and the watcher's request completes.
    watcher.sendall(b"\r\n")
    status, _, text = read_response(watcher)
    assert status == 200 and "spate_idle_connections_evicted_total 0" in text.decode()
    for s in busy + [watcher]:
        s.close()


def test_kinesis_work_waits_for_its_turn_but_health_never_does(spated_factory):
    """With one admission slot held by a request whose body stalls, the next Kinesis request
    waits with its body unread and is shed with a 503 once it has waited too long; /healthz and
    /metrics are answered at once all along."""
    server = spated_factory(extra_args=["--admission-slots", "1",
                                        "--admission-max-wait-ms", "3000"])
    holder = connect(server)
    holder.sendall(request_head(server, "PutRecords", 1000) + b"{")  # admitted, then stalls
    wait_for(lambda: server.metrics()["spate_admission_active"] == 1, what="the held slot")

    waiting = connect(server)
    waiting.sendall(request_head(server, "ListStreams", 2))  # its 2-byte body never sent
    wait_for(lambda: server.metrics()["spate_admission_queued"] == 1, what="a queued request")
    # Health is answered while the Kinesis request still waits (it is never queued).
    assert http_get(server.endpoint, "/healthz", timeout=5)[0] == 200
    assert server.metrics()["spate_admission_queued"] == 1
    waiting.settimeout(30)
    status, _, answer = read_response(waiting)  # shed without its body having been read
    assert status == 503
    assert json.loads(answer)["__type"] == "ServiceUnavailable"
    assert server.metrics()["spate_admission_shed_total"] >= 1

    holder.close()
    wait_for(lambda: server.metrics()["spate_admission_active"] == 0, what="the slot back")
    fresh = connect(server)
    assert list_streams(server, fresh) == 200
    for s in (waiting, fresh):
        s.close()
