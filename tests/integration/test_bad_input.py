"""Malformed, hostile and odd HTTP input gets a clean error and never hurts other clients.

Proves: malformed JSON, wrong member types, a missing or unknown X-Amz-Target, a wrong or
missing Content-Type, non-POST methods and garbage that is not HTTP at all each get a 4xx
answer (a JSON `{"__type": ...}` body where the request was JSON 1.1) or a closed connection,
never a 5xx or a crash; a body larger than the server's limit (far above the largest legal
PutRecords) is refused without the server falling over; clients that send half a request and
stall, or that half-close or reset their connections, do not block anyone else and are cut
off after the read timeout; pipelined requests on one keep-alive connection are answered in
order (and pipelined writes applied in order); 64 concurrent clients are all served; HTTP/1.0,
`Expect: 100-continue` and a chunked request body work; SIGTERM with idle and stalled
connections open still exits 0 promptly;
a thousand seeded random bodies across every action each get a clean JSON error (or a
success) while a canary client keeps being served; /healthz and /metrics work and the metrics
count requests, open connections and commit rounds. The module's server must still stop with
exit code 0.
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import select
import socket
import string
import threading
import time

import pytest

from spate_harness import (
    JSON_CONTENT_TYPE,
    TARGET_PREFIX,
    error_type,
    http_get,
    parse_prometheus,
    prometheus_histogram,
    raw_call,
    sign_headers,
    signed_call,
    wait_active,
    wait_until,
)

ACTIONS = [
    "CreateStream", "DeleteStream", "DescribeStream", "DescribeStreamSummary", "ListStreams",
    "ListShards", "PutRecord", "PutRecords", "GetShardIterator", "GetRecords",
    "IncreaseStreamRetentionPeriod", "DecreaseStreamRetentionPeriod", "AddTagsToStream",
    "RemoveTagsFromStream", "ListTagsForStream", "TagResource", "UntagResource",
    "ListTagsForResource", "SplitShard", "MergeShards", "UpdateShardCount", "UpdateStreamMode",
    "DescribeLimits",
]


@pytest.fixture(scope="module")
def canary_stream(_module_server):
    """A stream on the module's server that the canary checks read and write."""
    kinesis = _module_server.client()
    kinesis.create_stream(StreamName="canary", ShardCount=1)
    wait_active(kinesis, "canary")
    return "canary"


def _canary(server, stream="canary"):
    """A well-behaved client still gets correct answers."""
    status, body = signed_call(server.endpoint, "DescribeStreamSummary", {"StreamName": stream})
    assert status == 200, body
    assert body["StreamDescriptionSummary"]["StreamName"] == stream
    status, _ = http_get(server.endpoint, "/healthz", timeout=5)
    assert status == 200


def _connect(server, timeout=10.0) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


class _Metrics:
    """GET /metrics over one keep-alive connection: reading the connection count this way opens
    and closes nothing (a connection just closed may still be counted for a moment), and the
    reader's own connection is always one of those counted."""

    def __init__(self, server) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)

    def get(self) -> dict[str, float]:
        self.conn.request("GET", "/metrics")
        resp = self.conn.getresponse()
        body = resp.read()
        assert resp.status == 200, body[:300]
        assert not resp.will_close, "/metrics did not keep the connection open"
        return parse_prometheus(body.decode())

    def open_connections(self) -> int:
        return int(self.get()["spate_open_connections"])

    def close(self) -> None:
        self.conn.close()


