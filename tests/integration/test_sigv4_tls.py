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

import http.client
import json
import select
import socket
import ssl
import time

import h2.errors
import pytest
from botocore.exceptions import ClientError

from spate_harness import (
    http_get,
    kinesis_client,
    read_shard,
    shard_id,
    sign_headers,
    unique_stream_name,
    wait_active,
    wait_until,
    write_credentials,
)
from test_http2 import H2Client, protocol_count, tls_client_context
from test_sigv4_auth import JSON, MISMATCH, MISSING, TARGET, UNRECOGNIZED

ACCESS_KEY = "AKIASPATETLS00000001"
SECRET_KEY = "tls/Secret+Key/For/Spate/SigV4/Tests000"
READ_TIMEOUT_MS = 1000
IDLE_TIMEOUT_MS = 3000
# When a stalled connection must be closed, in seconds: by the read timeout (well before the
# idle one), or by the idle timeout.
READ_WINDOW = (READ_TIMEOUT_MS / 1000 - 0.1, IDLE_TIMEOUT_MS / 1000 - 0.5)
IDLE_WINDOW = (IDLE_TIMEOUT_MS / 1000 - 0.1, IDLE_TIMEOUT_MS / 1000 + 4)


def start_server(spated_factory, tmp_path, *flags: str):
    keys = write_credentials(tmp_path / "keys", [(ACCESS_KEY, SECRET_KEY)])
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
    return kinesis_client(f"https://localhost:{server.port}", key=key, secret=secret,
                          verify=str(server.cert))


def records_of(kinesis, name: str) -> list[bytes]:
    return [r["Data"] for r in read_shard(kinesis, name, shard_id(0))[0]]


def make_stream(server) -> str:
    kinesis = https_client(server)
    name = unique_stream_name("tls")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    wait_active(kinesis, name)
    return name


def sign(server, action: str, body: bytes, *, key=ACCESS_KEY, secret=SECRET_KEY) -> dict[str, str]:
    """botocore's SigV4 headers for POST https://localhost:port/ with exactly `body`."""
    return sign_headers(f"https://localhost:{server.port}", body,
                        {"Content-Type": JSON, "X-Amz-Target": TARGET + action},
                        key=key, secret=secret)


def assert_closed_within(sock: socket.socket, window: tuple[float, float],
                         started: float) -> float:
    """Reads until the server closes `sock`; asserts it happened within `window` (low, high)
    seconds after `started`, and that nothing but the close came."""
    low, high = window
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

    # No signature at all, over HTTP/1.1 over TLS.
    body = json.dumps({"StreamName": name, "PartitionKey": "k", "Data": "eA=="}).encode()
    conn = http.client.HTTPSConnection("localhost", tls_server.port, timeout=10,
                                       context=tls_client_context(tls_server.cert, ("http/1.1",)))
    try:
        conn.request("POST", "/", body=body, headers={
            "Host": "localhost", "Content-Type": JSON, "X-Amz-Target": TARGET + "PutRecord"})
        response = conn.getresponse()
        assert (response.version, response.status) == (11, 400), response.reason
        assert json.loads(response.read()) == MISSING
    finally:
        conn.close()
    assert records_of(https_client(tls_server), name) == []


# --------------------------------------------------------------------------------------------
# h2 over TLS: python3-h2, signed with botocore
# --------------------------------------------------------------------------------------------


def h2_headers(server, action: str, body: bytes, *, authority: str | None = None,
               key: str | None = ACCESS_KEY, secret: str = SECRET_KEY) -> list[tuple[str, str]]:
    """The pseudo-headers of POST https://localhost:port/ (or `authority`) and botocore's SigV4
    headers over `body`, signed with `key` and `secret`; key=None: no signature, only
    Content-Type and X-Amz-Target."""
    fields = ({"Content-Type": JSON, "X-Amz-Target": TARGET + action} if key is None
              else sign(server, action, body, key=key, secret=secret))
    return [(":method", "POST"), (":path", "/"), (":scheme", "https"),
            (":authority", authority or f"localhost:{server.port}"),
            *((k.lower(), v) for k, v in fields.items())]


def h2_call(c: H2Client, server, action: str, params: dict, **headers) -> tuple[int, dict]:
    body = json.dumps(params).encode()
    r = c.wait(c.open_stream(h2_headers(server, action, body, **headers), body))
    assert r["ended"] and r["reset"] is None, r
    return r["status"], json.loads(r["body"])


