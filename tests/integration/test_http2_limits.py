"""spated's HTTP/2 limits on one h2c connection: concurrent streams and header lists, hit on
purpose with python3-h2, and what the server does at and past each.

Proves:
- the server advertises SETTINGS_MAX_CONCURRENT_STREAMS 128 and SETTINGS_MAX_HEADER_LIST_SIZE
  65536;
- streams a client opens beyond 128 before it has acknowledged those SETTINGS (it could not
  know the limit yet) are refused with RST_STREAM REFUSED_STREAM, nothing of them is written,
  the 128 accepted streams are all served, and the refused requests succeed when retried on
  the same connection (REFUSED_STREAM means "not processed, safe to retry", RFC 9113 8.7);
- while 128 requests are with the server (counted until answered, even after the client reset
  their streams), every new stream is refused with REFUSED_STREAM, the connection stays up
  (PING answered), and new streams are served again once those answers are back;
- a client that opens a 129th stream after acknowledging the limit breaks the protocol:
  libnghttp2 ends that connection with GOAWAY PROTOCOL_ERROR whose last stream id is the
  128th stream (RFC 9113 5.4 lets a stream error be treated as a connection error), and other
  connections, open or new, are served on;
- a header list of exactly 65536 bytes (name + value + 32 per field, pseudo-headers included,
  as RFC 9113 counts it) is served; one byte more is answered 431 SerializationException on
  its stream alone, with or without a request body, and the connection serves on;
- an HPACK bomb (one 4 KB header repeated through the dynamic table: a few KB on the wire,
  megabytes decoded) is counted by its decoded size and answered 431;
- a header block spread over more than 8 CONTINUATION frames ends its connection (libnghttp2's
  CONTINUATION-flood guard) without an answer, and the server serves other connections.
"""

from __future__ import annotations

import json
import socket

import h2.errors
import h2.events
import h2.settings

from spate_harness import (
    JSON_CONTENT_TYPE,
    TARGET_PREFIX,
    b64,
    http_get,
    read_shard,
    shard_id,
    wait_active,
    wait_until,
)
from test_http2 import H2Client

MAX_STREAMS = 128
MAX_HEADER_LIST = 65536
TOO_LARGE = {"__type": "SerializationException", "Message": "Request headers exceed the limit."}


def base_headers(c: H2Client, action: str) -> list[tuple[str, str]]:
    return [(":method", "POST"), (":path", "/"), (":scheme", "http"), (":authority", c.authority),
            ("content-type", JSON_CONTENT_TYPE), ("x-amz-target", f"{TARGET_PREFIX}.{action}")]


def get(c: H2Client, path: str) -> int:
    return c.start(None, method="GET", path=path)


def list_size(headers: list[tuple[str, str]]) -> int:
    """The header list size as SETTINGS_MAX_HEADER_LIST_SIZE counts it (RFC 9113 6.5.2)."""
    return sum(len(n.encode()) + len(v.encode()) + 32 for n, v in headers)


def assert_serves(c: H2Client) -> None:
    status, body = c.call("ListStreams")
    assert status == 200 and "StreamNames" in body, (status, body)


# --------------------------------------------------------------------------------------------
# Concurrent streams
# --------------------------------------------------------------------------------------------


def test_streams_beyond_the_limit_before_the_settings_ack_are_refused(server):
    kinesis = server.client()
    kinesis.create_stream(StreamName="early", ShardCount=1)
    wait_active(kinesis, "early")
    c = H2Client(server.port)  # preface sent; the server's SETTINGS not read, so not acked
    try:
        ids, rests = [], []
        for i in range(MAX_STREAMS + 2):
            body = json.dumps({"StreamName": "early", "PartitionKey": f"k{i}",
                               "Data": b64(b"first-%03d" % i)}).encode()
            # Half of each body now: every stream stays open.
            ids.append(c.start("PutRecord", body[:20], end=False))
            rests.append(body[20:])
        c.pump(lambda: all(c.responses[i]["reset"] is not None for i in ids[MAX_STREAMS:]))
        assert c.terminated is None
        assert [c.responses[i]["reset"] for i in ids[MAX_STREAMS:]] == [
            h2.errors.ErrorCodes.REFUSED_STREAM] * 2
        assert c.conn.remote_settings.max_concurrent_streams == MAX_STREAMS
        assert c.conn.remote_settings.max_header_list_size == MAX_HEADER_LIST
        # The 128 accepted streams finish and are all served.
        for sid, rest in zip(ids[:MAX_STREAMS], rests):
            c.send_body(sid, rest)
        c.pump(lambda: all(c.responses[i]["ended"] for i in ids[:MAX_STREAMS]))
        assert [c.responses[i]["status"] for i in ids[:MAX_STREAMS]] == [200] * MAX_STREAMS
        assert all(c.responses[i]["reset"] is None for i in ids[:MAX_STREAMS])
        # The refused two were not processed: retried on the same connection, they pass.
        for i in (MAX_STREAMS, MAX_STREAMS + 1):
            status, body = c.call("PutRecord", {"StreamName": "early", "PartitionKey": f"k{i}",
                                                "Data": b64(b"retry-%03d" % i)})
            assert status == 200 and body["ShardId"] == "shardId-000000000000"
    finally:
        c.close()
    # Stored: the 128 accepted first attempts and the two retries, nothing of the refused.
    expected = [b"first-%03d" % i for i in range(MAX_STREAMS)]
    expected += [b"retry-%03d" % i for i in (MAX_STREAMS, MAX_STREAMS + 1)]
    got = [r["Data"] for r in read_shard(kinesis, "early", shard_id(0))[0]]
    assert len(got) == MAX_STREAMS + 2
    assert sorted(got) == sorted(expected)