def _request_bytes(server, action, body: bytes, extra: dict | None = None,
                   content_type=JSON_CONTENT_TYPE) -> bytes:
    headers = {"Content-Type": content_type, "X-Amz-Target": f"{TARGET_PREFIX}.{action}"}
    headers = sign_headers(server.endpoint, body, headers)
    if extra:
        headers.update(extra)
    lines = ["POST / HTTP/1.1", f"Host: 127.0.0.1:{server.port}",
             f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _read_response(f):
    """Reads one HTTP/1.1 response from a binary file object: (status, headers, body)."""
    status_line = f.readline()
    if not status_line:
        raise ConnectionError("connection closed before a response")
    parts = status_line.decode("latin-1").split(" ", 2)
    status = int(parts[1])
    headers = {}
    while True:
        line = f.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        k, _, v = line.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            size = int(f.readline().split(b";")[0], 16)
            if size == 0:
                f.readline()
                break
            body += f.read(size)
            f.readline()
    else:
        body = f.read(int(headers.get("content-length", "0")))
    return status, headers, body


def _assert_clean_error(status, body, what):
    assert 400 <= status < 500, f"{what}: HTTP {status} {body!r}"[:500]
    if isinstance(body, dict):
        assert isinstance(body.get("__type"), str) and body["__type"], f"{what}: {body}"


# ------------------------------------------------------------------------ envelope ----


def test_health_and_metrics(server):
    status, body = http_get(server.endpoint, "/healthz")
    assert status == 200
    metrics = server.metrics()
    names = {k.split("{")[0] for k in metrics}
    for needed in ("spate_requests_total", "spate_open_connections",
                   "spate_resident_memory_bytes"):
        assert needed in names, f"/metrics lacks {needed}: {sorted(names)[:40]}"
    assert sum(v for k, v in metrics.items()
               if k.split("{")[0] == "spate_resident_memory_bytes") > 1_000_000


def test_metrics_count_requests(server, canary_stream):
    """Each answered request is counted under its action before its answer is sent (tests of
    one pytest worker run one at a time, so nothing else talks to this server meanwhile)."""
    series = 'spate_requests_total{action="DescribeStreamSummary"}'
    before = server.metrics()[series]
    for _ in range(25):
        _canary(server)
    assert server.metrics()[series] - before == 25


@pytest.mark.parametrize("fsync", ["batch", "never"])
def test_metrics_time_each_commit_round(spated_factory, fsync):
    """spate_commit_sync_seconds holds one duration per group-commit round. Under --fsync
    batch every acknowledged put was covered by a round that began after its records were
    written and ended before its answer, so puts made one after another each add at least one
    round; the buckets are cumulative and end at the count. Under --fsync never nothing is
    synced and nothing is counted."""
    server = spated_factory(fsync=fsync)
    kinesis = server.client()
    kinesis.create_stream(StreamName="timed", ShardCount=2)
    wait_active(kinesis, "timed")

    def histogram():
        return prometheus_histogram(server.metrics(), "spate_commit_sync_seconds")

    _, count_before, sum_before = histogram()
    puts = 20
    for i in range(puts):
        answer = kinesis.put_records(StreamName="timed", Records=[
            {"PartitionKey": f"k{i}-{j}", "Data": b"x" * 100} for j in range(10)])
        assert answer["FailedRecordCount"] == 0
    buckets, count, total = histogram()
    assert [b for b, _ in buckets][-1] == float("inf")
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), buckets
    assert buckets[-1][1] == count
    if fsync == "never":
        assert count == 0 and total == 0
    else:
        assert count - count_before >= puts, (count_before, count)
        assert total > sum_before


def test_metrics_count_open_connections(fresh_server):
    """spate_open_connections follows connections as they open and close: on a server of its
    own, with /metrics read over one kept-alive connection, the count is exactly that one plus
    the test's idle ones."""
    metrics = _Metrics(fresh_server)
    idle = []
    try:
        # The start-up's /healthz connections are gone; only the reader's is left.
        wait_until(lambda: metrics.open_connections() == 1, 10,
                   lambda: f"1 open connection, have {metrics.open_connections()}")
        idle = [_connect(fresh_server) for _ in range(20)]
        wait_until(lambda: metrics.open_connections() == 21, 10,
                   lambda: f"the 20 idle connections counted: have {metrics.open_connections()}")
        for s in idle:
            s.close()
        wait_until(lambda: metrics.open_connections() == 1, 10,
                   lambda: f"the 20 closed connections uncounted: have "
                           f"{metrics.open_connections()}")
    finally:
        for s in idle:
            s.close()
        metrics.close()


@pytest.mark.parametrize("body", [
    b"{", b"}", b"{\"StreamName\":", b"{'StreamName': 'x'}", b"{\"a\" 1}", b"nul",
    b"{\"StreamName\":\"x\",}", b"\x00\x01\x02", b"{\"StreamName\":\"\\ud800\"}",
    b"{\"StreamName\":\"x\"}{\"StreamName\":\"y\"}", b"[" * 10_000, b"{\"a\":" * 10_000,
    "{\"StreamName\":\"é\"}".encode("latin-1"),
])
def test_malformed_json(server, canary_stream, body):
    status, parsed = raw_call(server.endpoint, "DescribeStreamSummary", body)
    _assert_clean_error(status, parsed, body[:40])
    assert isinstance(parsed, dict), f"error body is not JSON: {parsed!r}"[:300]
    assert error_type(parsed) in ("SerializationException", "ValidationException"), parsed
    _canary(server)


