"""CBOR 1.1 (`application/x-amz-cbor-1.1`), as the AWS SDK for Java v2 and the KCL speak it.

Requests are built with Debian's python3-cbor2 and SigV4-signed (spate_harness.cbor_call).
Proves: every action the server serves (the list comes from the server's own /metrics, so an
action added later is caught) answers a CBOR request in CBOR, with byte strings for blobs and
tag 1 + integer epoch milliseconds for timestamps; blobs and timestamps in requests are read
from byte strings and tag 1 (or plain milliseconds); every error (envelope, serialization,
validation, engine) is a CBOR map with the same __type, message and HTTP status as the JSON
answer to the same request; malformed CBOR is SerializationException and the server keeps
serving; SubscribeToShard pushes CBOR event payloads with :content-type
application/x-amz-cbor-1.1 (initial response, records, exception events).
"""

from __future__ import annotations

import datetime
import http.client
import re
import time

import pytest
from botocore.eventstream import EventStreamBuffer

from spate_harness import (
    CBOR_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    KinesisError,
    b64,
    cbor_api,
    cbor_call,
    cbor_dumps,
    cbor_loads,
    cbor_timestamp,
    error_message,
    error_type,
    expect_cbor_error,
    raw_exchange,
    sign_headers,
    signed_call,
    stream_arn,
    unique_stream_name,
)

SHARD0 = "shardId-000000000000"
UTC = datetime.timezone.utc

# Every action a test below drives through a successful CBOR exchange (see `covers`).
COVERED: set[str] = set()


def covers(*actions: str):
    COVERED.update(actions)
    return lambda f: f


# Idle subscriptions get an event every 200 ms, so the subscription tests read quickly.
SPATED_FLAGS = ["--heartbeat-ms", "200"]


def served_actions(server) -> list[str]:
    """The actions the running server serves: it pre-creates one metrics series per action."""
    names = set()
    for sample in server.metrics():
        m = re.fullmatch(r'spate_requests_total\{action="([A-Za-z]+)"\}', sample)
        if m and m.group(1) != "unknown":
            names.add(m.group(1))
    assert len(names) >= 28, f"too few actions in /metrics: {sorted(names)}"
    return sorted(names)


def near_now(when, slack_s: float = 120) -> bool:
    now = datetime.datetime.now(UTC)
    return isinstance(when, datetime.datetime) and abs((when - now).total_seconds()) < slack_s