def test_requests_with_the_server_count_until_answered_even_when_reset(spated_factory):
    """One admission slot, held by a stalled HTTP/1.1 request: 128 h2 requests wait for it;
    the client resets their streams, so none is open, yet they still count and a new stream
    is refused until their answers are back."""
    server = spated_factory(extra_args=["--admission-slots", "1",
                                        "--admission-max-wait-ms", "60000",
                                        "--admission-overload-wait-ms", "60000"])
    holder = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    c = H2Client(server.port)
    try:
        holder.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Type: application/x-amz-json-1.1\r\n"
                       b"X-Amz-Target: Kinesis_20131202.ListStreams\r\n"
                       b"Content-Length: 100\r\n\r\n{")
        wait_until(lambda: server.metrics()["spate_admission_active"] == 1, 20, "the held slot")
        healthz = get(c, "/healthz")  # never queued: the SETTINGS exchange completes meanwhile
        assert c.wait(healthz)["status"] == 200
        ids = [c.start("ListStreams", b"{}") for _ in range(MAX_STREAMS)]
        wait_until(lambda: server.metrics()["spate_admission_queued"] == MAX_STREAMS, 20,
                   "128 queued requests")
        for sid in ids:
            c.conn.reset_stream(sid)
        c.flush()
        refused = get(c, "/healthz")
        assert c.wait(refused)["reset"] == h2.errors.ErrorCodes.REFUSED_STREAM
        assert c.responses[refused]["status"] is None
        c.conn.ping(b"still-up")
        c.flush()
        c.pump(lambda: bool(c.pings))
        assert c.pings == [b"still-up"] and c.terminated is None
        assert server.metrics()["spate_admission_queued"] == MAX_STREAMS

        holder.close()  # the slot comes back; the 128 are served, their answers dropped
        wait_until(lambda: server.metrics()["spate_admission_queued"] == 0, 20,
                   "the queue drained")

        def served_again() -> bool:
            r = c.wait(get(c, "/healthz"))
            assert r["status"] == 200 or r["reset"] == h2.errors.ErrorCodes.REFUSED_STREAM, r
            return r["status"] == 200

        wait_until(served_again, 20, "a new stream served on the same connection")
        assert c.terminated is None
        assert_serves(c)
    finally:
        holder.close()
        c.close()


def test_a_client_over_the_acknowledged_limit_loses_only_its_own_connection(server):
    with H2Client(server.port) as bystander, H2Client(server.port) as c:
        assert_serves(bystander)
        assert_serves(c)  # SETTINGS exchanged and acknowledged both ways
        assert c.conn.remote_settings.max_concurrent_streams == MAX_STREAMS
        # Make python-h2 ignore the limit it was told, as a broken client would.
        c.conn.remote_settings[h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS] = 1000
        c.conn.remote_settings.acknowledge()
        ids = [c.start("ListStreams", b"{", end=False) for _ in range(MAX_STREAMS + 1)]
        c.pump(lambda: c.terminated is not None)
        assert c.terminated is not None
        assert c.terminated.error_code == h2.errors.ErrorCodes.PROTOCOL_ERROR
        assert c.terminated.last_stream_id == ids[MAX_STREAMS - 1]
        assert b"max concurrent streams exceeded" in c.terminated.additional_data
        # The connection is gone: the server closes it.
        c.sock.settimeout(10)
        try:
            while c.sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
        # Everyone else is served.
        assert_serves(bystander)
        with H2Client(server.port) as fresh:
            assert_serves(fresh)
        assert http_get(server.endpoint, "/healthz")[0] == 200