def test_missing_and_unknown_target(server, canary_stream):
    status, body = raw_call(server.endpoint, None, {"StreamName": "canary"})
    _assert_clean_error(status, body, "no X-Amz-Target")
    assert error_type(body) == "UnknownOperationException", body
    for target in ("", "Kinesis_20131202", "Kinesis_20131202.", ".", "x" * 5000,
                   "Kinesis_20131202.DescribeStreamSummary.Extra", "Kinesis_20131202.Describe\u00e9"):
        status, body = raw_call(server.endpoint, None, {"StreamName": "canary"},
                                target=target.encode("utf-8").decode("latin-1"))
        _assert_clean_error(status, body, f"target {target[:30]!r}")
    _canary(server)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml",
                                          "application/x-www-form-urlencoded", "", "garbage/;;;"])
def test_wrong_content_type(server, canary_stream, content_type):
    status, body = raw_call(server.endpoint, "DescribeStreamSummary", {"StreamName": "canary"},
                            content_type=content_type)
    _assert_clean_error(status, body, f"content type {content_type!r}")
    _canary(server)


def test_content_type_with_charset_parameter_is_json(server, canary_stream):
    status, body = raw_call(server.endpoint, "DescribeStreamSummary", {"StreamName": "canary"},
                            content_type=JSON_CONTENT_TYPE + "; charset=utf-8")
    assert status == 200, body


def test_empty_body(server, canary_stream):
    status, body = raw_call(server.endpoint, "DescribeStreamSummary", b"")
    _assert_clean_error(status, body, "empty body")
    assert error_type(body) == "SerializationException", body
    _canary(server)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods(server, canary_stream, method):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, "/", body=b"{}",
                     headers={"Content-Type": JSON_CONTENT_TYPE,
                              "X-Amz-Target": f"{TARGET_PREFIX}.ListStreams"})
        resp = conn.getresponse()
        resp.read()
        assert 400 <= resp.status < 500, f"{method} / answered {resp.status}"
    finally:
        conn.close()
    _canary(server)


@pytest.mark.parametrize("junk", [
    b"HELLO\r\n\r\n",
    b"POST / HTTP/9.9\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n12345",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(200),  # a TLS ClientHello
    bytes(range(256)) * 4,
    b"\r\n" * 1000,
])
def test_not_http_at_all(server, canary_stream, junk):
    sock = _connect(server)
    try:
        try:
            sock.sendall(junk)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may already have hung up: fine
        data = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        if data:
            status = int(data.split(b" ", 2)[1])
            assert 400 <= status < 500 or status == 505, data[:300]
    finally:
        sock.close()
    _canary(server)


def test_chunked_request_body(server, canary_stream):
    body = json.dumps({"StreamName": "canary"}).encode()
    headers = sign_headers(server.endpoint, body, {
        "Content-Type": JSON_CONTENT_TYPE,
        "X-Amz-Target": f"{TARGET_PREFIX}.DescribeStreamSummary"})
    head = ["POST / HTTP/1.1", f"Host: 127.0.0.1:{server.port}", "Transfer-Encoding: chunked"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 5]), body[i:i + 5])
                      for i in range(0, len(body), 5)) + b"0\r\n\r\n"
    sock = _connect(server)
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + chunks)
        status, _, data = _read_response(sock.makefile("rb"))
        assert status == 200, data
        assert json.loads(data)["StreamDescriptionSummary"]["StreamName"] == "canary"
    finally:
        sock.close()


# ----------------------------------------------------------------------- big bodies ----