def test_h2_over_tls_signed_with_botocore(tls_server):
    name = make_stream(tls_server)
    before = protocol_count(tls_server, "h2")
    with H2Client(tls_server.port, tls=tls_client_context(tls_server.cert),
                  host="localhost") as c:
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


def tls_connect(server) -> ssl.SSLSocket:
    """A handshaken TLS connection that chose HTTP/1.1 by ALPN."""
    context = tls_client_context(server.cert, ("http/1.1",))
    s = context.wrap_socket(connect(server), server_hostname="localhost")
    assert s.selected_alpn_protocol() == "http/1.1"
    return s


def test_no_client_hello_is_closed_after_the_idle_timeout(stalling_server):
    with connect(stalling_server) as s:
        assert_closed_within(s, IDLE_WINDOW, time.monotonic())


def test_partial_client_hello_is_closed_after_the_read_timeout(stalling_server):
    with connect(stalling_server) as s:
        s.sendall(PARTIAL_CLIENT_HELLO)
        assert_closed_within(s, READ_WINDOW, time.monotonic())


def test_request_stalled_after_the_handshake_is_closed_after_the_read_timeout(stalling_server):
    body = b"{" + b" " * 98 + b"}"
    headers = sign(stalling_server, "ListStreams", body)
    head = "POST / HTTP/1.1\r\nHost: localhost:%d\r\n" % stalling_server.port
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += "Content-Length: 100\r\n\r\n"
    # Half a header; then a whole, signed header and the first byte of its 100-byte body.
    for stalled in (b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Len",
                    head.encode() + body[:1]):
        with tls_connect(stalling_server) as s:
            s.sendall(stalled)
            assert_closed_within(s, READ_WINDOW, time.monotonic())
    # The same request sent whole on a new connection is served: the signature was good.
    with tls_connect(stalling_server) as s:
        s.sendall(head.encode() + body)
        reply = s.recv(65536)
        assert reply.startswith(b"HTTP/1.1 200 "), reply[:300]


def test_h2_stream_stalled_over_tls_is_reset_then_the_connection_told_goaway(stalling_server):
    with H2Client(stalling_server.port, tls=tls_client_context(stalling_server.cert),
                  host="localhost") as c:
        body = b'{"Limit": 1}'
        sid = c.open_stream(h2_headers(stalling_server, "ListStreams", body), body[:4],
                            end=False)  # the rest never comes
        started = time.monotonic()
        r = c.wait(sid, timeout=10)
        reset_after = time.monotonic() - started
        assert r["reset"] == h2.errors.ErrorCodes.CANCEL and r["status"] is None, r
        assert READ_WINDOW[0] <= reset_after < READ_WINDOW[1]
        started = time.monotonic()
        c.pump(lambda: c.terminated is not None, timeout=15)
        assert c.terminated is not None
        assert c.terminated.error_code == h2.errors.ErrorCodes.NO_ERROR
        waited = time.monotonic() - started
        assert IDLE_TIMEOUT_MS / 1000 - 0.6 <= waited < IDLE_TIMEOUT_MS / 1000 + 4, waited


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


def test_silent_clients_are_the_first_to_go_at_the_connection_limit(stalling_server):
    """--max-connections 3: three clients that never send a ClientHello are idle, so a new
    https client closes one of them and is served."""
    silent = [connect(stalling_server) for _ in range(3)]
    try:
        wait_until(lambda: accepted_all(stalling_server), 10, "the three connections accepted",
                   interval=0.01)
        assert "StreamNames" in https_client(stalling_server).list_streams()

        def evicted() -> list[socket.socket]:  # readable: the server's FIN is in
            return select.select(silent, [], [], 0)[0]

        wait_until(evicted, 10, "a silent connection closed", interval=0.01)
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
                   10, "the three partial ClientHellos taken in", interval=0.01)
        with connect(stalling_server) as newcomer:
            newcomer.settimeout(5)
            try:
                newcomer.sendall(PARTIAL_CLIENT_HELLO)
                assert newcomer.recv(100) == b"", "a connection over the limit was served"
            except (ConnectionResetError, BrokenPipeError):
                pass
        assert time.monotonic() - started < READ_TIMEOUT_MS / 1000, "too slow to check"
        for s in stuck:
            assert_closed_within(s, READ_WINDOW, started)
    finally:
        for s in stuck:
            s.close()
    assert "StreamNames" in https_client(stalling_server).list_streams()