# --------------------------------------------------------------------------------------------
# Header lists
# --------------------------------------------------------------------------------------------


def padded(c: H2Client, total: int, get_health: bool = False) -> list[tuple[str, str]]:
    """ListStreams headers (or GET /healthz's) padded with x-pad-NN fields to exactly `total`
    bytes."""
    headers = ([(":method", "GET"), (":path", "/healthz"), (":scheme", "http"),
                (":authority", c.authority)] if get_health else base_headers(c, "ListStreams"))
    n = 0
    while list_size(headers) < total:
        name = f"x-pad-{n:02d}"
        room = total - list_size(headers) - len(name) - 32
        headers.append((name, "v" * min(4000, max(room, 0))))
        n += 1
    assert list_size(headers) == total, "the last field could not be fitted exactly"
    return headers


def test_header_list_at_the_limit_is_served_and_one_byte_more_is_431(server):
    with H2Client(server.port) as c:
        assert_serves(c)
        assert c.conn.remote_settings.max_header_list_size == MAX_HEADER_LIST
        # A POST with a body, and a GET with END_STREAM on its HEADERS.
        for body, health in ((b"{}", False), (b"", True)):
            ok = c.wait(c.open_stream(padded(c, MAX_HEADER_LIST, health), body))
            assert ok["status"] == 200, ok
            assert ok["body"] == b"ok\n" if health else "StreamNames" in json.loads(ok["body"])
            over = c.wait(c.open_stream(padded(c, MAX_HEADER_LIST + 1, health), body))
            assert over["status"] == 431, over
            assert over["headers"]["content-type"] == JSON_CONTENT_TYPE
            assert json.loads(over["body"]) == TOO_LARGE
            assert over["reset"] is None and c.terminated is None
        # The refusals were on their streams only.
        assert_serves(c)


def test_a_large_body_after_an_oversized_header_list_is_dropped_and_answered_431(server):
    with H2Client(server.port) as c:
        assert_serves(c)
        body = json.dumps({"StreamName": "x" * 100, "Limit": 1}).encode() + b" " * (3 << 20)
        r = c.wait(c.open_stream(padded(c, MAX_HEADER_LIST + 1000), body), timeout=60)
        assert r["status"] == 431, r
        assert json.loads(r["body"]) == TOO_LARGE
        assert_serves(c)


def test_hpack_bomb_is_counted_decoded_and_refused(server):
    with H2Client(server.port) as c:
        assert_serves(c)
        # One 4,000-byte field, then 1,000 references to it in HPACK's dynamic table.
        headers = base_headers(c, "ListStreams") + [("x-bomb", "b" * 4000)] * 1000
        assert list_size(headers) > 4_000_000
        sid = c.open_stream(headers, flush=False)
        wire = c.conn.data_to_send()
        assert len(wire) < 16384, "the bomb should fit one HEADERS frame"
        c.sock.sendall(wire)
        r = c.wait(sid)
        assert r["status"] == 431 and json.loads(r["body"]) == TOO_LARGE, r
        assert_serves(c)


def test_header_block_over_eight_continuations_ends_only_its_connection(server):
    with H2Client(server.port) as bystander, H2Client(server.port) as c:
        assert_serves(bystander)
        assert_serves(c)
        # Header values HPACK cannot shrink: 40 fields of 4 KB of distinct bytes each, about
        # 200 KB on the wire, more than HEADERS plus 8 CONTINUATION frames of 16 KB.
        headers = base_headers(c, "ListStreams") + [
            (f"x-noise-{i:02d}", "".join(chr(33 + (i * 7 + j * 13) % 94) for j in range(4000)))
            for i in range(40)]
        c.open_stream(headers, flush=False)
        wire = c.conn.data_to_send()
        assert len(wire) > 9 * 16384 + 9 * 9
        try:
            c.sock.sendall(wire)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close before it has taken it all
        c.sock.settimeout(10)
        received = b""
        try:
            while chunk := c.sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
        # The connection ended without an answer on the stream.
        events = c.conn.receive_data(received) if received else []
        assert not any(isinstance(e, h2.events.ResponseReceived) for e in events), events
        # Other connections are served, and new ones too.
        assert_serves(bystander)
        with H2Client(server.port) as fresh:
            assert_serves(fresh)
