"""CBOR 1.1 (`application/x-amz-cbor-1.1`), as the AWS SDK for Java v2 and the KCL speak it.

Requests are built with Debian's python3-cbor2 and SigV4-signed (spate_harness.cbor_call).
Proves: the actions the server serves (the list comes from the server's own /metrics) are
exactly the 39 actions of the Kinesis Data Streams API, a list fixed in this file, so a server
missing an action or inventing one fails; every served action answers a CBOR request in CBOR,
with byte strings for blobs and tag 1 + integer epoch milliseconds for timestamps; blobs and
timestamps in requests are read from byte strings and tag 1 (or plain milliseconds); every
error (envelope, serialization, validation, engine) is a CBOR map with the same __type, message
and HTTP status as the JSON answer to the same request; malformed CBOR is SerializationException
and the server keeps serving; SubscribeToShard pushes CBOR event payloads with :content-type
application/x-amz-cbor-1.1 (initial response, records, exception events).

Independently of the server's JSON codec, the answers of PutRecord, PutRecords, GetRecords
(open and closed shard), GetShardIterator, DescribeStreamSummary, ListShards, ListStreams and
DescribeLimits, and a ResourceNotFoundException, are checked item by item on the wire against
expectations written here from the AWS model (member names, required members, enum values, and
the CBOR major type or tag of every value); a test checks those expectations against Debian's
botocore model, member by member, for what that model has.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import http.client
import json
import re
import struct
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.eventstream import EventStreamBuffer

from spate_harness import (
    CBOR_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    HASH_KEY_RE,
    SEQUENCE_NUMBER_RE,
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
# The Kinesis Data Streams API's actions, fixed here
# --------------------------------------------------------------------------------------------

# The actions of the Kinesis Data Streams API: the 39 the AWS API reference's "Actions" page
# (https://docs.aws.amazon.com/kinesis/latest/APIReference/API_Operations.html) listed before
# the channel actions came (see below). Debian 12's botocore 1.29.27 model
# (botocore/data/kinesis/2013-12-02/service-2.json) has 29 of them; these ten came later and
# are taken from the API reference alone: DeleteResourcePolicy, GetResourcePolicy,
# PutResourcePolicy, ListTagsForResource, TagResource, UntagResource, DescribeAccountSettings,
# UpdateAccountSettings, UpdateMaxRecordSize, UpdateStreamWarmThroughput. AWS has since added
# five channel actions (CreateChannel, DeleteChannel, DescribeChannel, ListChannels,
# UpdateChannel: delivery to Amazon S3), which Spate does not serve; they are left out on
# purpose, and serving them means adding them here.
KINESIS_ACTIONS = (
    "AddTagsToStream",
    "CreateStream",
    "DecreaseStreamRetentionPeriod",
    "DeleteResourcePolicy",
    "DeleteStream",
    "DeregisterStreamConsumer",
    "DescribeAccountSettings",
    "DescribeLimits",
    "DescribeStream",
    "DescribeStreamConsumer",
    "DescribeStreamSummary",
    "DisableEnhancedMonitoring",
    "EnableEnhancedMonitoring",
    "GetRecords",
    "GetResourcePolicy",
    "GetShardIterator",
    "IncreaseStreamRetentionPeriod",
    "ListShards",
    "ListStreamConsumers",
    "ListStreams",
    "ListTagsForResource",
    "ListTagsForStream",
    "MergeShards",
    "PutRecord",
    "PutRecords",
    "PutResourcePolicy",
    "RegisterStreamConsumer",
    "RemoveTagsFromStream",
    "SplitShard",
    "StartStreamEncryption",
    "StopStreamEncryption",
    "SubscribeToShard",
    "TagResource",
    "UntagResource",
    "UpdateAccountSettings",
    "UpdateMaxRecordSize",
    "UpdateShardCount",
    "UpdateStreamMode",
    "UpdateStreamWarmThroughput",
)


def botocore_kinesis_model():
    """The Kinesis service model of the installed botocore (Debian's python3-botocore)."""
    import botocore
    from botocore.model import ServiceModel

    found = sorted((Path(botocore.__file__).parent / "data" / "kinesis").glob("*/service-2.json"))
    assert found, "botocore has no Kinesis service model"
    return ServiceModel(json.loads(found[-1].read_text()), service_name="kinesis")


def test_the_fixed_action_list_is_the_kinesis_api():
    assert len(KINESIS_ACTIONS) == 39 == len(set(KINESIS_ACTIONS))
    assert list(KINESIS_ACTIONS) == sorted(KINESIS_ACTIONS)
    # Every action of the (older) installed model is in the list.
    installed = set(botocore_kinesis_model().operation_names)
    assert len(installed) >= 29
    assert installed <= set(KINESIS_ACTIONS), sorted(installed - set(KINESIS_ACTIONS))


def test_served_actions_are_exactly_the_kinesis_api(server):
    served, expected = set(served_actions(server)), set(KINESIS_ACTIONS)
    assert served == expected, (
        f"missing from the server: {sorted(expected - served)}; "
        f"served but not Kinesis actions: {sorted(served - expected)}")


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
        deadline = time.monotonic() + 15  # heartbeats every 200 ms: no single read times out
        while len(records) < len(sent):
            assert time.monotonic() < deadline, f"{len(records)} of {len(sent)} records in 15 s"
            message = sub.next()
            assert message is not None, f"the stream ended after {len(records)} records"
            headers, event = message
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
        deadline = time.monotonic() + 15
        while True:
            assert time.monotonic() < deadline, "no exception event within 15 s"
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


def _active_consumer(endpoint, stream, consumer_name):
    """Registers a consumer (over CBOR) and waits until it is ACTIVE; returns its ARN."""
    consumer = cbor_api(endpoint, "RegisterStreamConsumer", StreamARN=stream_arn(stream),
                        ConsumerName=consumer_name)["Consumer"]["ConsumerARN"]
    deadline = time.time() + 30
    while cbor_api(endpoint, "DescribeStreamConsumer",
                   ConsumerARN=consumer)["ConsumerDescription"]["ConsumerStatus"] != "ACTIVE":
        assert time.time() < deadline
        time.sleep(0.05)
    return consumer


def _json_subscription(server, consumer):
    """A SubscribeToShard of shard 0 from LATEST over JSON: (connection, response)."""
    body = b'{"ConsumerARN":"%s","ShardId":"%s","StartingPosition":{"Type":"LATEST"}}' % (
        consumer.encode(), SHARD0.encode())
    headers = sign_headers(server.endpoint, body, {
        "Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": "Kinesis_20131202.SubscribeToShard"})
    conn = http.client.HTTPConnection(server.host, server.port, timeout=10)
    conn.request("POST", "/", body=body, headers=headers)
    return conn, conn.getresponse()


def test_json_subscription_events_stay_json(server):
    """The same subscription over JSON keeps JSON payloads (botocore's view)."""
    endpoint = server.endpoint
    name = create_stream(endpoint, "cbor-efo-json")
    consumer = _active_consumer(endpoint, name, "j")
    conn, resp = _json_subscription(server, consumer)
    try:
        buffer = EventStreamBuffer()
        seen = []
        while len(seen) < 2:
            data = resp.read1(65536)
            assert data, f"the stream ended after {len(seen)} messages"
            buffer.add_data(data)
            seen += list(buffer)
        assert seen[0].headers[":content-type"] == "application/json"
        assert seen[0].payload == b"{}"
        assert seen[1].payload.startswith(b"{")
    finally:
        conn.close()
    cbor_api(endpoint, "DeregisterStreamConsumer", ConsumerARN=consumer)


def test_json_and_cbor_consumers_at_one_position_each_get_their_own_codec(server):
    """Consumers share a page's encoded Records only within one codec: a JSON and a CBOR
    consumer that stand at the same position each get every record in their own."""
    endpoint = server.endpoint
    name = create_stream(endpoint, "cbor-efo-mixed")
    cbor_sub = CborSubscription(server, _active_consumer(endpoint, name, "cbor"))
    conn, resp = _json_subscription(server, _active_consumer(endpoint, name, "json"))
    try:
        assert resp.status == 200
        assert cbor_sub.resp.status == 200
        sent = [b"r%d\xff" % i for i in range(20)]
        for d in sent:
            cbor_api(endpoint, "PutRecord", StreamName=name, Data=d, PartitionKey="k")
        got_cbor = []
        deadline = time.monotonic() + 15
        while len(got_cbor) < len(sent):
            assert time.monotonic() < deadline, f"CBOR: {len(got_cbor)} of {len(sent)} records"
            headers, event = cbor_sub.next()
            assert headers[":content-type"] == CBOR_CONTENT_TYPE
            if headers[":event-type"] == "SubscribeToShardEvent":
                got_cbor += [r["Data"] for r in event["Records"]]
        buffer, got_json = EventStreamBuffer(), []
        deadline = time.monotonic() + 15
        while len(got_json) < len(sent):
            assert time.monotonic() < deadline, f"JSON: {len(got_json)} of {len(sent)} records"
            data = resp.read1(65536)
            assert data, f"the JSON stream ended after {len(got_json)} records"
            buffer.add_data(data)
            for msg in buffer:
                assert msg.headers[":content-type"] == "application/json"
                event = json.loads(msg.payload)
                got_json += [base64.b64decode(r["Data"]) for r in event.get("Records", [])]
        assert got_cbor == sent
        assert got_json == sent
    finally:
        conn.close()
        cbor_sub.close()


def test_kinesis_error_from_cbor_api(endpoint):
    """cbor_api raises the decoded error (the harness helper the other tests rely on)."""
    with pytest.raises(KinesisError) as info:
        cbor_api(endpoint, "DescribeStream", StreamName="absent-cbor")
    assert (info.value.status, info.value.type) == (400, "ResourceNotFoundException")
    assert "absent-cbor" in info.value.message


# --------------------------------------------------------------------------------------------
# Answers against the AWS model, item by item on the wire
# --------------------------------------------------------------------------------------------
#
# What the AWS CBOR 1.1 protocol writes for each kind of model member: a string as a text
# string (major type 3), an integer or long as an integer (major 0, or 1 if negative), a boolean
# as the simple values false/true (0xf4/0xf5), a blob as a byte string (major 2, never base64
# text), a structure as a map with text keys (major 5) and a list as an array (major 4); a
# timestamp as tag 1 (0xc1) around an INTEGER number of epoch MILLISECONDS. That last is AWS's
# own, not RFC 8949's seconds: the Java SDK v2 writes tag 1 + Instant.toEpochMilli()
# (aws-sdk-java-v2 core/protocols/aws-cbor-protocol/.../SdkCborGenerator.java) and reads payload
# timestamps as UNIX_TIMESTAMP_MILLIS (AwsCborProtocolFactory: "CBOR uses epoch millis for
# timestamps rather than epoch seconds"). (Smithy's newer rpcv2Cbor, application/cbor, counts
# seconds; Kinesis does not speak it.) An error is a map of `__type` and `message` (the
# exception shapes have the one member `message`; `__type` is the protocol's), HTTP 400 for the
# client errors, with Content-Type application/x-amz-cbor-1.1.

TEXT, INTEGER, BOOLEAN, BLOB, TIMESTAMP = "text", "integer", "boolean", "blob", "timestamp"


@dataclasses.dataclass(frozen=True)
class OneOf:
    """A string member with an enum in the model: text, one of `values`."""

    shape: str
    values: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class ListOf:
    member: Any


@dataclasses.dataclass(frozen=True)
class Struct:
    """A structure of the model: `required` and `optional` members with what each must be.
    `newer` names the members Debian's botocore 1.29 model does not have yet (they come from
    the AWS API reference and the newer botocore models)."""

    shape: str
    required: dict
    optional: dict = dataclasses.field(default_factory=dict)
    newer: frozenset = frozenset()

    def members(self) -> dict:
        return {**self.required, **self.optional}


ENCRYPTION_TYPE = OneOf("EncryptionType", ("NONE", "KMS"))
STREAM_STATUS = OneOf("StreamStatus", ("CREATING", "DELETING", "ACTIVE", "UPDATING"))
STREAM_MODE = OneOf("StreamMode", ("PROVISIONED", "ON_DEMAND"))
METRICS_NAME = OneOf("MetricsName", (
    "IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords",
    "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds", "ALL"))

HASH_KEY_RANGE = Struct("HashKeyRange", {"StartingHashKey": TEXT, "EndingHashKey": TEXT})
SEQUENCE_NUMBER_RANGE = Struct("SequenceNumberRange", {"StartingSequenceNumber": TEXT},
                               {"EndingSequenceNumber": TEXT})
SHARD = Struct("Shard", {"ShardId": TEXT, "HashKeyRange": HASH_KEY_RANGE,
                         "SequenceNumberRange": SEQUENCE_NUMBER_RANGE},
               {"ParentShardId": TEXT, "AdjacentParentShardId": TEXT})
CHILD_SHARD = Struct("ChildShard", {"ShardId": TEXT, "ParentShards": ListOf(TEXT),
                                    "HashKeyRange": HASH_KEY_RANGE})
STREAM_MODE_DETAILS = Struct("StreamModeDetails", {"StreamMode": STREAM_MODE})
ENHANCED_METRICS = Struct("EnhancedMetrics", {}, {"ShardLevelMetrics": ListOf(METRICS_NAME)})
WARM_THROUGHPUT = Struct("WarmThroughputObject", {},
                         {"TargetMiBps": INTEGER, "CurrentMiBps": INTEGER})
RECORD = Struct("Record", {"SequenceNumber": TEXT, "Data": BLOB, "PartitionKey": TEXT},
                {"ApproximateArrivalTimestamp": TIMESTAMP, "EncryptionType": ENCRYPTION_TYPE})
PUT_RECORDS_RESULT_ENTRY = Struct("PutRecordsResultEntry", {}, {
    "SequenceNumber": TEXT, "ShardId": TEXT, "ErrorCode": TEXT, "ErrorMessage": TEXT})
STREAM_SUMMARY = Struct("StreamSummary", {"StreamName": TEXT, "StreamARN": TEXT,
                                          "StreamStatus": STREAM_STATUS},
                        {"StreamModeDetails": STREAM_MODE_DETAILS,
                         "StreamCreationTimestamp": TIMESTAMP})

# The answers (operation output shapes).
PUT_RECORD_OUTPUT = Struct("PutRecordOutput", {"ShardId": TEXT, "SequenceNumber": TEXT},
                           {"EncryptionType": ENCRYPTION_TYPE})
PUT_RECORDS_OUTPUT = Struct("PutRecordsOutput", {"Records": ListOf(PUT_RECORDS_RESULT_ENTRY)},
                            {"FailedRecordCount": INTEGER, "EncryptionType": ENCRYPTION_TYPE})
GET_SHARD_ITERATOR_OUTPUT = Struct("GetShardIteratorOutput", {}, {"ShardIterator": TEXT})
GET_RECORDS_OUTPUT = Struct("GetRecordsOutput", {"Records": ListOf(RECORD)},
                            {"NextShardIterator": TEXT, "MillisBehindLatest": INTEGER,
                             "ChildShards": ListOf(CHILD_SHARD)})
DESCRIBE_STREAM_SUMMARY_OUTPUT = Struct("DescribeStreamSummaryOutput", {
    "StreamDescriptionSummary": Struct(
        "StreamDescriptionSummary",
        {"StreamName": TEXT, "StreamARN": TEXT, "StreamStatus": STREAM_STATUS,
         "RetentionPeriodHours": INTEGER, "StreamCreationTimestamp": TIMESTAMP,
         "EnhancedMonitoring": ListOf(ENHANCED_METRICS), "OpenShardCount": INTEGER},
        {"StreamModeDetails": STREAM_MODE_DETAILS, "EncryptionType": ENCRYPTION_TYPE,
         "KeyId": TEXT, "ConsumerCount": INTEGER, "WarmThroughput": WARM_THROUGHPUT,
         "MaxRecordSizeInKiB": INTEGER},
        newer=frozenset({"WarmThroughput", "MaxRecordSizeInKiB"})),
})
LIST_SHARDS_OUTPUT = Struct("ListShardsOutput", {}, {"Shards": ListOf(SHARD), "NextToken": TEXT})
LIST_STREAMS_OUTPUT = Struct("ListStreamsOutput",
                             {"StreamNames": ListOf(TEXT), "HasMoreStreams": BOOLEAN},
                             {"NextToken": TEXT, "StreamSummaries": ListOf(STREAM_SUMMARY)},
                             newer=frozenset({"NextToken", "StreamSummaries"}))
DESCRIBE_LIMITS_OUTPUT = Struct("DescribeLimitsOutput", {
    "ShardLimit": INTEGER, "OpenShardCount": INTEGER, "OnDemandStreamCount": INTEGER,
    "OnDemandStreamCountLimit": INTEGER})

MODEL_OUTPUTS = {
    "PutRecord": PUT_RECORD_OUTPUT,
    "PutRecords": PUT_RECORDS_OUTPUT,
    "GetShardIterator": GET_SHARD_ITERATOR_OUTPUT,
    "GetRecords": GET_RECORDS_OUTPUT,
    "DescribeStreamSummary": DESCRIBE_STREAM_SUMMARY_OUTPUT,
    "ListShards": LIST_SHARDS_OUTPUT,
    "ListStreams": LIST_STREAMS_OUTPUT,
    "DescribeLimits": DESCRIBE_LIMITS_OUTPUT,
}

_MODEL_KINDS = {"string": TEXT, "integer": INTEGER, "long": INTEGER, "boolean": BOOLEAN,
                "blob": BLOB, "timestamp": TIMESTAMP}


def _against_model(expected, shape, path: str) -> list[str]:
    """How `expected` differs from the botocore shape `shape` (empty if it does not)."""
    if isinstance(expected, Struct):
        if shape.type_name != "structure" or shape.name != expected.shape:
            return [f"{path}: expected structure {expected.shape}, the model has "
                    f"{shape.type_name} {shape.name}"]
        problems = []
        mine = set(expected.members()) - expected.newer
        if set(shape.members) != mine:
            problems.append(f"{path}: members {sorted(mine)}, "
                            f"the model has {sorted(shape.members)}")
        if set(shape.required_members) != set(expected.required):
            problems.append(f"{path}: required {sorted(expected.required)}, the model has "
                            f"{sorted(shape.required_members)}")
        for name in sorted(mine & set(shape.members)):
            problems += _against_model(expected.members()[name], shape.members[name],
                                       f"{path}.{name}")
        return problems
    if isinstance(expected, ListOf):
        if shape.type_name != "list":
            return [f"{path}: expected a list, the model has {shape.type_name}"]
        return _against_model(expected.member, shape.member, f"{path}[]")
    if isinstance(expected, OneOf):
        if shape.type_name != "string" or (shape.name, tuple(shape.enum)) != (
                expected.shape, expected.values):
            return [f"{path}: expected {expected}, the model has {shape.type_name} "
                    f"{shape.name} {getattr(shape, 'enum', None)}"]
        return []
    if _MODEL_KINDS.get(shape.type_name) != expected or getattr(shape, "enum", None):
        return [f"{path}: expected {expected}, the model has {shape.type_name} {shape.name}"]
    return []


def test_expected_answers_agree_with_the_botocore_model():
    """The expectations above, written from the AWS model, against Debian's botocore model:
    the same member names (but the `newer` ones), the same required members, the same kinds
    and enums, all the way down."""
    model = botocore_kinesis_model()
    problems = []
    for action, expected in MODEL_OUTPUTS.items():
        problems += _against_model(expected, model.operation_model(action).output_shape, action)
    error = model.shape_for("ResourceNotFoundException")
    assert error.metadata.get("exception") and not error.metadata.get("error")  # HTTP 400
    assert {k: v.type_name for k, v in error.members.items()} == {"message": "string"}
    assert not problems, "\n".join(problems)


@dataclasses.dataclass
class Item:
    """One CBOR data item as it is on the wire."""

    start: int  # offset of its first byte (its first tag's, if tagged)
    tags: tuple[int, ...]  # the tags around it, outermost first
    major: int  # its major type, 0..7
    value: Any  # int, bytes, str, list[Item], dict[str, Item], bool, None or float


def read_items(data: bytes) -> Item:
    """Walks one CBOR document (RFC 8949) that must fill `data`, keeping what the encoding says
    of every item: its major type and its tags."""
    pos = 0

    def head() -> tuple[int, int, int | None]:
        nonlocal pos
        assert pos < len(data), f"truncated at byte {pos}"
        first = data[pos]
        pos += 1
        major, info = first >> 5, first & 0x1F
        if info < 24:
            return major, info, info
        if info == 31:
            return major, info, None  # indefinite length (or, in major 7, the break)
        assert info <= 27, f"reserved additional information {info} at byte {pos - 1}"
        size = 1 << (info - 24)
        assert pos + size <= len(data), f"truncated at byte {pos}"
        arg = int.from_bytes(data[pos:pos + size], "big")
        pos += size
        return major, info, arg

    def at_break() -> bool:
        nonlocal pos
        assert pos < len(data), f"truncated at byte {pos}"
        if data[pos] == 0xFF:
            pos += 1
            return True
        return False

    def item() -> Item:
        nonlocal pos
        start, tags = pos, []
        major, info, arg = head()
        while major == 6:
            tags.append(arg)
            major, info, arg = head()
        if major == 0:
            value = arg
        elif major == 1:
            value = -1 - arg
        elif major in (2, 3):
            if arg is None:
                chunks = []
                while not at_break():
                    chunk_major, _, size = head()
                    assert chunk_major == major and size is not None, f"bad chunk at {pos}"
                    chunks.append(data[pos:pos + size])
                    pos += size
                raw = b"".join(chunks)
            else:
                assert pos + arg <= len(data), f"truncated string at byte {start}"
                raw = data[pos:pos + arg]
                pos += arg
            value = raw if major == 2 else raw.decode("utf-8")
        elif major == 4:
            value = []
            while (not at_break()) if arg is None else len(value) < arg:
                value.append(item())
        elif major == 5:
            value = {}
            while (not at_break()) if arg is None else len(value) < arg:
                key = item()
                assert key.major == 3 and not key.tags, f"map key at byte {key.start} is not text"
                assert key.value not in value, f"duplicate map key {key.value!r}"
                value[key.value] = item()
        else:
            simple = {20: False, 21: True, 22: None, 23: None}
            if info in simple:
                value = simple[info]
            else:
                assert info in (25, 26, 27), f"unexpected simple value at byte {start}"
                size = 1 << (info - 24)
                value = struct.unpack(">" + "efd"[info - 25],
                                      arg.to_bytes(size, "big"))[0]
        return Item(start, tuple(tags), major, value)

    top = item()
    assert pos == len(data), f"{len(data) - pos} bytes after the document"
    return top


def _kind(item: Item) -> str:
    if item.tags == (1,) and item.major in (0, 1):
        return TIMESTAMP
    if item.tags:
        return f"major type {item.major} inside tags {item.tags}"
    return {0: INTEGER, 1: INTEGER, 2: BLOB, 3: TEXT, 4: "array", 5: "map"}.get(
        item.major, BOOLEAN if isinstance(item.value, bool) else f"simple/float {item.value!r}")


def wire_problems(item: Item, expected, path: str) -> list[str]:
    """How the item differs from what the model says it must be (empty if it does not)."""
    if isinstance(expected, Struct):
        if (item.major, item.tags) != (5, ()):
            return [f"{path}: expected a map ({expected.shape}), got {_kind(item)}"]
        members = expected.members()
        problems = [f"{path}: required member {name} is missing"
                    for name in expected.required if name not in item.value]
        problems += [f"{path}: {name} is not a member of {expected.shape}"
                     for name in item.value if name not in members]
        for name, sub in item.value.items():
            if name in members:
                problems += wire_problems(sub, members[name], f"{path}.{name}")
        return problems
    if isinstance(expected, ListOf):
        if (item.major, item.tags) != (4, ()):
            return [f"{path}: expected an array, got {_kind(item)}"]
        problems = []
        for i, sub in enumerate(item.value):
            problems += wire_problems(sub, expected.member, f"{path}[{i}]")
        return problems
    if isinstance(expected, OneOf):
        if _kind(item) != TEXT:
            return [f"{path}: expected text ({expected.shape}), got {_kind(item)}"]
        if item.value not in expected.values:
            return [f"{path}: {item.value!r} is not a {expected.shape}: "
                    f"{', '.join(expected.values)}"]
        return []
    if _kind(item) != expected:
        return [f"{path}: expected {expected}, got {_kind(item)} ({item.value!r:.60})"]
    return []


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


def plain(item: Item) -> Any:
    """The item as Python values, as spate_harness.cbor_loads (cbor2) gives them."""
    if isinstance(item.value, list):
        return [plain(i) for i in item.value]
    if isinstance(item.value, dict):
        return {k: plain(v) for k, v in item.value.items()}
    if item.tags == (1,):
        return _EPOCH + datetime.timedelta(milliseconds=item.value)
    return item.value


def cbor_exchange(endpoint: str, action: str, params: dict, status: int) -> tuple[Item, bytes]:
    """One CBOR request whose answer must have `status` and the CBOR content type; returns the
    answer's items and its bytes."""
    got, headers, data = raw_exchange(endpoint, action, cbor_dumps(params),
                                      content_type=CBOR_CONTENT_TYPE)
    headers = {k.lower(): v for k, v in headers.items()}
    assert (got, headers.get("content-type")) == (status, CBOR_CONTENT_TYPE), (got, data)
    return read_items(data), data


def model_answer(endpoint: str, action: str, **params) -> tuple[Item, dict, bytes]:
    """One CBOR exchange whose 200 answer must be the action's output shape, item by item.
    Returns the answer's items, its cbor2 decoding and its bytes."""
    items, data = cbor_exchange(endpoint, action, params, 200)
    problems = wire_problems(items, MODEL_OUTPUTS[action], action)
    assert not problems, "\n".join(problems)
    decoded = cbor_loads(data)
    assert plain(items) == decoded  # cbor2 reads the same document
    return items, decoded, data


def assert_timestamp_now(data: bytes, item: Item) -> None:
    """The raw bytes: tag 1 (0xc1), then an unsigned integer, of epoch milliseconds now."""
    assert data[item.start] == 0xC1, f"byte {item.start}: {data[item.start]:#04x}, not tag 1"
    assert data[item.start + 1] >> 5 == 0, "tag 1 must hold an unsigned integer"
    assert abs(item.value - time.time() * 1000) < 120_000, (
        f"{item.value} is not epoch milliseconds of now")


def assert_byte_string(data: bytes, item: Item, expected: bytes) -> None:
    assert data[item.start] >> 5 == 2, (
        f"byte {item.start}: {data[item.start]:#04x} is not a byte string head")
    assert item.value == expected


def test_the_wire_checks_catch_what_they_must():
    """The checks above on hand-made documents (cbor2), so that a pass means something."""
    import cbor2

    def problems(doc, expected=RECORD):
        return wire_problems(read_items(cbor2.dumps(doc)), expected, "x")

    now_ms = int(time.time() * 1000)
    good = {"SequenceNumber": "1", "Data": b"\x00", "PartitionKey": "k",
            "ApproximateArrivalTimestamp": cbor2.CBORTag(1, now_ms), "EncryptionType": "NONE"}
    assert problems(good) == []
    assert problems({**good, "Data": "AA=="}) == ["x.Data: expected blob, got text ('AA==')"]
    assert problems({**good, "ApproximateArrivalTimestamp": cbor2.CBORTag(1, now_ms / 1000)}) \
        == [f"x.ApproximateArrivalTimestamp: expected timestamp, got major type 7 inside tags "
            f"(1,) ({now_ms / 1000!r})"]
    assert problems({**good, "ApproximateArrivalTimestamp": now_ms}) == [
        f"x.ApproximateArrivalTimestamp: expected timestamp, got integer ({now_ms})"]
    assert problems({**good, "EncryptionType": "AES"}) == [
        "x.EncryptionType: 'AES' is not a EncryptionType: NONE, KMS"]
    assert problems({k: v for k, v in good.items() if k != "Data"} | {"Extra": 1}) == [
        "x: required member Data is missing", "x: Extra is not a member of Record"]
    assert problems({"Records": [good, []]}, GET_RECORDS_OUTPUT) == [
        "x.Records[1]: expected a map (Record), got array"]
    # A timestamp in seconds has the right kind but is not milliseconds of now.
    data = cbor2.dumps(cbor2.CBORTag(1, now_ms // 1000))
    with pytest.raises(AssertionError, match="not epoch milliseconds"):
        assert_timestamp_now(data, read_items(data))
    # Indefinite lengths read the same as definite ones.
    # {_ "Data": (_ h'00' h'01') }
    indefinite = bytes.fromhex("bf" "6444617461" "5f" "4100" "4101" "ff" "ff")
    assert plain(read_items(indefinite)) == {"Data": b"\x00\x01"}


def test_put_record_and_put_records_answers_follow_the_model(endpoint):
    name = create_stream(endpoint, "cbor-model-put", ShardCount=2)
    _, out, _ = model_answer(endpoint, "PutRecord", StreamName=name, Data=bytes(range(256)),
                             PartitionKey="a", ExplicitHashKey="0")
    assert out["ShardId"] == SHARD0 and SEQUENCE_NUMBER_RE.fullmatch(out["SequenceNumber"])
    _, out, _ = model_answer(endpoint, "PutRecords", StreamARN=stream_arn(name), Records=[
        {"Data": b"\x00", "PartitionKey": "a", "ExplicitHashKey": "0"},
        {"Data": b"", "PartitionKey": "b", "ExplicitHashKey": str(2**128 - 1)},
    ])
    assert out["FailedRecordCount"] == 0
    # A record put successfully has its SequenceNumber and ShardId, and no ErrorCode.
    assert [set(r) for r in out["Records"]] == [{"SequenceNumber", "ShardId"}] * 2
    assert [r["ShardId"] for r in out["Records"]] == [SHARD0, "shardId-000000000001"]


def test_get_records_answer_follows_the_model(endpoint):
    name = create_stream(endpoint, "cbor-model-get")
    # One-byte, empty, two-byte-length and four-byte-length byte strings.
    payloads = [b"\x00\xff\x80", b"", bytes(range(256)) * 2, b"\x07" * 70_000]
    for data in payloads:
        model_answer(endpoint, "PutRecord", StreamName=name, Data=data, PartitionKey="k")
    _, out, _ = model_answer(endpoint, "GetShardIterator", StreamName=name, ShardId=SHARD0,
                             ShardIteratorType="TRIM_HORIZON")
    iterator = out["ShardIterator"]
    items, out, data = model_answer(endpoint, "GetRecords", ShardIterator=iterator)
    records = items.value["Records"].value
    assert len(records) == len(payloads)
    for record, payload in zip(records, payloads):
        assert_byte_string(data, record.value["Data"], payload)
        assert_timestamp_now(data, record.value["ApproximateArrivalTimestamp"])
    assert out["MillisBehindLatest"] == 0 and "ChildShards" not in out
    assert isinstance(out["NextShardIterator"], str)
    # At the end of a closed shard: no NextShardIterator, and the children in ChildShards.
    assert cbor_api(endpoint, "SplitShard", StreamName=name, ShardToSplit=SHARD0,
                    NewStartingHashKey=str(2**127)) == {}
    wait_active(endpoint, name)
    _, out, _ = model_answer(endpoint, "GetRecords", ShardIterator=out["NextShardIterator"])
    assert out["Records"] == [] and "NextShardIterator" not in out
    assert [(c["ShardId"], c["ParentShards"]) for c in out["ChildShards"]] == [
        ("shardId-000000000001", [SHARD0]), ("shardId-000000000002", [SHARD0])]


def test_describe_stream_summary_answer_follows_the_model(endpoint):
    name = create_stream(endpoint, "cbor-model-summary", ShardCount=3)
    items, out, data = model_answer(endpoint, "DescribeStreamSummary", StreamName=name)
    summary = out["StreamDescriptionSummary"]
    assert (summary["StreamName"], summary["StreamARN"]) == (name, stream_arn(name))
    assert (summary["StreamStatus"], summary["OpenShardCount"]) == ("ACTIVE", 3)
    assert summary["RetentionPeriodHours"] == 24  # the default retention
    created = items.value["StreamDescriptionSummary"].value["StreamCreationTimestamp"]
    assert_timestamp_now(data, created)
    # The same, by ARN, for an ON_DEMAND stream.
    name = create_stream(endpoint, "cbor-model-summary-od",
                         StreamModeDetails={"StreamMode": "ON_DEMAND"})
    _, out, _ = model_answer(endpoint, "DescribeStreamSummary", StreamARN=stream_arn(name))
    assert out["StreamDescriptionSummary"]["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}


def test_list_shards_answer_follows_the_model(endpoint):
    name = create_stream(endpoint, "cbor-model-shards", ShardCount=2)
    assert cbor_api(endpoint, "SplitShard", StreamName=name, ShardToSplit=SHARD0,
                    NewStartingHashKey="1000") == {}
    wait_active(endpoint, name)
    items, out, data = model_answer(endpoint, "ListShards", StreamName=name)
    shards = {s["ShardId"]: s for s in out["Shards"]}
    assert sorted(shards) == [f"shardId-00000000000{i}" for i in range(4)]
    for shard in items.value["Shards"].value:
        for key, value in shard.value["HashKeyRange"].value.items():
            assert data[value.start] >> 5 == 3 and HASH_KEY_RE.fullmatch(value.value), (key, value)
    # The split parent is closed (EndingSequenceNumber); its children name it.
    assert "EndingSequenceNumber" in shards[SHARD0]["SequenceNumberRange"]
    assert shards["shardId-000000000002"]["HashKeyRange"]["StartingHashKey"] == "0"
    assert shards["shardId-000000000003"]["HashKeyRange"]["StartingHashKey"] == "1000"
    assert {shards[c].get("ParentShardId") for c in ("shardId-000000000002",
                                                      "shardId-000000000003")} == {SHARD0}
    _, out, _ = model_answer(endpoint, "ListShards", StreamName=name, MaxResults=1)
    assert len(out["Shards"]) == 1 and out["NextToken"]


def test_list_streams_and_describe_limits_answers_follow_the_model(endpoint):
    name = create_stream(endpoint, "cbor-model-list")
    items, out, data = model_answer(endpoint, "ListStreams", Limit=10000)
    assert data[items.value["HasMoreStreams"].start] == 0xF4  # false, a simple value
    assert name in out["StreamNames"]
    summaries = items.value["StreamSummaries"].value
    mine = next(s for s in summaries if s.value["StreamName"].value == name)
    assert_timestamp_now(data, mine.value["StreamCreationTimestamp"])
    _, out, _ = model_answer(endpoint, "DescribeLimits")
    assert out["OpenShardCount"] >= 1 and out["ShardLimit"] >= out["OpenShardCount"]


def test_error_answer_follows_the_protocol(endpoint):
    missing = unique_stream_name("cbor-model-missing")
    items, data = cbor_exchange(endpoint, "DescribeStreamSummary", {"StreamName": missing}, 400)
    assert (items.major, items.tags) == (5, ()), items
    assert {k: _kind(v) for k, v in items.value.items()} == {"__type": TEXT, "message": TEXT}
    body = cbor_loads(data)
    assert plain(items) == body
    assert error_type(body) == "ResourceNotFoundException" and body["message"]
