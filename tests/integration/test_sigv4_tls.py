"""SigV4 checks over TLS, and TLS connections that stall, on
`spated --auth sigv4 --credentials FILE --tls-self-signed`.

Proves:
- boto3 over https (HTTP/1.1 over TLS) signed with a key from the file creates a stream, puts
  and reads records; a wrong secret is InvalidSignatureException (AWS's mismatch message with
  the canonical request, whose host is the https one), an unknown key
  UnrecognizedClientException, no signature MissingAuthenticationTokenException, all HTTP 400
  in AWS's JSON error shape, and nothing of a refused PutRecord is written;
- the same over h2 (TLS with ALPN h2, python3-h2), signed with botocore's SigV4Auth: the
  :authority pseudo-header is the signed host, so a signature made for another host is
  refused; refusals are answered on their stream and the connection serves on;
- TLS connections that stall are closed and do not keep a connection slot:
  one that never sends a ClientHello is closed after --idle-timeout-ms (and, while it waits,
  is the first to go when --max-connections is reached); one that stops in the middle of its
  ClientHello is closed after --read-timeout-ms; one that completes the handshake and stops
  in the middle of a request (HTTP/1.1: its header, or a signed header and part of its body)
  is closed after --read-timeout-ms; over h2 the stalled stream is reset (CANCEL) after
  --read-timeout-ms and the connection, without streams, gets GOAWAY after --idle-timeout-ms;
  at --max-connections, stalled handshakes hold their slots only until their timeout, then a
  new https client is served.
"""

from __future__ import annotations

import json
import select
import socket
import ssl
import time

import boto3
import h2.errors
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from spate_harness import http_get, unique_stream_name
from test_http2 import H2Client, tls_client_context

ACCESS_KEY = "AKIASPATETLS00000001"
SECRET_KEY = "tls/Secret+Key/For/Spate/SigV4/Tests000"
REGION = "us-east-1"
TARGET = "Kinesis_20131202."
JSON = "application/x-amz-json-1.1"
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.")
UNRECOGNIZED = {"__type": "UnrecognizedClientException",
                "message": "The security token included in the request is invalid."}
MISSING = {"__type": "MissingAuthenticationTokenException",
           "message": "Missing Authentication Token"}
READ_TIMEOUT_MS = 1000
IDLE_TIMEOUT_MS = 3000


def start_server(spated_factory, tmp_path, *flags: str):
    keys = tmp_path / "keys"
    keys.write_text(f"{ACCESS_KEY} {SECRET_KEY}\n")
    server = spated_factory(extra_args=["--auth", "sigv4", "--credentials", str(keys),
                                        "--tls-self-signed", *flags])
    server.cert = server.data_dir / "tls" / "self-signed.crt"
    return server


@pytest.fixture
def tls_server(spated_factory, tmp_path):
    return start_server(spated_factory, tmp_path)


@pytest.fixture
def stalling_server(spated_factory, tmp_path):
    return start_server(spated_factory, tmp_path, "--read-timeout-ms", str(READ_TIMEOUT_MS),
                        "--idle-timeout-ms", str(IDLE_TIMEOUT_MS), "--max-connections", "3")


def https_client(server, key=ACCESS_KEY, secret=SECRET_KEY):
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret,
                                    region_name=REGION)
    return session.client("kinesis", endpoint_url=f"https://localhost:{server.port}",
                          verify=str(server.cert),
                          config=Config(retries={"max_attempts": 0}, connect_timeout=5,
                                        read_timeout=30))


def protocol_count(server, protocol: str) -> float:
    return server.metrics().get(f'spate_connections_total{{protocol="{protocol}"}}', 0)


def records_of(kinesis, name: str) -> list[bytes]:
    it = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    return [r["Data"] for r in kinesis.get_records(ShardIterator=it)["Records"]]


def make_stream(server) -> str:
    kinesis = https_client(server)
    name = unique_stream_name("tls")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name,
                                             WaiterConfig={"Delay": 0.1, "MaxAttempts": 100})
    return name


def sign(server, action: str, body: bytes, *, key=ACCESS_KEY, secret=SECRET_KEY,
         host="localhost") -> dict[str, str]:
    """botocore's SigV4 headers for POST https://host:port/ with exactly `body`."""
    request = AWSRequest(method="POST", url=f"https://{host}:{server.port}/", data=body,
                         headers={"Content-Type": JSON, "X-Amz-Target": TARGET + action})
    SigV4Auth(Credentials(key, secret), "kinesis", REGION).add_auth(request)
    return dict(request.headers.items())