def test_oversized_body_is_refused(server, canary_stream):
    """Content-Length of 2 GiB: refused (413 or a 4xx JSON error, or a closed connection)
    while the client is still sending, and the server is fine afterwards."""
    declared = 2 * 1024**3
    body_head = b'{"StreamName":"canary","Records":[{"PartitionKey":"k","Data":"'
    headers = sign_headers(server.endpoint, b"", {
        "Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": f"{TARGET_PREFIX}.PutRecords"})
    head = ["POST / HTTP/1.1", f"Host: 127.0.0.1:{server.port}", f"Content-Length: {declared}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    sock = _connect(server, timeout=30)
    sent = 0
    response = b""
    chunk = b"A" * (1 << 20)
    started = time.monotonic()
    try:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body_head)
        while sent < declared and time.monotonic() - started < 60:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(chunk)
            except OSError:
                break
            sent += len(chunk)
        try:
            sock.settimeout(10)
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                response += data
                if b"\r\n\r\n" in response and len(response) > 200:
                    break
        except OSError:
            pass
    finally:
        sock.close()
    assert sent < declared, "the server read a 2 GiB body without refusing it"
    if response:
        status = int(response.split(b" ", 2)[1])
        assert status in (400, 413), response[:300]
    _canary(server)


def test_largest_legal_put_records_body_is_accepted(server, canary_stream):
    """5 MiB of data in 500 records (base64 inflates it to ~7 MiB of JSON): accepted."""
    size = (5 * 1024 * 1024) // 500 - 3  # data + 3-char key per record
    records = [{"PartitionKey": f"{i:03d}", "Data": base64.b64encode(bytes([i % 256]) * size).decode()}
               for i in range(500)]
    status, body = signed_call(server.endpoint, "PutRecords",
                               {"StreamName": "canary", "Records": records})
    assert status == 200, str(body)[:500]
    assert body["FailedRecordCount"] == 0 and len(body["Records"]) == 500


# ------------------------------------------------------------- slow and rude clients ----