def wait_active(endpoint: str, name: str, timeout: float = 30) -> dict:
    deadline = time.time() + timeout
    while True:
        summary = cbor_api(endpoint, "DescribeStreamSummary", StreamName=name)
        summary = summary["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            return summary
        assert time.time() < deadline, f"{name} stayed {summary['StreamStatus']}"
        time.sleep(0.05)


def create_stream(endpoint: str, hint: str, **params) -> str:
    name = unique_stream_name(hint)
    if "StreamModeDetails" not in params:
        params.setdefault("ShardCount", 1)
    assert cbor_api(endpoint, "CreateStream", StreamName=name, **params) == {}
    wait_active(endpoint, name)
    return name


def json_call(endpoint: str, action: str, params: dict) -> tuple[int, object]:
    return signed_call(endpoint, action, params)


# --------------------------------------------------------------------------------------------
# Every action, every codec path
# --------------------------------------------------------------------------------------------


def test_every_served_action_is_covered(server):
    """A new action must get a CBOR round trip below (add it to a `covers` list)."""
    missing = sorted(set(served_actions(server)) - COVERED)
    assert not missing, f"actions without a CBOR test: {missing}"


@pytest.mark.parametrize(
    "params",
    [
        {},
        # Wrong types for the members most actions have: the same SerializationException.
        {"StreamName": 7, "StreamARN": 7, "ConsumerARN": 7, "ResourceARN": 7},
        # Constraint violations: the same ValidationException text.
        {"StreamName": "", "StreamARN": "nope", "ConsumerARN": "x", "ResourceARN": "y",
         "ShardId": "", "Limit": 0, "ShardCount": 0, "RetentionPeriodHours": 0},
        # A missing stream: the same engine error.
        {"StreamName": "no-such-stream-cbor"},
    ],
    ids=["empty", "wrong-types", "constraints", "missing-stream"],
)
def test_every_action_answers_like_json(server, params):
    """For every action, a CBOR request gets the status, __type and message the same JSON
    request gets, as a CBOR map (errors included)."""
    endpoint = server.endpoint
    for action in served_actions(server):
        if action == "CreateStream" and params.get("StreamName") == "no-such-stream-cbor":
            continue  # (it would create the stream: JSON first, so CBOR would find it in use)
        jstatus, jbody = json_call(endpoint, action, params)
        cstatus, cbody, ctype = cbor_call(endpoint, action, params)
        assert ctype == CBOR_CONTENT_TYPE, (action, ctype, cbody)
        assert cstatus == jstatus, (action, params, jbody, cbody)
        if jstatus == 200:
            assert isinstance(cbody, dict), (action, cbody)
            if isinstance(jbody, dict):
                assert set(cbody) == set(jbody), (action, jbody, cbody)
        else:
            assert isinstance(cbody, dict) and error_type(cbody), (action, cbody)
            assert error_type(cbody) == error_type(jbody), (action, params, jbody, cbody)
            assert error_message(cbody) == error_message(jbody), (action, params, jbody, cbody)
            assert set(cbody) == set(jbody), (action, jbody, cbody)


def test_subscribe_to_shard_validation_error_is_cbor(endpoint):
    msg = expect_cbor_error(endpoint, "SubscribeToShard", {}, "ValidationException")
    assert "consumerARN" in msg and "Member must not be null" in msg


def test_every_action_refuses_malformed_cbor_and_the_server_keeps_serving(server):
    endpoint = server.endpoint
    bodies = {
        b"\xa1\x6aStreamName": "truncated",                 # map ends inside its first member
        b"\xa1\x01\x02": "non_string_map_key",
        b"\xa0\x00": "trailing_bytes",
        b"\x1c": "bad_additional_info",
        b"\xff": "unexpected_break",
        b"\xa1\x61a\x61\xff": "invalid_utf8",
        b"\xa1\x61a" + b"\x81" * 200 + b"\x00": "too_deep",
    }
    for action in served_actions(server):
        for body, name in bodies.items():
            status, answer, ctype = cbor_call(endpoint, action, body=body)
            assert (status, ctype) == (400, CBOR_CONTENT_TYPE), (action, body, answer)
            assert error_type(answer) == "SerializationException", (action, body, answer)
            assert f"CBOR {name} at byte" in error_message(answer), (action, body, answer)
        # A well-formed document that is not a map, and an empty body.
        for body in (cbor_dumps([]), cbor_dumps("x"), b""):
            status, answer, ctype = cbor_call(endpoint, action, body=body)
            assert (status, ctype, error_type(answer)) == (
                400, CBOR_CONTENT_TYPE, "SerializationException"), (action, body, answer)
    assert server.running()
    assert "StreamNames" in cbor_api(endpoint, "ListStreams")


def test_envelope_errors_are_cbor(endpoint):
    # An unknown operation, in the Kinesis target namespace.
    status, body, ctype = cbor_call(endpoint, "NoSuchAction", {})
    assert (status, ctype) == (400, CBOR_CONTENT_TYPE)
    assert body == {"__type": "UnknownOperationException"}
    status, body, ctype = cbor_call(endpoint, None, {}, target="Kinesis_20131202.Nope")
    assert (status, error_type(body)) == (400, "UnknownOperationException")
    # An empty body for a known action, and a blank one: ' ' is the CBOR integer -1, not
    # whitespace.
    status, body, ctype = cbor_call(endpoint, "ListStreams", body=b"")
    assert (status, ctype, error_type(body)) == (400, CBOR_CONTENT_TYPE, "SerializationException")
    status, body, ctype = cbor_call(endpoint, "ListStreams", body=b" ")
    assert (status, error_type(body)) == (400, "SerializationException")
    # Content-Type parameters are ignored, as for JSON.
    status, body, ctype = cbor_call(endpoint, "ListStreams", {},
                                    content_type=CBOR_CONTENT_TYPE + "; charset=utf-8")
    assert (status, ctype) == (200, CBOR_CONTENT_TYPE) and "StreamNames" in body
    # Another media type still gets AWS's XML answer.
    status, headers, data = raw_exchange(endpoint, "ListStreams", cbor_dumps({}),
                                         content_type="application/cbor")
    assert status == 404 and b"UnknownOperationException" in data


def test_json_requests_still_answer_json(endpoint):
    status, headers, data = raw_exchange(endpoint, "ListStreams", {})
    assert status == 200 and headers["Content-Type"] == JSON_CONTENT_TYPE
    assert data.startswith(b"{")


def test_indefinite_lengths_and_non_shortest_heads_are_read(endpoint):
    """Jackson may write indefinite-length maps and strings; any well-formed form is read."""
    name = create_stream(endpoint, "cbor-indef")
    key = name.encode()
    # {_ "StreamName": (_ "<first half>" "<second half>"), "Limit": uint32 5 }
    body = (b"\xbf" + b"\x6aStreamName" + b"\x7f"
            + bytes([0x60 | 3]) + key[:3] + b"\x78" + bytes([len(key) - 3]) + key[3:] + b"\xff"
            + b"\x65Limit" + b"\x1a\x00\x00\x00\x05" + b"\xff")
    status, answer, _ = cbor_call(endpoint, "ListShards", body=body)
    assert status == 200, answer
    assert [s["ShardId"] for s in answer["Shards"]] == [SHARD0]


# --------------------------------------------------------------------------------------------
# Successful answers, action by action
# --------------------------------------------------------------------------------------------


@covers("CreateStream", "DescribeStream", "DescribeStreamSummary", "ListStreams", "ListShards",
        "DeleteStream", "DescribeLimits")
def test_stream_lifecycle_and_timestamps(endpoint):
    name = create_stream(endpoint, "cbor-life", ShardCount=2)
    desc = cbor_api(endpoint, "DescribeStream", StreamName=name)["StreamDescription"]
    assert desc["StreamName"] == name and desc["StreamARN"] == stream_arn(name)
    assert near_now(desc["StreamCreationTimestamp"]), desc
    assert [s["ShardId"] for s in desc["Shards"]] == [SHARD0, "shardId-000000000001"]
    assert isinstance(desc["RetentionPeriodHours"], int) and desc["HasMoreShards"] is False
    summary = cbor_api(endpoint, "DescribeStreamSummary", StreamARN=stream_arn(name))
    created = summary["StreamDescriptionSummary"]["StreamCreationTimestamp"]
    assert created == desc["StreamCreationTimestamp"]
    listed = cbor_api(endpoint, "ListStreams", Limit=10000)
    assert name in listed["StreamNames"]
    entry = next(s for s in listed["StreamSummaries"] if s["StreamName"] == name)
    assert entry["StreamCreationTimestamp"] == created
    # A timestamp in a request: tag 1 around epoch milliseconds. Every shard was open then.
    shards = cbor_api(endpoint, "ListShards", StreamName=name,
                      ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": cbor_timestamp(created)})
    assert len(shards["Shards"]) == 2
    paged = cbor_api(endpoint, "ListShards", StreamName=name, MaxResults=1)
    assert len(paged["Shards"]) == 1 and isinstance(paged["NextToken"], str)
    nxt = cbor_api(endpoint, "ListShards", NextToken=paged["NextToken"])
    assert [s["ShardId"] for s in nxt["Shards"]] == ["shardId-000000000001"]
    limits = cbor_api(endpoint, "DescribeLimits")
    assert isinstance(limits["ShardLimit"], int) and isinstance(limits["OpenShardCount"], int)
    assert cbor_api(endpoint, "DeleteStream", StreamName=name) == {}
    expect_cbor_error(endpoint, "DescribeStreamSummary", {"StreamName": name + "-gone"},
                      "ResourceNotFoundException")


@covers("PutRecord", "PutRecords", "GetShardIterator", "GetRecords")
def test_records_are_byte_strings_and_arrivals_are_timestamps(endpoint):
    name = create_stream(endpoint, "cbor-data")
    payloads = [bytes(range(256)), b"", b"\x00\xff" * 500]
    first = cbor_api(endpoint, "PutRecord", StreamName=name, Data=payloads[0], PartitionKey="k")
    assert first["ShardId"] == SHARD0 and re.fullmatch(r"[0-9]+", first["SequenceNumber"])
    batch = cbor_api(endpoint, "PutRecords", StreamARN=stream_arn(name), Records=[
        {"Data": p, "PartitionKey": "k"} for p in payloads[1:]
    ] + [{"Data": b"x", "PartitionKey": "k", "ExplicitHashKey": "1"}])
    assert batch["FailedRecordCount"] == 0 and len(batch["Records"]) == 3
    it = cbor_api(endpoint, "GetShardIterator", StreamName=name, ShardId=SHARD0,
                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = cbor_api(endpoint, "GetRecords", ShardIterator=it, Limit=100)
    assert [r["Data"] for r in page["Records"]] == payloads + [b"x"]
    assert all(isinstance(r["Data"], bytes) for r in page["Records"])
    assert all(near_now(r["ApproximateArrivalTimestamp"]) for r in page["Records"]), page
    assert page["Records"][0]["SequenceNumber"] == first["SequenceNumber"]
    assert isinstance(page["MillisBehindLatest"], int)
    assert isinstance(page["NextShardIterator"], str)
    # Data must be a blob: a number is SerializationException; an over-long byte string is
    # refused exactly as the same record in base64 JSON is.
    expect_cbor_error(endpoint, "PutRecord", {"StreamName": name, "Data": 5, "PartitionKey": "k"},
                      "SerializationException")
    big = b"x" * (1024 * 1024 + 1)
    jstatus, jbody = json_call(endpoint, "PutRecord",
                               {"StreamName": name, "Data": b64(big), "PartitionKey": "k"})
    assert jstatus == 400, jbody
    msg = expect_cbor_error(endpoint, "PutRecord",
                            {"StreamName": name, "Data": big, "PartitionKey": "k"},
                            error_type(jbody))
    assert msg == error_message(jbody)


def test_get_records_pages_many_records_in_cbor(endpoint):
    """GetRecords streams its answer through the codec (body_writer): many records, large
    definite-length arrays, all bytes intact."""
    name = create_stream(endpoint, "cbor-many")
    sent = [f"record-{i}".encode() * (i % 7 + 1) for i in range(1200)]
    for start in range(0, len(sent), 500):
        out = cbor_api(endpoint, "PutRecords", StreamName=name, Records=[
            {"Data": d, "PartitionKey": str(i)} for i, d in enumerate(sent[start:start + 500])])
        assert out["FailedRecordCount"] == 0
    it = cbor_api(endpoint, "GetShardIterator", StreamName=name, ShardId=SHARD0,
                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    page = cbor_api(endpoint, "GetRecords", ShardIterator=it)
    assert [r["Data"] for r in page["Records"]] == sent


def test_at_timestamp_reads_milliseconds(endpoint):
    """AT_TIMESTAMP with tag 1 (and with a plain integer, the Java SDK's unit) is epoch
    milliseconds: only records that arrived at or after it are read."""
    name = create_stream(endpoint, "cbor-at")
    cbor_api(endpoint, "PutRecord", StreamName=name, Data=b"before", PartitionKey="k")
    time.sleep(0.05)
    cut = datetime.datetime.now(UTC)
    time.sleep(0.05)
    cbor_api(endpoint, "PutRecord", StreamName=name, Data=b"after", PartitionKey="k")
    cut_ms = int(cut.timestamp() * 1000)
    for stamp in (cbor_timestamp(cut), cut_ms):
        it = cbor_api(endpoint, "GetShardIterator", StreamName=name, ShardId=SHARD0,
                      ShardIteratorType="AT_TIMESTAMP", Timestamp=stamp)["ShardIterator"]
        page = cbor_api(endpoint, "GetRecords", ShardIterator=it)
        assert [r["Data"] for r in page["Records"]] == [b"after"], stamp
    # An hour ahead is in the future; read as seconds it would be a hint of 1970.
    future = cut + datetime.timedelta(hours=1)
    msg = expect_cbor_error(endpoint, "GetShardIterator",
                            {"StreamName": name, "ShardId": SHARD0,
                             "ShardIteratorType": "AT_TIMESTAMP",
                             "Timestamp": cbor_timestamp(future)}, "InvalidArgumentException")
    assert str(int(future.timestamp() * 1000)) in msg
    # A text string is not a timestamp.
    expect_cbor_error(endpoint, "GetShardIterator",
                      {"StreamName": name, "ShardId": SHARD0, "ShardIteratorType": "AT_TIMESTAMP",
                       "Timestamp": "2024-01-01T00:00:00Z"}, "SerializationException")


@covers("IncreaseStreamRetentionPeriod", "DecreaseStreamRetentionPeriod", "AddTagsToStream",
        "ListTagsForStream", "RemoveTagsFromStream", "TagResource", "UntagResource",
        "ListTagsForResource")
def test_retention_and_tags(endpoint):
    name = create_stream(endpoint, "cbor-tags")
    arn = stream_arn(name)
    assert cbor_api(endpoint, "IncreaseStreamRetentionPeriod", StreamName=name,
                    RetentionPeriodHours=48) == {}
    assert wait_active(endpoint, name)["RetentionPeriodHours"] == 48
    assert cbor_api(endpoint, "DecreaseStreamRetentionPeriod", StreamARN=arn,
                    RetentionPeriodHours=24) == {}
    assert wait_active(endpoint, name)["RetentionPeriodHours"] == 24
    assert cbor_api(endpoint, "AddTagsToStream", StreamName=name, Tags={"a": "1", "b": "2"}) == {}
    tags = cbor_api(endpoint, "ListTagsForStream", StreamName=name)
    assert tags["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert tags["HasMoreTags"] is False
    assert cbor_api(endpoint, "RemoveTagsFromStream", StreamName=name, TagKeys=["a"]) == {}
    assert cbor_api(endpoint, "TagResource", ResourceARN=arn, Tags={"c": "3"}) == {}
    listed = cbor_api(endpoint, "ListTagsForResource", ResourceARN=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in listed} == {"b": "2", "c": "3"}
    assert cbor_api(endpoint, "UntagResource", ResourceARN=arn, TagKeys=["b", "c"]) == {}
    assert cbor_api(endpoint, "ListTagsForResource", ResourceARN=arn)["Tags"] == []


@covers("SplitShard", "MergeShards", "UpdateShardCount", "UpdateStreamMode")
def test_resharding_and_modes(endpoint):
    name = create_stream(endpoint, "cbor-reshard")
    assert cbor_api(endpoint, "SplitShard", StreamName=name, ShardToSplit=SHARD0,
                    NewStartingHashKey=str(2**127)) == {}
    wait_active(endpoint, name)
    assert cbor_api(endpoint, "MergeShards", StreamName=name,
                    ShardToMerge="shardId-000000000001",
                    AdjacentShardToMerge="shardId-000000000002") == {}
    wait_active(endpoint, name)
    shards = cbor_api(endpoint, "ListShards", StreamName=name)["Shards"]
    assert len(shards) == 4
    out = cbor_api(endpoint, "UpdateShardCount", StreamName=name, TargetShardCount=2,
                   ScalingType="UNIFORM_SCALING")
    assert (out["StreamName"], out["CurrentShardCount"], out["TargetShardCount"]) == (name, 1, 2)
    wait_active(endpoint, name)
    assert cbor_api(endpoint, "UpdateStreamMode", StreamARN=stream_arn(name),
                    StreamModeDetails={"StreamMode": "ON_DEMAND"}) == {}
    summary = wait_active(endpoint, name)
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}


@covers("StartStreamEncryption", "StopStreamEncryption", "EnableEnhancedMonitoring",
        "DisableEnhancedMonitoring", "PutResourcePolicy", "GetResourcePolicy",
        "DeleteResourcePolicy", "UpdateMaxRecordSize")
def test_stream_settings(endpoint):
    name = create_stream(endpoint, "cbor-settings")
    arn = stream_arn(name)
    key = "alias/aws/kinesis"
    assert cbor_api(endpoint, "StartStreamEncryption", StreamName=name, EncryptionType="KMS",
                    KeyId=key) == {}
    assert wait_active(endpoint, name)["EncryptionType"] == "KMS"
    assert cbor_api(endpoint, "StopStreamEncryption", StreamName=name, EncryptionType="KMS",
                    KeyId=key) == {}
    assert wait_active(endpoint, name)["EncryptionType"] == "NONE"
    on = cbor_api(endpoint, "EnableEnhancedMonitoring", StreamName=name,
                  ShardLevelMetrics=["IncomingBytes", "OutgoingRecords"])
    assert set(on["DesiredShardLevelMetrics"]) == {"IncomingBytes", "OutgoingRecords"}
    off = cbor_api(endpoint, "DisableEnhancedMonitoring", StreamARN=arn,
                   ShardLevelMetrics=["IncomingBytes"])
    assert off["DesiredShardLevelMetrics"] == ["OutgoingRecords"]
    policy = '{"Version":"2012-10-17","Statement":[]}'
    assert cbor_api(endpoint, "PutResourcePolicy", ResourceARN=arn, Policy=policy) == {}
    assert cbor_api(endpoint, "GetResourcePolicy", ResourceARN=arn) == {"Policy": policy}
    assert cbor_api(endpoint, "DeleteResourcePolicy", ResourceARN=arn) == {}
    assert cbor_api(endpoint, "GetResourcePolicy", ResourceARN=arn) == {"Policy": "{}"}
    assert cbor_api(endpoint, "UpdateMaxRecordSize", StreamARN=arn, MaxRecordSizeInKiB=2048) == {}
    assert wait_active(endpoint, name)["MaxRecordSizeInKiB"] == 2048


@covers("DescribeAccountSettings", "UpdateAccountSettings", "UpdateStreamWarmThroughput")
def test_account_settings_timestamps(endpoint):
    before = cbor_api(endpoint, "DescribeAccountSettings")
    assert "MinimumThroughputBillingCommitment" in before
    out = cbor_api(endpoint, "UpdateAccountSettings",
                   MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    commitment = out["MinimumThroughputBillingCommitment"]
    assert commitment["Status"] == "ENABLED"
    assert near_now(commitment["StartedAt"]), commitment
    assert commitment["EarliestAllowedEndAt"] > commitment["StartedAt"]
    name = create_stream(endpoint, "cbor-warm", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    warm = cbor_api(endpoint, "UpdateStreamWarmThroughput", StreamName=name,
                    WarmThroughputMiBps=10)
    assert warm["StreamName"] == name and warm["WarmThroughput"]["TargetMiBps"] == 10


# --------------------------------------------------------------------------------------------
# Enhanced fan-out: consumers and SubscribeToShard
# --------------------------------------------------------------------------------------------


class CborSubscription:
    """One SubscribeToShard in CBOR, its event stream read message by message."""

    def __init__(self, server, consumer_arn, shard=SHARD0, **position):
        position.setdefault("Type", "LATEST")
        body = cbor_dumps({"ConsumerARN": consumer_arn, "ShardId": shard,
                           "StartingPosition": position})
        headers = sign_headers(server.endpoint, body, {
            "Content-Type": CBOR_CONTENT_TYPE,
            "X-Amz-Target": "Kinesis_20131202.SubscribeToShard",
        })
        self.conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
        self.conn.request("POST", "/", body=body, headers=headers)
        self.resp = self.conn.getresponse()
        self.buffer = EventStreamBuffer()
        self.pending = iter(())

    def next(self):
        """The next message (headers, decoded payload), or None at the end of the stream."""
        while True:
            for msg in self.pending:
                return msg.headers, cbor_loads(msg.payload)
            data = self.resp.read1(65536)
            if not data:
                return None
            self.buffer.add_data(data)
            self.pending = self.buffer

    def close(self):
        self.conn.close()


@covers("RegisterStreamConsumer", "DescribeStreamConsumer", "ListStreamConsumers",
        "DeregisterStreamConsumer", "SubscribeToShard")
def test_consumers_and_subscribe_to_shard_push_cbor_events(server):
    endpoint = server.endpoint
    name = create_stream(endpoint, "cbor-efo")
    arn = stream_arn(name)
    created = wait_active(endpoint, name)["StreamCreationTimestamp"]
    reg = cbor_api(endpoint, "RegisterStreamConsumer", StreamARN=arn, ConsumerName="c")["Consumer"]
    assert near_now(reg["ConsumerCreationTimestamp"]), reg
    consumer = reg["ConsumerARN"]
    deadline = time.time() + 30
    while True:
        desc = cbor_api(endpoint, "DescribeStreamConsumer", ConsumerARN=consumer)
        desc = desc["ConsumerDescription"]
        if desc["ConsumerStatus"] == "ACTIVE":
            break
        assert time.time() < deadline
        time.sleep(0.05)
    assert desc["ConsumerCreationTimestamp"] == reg["ConsumerCreationTimestamp"]
    listed = cbor_api(endpoint, "ListStreamConsumers", StreamARN=arn,
                      StreamCreationTimestamp=cbor_timestamp(created))["Consumers"]
    assert [c["ConsumerName"] for c in listed] == ["c"]
    assert listed[0]["ConsumerCreationTimestamp"] == reg["ConsumerCreationTimestamp"]

    # Errors before the stream starts are ordinary CBOR errors.
    expect_cbor_error(endpoint, "SubscribeToShard",
                      {"ConsumerARN": consumer + "0", "ShardId": SHARD0,
                       "StartingPosition": {"Type": "LATEST"}}, "ResourceNotFoundException")

    sent = [b"\x00one", b"two\xff"]
    for d in sent:
        cbor_api(endpoint, "PutRecord", StreamName=name, Data=d, PartitionKey="k")
    sub = CborSubscription(server, consumer, Type="TRIM_HORIZON")
    try:
        assert sub.resp.status == 200
        assert sub.resp.getheader("Content-Type") == "application/vnd.amazon.eventstream"
        headers, payload = sub.next()
        assert headers[":event-type"] == "initial-response"
        assert headers[":content-type"] == CBOR_CONTENT_TYPE
        assert payload == {}
        records = []
        while len(records) < len(sent):
            headers, event = sub.next()
            assert headers[":message-type"] == "event"
            assert headers[":event-type"] == "SubscribeToShardEvent"
            assert headers[":content-type"] == CBOR_CONTENT_TYPE
            assert isinstance(event["MillisBehindLatest"], int)
            assert re.fullmatch(r"[0-9]+", event["ContinuationSequenceNumber"])
            records += event["Records"]
        assert [r["Data"] for r in records] == sent
        assert all(near_now(r["ApproximateArrivalTimestamp"]) for r in records)
        # Deregistering the consumer ends the subscription with a CBOR exception event.
        assert cbor_api(endpoint, "DeregisterStreamConsumer", ConsumerARN=consumer) == {}
        while True:
            message = sub.next()
            assert message is not None, "the stream ended without an exception event"
            headers, payload = message
            if headers[":message-type"] == "exception":
                break
        assert headers[":exception-type"] == "ResourceNotFoundException"
        assert headers[":content-type"] == CBOR_CONTENT_TYPE
        assert payload["__type"] == "ResourceNotFoundException"
        assert "no longer registered" in payload["message"]
        assert sub.next() is None
    finally:
        sub.close()


def test_json_subscription_events_stay_json(server):
    """The same subscription over JSON keeps JSON payloads (botocore's view)."""
    endpoint = server.endpoint
    name = create_stream(endpoint, "cbor-efo-json")
    consumer = cbor_api(endpoint, "RegisterStreamConsumer", StreamARN=stream_arn(name),
                        ConsumerName="j")["Consumer"]["ConsumerARN"]
    deadline = time.time() + 30
    while cbor_api(endpoint, "DescribeStreamConsumer",
                   ConsumerARN=consumer)["ConsumerDescription"]["ConsumerStatus"] != "ACTIVE":
        assert time.time() < deadline
        time.sleep(0.05)
    body = b'{"ConsumerARN":"%s","ShardId":"%s","StartingPosition":{"Type":"LATEST"}}' % (
        consumer.encode(), SHARD0.encode())
    headers = sign_headers(endpoint, body, {"Content-Type": JSON_CONTENT_TYPE,
                                            "X-Amz-Target": "Kinesis_20131202.SubscribeToShard"})
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        buffer = EventStreamBuffer()
        seen = []
        while len(seen) < 2:
            buffer.add_data(resp.read1(65536))
            seen += list(buffer)
        assert seen[0].headers[":content-type"] == "application/json"
        assert seen[0].payload == b"{}"
        assert seen[1].payload.startswith(b"{")
    finally:
        conn.close()
    cbor_api(endpoint, "DeregisterStreamConsumer", ConsumerARN=consumer)


def test_kinesis_error_from_cbor_api(endpoint):
    """cbor_api raises the decoded error (the harness helper the other tests rely on)."""
    with pytest.raises(KinesisError) as info:
        cbor_api(endpoint, "DescribeStream", StreamName="absent-cbor")
    assert (info.value.status, info.value.type) == (400, "ResourceNotFoundException")
    assert "absent-cbor" in info.value.message