def assert_closed_within(sock: socket.socket, low: float, high: float, started: float) -> float:
    """Reads until the server closes `sock`; asserts it happened between `low` and `high`
    seconds after `started`, and that nothing but the close came."""
    sock.settimeout(high + 5)
    try:
        data = sock.recv(65536)
    except (ConnectionResetError, ssl.SSLError):
        data = b""
    waited = time.monotonic() - started
    assert data == b"", f"the server answered a stalled client: {data[:200]!r}"
    assert low <= waited < high, f"closed after {waited:.2f}s, expected {low}..{high}s"
    return waited


# --------------------------------------------------------------------------------------------
# HTTP/1.1 over TLS: boto3
# --------------------------------------------------------------------------------------------


def test_boto3_over_https_with_the_right_key(tls_server):
    before = protocol_count(tls_server, "http1_tls")
    name = make_stream(tls_server)
    kinesis = https_client(tls_server)
    put = kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"signed over tls")
    assert put["ShardId"] == "shardId-000000000000"
    batch = kinesis.put_records(StreamName=name, Records=[
        {"PartitionKey": "k", "Data": b"b%d" % i} for i in range(3)])
    assert batch["FailedRecordCount"] == 0
    assert records_of(kinesis, name) == [b"signed over tls", b"b0", b"b1", b"b2"]
    assert protocol_count(tls_server, "http1_tls") > before
    # Plain HTTP keeps answering on the same port (/healthz needs no signature).
    assert http_get(tls_server.endpoint, "/healthz") == (200, b"ok\n")