def test_slow_clients_do_not_block_others(server, canary_stream):
    stalled = []
    try:
        for i in range(30):
            s = _connect(server)
            full = _request_bytes(server, "DescribeStreamSummary",
                                  json.dumps({"StreamName": "canary"}).encode())
            if i % 3 == 0:
                s.sendall(full[: len(full) // 3])          # half the headers
            elif i % 3 == 1:
                s.sendall(full[:-10])                       # headers, most of the body
            else:
                s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # a slowloris start
            stalled.append(s)
        started = time.monotonic()
        for _ in range(20):
            _canary(server)
        assert time.monotonic() - started < 10, "stalled clients slowed everyone down"

        # A stalled request completes normally when the rest finally arrives.
        s = _connect(server)
        full = _request_bytes(server, "DescribeStreamSummary",
                              json.dumps({"StreamName": "canary"}).encode())
        s.sendall(full[:50])
        time.sleep(0.5)
        _canary(server)
        s.sendall(full[50:])
        status, _, body = _read_response(s.makefile("rb"))
        assert status == 200, body
        s.close()
    finally:
        for s in stalled:
            s.close()
    _canary(server)


def test_half_open_and_reset_connections(server, canary_stream):
    body = json.dumps({"StreamName": "canary"}).encode()
    # Request, then half-close: the answer still arrives.
    s = _connect(server)
    s.sendall(_request_bytes(server, "DescribeStreamSummary", body))
    s.shutdown(socket.SHUT_WR)
    status, _, data = _read_response(s.makefile("rb"))
    assert status == 200, data
    s.close()

    for i in range(100):
        s = _connect(server)
        if i % 4 == 0:
            pass                                             # connect, say nothing, leave
        elif i % 4 == 1:
            s.sendall(_request_bytes(server, "DescribeStreamSummary", body))  # never read
        elif i % 4 == 2:
            s.sendall(_request_bytes(server, "DescribeStreamSummary", body)[:40])
        else:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.sendall(_request_bytes(server, "DescribeStreamSummary", body))
        s.close()                                            # i % 4 == 3: RST
    _canary(server)

    # Half-open: the client vanishes without FIN (kept open here, never read).
    ghosts = []
    for _ in range(10):
        s = _connect(server)
        s.sendall(_request_bytes(server, "GetRecords", b"{\"ShardIterator\":\"x\"}"))
        ghosts.append(s)
    _canary(server)
    for s in ghosts:
        s.close()


def test_pipelined_requests_answered_in_order(server, canary_stream):
    kinesis = server.client()
    names = []
    for i in range(3):
        name = f"pipe-{i}"
        kinesis.create_stream(StreamName=name, ShardCount=i + 1)
        names.append(name)
    for name in names:
        wait_active(kinesis, name)

    requests = []
    expected = []
    for i in range(24):
        if i % 4 == 3:
            requests.append(("DescribeStreamSummary", {"StreamName": f"missing-{i}"}))
            expected.append(("error", f"missing-{i}"))
        else:
            name = names[i % 3]
            requests.append(("DescribeStreamSummary", {"StreamName": name}))
            expected.append(("ok", name))
    payload = b"".join(_request_bytes(server, a, json.dumps(p).encode()) for a, p in requests)

    sock = _connect(server, timeout=20)
    try:
        sock.sendall(payload)  # all of them at once, before reading anything
        f = sock.makefile("rb")
        for kind, name in expected:
            status, _, data = _read_response(f)
            body = json.loads(data)
            if kind == "ok":
                assert status == 200, body
                assert body["StreamDescriptionSummary"]["StreamName"] == name
                assert body["StreamDescriptionSummary"]["OpenShardCount"] == names.index(name) + 1
            else:
                assert status == 400 and error_type(body) == "ResourceNotFoundException"
                assert name in body["message"]
        # The connection is still usable afterwards.
        sock.sendall(_request_bytes(server, "ListStreams", b"{}"))
        status, _, data = _read_response(f)
        assert status == 200 and "canary" in json.loads(data)["StreamNames"]
    finally:
        sock.close()


def test_keep_alive_survives_errors(server, canary_stream):
    """An error answer does not close a keep-alive connection (boto3 reuses it)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for i in range(20):
            body = b"{bad json" if i % 2 else json.dumps({"StreamName": "canary"}).encode()
            headers = sign_headers(server.endpoint, body, {
                "Content-Type": JSON_CONTENT_TYPE,
                "X-Amz-Target": f"{TARGET_PREFIX}.DescribeStreamSummary"})
            conn.request("POST", "/", body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            assert resp.status == (400 if i % 2 else 200), data
            assert resp.getheader("Content-Type", "").startswith("application/x-amz-json-1.1")
    finally:
        conn.close()


# ------------------------------------------------------------------- random bodies ----


def _random_scalar(rng):
    return rng.choice([
        None, True, False, 0, -1, 1, 2**31, 2**63, 2**128, 1.5, -0.0, 1e308, "", "x",
        "canary", "shardId-000000000000", "A" * rng.randrange(0, 600),
        "".join(rng.choice(string.printable) for _ in range(rng.randrange(0, 40))),
        "\u0000\u2028\ud7ff\U0001F511", str(2**128), "AT_LATEST", "TRIM_HORIZON",
        base64.b64encode(rng.randbytes(rng.randrange(0, 64))).decode(),
    ])


def _random_value(rng, depth=0):
    r = rng.random()
    if depth > 3 or r < 0.6:
        return _random_scalar(rng)
    if r < 0.8:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    return {_random_key(rng): _random_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))}


MEMBERS = ["StreamName", "ShardCount", "Limit", "ExclusiveStartShardId", "Records", "Data",
           "PartitionKey", "ExplicitHashKey", "ShardId", "ShardIteratorType", "ShardIterator",
           "StartingSequenceNumber", "Timestamp", "NextToken", "MaxResults", "ShardFilter",
           "Tags", "TagKeys", "RetentionPeriodHours", "ShardToSplit", "NewStartingHashKey",
           "ShardToMerge", "AdjacentShardToMerge", "TargetShardCount", "ScalingType",
           "StreamARN", "ResourceARN", "StreamModeDetails", "SequenceNumberForOrdering",
           "ExclusiveStartStreamName", "StreamCreationTimestamp", "EnforceConsumerDeletion"]


def _random_key(rng):
    return rng.choice(MEMBERS) if rng.random() < 0.8 else _random_scalar(rng).__str__()[:20]


def _random_body(rng) -> bytes:
    kind = rng.random()
    if kind < 0.15:
        return rng.randbytes(rng.randrange(0, 2000))
    if kind < 0.25:
        text = json.dumps({_random_key(rng): _random_value(rng) for _ in range(rng.randrange(0, 6))})
        cut = rng.randrange(0, max(1, len(text)))
        return text[:cut].encode()
    if kind < 0.35:
        return json.dumps(_random_value(rng)).encode()
    obj = {_random_key(rng): _random_value(rng) for _ in range(rng.randrange(0, 8))}
    if rng.random() < 0.3:
        obj["StreamName"] = rng.choice(["canary", "missing", "", "x" * 200])
    return json.dumps(obj).encode()


def test_a_thousand_random_bodies(server, canary_stream):
    rng = random.Random(20240601)
    conn = None
    problems = []
    for i in range(1000):
        action = rng.choice(ACTIONS) if rng.random() < 0.95 else "Nope"
        if action in ("DeleteStream",):
            action = "DescribeStream"  # keep the canary alive; deleting is tested elsewhere
        body = _random_body(rng)
        if action in ("UpdateStreamMode", "TagResource", "UntagResource", "SplitShard",
                      "MergeShards", "UpdateShardCount") and b"canary" in body:
            body = body.replace(b"canary", b"canarx")
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
        headers = sign_headers(server.endpoint, body, {
            "Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": f"{TARGET_PREFIX}.{action}"})
        try:
            conn.request("POST", "/", body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as e:
            problems.append(f"#{i} {action} {body[:80]!r}: connection error {e!r}")
            conn.close()
            conn = None
            continue
        if resp.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = None
        try:
            parsed = json.loads(data) if data else {}
        except ValueError:
            problems.append(f"#{i} {action} {body[:80]!r}: HTTP {resp.status}, non-JSON {data[:80]!r}")
            continue
        if resp.status == 200:
            if not isinstance(parsed, dict):
                problems.append(f"#{i} {action}: 200 with {parsed!r}"[:300])
            continue
        if resp.status != 400 or not isinstance(parsed, dict) or not isinstance(
                parsed.get("__type"), str):
            problems.append(f"#{i} {action} {body[:120]!r}: HTTP {resp.status} {data[:200]!r}")
        if i % 100 == 99:
            _canary(server)
    if conn is not None:
        conn.close()
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(problems[:20])
    _canary(server)
    assert server.running()


# --------------------------------------------------------------- protocol corners ----


def test_http_1_0_request(server, canary_stream):
    body = json.dumps({"StreamName": "canary"}).encode()
    raw = _request_bytes(server, "DescribeStreamSummary", body).replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    sock = _connect(server)
    try:
        sock.sendall(raw)
        f = sock.makefile("rb")
        status, _, data = _read_response(f)
        assert status == 200, data
        assert f.read() == b"", "an HTTP/1.0 connection without keep-alive must be closed"
    finally:
        sock.close()


def test_expect_100_continue(server, canary_stream):
    """Some SDKs send `Expect: 100-continue` before a large body."""
    body = json.dumps({"StreamName": "canary", "Records": [
        {"PartitionKey": "k", "Data": base64.b64encode(b"x" * 4000).decode()}]}).encode()
    raw = _request_bytes(server, "PutRecords", body, extra={"Expect": "100-continue"})
    head, payload = raw.split(b"\r\n\r\n", 1)
    sock = _connect(server)
    try:
        sock.sendall(head + b"\r\n\r\n")
        readable, _, _ = select.select([sock], [], [], 1.0)
        f = sock.makefile("rb")
        if readable:
            line = f.readline()
            assert line.startswith(b"HTTP/1.1 100"), line
            f.readline()  # the blank line after the interim response
        sock.sendall(payload)
        status, _, data = _read_response(f)
        assert status == 200, data
        assert json.loads(data)["FailedRecordCount"] == 0
    finally:
        sock.close()


def test_responses_carry_a_request_id(server, canary_stream):
    ids = set()
    for i in range(5):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        body = b"{}" if i % 2 else b"{bad"
        headers = sign_headers(server.endpoint, body, {
            "Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": f"{TARGET_PREFIX}.ListStreams"})
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        rid = resp.getheader("x-amzn-RequestId")
        assert rid, "no x-amzn-RequestId header"
        ids.add(rid)
        conn.close()
    assert len(ids) == 5


def test_stalled_connection_is_closed_after_read_timeout(spated_factory):
    """A client that sends half a request and stalls is disconnected after --read-timeout-ms
    (a spated flag beyond the basic contract), so stalled clients cannot pile up forever."""
    server = spated_factory(extra_args=["--read-timeout-ms", "500"])
    sock = _connect(server)
    try:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Len")
        sock.settimeout(10)
        started = time.monotonic()
        try:
            data = sock.recv(65536)
            while data:
                data = sock.recv(65536)
        except ConnectionResetError:
            pass
        waited = time.monotonic() - started
        assert waited < 8, f"stalled connection still open after {waited:.1f}s"
    finally:
        sock.close()
    _canary_fresh = server.client().list_streams()
    assert _canary_fresh["StreamNames"] == []


def test_sigterm_with_idle_and_stalled_connections(spated_factory):
    """SIGTERM stops the server promptly (exit 0) even with idle keep-alive connections and
    half-sent requests open."""
    server = spated_factory()
    kinesis = server.client()
    kinesis.list_streams()  # boto3 keeps its connection open: one idle keep-alive connection
    metrics = _Metrics(server)  # another
    held = []
    try:
        base = metrics.open_connections()
        for i in range(40):
            s = _connect(server)
            if i % 2:
                s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            held.append(s)
        # The server has taken every one of them in before it is told to stop.
        wait_until(lambda: metrics.open_connections() >= base + 40, 10,
                   lambda: f"{base + 40} open connections, have {metrics.open_connections()}")
        started = time.monotonic()
        server.stop(timeout=10)  # asserts exit code 0
        assert time.monotonic() - started < 10
    finally:
        for s in held:
            s.close()
        metrics.close()


def test_pipelined_puts_keep_request_order(server, canary_stream):
    """Fifty PutRecords pipelined on one connection to one partition key are applied in
    request order: their sequence numbers increase in the order the answers come back."""
    requests = b"".join(
        _request_bytes(server, "PutRecord", json.dumps({
            "StreamName": "canary", "PartitionKey": "pipelined",
            "Data": base64.b64encode(b"p%d" % i).decode()}).encode())
        for i in range(50))
    sock = _connect(server, timeout=20)
    try:
        sock.sendall(requests)
        f = sock.makefile("rb")
        seqs = []
        for _ in range(50):
            status, _, data = _read_response(f)
            assert status == 200, data
            seqs.append(int(json.loads(data)["SequenceNumber"]))
    finally:
        sock.close()
    assert seqs == sorted(seqs) and len(set(seqs)) == 50


def test_many_concurrent_clients(server, canary_stream):
    """64 clients at once, each with its own connection, all get right answers."""
    failures: list[str] = []

    def client(n: int):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            for i in range(10):
                body = json.dumps({"StreamName": "canary", "PartitionKey": f"c{n}",
                                   "Data": base64.b64encode(b"%d-%d" % (n, i)).decode()}).encode()
                headers = sign_headers(server.endpoint, body, {
                    "Content-Type": JSON_CONTENT_TYPE,
                    "X-Amz-Target": f"{TARGET_PREFIX}.PutRecord"})
                conn.request("POST", "/", body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.status != 200 or "SequenceNumber" not in json.loads(data):
                    failures.append(f"client {n}: HTTP {resp.status} {data[:200]!r}")
            conn.close()
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            failures.append(f"client {n}: {e!r}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures[:10]
    _canary(server)


def test_idle_keep_alive_outlives_the_read_timeout_but_not_the_idle_timeout(spated_factory):
    """Between requests a connection may idle for --idle-timeout-ms; only a request that has
    begun must arrive within --read-timeout-ms."""
    server = spated_factory(extra_args=["--read-timeout-ms", "300", "--idle-timeout-ms", "2000"])
    patient = _connect(server)
    forgotten = _connect(server)
    opened = time.monotonic()
    try:
        patient.sendall(_request_bytes(server, "ListStreams", b"{}"))
        assert patient.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(1.0)  # idle for longer than the read timeout
        patient.sendall(_request_bytes(server, "ListStreams", b"{}"))
        assert patient.recv(4096).startswith(b"HTTP/1.1 200"), "idle connection was dropped"
        forgotten.settimeout(10)
        assert forgotten.recv(4096) == b"", "an idle connection outlived the idle timeout"
        assert 1.5 < time.monotonic() - opened < 8
    finally:
        patient.close()
        forgotten.close()
