"""HTTP/2 and TLS on spated's one port: the AWS SDK for JavaScript v3 with its default HTTP/2
transport (h2c and h2 over TLS), curl, a python3-h2 client for what SDKs never do on purpose
(many streams at once, PING, a flow-control violation, oversized bodies, stalled requests,
GOAWAY at shutdown, SubscribeToShard streams that share pages through narrow windows), and
boto3 over https with the self-signed certificate.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import time
from pathlib import Path

import boto3
import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import pytest
from botocore.config import Config
from botocore.eventstream import EventStreamBuffer

from spate_harness import (
    ACCESS_KEY,
    CBOR_CONTENT_TYPE,
    cbor_dumps,
    cbor_loads,
    REGION,
    REPO_ROOT,
    SECRET_KEY,
    TARGET_PREFIX,
    spated_binary,
    unique_stream_name,
    wait_active,
    wait_until,
    write_credentials,
)

JS_SDK = REPO_ROOT / ".cache" / "js-sdk" / "node_modules"
JS_SCENARIO = REPO_ROOT / "tests" / "js" / "kinesis_sdk_v3.cjs"


def run_js_sdk(endpoint: str, ca_file: Path | None = None) -> dict:
    assert (JS_SDK / "@aws-sdk" / "client-kinesis").is_dir(), (
        f"the JS SDK is not installed in {JS_SDK}: run scripts/install-js-sdk.sh (make deps)"
    )
    env = dict(os.environ, NODE_PATH=str(JS_SDK), NODE_NO_WARNINGS="1")
    if ca_file:
        env["NODE_EXTRA_CA_CERTS"] = str(ca_file)
    done = subprocess.run(
        ["node", str(JS_SCENARIO), endpoint, unique_stream_name("js")],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, f"JS SDK scenario failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def protocol_count(server, protocol: str) -> float:
    return server.metrics().get(f'spate_connections_total{{protocol="{protocol}"}}', 0)


# --------------------------------------------------------------------------------------------
# A small HTTP/2 client over python3-h2
# --------------------------------------------------------------------------------------------


class H2Client:
    """One HTTP/2 connection (h2c by prior knowledge, or h2 over TLS when `tls` is given)."""

    def __init__(self, port: int, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"):
        raw = socket.create_connection((host, port), timeout=10)
        if tls:
            raw = tls.wrap_socket(raw, server_hostname=host)
            assert raw.selected_alpn_protocol() == "h2"
        self.sock = raw
        self.authority = f"{host}:{port}"
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        )
        self.conn.initiate_connection()
        self.flush()
        self.responses: dict[int, dict] = {}
        self.terminated: h2.events.ConnectionTerminated | None = None
        self.pings: list[bytes] = []

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "H2Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self, action: str | None, body: bytes = b"", *, method: str = "POST",
              path: str = "/", end: bool = True,
              content_type: str = "application/x-amz-json-1.1") -> int:
        headers = [(":method", method), (":path", path), (":scheme", "http"),
                   (":authority", self.authority)]
        if action:
            headers += [("content-type", content_type),
                        ("x-amz-target", f"{TARGET_PREFIX}.{action}")]
        return self.open_stream(headers, body, end=end)

    def open_stream(self, headers: list[tuple[str, str]], body: bytes = b"", *,
                    end: bool = True, flush: bool = True) -> int:
        """Opens a stream with exactly `headers` (then `body`) and returns its id. With
        flush=False the HEADERS frames stay in conn.data_to_send(), for a test to inspect
        (and send) them itself; `body` must then be empty."""
        sid = self.conn.get_next_available_stream_id()
        self.responses[sid] = {"status": None, "headers": {}, "body": b"", "ended": False,
                               "reset": None}
        self.conn.send_headers(sid, headers, end_stream=end and not body)
        if flush:
            self.flush()
        if body:
            self.send_body(sid, body, end=end)
        return sid

    def send_body(self, sid: int, body: bytes, end: bool = True) -> None:
        """Sends `body` as flow control allows; stops early if the server ends or resets the
        stream, or the connection, first."""
        r = self.responses[sid]
        view = memoryview(body)
        while view and not (r["ended"] or r["reset"] is not None or self.terminated):
            window = min(self.conn.local_flow_control_window(sid),
                         self.conn.max_outbound_frame_size)
            if window <= 0:
                self.pump(lambda: self.conn.local_flow_control_window(sid) > 0 or r["ended"]
                          or r["reset"] is not None)
                continue
            chunk, view = view[:window], view[window:]
            self.conn.send_data(sid, bytes(chunk), end_stream=end and not view)
            self.flush()

    def pump(self, until, timeout: float = 20.0) -> None:
        """Reads and handles frames until `until()` holds or the connection ends."""
        deadline = time.monotonic() + timeout
        while not until():
            if self.terminated:
                return
            assert time.monotonic() < deadline, "timed out waiting for the server"
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(1 << 16)
            except socket.timeout:
                continue
            if not data:
                return
            for event in self.conn.receive_data(data):
                self.handle(event)
            self.flush()

    def handle(self, event) -> None:
        if isinstance(event, h2.events.ResponseReceived):
            r = self.responses[event.stream_id]
            r["headers"] = dict(event.headers)
            r["status"] = int(r["headers"][":status"])
        elif isinstance(event, h2.events.DataReceived):
            self.responses[event.stream_id]["body"] += event.data
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            self.responses[event.stream_id]["ended"] = True
        elif isinstance(event, h2.events.StreamReset):
            self.responses[event.stream_id]["reset"] = event.error_code
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.terminated = event
        elif isinstance(event, h2.events.PingAckReceived):
            self.pings.append(event.ping_data)

    def wait(self, sid: int, timeout: float = 20.0) -> dict:
        r = self.responses[sid]
        self.pump(lambda: r["ended"] or r["reset"] is not None, timeout)
        return r

    def call(self, action: str, params: dict | None = None) -> tuple[int, dict]:
        sid = self.start(action, json.dumps(params or {}).encode())
        r = self.wait(sid)
        return r["status"], json.loads(r["body"] or b"{}")


def tls_client_context(ca_file: Path,
                       alpn: tuple[str, ...] = ("h2", "http/1.1")) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca_file))
    ctx.set_alpn_protocols(list(alpn))
    return ctx


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True,
                          text=True, timeout=20)


# --------------------------------------------------------------------------------------------
# The JS SDK, unchanged
# --------------------------------------------------------------------------------------------


def test_js_sdk_v3_over_h2c(server):
    before = protocol_count(server, "h2c")
    seen = run_js_sdk(server.endpoint)
    assert seen["ok"] and seen["records"] == 21 and seen["pushed"] > 21
    # Its default handler spoke HTTP/2 to the plain endpoint.
    assert protocol_count(server, "h2c") > before


def test_js_sdk_v3_over_tls(spated_factory):
    server = spated_factory(extra_args=["--tls-self-signed"])
    cert = server.data_dir / "tls" / "self-signed.crt"
    before = protocol_count(server, "h2")
    seen = run_js_sdk(f"https://localhost:{server.port}", ca_file=cert)
    assert seen["ok"]
    assert protocol_count(server, "h2") > before


def test_js_sdk_v3_signatures_pass_the_verifier(spated_factory, tmp_path):
    keys = write_credentials(tmp_path / "keys", [("spate", "spate")])  # the JS scenario's key
    server = spated_factory(extra_args=["--auth", "sigv4", "--credentials", str(keys)])
    assert run_js_sdk(server.endpoint)["ok"]
    write_credentials(keys, [("spate", "not-the-secret")])
    wrong = spated_factory(extra_args=["--auth", "sigv4", "--credentials", str(keys)])
    env = dict(os.environ, NODE_PATH=str(JS_SDK), NODE_NO_WARNINGS="1")
    done = subprocess.run(["node", str(JS_SCENARIO), wrong.endpoint, "refused"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "InvalidSignatureException" in done.stderr, done.stderr


# --------------------------------------------------------------------------------------------
# One port: HTTP/1.1, h2c, https and h2
# --------------------------------------------------------------------------------------------


def test_curl_speaks_http1_and_h2c_on_one_port(server):
    body = "{}"
    for flag, version in (("--http1.1", "1.1"), ("--http2-prior-knowledge", "2")):
        done = curl(flag, "-X", "POST", "-H", f"X-Amz-Target: {TARGET_PREFIX}.ListStreams",
                    "-H", "Content-Type: application/x-amz-json-1.1", "-d", body,
                    "-w", "\n%{http_code} %{http_version}", f"{server.endpoint}/")
        assert done.returncode == 0, done.stderr
        payload, status = done.stdout.rsplit("\n", 1)
        assert status == f"200 {version}"
        assert "StreamNames" in json.loads(payload)


def test_nghttp_client_and_h2_errors_are_kinesis_shaped(server):
    done = subprocess.run(
        ["nghttp", "-n", "-s", f"{server.endpoint}/healthz"], capture_output=True, text=True,
        timeout=20)
    assert done.returncode == 0, done.stderr
    c = H2Client(server.port)
    try:
        status, body = c.call("DescribeStream", {"StreamName": "no-such-stream"})
        assert status == 400 and body["__type"] == "ResourceNotFoundException"
        status, body = c.call("NoSuchAction")
        assert status == 400 and body["__type"] == "UnknownOperationException"
        # Broken JSON on one stream does not disturb the connection.
        sid = c.start("ListStreams", b"{not json")
        r = c.wait(sid)
        assert r["status"] == 400 and json.loads(r["body"])["__type"] == "SerializationException"
        assert c.call("ListStreams")[0] == 200
    finally:
        c.close()


def test_many_concurrent_streams_on_one_connection(server, stream):
    name = stream(shards=2)
    c = H2Client(server.port)
    try:
        assert c.call("ListStreams")[0] == 200  # the server's SETTINGS are in
        max_streams = c.conn.remote_settings.max_concurrent_streams
        assert max_streams >= 100
        ids = [c.start("PutRecord", json.dumps(
            {"StreamName": name, "PartitionKey": f"k{i}", "Data": "eA=="}).encode())
            for i in range(100)]
        c.pump(lambda: all(c.responses[i]["ended"] for i in ids))
        answers = [json.loads(c.responses[i]["body"]) for i in ids]
        assert all(c.responses[i]["status"] == 200 for i in ids)
        assert len({a["SequenceNumber"] for a in answers}) == 100
    finally:
        c.close()
    kinesis = server.client()
    total = 0
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        total += len(kinesis.get_records(ShardIterator=it)["Records"])
    assert total == 100


def test_cbor_over_h2_as_the_java_sdk_sends_it(server, stream):
    name = stream(shards=1)
    c = H2Client(server.port)
    try:
        sid = c.start("PutRecord", cbor_dumps({"StreamName": name, "PartitionKey": "k",
                                               "Data": b"\x00binary\xff"}),
                      content_type=CBOR_CONTENT_TYPE)
        r = c.wait(sid)
        assert r["status"] == 200 and r["headers"]["content-type"] == CBOR_CONTENT_TYPE
        put = cbor_loads(r["body"])
        sid = c.start("GetShardIterator", cbor_dumps({
            "StreamName": name, "ShardId": put["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
            content_type=CBOR_CONTENT_TYPE)
        iterator = cbor_loads(c.wait(sid)["body"])["ShardIterator"]
        sid = c.start("GetRecords", cbor_dumps({"ShardIterator": iterator}),
                      content_type=CBOR_CONTENT_TYPE)
        records = cbor_loads(c.wait(sid)["body"])["Records"]
        assert [r["Data"] for r in records] == [b"\x00binary\xff"]
        # Errors, the dispatcher's and the session's own (a body over the limit), are CBOR too.
        sid = c.start("DescribeStream", cbor_dumps({"StreamName": "no-such-stream"}),
                      content_type=CBOR_CONTENT_TYPE)
        r = c.wait(sid)
        assert r["status"] == 400 and r["headers"]["content-type"] == CBOR_CONTENT_TYPE
        assert cbor_loads(r["body"])["__type"] == "ResourceNotFoundException"
        sid = c.start("PutRecords", b"\xa0" * (16 * 1024 * 1024 + 1),
                      content_type=CBOR_CONTENT_TYPE)
        r = c.wait(sid, timeout=60)
        assert r["status"] == 413 and r["headers"]["content-type"] == CBOR_CONTENT_TYPE
        assert cbor_loads(r["body"])["__type"] == "SerializationException"
    finally:
        c.close()


def test_rapid_resets_do_not_pile_up_work_and_the_connection_serves_on(server):
    c = H2Client(server.port)
    try:
        assert c.call("ListStreams")[0] == 200
        body = json.dumps({"StreamName": "no-such-stream"}).encode()
        for _ in range(400):  # HEADERS, DATA with END_STREAM, then RST_STREAM at once
            sid = c.start("DescribeStream", body)
            c.conn.reset_stream(sid)
            c.flush()
        c.conn.ping(b"reset-ok")
        c.flush()
        c.pump(lambda: bool(c.pings))
        assert c.terminated is None
        assert c.call("ListStreams")[0] == 200
    finally:
        c.close()
    assert server.metrics()['spate_open_connections'] <= 2


def test_subscriber_that_keeps_its_window_shut_is_reset(spated_factory):
    server = spated_factory(extra_args=["--push-write-timeout-ms", "1000"])
    kinesis = server.client()
    kinesis.create_stream(StreamName="s", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="s",
                                             WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    arn = kinesis.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")
    consumer_arn = consumer["Consumer"]["ConsumerARN"]
    for i in range(20):
        kinesis.put_records(StreamName="s", Records=[
            {"PartitionKey": f"k{j}", "Data": b"x" * 1000} for j in range(100)])
    c = H2Client(server.port)
    try:
        # The stream's window (64 KiB) is never opened again, the connection's is wide: the
        # answer stalls on its own stream once 64 KiB are in flight.
        c.conn.increment_flow_control_window(16 << 20)
        c.flush()
        sid = c.start("SubscribeToShard", json.dumps({
            "ConsumerARN": consumer_arn, "ShardId": "shardId-000000000000",
            "StartingPosition": {"Type": "TRIM_HORIZON"}}).encode())
        r = c.responses[sid]
        c.handle = lambda event, orig=c.handle: (  # take data without acknowledging it
            r.__setitem__("body", r["body"] + event.data)
            if isinstance(event, h2.events.DataReceived) else orig(event))
        c.pump(lambda: r["status"] == 200, timeout=10)
        assert server.metrics()['spate_subscribers{kind="event_stream"}'] == 1
        started = time.monotonic()
        c.pump(lambda: r["reset"] is not None or r["ended"], timeout=15)
        assert r["reset"] == h2.errors.ErrorCodes.CANCEL
        assert 0.9 < time.monotonic() - started < 8
        assert server.metrics()['spate_subscribers{kind="event_stream"}'] == 0
        assert c.call("ListStreams")[0] == 200  # the connection itself is fine
    finally:
        c.close()


def test_subscribers_sharing_pages_get_whole_events_through_narrow_windows(server, stream):
    """Three consumers at one position, subscribed over one connection, share each page (one
    read, one encoding of its Records), while a 7,001-byte stream window cuts the DATA frames
    anywhere inside an event. Every event decodes with good checksums (botocore's decoder),
    and each subscriber gets every record, in order."""
    kinesis = server.client()
    name = stream(shards=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    consumers = [kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=f"c{i}")
                 ["Consumer"]["ConsumerARN"] for i in range(3)]
    for consumer in consumers:
        wait_until(lambda: kinesis.describe_stream_consumer(ConsumerARN=consumer)
                   ["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE", 10, "consumer ACTIVE")
    sent = [os.urandom(997 + 131 * i) for i in range(60)]  # about 150 KB of base64 in all
    for at in range(0, len(sent), 20):
        kinesis.put_records(StreamName=name, Records=[
            {"PartitionKey": f"k{i}", "Data": d} for i, d in enumerate(sent[at:at + 20])])
    lookups_before = server.metrics().get('spate_push_page_lookups_total{result="taken"}', 0)

    c = H2Client(server.port)
    try:
        c.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 7001})
        c.flush()
        streams = [c.start("SubscribeToShard", json.dumps({
            "ConsumerARN": consumer, "ShardId": "shardId-000000000000",
            "StartingPosition": {"Type": "TRIM_HORIZON"}}).encode()) for consumer in consumers]
        decoders = {sid: EventStreamBuffer() for sid in streams}
        taken = {sid: 0 for sid in streams}  # bytes of each body already decoded
        got: dict[int, list[bytes]] = {sid: [] for sid in streams}
        frames: dict[int, set[int]] = {sid: set() for sid in streams}
        original = c.handle

        def handle(event) -> None:
            if isinstance(event, h2.events.DataReceived) and event.stream_id in frames:
                frames[event.stream_id].add(len(event.data))
            original(event)

        c.handle = handle

        def decode() -> bool:
            for sid in streams:
                body = c.responses[sid]["body"]
                decoders[sid].add_data(body[taken[sid]:])
                taken[sid] = len(body)
                for message in decoders[sid]:
                    if message.headers.get(":event-type") == "SubscribeToShardEvent":
                        records = json.loads(message.payload)["Records"]
                        got[sid] += [base64.b64decode(r["Data"]) for r in records]
            return all(len(got[sid]) >= len(sent) for sid in streams)

        c.pump(decode, timeout=30)
        for sid in streams:
            assert c.responses[sid]["status"] == 200
            assert got[sid] == sent
            assert max(frames[sid]) <= 7001  # events of up to 150 KB, in frames this small
        taken_pages = (server.metrics()['spate_push_page_lookups_total{result="taken"}']
                       - lookups_before)
        assert taken_pages >= 1, "no subscriber took a page another one had read"
        assert c.call("ListStreams")[0] == 200  # the connection serves on
    finally:
        c.close()
    for consumer in consumers:
        kinesis.deregister_stream_consumer(ConsumerARN=consumer)


def test_push_delay_counts_live_records_pushed_over_http2(spated_factory):
    """spate_push_delay_seconds counts SubscribeToShard's messages over HTTP/2 too: puts made
    one at a time after the subscription started, each awaited through it, add one duration
    each, each shorter than the test. (A heartbeat, every 5 s here, that happens to read a put's
    records before their wake-up takes them untimed, so the count may fall short by one.)"""
    server = spated_factory()
    kinesis = server.client()
    kinesis.create_stream(StreamName="timed", ShardCount=1)
    wait_active(kinesis, "timed")
    arn = kinesis.describe_stream_summary(StreamName="timed")["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]["ConsumerARN"]
    wait_until(lambda: kinesis.describe_stream_consumer(ConsumerARN=consumer)
               ["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE", 10, "consumer ACTIVE")
    before = server.metrics()["spate_push_delay_seconds_count"]
    started = time.monotonic()
    c = H2Client(server.port)
    try:
        sid = c.start("SubscribeToShard", json.dumps({
            "ConsumerARN": consumer, "ShardId": "shardId-000000000000",
            "StartingPosition": {"Type": "LATEST"}}).encode())
        c.pump(lambda: c.responses[sid]["status"] is not None, timeout=10)
        sent = [f"r{i}".encode() for i in range(5)]
        decoder, got, taken = EventStreamBuffer(), [], 0

        def received() -> bool:
            nonlocal taken
            body = c.responses[sid]["body"]
            decoder.add_data(body[taken:])
            taken = len(body)
            for message in decoder:
                if message.headers.get(":event-type") == "SubscribeToShardEvent":
                    got.extend(base64.b64decode(r["Data"])
                               for r in json.loads(message.payload)["Records"])
            return len(got) >= expected

        for expected, data in enumerate(sent, start=1):
            kinesis.put_record(StreamName="timed", PartitionKey="k", Data=data)
            c.pump(received, timeout=10)
        assert got == sent
    finally:
        c.close()
    m = server.metrics()
    assert len(sent) - 1 <= m["spate_push_delay_seconds_count"] - before <= len(sent)
    assert 0 < m["spate_push_delay_seconds_sum"] < time.monotonic() - started


def test_ping_is_answered(server):
    c = H2Client(server.port)
    try:
        c.conn.ping(b"spate-01")
        c.flush()
        c.pump(lambda: bool(c.pings))
        assert c.pings == [b"spate-01"]
    finally:
        c.close()


def test_flow_control_violation_ends_the_connection_and_the_server_serves_on(server):
    c = H2Client(server.port)
    try:
        assert c.call("ListStreams")[0] == 200
        # WINDOW_UPDATE on the connection taking its window past 2^31-1 (RFC 9113 6.9.1).
        c.sock.sendall(struct.pack(">I", 4)[1:] + bytes([0x8, 0]) + struct.pack(">I", 0)
                       + struct.pack(">I", 0x7FFFFFFF))
        c.pump(lambda: c.terminated is not None)
        assert c.terminated is not None
        assert c.terminated.error_code == h2.errors.ErrorCodes.FLOW_CONTROL_ERROR
    finally:
        c.close()
    again = H2Client(server.port)
    try:
        assert again.call("ListStreams")[0] == 200
    finally:
        again.close()


def test_body_over_the_limit_gets_413_on_its_stream_only(server):
    c = H2Client(server.port)
    try:
        sid = c.start("PutRecords", b"x" * (16 * 1024 * 1024 + 1))
        r = c.wait(sid, timeout=60)
        assert r["status"] == 413
        assert json.loads(r["body"])["__type"] == "SerializationException"
        assert c.call("ListStreams")[0] == 200
    finally:
        c.close()


def test_stalled_request_is_reset_and_idle_connection_told_goaway(spated_factory):
    server = spated_factory(extra_args=["--read-timeout-ms", "500", "--idle-timeout-ms", "1500"])
    c = H2Client(server.port)
    try:
        sid = c.start("ListStreams", b'{"Lim', end=False)  # the body never ends
        r = c.wait(sid, timeout=10)
        assert r["reset"] == h2.errors.ErrorCodes.CANCEL
        started = time.monotonic()
        c.pump(lambda: c.terminated is not None, timeout=10)
        assert c.terminated is not None
        assert c.terminated.error_code == h2.errors.ErrorCodes.NO_ERROR
        assert 0.5 < time.monotonic() - started < 5
    finally:
        c.close()


def test_shutdown_sends_goaway_and_finishes_cleanly(spated_factory):
    server = spated_factory()
    c = H2Client(server.port)
    try:
        assert c.call("CreateStream", {"StreamName": "before-stop", "ShardCount": 1})[0] == 200
        os.kill(server.pid, signal.SIGTERM)
        c.pump(lambda: c.terminated is not None, timeout=10)
        assert c.terminated is not None
        assert c.terminated.error_code == h2.errors.ErrorCodes.NO_ERROR
        assert server.proc.wait(timeout=15) == 0
    finally:
        c.close()


# --------------------------------------------------------------------------------------------
# TLS
# --------------------------------------------------------------------------------------------


def test_tls_self_signed_serves_boto3_curl_and_h2_beside_plain_http(spated_factory):
    server = spated_factory(extra_args=["--tls-self-signed"])
    cert = server.data_dir / "tls" / "self-signed.crt"
    assert cert.is_file()
    key = server.data_dir / "tls" / "self-signed.key"
    assert key.stat().st_mode & 0o077 == 0, "the key must not be readable by others"

    kinesis = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    ).client("kinesis", endpoint_url=f"https://localhost:{server.port}", verify=str(cert),
             config=Config(retries={"total_max_attempts": 1}))
    name = unique_stream_name("tls")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name,
                                             WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    put = kinesis.put_record(StreamName=name, PartitionKey="k", Data=b"over tls")
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=put["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=it)["Records"]] == [b"over tls"]
    assert protocol_count(server, "http1_tls") >= 1

    for flag, version in (("--http1.1", "1.1"), ("--http2", "2")):
        done = curl("--cacert", str(cert), flag, "-w", " %{http_version}",
                    f"https://localhost:{server.port}/healthz")
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"ok\n {version}"
    # An untrusted certificate is refused by the client, as it should be.
    assert curl(f"https://localhost:{server.port}/healthz").returncode != 0

    c = H2Client(server.port, tls=tls_client_context(cert), host="localhost")
    try:
        status, body = c.call("DescribeStreamSummary", {"StreamName": name})
        assert status == 200 and body["StreamDescriptionSummary"]["StreamName"] == name
    finally:
        c.close()
    # Plain HTTP/1.1 and h2c still work on the same port.
    assert server.client().list_streams()["StreamNames"] == [name]
    plain = H2Client(server.port)
    try:
        assert plain.call("ListStreams")[0] == 200
    finally:
        plain.close()

    # The pair is kept: a restart serves the same certificate.
    before = cert.read_bytes()
    server.stop()
    server.start()
    assert cert.read_bytes() == before


def test_tls_with_given_files_and_bad_configuration(spated_factory, tmp_path):
    made = spated_factory(extra_args=["--tls-self-signed"])
    cert = made.data_dir / "tls" / "self-signed.crt"
    key = made.data_dir / "tls" / "self-signed.key"
    made.stop()
    server = spated_factory(extra_args=["--tls-cert", str(cert), "--tls-key", str(key)])
    done = curl("--cacert", str(cert), "-w", " %{http_version}",
                f"https://127.0.0.1:{server.port}/healthz")
    assert done.returncode == 0 and done.stdout.startswith("ok"), done.stderr

    missing = tmp_path / "missing.pem"
    for args, says in (
        (["--tls-cert", str(missing), "--tls-key", str(key)], "cannot load the TLS certificate"),
        (["--tls-cert", str(cert)], "both --tls-cert and --tls-key"),
        (["--tls-self-signed", "--tls-cert", str(cert), "--tls-key", str(key)], "exclude"),
    ):
        bad = spated_factory(start=False, extra_args=args)
        proc = subprocess.run([str(spated_binary()), *bad.args],
                              capture_output=True, text=True, timeout=20)
        assert proc.returncode != 0
        assert says in proc.stderr, proc.stderr