def test_boto3_over_https_with_a_wrong_key_is_refused(tls_server):
    name = make_stream(tls_server)
    with pytest.raises(ClientError) as raised:
        https_client(tls_server, secret="not-the-secret").put_record(
            StreamName=name, PartitionKey="k", Data=b"x")
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidSignatureException"
    message = error["Error"]["Message"]
    assert message.startswith(MISMATCH), message
    assert "The Canonical String for this request should have been" in message
    assert f"host:localhost:{tls_server.port}" in message

    with pytest.raises(ClientError) as raised:
        https_client(tls_server, key="AKIAUNKNOWNKEY000000").put_record(
            StreamName=name, PartitionKey="k", Data=b"x")
    assert raised.value.response["Error"] == {"Code": UNRECOGNIZED["__type"],
                                              "Message": UNRECOGNIZED["message"]}
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    # No signature at all, sent by hand over TLS.
    context = ssl.create_default_context(cafile=str(tls_server.cert))
    body = json.dumps({"StreamName": name, "PartitionKey": "k", "Data": "eA=="}).encode()
    with context.wrap_socket(socket.create_connection(("127.0.0.1", tls_server.port), timeout=10),
                             server_hostname="localhost") as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + JSON.encode() +
                  b"\r\nX-Amz-Target: " + (TARGET + "PutRecord").encode() +
                  b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        reply = b""
        while b"\r\n\r\n" not in reply:
            reply += s.recv(65536)
        head, rest = reply.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 400 "), head
        length = int([line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:")][0])
        while len(rest) < length:
            rest += s.recv(65536)
        assert json.loads(rest) == MISSING
    assert records_of(https_client(tls_server), name) == []


# --------------------------------------------------------------------------------------------
# h2 over TLS: python3-h2, signed with botocore
# --------------------------------------------------------------------------------------------


def h2_call(c: H2Client, server, action: str, params: dict, *, authority: str | None = None,
            **signing) -> tuple[int, dict]:
    body = json.dumps(params).encode()
    signed = sign(server, action, body, **signing) if signing.get("key", True) else {}
    headers = [(":method", "POST"), (":path", "/"), (":scheme", "https"),
               (":authority", authority or f"localhost:{server.port}")]
    if signed:
        headers += [(k.lower(), v) for k, v in signed.items()]
    else:
        headers += [("content-type", JSON), ("x-amz-target", TARGET + action)]
    sid = c.conn.get_next_available_stream_id()
    c.responses[sid] = {"status": None, "headers": {}, "body": b"", "ended": False,
                        "reset": None}
    c.conn.send_headers(sid, headers)
    c.flush()
    c.send_body(sid, body)
    r = c.wait(sid)
    assert r["ended"] and r["reset"] is None, r
    return r["status"], json.loads(r["body"])


def test_h2_over_tls_signed_with_botocore(tls_server):
    name = make_stream(tls_server)
    before = protocol_count(tls_server, "h2")
    c = H2Client(tls_server.port, tls=tls_client_context(tls_server.cert), host="localhost")
    try:
        record = {"StreamName": name, "PartitionKey": "k", "Data": "aDI="}  # b"h2"
        status, body = h2_call(c, tls_server, "PutRecord", record)
        assert status == 200 and body["ShardId"] == "shardId-000000000000", body

        status, body = h2_call(c, tls_server, "PutRecord", record, secret="not-the-secret")
        assert (status, body["__type"]) == (400, "InvalidSignatureException"), body
        assert body["message"].startswith(MISMATCH)
        assert f"host:localhost:{tls_server.port}" in body["message"]

        status, body = h2_call(c, tls_server, "PutRecord", record, key="AKIAUNKNOWNKEY000000")
        assert (status, body) == (400, UNRECOGNIZED)

        status, body = h2_call(c, tls_server, "PutRecord", record, key=None)
        assert (status, body) == (400, MISSING)

        # Signed for another host than the :authority it is sent with.
        status, body = h2_call(c, tls_server, "PutRecord", record,
                               authority=f"127.0.0.1:{tls_server.port}")
        assert (status, body["__type"]) == (400, "InvalidSignatureException"), body

        # The same connection serves on after every refusal.
        status, body = h2_call(c, tls_server, "ListStreams", {})
        assert status == 200 and body["StreamNames"] == [name]
        assert c.terminated is None
    finally:
        c.close()
    assert records_of(https_client(tls_server), name) == [b"h2"]
    assert protocol_count(tls_server, "h2") > before


# --------------------------------------------------------------------------------------------
# Stalled TLS connections
# --------------------------------------------------------------------------------------------

# The first bytes of a TLS 1.2+ ClientHello: a handshake record of 512 bytes, of which only
# the record header and the start of the handshake message are ever sent.
PARTIAL_CLIENT_HELLO = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(20)


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def tls_connect(server, alpn: str = "http/1.1") -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(server.cert))
    context.set_alpn_protocols([alpn])
    s = context.wrap_socket(connect(server), server_hostname="localhost")
    assert s.selected_alpn_protocol() == alpn
    return s


def test_no_client_hello_is_closed_after_the_idle_timeout(stalling_server):
    s = connect(stalling_server)
    try:
        assert_closed_within(s, IDLE_TIMEOUT_MS / 1000 - 0.1, IDLE_TIMEOUT_MS / 1000 + 4,
                             time.monotonic())
    finally:
        s.close()


def test_partial_client_hello_is_closed_after_the_read_timeout(stalling_server):
    s = connect(stalling_server)
    try:
        s.sendall(PARTIAL_CLIENT_HELLO)
        assert_closed_within(s, READ_TIMEOUT_MS / 1000 - 0.1, IDLE_TIMEOUT_MS / 1000 - 0.5,
                             time.monotonic())
    finally:
        s.close()


def test_request_stalled_after_the_handshake_is_closed_after_the_read_timeout(stalling_server):
    # Half a header.
    s = tls_connect(stalling_server)
    try:
        s.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Len")
        assert_closed_within(s, READ_TIMEOUT_MS / 1000 - 0.1, IDLE_TIMEOUT_MS / 1000 - 0.5,
                             time.monotonic())
    finally:
        s.close()
    # A whole, signed header and the first byte of its 100-byte body.
    body = b"{" + b" " * 98 + b"}"
    headers = sign(stalling_server, "ListStreams", body)
    head = "POST / HTTP/1.1\r\nHost: localhost:%d\r\n" % stalling_server.port
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += "Content-Length: 100\r\n\r\n"
    s = tls_connect(stalling_server)
    try:
        s.sendall(head.encode() + body[:1])
        assert_closed_within(s, READ_TIMEOUT_MS / 1000 - 0.1, IDLE_TIMEOUT_MS / 1000 - 0.5,
                             time.monotonic())
    finally:
        s.close()
    # The same request sent whole on a new connection is served: the signature was good.
    s = tls_connect(stalling_server)
    try:
        s.sendall(head.encode() + body)
        reply = s.recv(65536)
        assert reply.startswith(b"HTTP/1.1 200 "), reply[:300]
    finally:
        s.close()


def test_h2_stream_stalled_over_tls_is_reset_then_the_connection_told_goaway(stalling_server):
    c = H2Client(stalling_server.port, tls=tls_client_context(stalling_server.cert),
                 host="localhost")
    try:
        body = b'{"Limit": 1}'
        headers = [(":method", "POST"), (":path", "/"), (":scheme", "https"),
                   (":authority", f"localhost:{stalling_server.port}")]
        headers += [(k.lower(), v) for k, v in sign(stalling_server, "ListStreams", body).items()]
        sid = c.conn.get_next_available_stream_id()
        c.responses[sid] = {"status": None, "headers": {}, "body": b"", "ended": False,
                            "reset": None}
        c.conn.send_headers(sid, headers)
        c.conn.send_data(sid, body[:4])  # the rest never comes
        c.flush()
        started = time.monotonic()
        r = c.wait(sid, timeout=10)
        reset_after = time.monotonic() - started
        assert r["reset"] == h2.errors.ErrorCodes.CANCEL and r["status"] is None, r
        assert READ_TIMEOUT_MS / 1000 - 0.1 <= reset_after < IDLE_TIMEOUT_MS / 1000 - 0.5
        started = time.monotonic()
        c.pump(lambda: c.terminated is not None, timeout=15)
        assert c.terminated is not None
        assert c.terminated.error_code == h2.errors.ErrorCodes.NO_ERROR
        waited = time.monotonic() - started
        assert IDLE_TIMEOUT_MS / 1000 - 0.6 <= waited < IDLE_TIMEOUT_MS / 1000 + 4, waited
    finally:
        c.close()


def _tcp_entries() -> list[list[str]]:
    with open("/proc/net/tcp") as f:
        return [line.split() for line in f.readlines()[1:]]


def _hex_addr(port: int) -> str:
    return f"0100007F:{port:04X}"  # 127.0.0.1 as /proc/net/tcp writes it


def accepted_all(server) -> bool:
    """No connection waits in the server's accept queue (a listening socket's rx_queue)."""
    for f in _tcp_entries():
        if f[1] == _hex_addr(server.port) and f[3] == "0A":  # LISTEN
            return int(f[4].split(":")[1], 16) == 0
    raise AssertionError("the server's listening socket is not in /proc/net/tcp")


def server_has_read(sock: socket.socket) -> bool:
    """The server's end of `sock` has taken in every byte sent to it."""
    local, peer = _hex_addr(sock.getpeername()[1]), _hex_addr(sock.getsockname()[1])
    for f in _tcp_entries():
        if f[1] == local and f[2] == peer:
            return int(f[4].split(":")[1], 16) == 0
    return False


def wait_until(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_silent_clients_are_the_first_to_go_at_the_connection_limit(stalling_server):
    """--max-connections 3: three clients that never send a ClientHello are idle, so a new
    https client closes one of them and is served."""
    silent = [connect(stalling_server) for _ in range(3)]
    try:
        wait_until(lambda: accepted_all(stalling_server), "the three connections accepted")
        assert "StreamNames" in https_client(stalling_server).list_streams()

        def evicted() -> list[socket.socket]:  # readable: the server's FIN is in
            return select.select(silent, [], [], 0)[0]

        wait_until(lambda: bool(evicted()), "a silent connection closed")
        closed = evicted()
        assert len(closed) == 1, f"{len(closed)} silent connections were closed"
        closed[0].settimeout(5)
        assert closed[0].recv(100) == b""
    finally:
        for s in silent:
            s.close()


def test_stuck_handshakes_hold_slots_only_until_the_read_timeout(stalling_server):
    """--max-connections 3: three clients stuck in their ClientHello are busy, not idle: a
    newcomer meanwhile is closed at once; their read timeout closes them, and then a new https
    client is served."""
    stuck = [connect(stalling_server) for _ in range(3)]
    started = time.monotonic()
    try:
        for s in stuck:
            s.sendall(PARTIAL_CLIENT_HELLO)
        wait_until(lambda: accepted_all(stalling_server) and all(map(server_has_read, stuck)),
                   "the three partial ClientHellos taken in")
        newcomer = connect(stalling_server)
        newcomer.settimeout(5)
        try:
            newcomer.sendall(PARTIAL_CLIENT_HELLO)
            assert newcomer.recv(100) == b"", "a connection over the limit was served"
        except (ConnectionResetError, BrokenPipeError):
            pass
        finally:
            newcomer.close()
        assert time.monotonic() - started < READ_TIMEOUT_MS / 1000, "too slow to check"
        for s in stuck:
            assert_closed_within(s, READ_TIMEOUT_MS / 1000 - 0.1, IDLE_TIMEOUT_MS / 1000 - 0.5,
                                 started)
    finally:
        for s in stuck:
            s.close()
    assert "StreamNames" in https_client(stalling_server).list_streams()
