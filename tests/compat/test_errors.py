"""Every Kinesis error comes back with AWS's `__type`, HTTP status 400 and AWS's message.

Proves, request by request (raw signed JSON where boto3 would refuse to send the request):
- UnknownOperationException for an unknown X-Amz-Target operation or service; an empty body
  answered 400 in CBOR whatever its Content-Type (JSON only for JSON 1.1), and a body of a type
  Kinesis does not take answered AccessDenied (403) or UnknownOperation (404) in XML;
- SerializationException for members of the wrong JSON type and bodies that are not objects;
- ValidationException in AWS's exact form `N validation error(s) detected: Value '...' at
  '...' failed to satisfy constraint: ...` for lengths, ranges, patterns, enums and nulls,
  including nested PutRecords members and several errors in one message;
- ResourceNotFoundException / ResourceInUseException with AWS's messages (GetShardIterator on
  a missing stream, and GetRecords on a deleted one, name the shard, as AWS does);
- LimitExceededException for the account shard limit (server started with --shard-limit 5);
- InvalidArgumentException for a sequence number of another shard or stream, a bad iterator
  type / sequence number combination, ExplicitHashKey >= 2^128, a split key outside the shard,
  non-adjacent merges, records (data + key) over the stream's maximum record size and
  PutRecords requests over 10 MiB;
- ExpiredIteratorException (server started with --iterator-ttl-ms 500);
- forged, garbled and truncated shard iterators are InvalidArgumentException, never a crash;
- boto3 raises its modelled exception classes for these answers.
"""

from __future__ import annotations

import base64
import json
import os
import random
import time

import pytest
from botocore.exceptions import ClientError

from spate_harness import (
    CBOR_CONTENT_TYPE,
    JSON_CONTENT_TYPE,
    MAX_HASH_KEY,
    api,
    b64,
    cbor_loads,
    error_message,
    error_type,
    expect_error,
    one_validation_error,
    raw_call,
    raw_exchange,
    shard_id,
    signed_call,
    unique_stream_name,
    validation_message,
    wait_active,
    wait_until,
)

ACCT = "000000000000"
NAME_PATTERN = "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
HASH_KEY_PATTERN = "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})"


# ----------------------------------------------------------------------------- envelope ----


def test_unknown_operation(endpoint):
    for target in ("Kinesis_20131202.NoSuchAction", "DynamoDB_20120810.ListTables",
                   "Kinesis_20131202.", "Kinesis_20131202.listStreams", "ListStreams"):
        status, body = raw_call(endpoint, None, {}, target=target)
        assert status == 400, (target, status, body)
        assert error_type(body) == "UnknownOperationException", (target, body)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json",
                                          "application/x-amz-json-1.0", CBOR_CONTENT_TYPE])
def test_an_empty_body_is_answered_in_cbor_unless_json_1_1(endpoint, content_type):
    """AWS answers an empty body before it looks at the Content-Type: 400 in CBOR (JSON only
    for exactly JSON 1.1), SerializationException for a known action, UnknownOperation else."""
    for target, expected in [("Kinesis_20131202.ListStreams", "SerializationException"),
                             ("Kinesis_20131202.NoSuchAction", "UnknownOperationException"),
                             (None, "UnknownOperationException")]:
        status, headers, data = raw_exchange(endpoint, None, b"", content_type=content_type,
                                             target=target)
        assert status == 400, (content_type, target, status, data)
        assert headers.get("Content-Type") == CBOR_CONTENT_TYPE, (content_type, headers)
        assert cbor_loads(data) == {"__type": expected}, (content_type, target, data)
    status, headers, data = raw_exchange(endpoint, "ListStreams", b"")
    assert (status, headers.get("Content-Type")) == (400, JSON_CONTENT_TYPE)
    assert json.loads(data)["__type"] == "SerializationException"


def test_a_body_of_a_type_kinesis_does_not_take(endpoint):
    """With a body, an unknown Content-Type is AccessDenied when the target lacks a service or
    an operation, UnknownOperation (404) otherwise, both in AWS's XML."""
    for target, status_wanted, marker in [
            ("Kinesis_20131202.", 403, b"<AccessDeniedException>"),
            (".ListStreams", 403, b"<AccessDeniedException>"),
            ("Kinesis_20131202", 403, b"<AccessDeniedException>"),
            ("Kinesis_20131202.ListStreams", 404, b"<UnknownOperationException/>"),
            ("Kinesis_20131202.ListStreams.Extra", 404, b"<UnknownOperationException/>")]:
        status, headers, data = raw_exchange(endpoint, None, b"{}", content_type="text/plain",
                                             target=target)
        assert (status, marker in data) == (status_wanted, True), (target, status, data)


# ------------------------------------------------------------------------ serialization ----


@pytest.mark.parametrize("action,params", [
    ("CreateStream", {"StreamName": "s", "ShardCount": "1"}),
    ("CreateStream", {"StreamName": "s", "ShardCount": True}),
    ("CreateStream", {"StreamName": 12, "ShardCount": 1}),
    ("CreateStream", {"StreamName": True, "ShardCount": 1}),
    ("CreateStream", {"StreamName": ["s"], "ShardCount": 1}),
    ("CreateStream", {"StreamName": {"n": "s"}, "ShardCount": 1}),
    ("CreateStream", {"StreamName": "s", "StreamModeDetails": "ON_DEMAND"}),
    ("DescribeStream", {"StreamName": "s", "Limit": "10"}),
    ("ListStreams", {"Limit": [1]}),
    ("ListShards", {"StreamName": "s", "StreamCreationTimestamp": "yesterday"}),
    ("ListShards", {"StreamName": "s", "ShardFilter": "AT_LATEST"}),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "k", "Data": 12}),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "k", "Data": "!!!!"}),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "k", "Data": "abc"}),
    ("PutRecord", {"StreamName": "s", "PartitionKey": 5, "Data": "AA=="}),
    ("PutRecords", {"StreamName": "s", "Records": {"PartitionKey": "k", "Data": "AA=="}}),
    ("PutRecords", {"StreamName": "s", "Records": "many"}),
    ("PutRecords", {"StreamName": "s", "Records": [{"PartitionKey": "k", "Data": False}]}),
    ("GetRecords", {"ShardIterator": 42}),
    ("GetRecords", {"ShardIterator": "x", "Limit": "all"}),
    ("AddTagsToStream", {"StreamName": "s", "Tags": [["a", "b"]]}),
    ("RemoveTagsFromStream", {"StreamName": "s", "TagKeys": "a"}),
    ("IncreaseStreamRetentionPeriod", {"StreamName": "s", "RetentionPeriodHours": "48"}),
    ("DeleteStream", {"StreamName": "s", "EnforceConsumerDeletion": 1}),
])
def test_wrong_json_types_are_serialization_errors(endpoint, action, params):
    status, body = signed_call(endpoint, action, params)
    assert status == 400, body
    assert error_type(body) == "SerializationException", body


def test_serialization_message_examples(endpoint):
    status, body = signed_call(endpoint, "CreateStream", {"StreamName": "s", "ShardCount": "1"})
    assert error_type(body) == "SerializationException"
    assert "can not be converted to an Integer" in (error_message(body) or ""), body
    status, body = signed_call(endpoint, "CreateStream", {"StreamName": True, "ShardCount": 1})
    assert "can not be converted to an String" in (error_message(body) or ""), body


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"42", b"null", b"{", b"{\"a\":}", b"\xff\xfe"])
def test_bodies_that_are_not_json_objects(endpoint, raw):
    status, body = raw_call(endpoint, "ListStreams", raw)
    assert status == 400, body
    assert error_type(body) == "SerializationException", body


# --------------------------------------------------------------------------- validation ----


def test_stream_name_too_long(endpoint):
    name = "n" * 129
    msg = expect_error(endpoint, "CreateStream", {"StreamName": name, "ShardCount": 1},
                       "ValidationException")
    assert msg == one_validation_error(
        name, "streamName", "Member must have length less than or equal to 128")


def test_stream_name_bad_characters(endpoint):
    msg = expect_error(endpoint, "CreateStream", {"StreamName": "a b", "ShardCount": 1},
                       "ValidationException")
    assert msg == one_validation_error("a b", "streamName", NAME_PATTERN)


def test_shard_count_zero(endpoint):
    msg = expect_error(endpoint, "CreateStream", {"StreamName": "zero", "ShardCount": 0},
                       "ValidationException")
    assert msg == one_validation_error(
        "0", "shardCount", "Member must have value greater than or equal to 1")


def test_several_validation_errors_in_one_message(endpoint):
    msg = expect_error(endpoint, "CreateStream", {"StreamName": "", "ShardCount": 0},
                       "ValidationException")
    assert msg.startswith("3 validation errors detected: ")
    parts = msg[len("3 validation errors detected: "):].split("; ")
    assert sorted(parts) == sorted([
        validation_message("0", "shardCount", "Member must have value greater than or equal to 1"),
        validation_message("", "streamName", NAME_PATTERN),
        validation_message("", "streamName", "Member must have length greater than or equal to 1"),
    ])
    # AWS's order: shardCount first; within streamName, the pattern before the length.
    assert msg == "3 validation errors detected: " + "; ".join([
        validation_message("0", "shardCount", "Member must have value greater than or equal to 1"),
        validation_message("", "streamName", NAME_PATTERN),
        validation_message("", "streamName", "Member must have length greater than or equal to 1"),
    ])


def test_put_record_errors_in_aws_member_order(endpoint):
    """AWS lists PutRecord's errors as sequenceNumberForOrdering, partitionKey,
    explicitHashKey, data, streamName (observed against AWS by kinesalite's suite)."""
    msg = expect_error(endpoint, "PutRecord", {"StreamName": "", "PartitionKey": "", "Data": "",
                                               "ExplicitHashKey": "",
                                               "SequenceNumberForOrdering": ""},
                       "ValidationException")
    assert msg == "5 validation errors detected: " + "; ".join([
        validation_message("", "sequenceNumberForOrdering",
                           "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})"),
        validation_message("", "partitionKey", "Member must have length greater than or equal to 1"),
        validation_message("", "explicitHashKey", HASH_KEY_PATTERN),
        validation_message("", "streamName", NAME_PATTERN),
        validation_message("", "streamName", "Member must have length greater than or equal to 1"),
    ])
    name, key = "a" * 129, "b" * 257
    msg = expect_error(endpoint, "PutRecord", {"StreamName": name, "PartitionKey": key,
                                               "Data": b64(b"x"),
                                               "ExplicitHashKey": ""}, "ValidationException")
    assert msg == "3 validation errors detected: " + "; ".join([
        validation_message(key, "partitionKey", "Member must have length less than or equal to 256"),
        validation_message("", "explicitHashKey", HASH_KEY_PATTERN),
        validation_message(name, "streamName", "Member must have length less than or equal to 128"),
    ])


# Data is 10 MiB at most in AWS's model since records may be that large (UpdateMaxRecordSize);
# the server's 16 MiB body limit admits requests over it, so they reach validation.


def test_put_record_data_error_in_aws_member_order(endpoint):
    name, key = "a" * 129, "b" * 257
    msg = expect_error(endpoint, "PutRecord", {"StreamName": name, "PartitionKey": key,
                                               "Data": b64(b"x" * (10 * 1024 * 1024 + 1)),
                                               "ExplicitHashKey": ""}, "ValidationException")
    assert msg == "4 validation errors detected: " + "; ".join([
        validation_message(key, "partitionKey", "Member must have length less than or equal to 256"),
        validation_message("", "explicitHashKey", HASH_KEY_PATTERN),
        validation_message("java.nio.HeapByteBuffer[pos=0 lim=10485761 cap=10485761]", "data",
                           "Member must have length less than or equal to 10485760"),
        validation_message(name, "streamName", "Member must have length less than or equal to 128"),
    ])


def test_missing_required_member(endpoint):
    msg = expect_error(endpoint, "CreateStream", {"ShardCount": 1}, "ValidationException")
    assert msg == one_validation_error(None, "streamName", "Member must not be null")
    msg = expect_error(endpoint, "IncreaseStreamRetentionPeriod", {"StreamName": "s"},
                       "ValidationException")
    assert msg == one_validation_error(None, "retentionPeriodHours", "Member must not be null")
    msg = expect_error(endpoint, "GetRecords", {}, "ValidationException")
    assert msg == one_validation_error(None, "shardIterator", "Member must not be null")


@pytest.mark.parametrize("action,params,value,member,constraint", [
    ("DescribeStream", {"StreamName": "s", "Limit": 0}, "0", "limit",
     "Member must have value greater than or equal to 1"),
    ("DescribeStream", {"StreamName": "s", "Limit": 10001}, "10001", "limit",
     "Member must have value less than or equal to 10000"),
    ("ListStreams", {"Limit": 10001}, "10001", "limit",
     "Member must have value less than or equal to 10000"),
    ("ListStreams", {"Limit": 0}, "0", "limit",
     "Member must have value greater than or equal to 1"),
    ("ListShards", {"StreamName": "s", "MaxResults": 10001}, "10001", "maxResults",
     "Member must have value less than or equal to 10000"),
    ("ListShards", {"StreamName": "s", "MaxResults": 0}, "0", "maxResults",
     "Member must have value greater than or equal to 1"),
    ("GetRecords", {"ShardIterator": "AAAA", "Limit": 10001}, "10001", "limit",
     "Member must have value less than or equal to 10000"),
    ("GetRecords", {"ShardIterator": "AAAA", "Limit": 0}, "0", "limit",
     "Member must have value greater than or equal to 1"),
    ("GetRecords", {"ShardIterator": ""}, "", "shardIterator",
     "Member must have length greater than or equal to 1"),
    ("GetRecords", {"ShardIterator": "A" * 513}, "A" * 513, "shardIterator",
     "Member must have length less than or equal to 512"),
    ("ListTagsForStream", {"StreamName": "s", "Limit": 51}, "51", "limit",
     "Member must have value less than or equal to 50"),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "", "Data": "AA=="}, "", "partitionKey",
     "Member must have length greater than or equal to 1"),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "k" * 257, "Data": "AA=="}, "k" * 257,
     "partitionKey", "Member must have length less than or equal to 256"),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "k", "Data": "AA==",
                   "ExplicitHashKey": "abc"}, "abc", "explicitHashKey", HASH_KEY_PATTERN),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "k", "Data": "AA==",
                   "ExplicitHashKey": "-1"}, "-1", "explicitHashKey", HASH_KEY_PATTERN),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "k", "Data": "AA==",
                   "ExplicitHashKey": "0123"}, "0123", "explicitHashKey", HASH_KEY_PATTERN),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "k", "Data": "AA==",
                   "SequenceNumberForOrdering": "x1"}, "x1", "sequenceNumberForOrdering",
     "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})"),
    ("SplitShard", {"StreamName": "s", "ShardToSplit": "shardId-000000000000",
                    "NewStartingHashKey": "1e5"}, "1e5", "newStartingHashKey", HASH_KEY_PATTERN),
    ("GetShardIterator", {"StreamName": "s", "ShardId": "shardId-000000000000",
                          "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                          "StartingSequenceNumber": "abc"}, "abc", "startingSequenceNumber",
     "Member must satisfy regular expression pattern: 0|([1-9]\\d{0,128})"),
    ("DescribeStream", {"StreamName": "s", "ExclusiveStartShardId": "bad id"}, "bad id",
     "exclusiveStartShardId", NAME_PATTERN),
    ("ListStreams", {"ExclusiveStartStreamName": "x" * 129}, "x" * 129,
     "exclusiveStartStreamName", "Member must have length less than or equal to 128"),
    ("RemoveTagsFromStream", {"StreamName": "s", "TagKeys": []}, "[]", "tagKeys",
     "Member must have length greater than or equal to 1"),
])
def test_single_validation_errors(endpoint, action, params, value, member, constraint):
    msg = expect_error(endpoint, action, params, "ValidationException")
    assert msg == one_validation_error(value, member, constraint)


@pytest.mark.parametrize("action,params,member", [
    ("GetShardIterator", {"StreamName": "s", "ShardId": "shardId-000000000000",
                          "ShardIteratorType": "SOMETIMES"}, "shardIteratorType"),
    ("UpdateShardCount", {"StreamName": "s", "TargetShardCount": 2, "ScalingType": "FAST"},
     "scalingType"),
    ("CreateStream", {"StreamName": "s", "StreamModeDetails": {"StreamMode": "SOMETIMES"}},
     "streamModeDetails.streamMode"),
])
def test_enum_validation(endpoint, action, params, member):
    msg = expect_error(endpoint, action, params, "ValidationException")
    bad = next(v for v in _leaves(params) if v in ("SOMETIMES", "FAST"))
    prefix = one_validation_error(bad, member, "Member must satisfy enum value set: [")
    assert msg.startswith(prefix), msg
    assert msg.endswith("]")


def _leaves(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _leaves(v)
    else:
        yield obj


def test_data_over_the_streams_limit_is_invalid_argument(endpoint, stream):
    # A stream takes records of 1 MiB (data plus key) unless UpdateMaxRecordSize raised it
    # (tests/compat/test_max_record_size.py); the schema's own limit is 10 MiB.
    name = stream(shards=1)
    data = b64(b"\0" * (1024 * 1024))
    msg = expect_error(endpoint, "PutRecord", {"StreamName": name, "PartitionKey": "k",
                                               "Data": data}, "InvalidArgumentException")
    assert "1048577" in msg


def test_data_over_ten_mib_is_validation_error(endpoint):
    data = b64(b"\0" * (10 * 1024 * 1024 + 1))
    msg = expect_error(endpoint, "PutRecord", {"StreamName": "s", "PartitionKey": "k",
                                               "Data": data}, "ValidationException")
    assert msg.startswith("1 validation error detected: Value ")
    assert msg.endswith("at 'data' failed to satisfy constraint: "
                        "Member must have length less than or equal to 10485760")


def test_put_records_nested_member_paths(endpoint):
    records = [
        {"PartitionKey": "ok", "Data": "AA=="},
        {"PartitionKey": "k" * 257, "Data": "AA=="},
        {"PartitionKey": "", "Data": "AA=="},
        {"PartitionKey": "ok", "Data": "AA==", "ExplicitHashKey": "x"},
    ]
    msg = expect_error(endpoint, "PutRecords", {"StreamName": "s", "Records": records},
                       "ValidationException")
    assert msg.startswith("3 validation errors detected: ")
    assert validation_message("k" * 257, "records.2.member.partitionKey",
                              "Member must have length less than or equal to 256") in msg
    assert validation_message("", "records.3.member.partitionKey",
                              "Member must have length greater than or equal to 1") in msg
    assert validation_message("x", "records.4.member.explicitHashKey", HASH_KEY_PATTERN) in msg


def test_put_records_count_limits(endpoint, stream):
    name = stream(shards=1)
    too_many = [{"PartitionKey": "k", "Data": "AA=="} for _ in range(501)]
    msg = expect_error(endpoint, "PutRecords", {"StreamName": name, "Records": too_many},
                       "ValidationException")
    assert msg.startswith("1 validation error detected: Value ")
    assert msg.endswith("at 'records' failed to satisfy constraint: "
                        "Member must have length less than or equal to 500")
    msg = expect_error(endpoint, "PutRecords", {"StreamName": name, "Records": []},
                       "ValidationException")
    assert msg == one_validation_error("[]", "records",
                                       "Member must have length greater than or equal to 1")


def test_at_most_ten_validation_errors_are_listed(endpoint):
    records = [{"PartitionKey": "", "Data": "AA=="} for _ in range(15)]
    msg = expect_error(endpoint, "PutRecords", {"StreamName": "s", "Records": records},
                       "ValidationException")
    assert msg.startswith("10 validation errors detected: ")
    assert msg.count("failed to satisfy constraint") == 10


def test_boto3_raises_validation_exception(kinesis):
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream(StreamName="x" * 200)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# --------------------------------------------------------------------- resource errors ----


def test_resource_not_found_messages(kinesis, endpoint, stream):
    ghost = unique_stream_name("ghost")
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException) as e:
        kinesis.describe_stream(StreamName=ghost)
    assert e.value.response["Error"]["Message"] == f"Stream {ghost} under account {ACCT} not found."
    for action, params in [
        ("DescribeStreamSummary", {"StreamName": ghost}),
        ("PutRecord", {"StreamName": ghost, "PartitionKey": "k", "Data": "AA=="}),
        ("PutRecords", {"StreamName": ghost, "Records": [{"PartitionKey": "k", "Data": "AA=="}]}),
        ("ListShards", {"StreamName": ghost}),
        ("DeleteStream", {"StreamName": ghost}),
        ("ListTagsForStream", {"StreamName": ghost}),
        ("UpdateShardCount", {"StreamName": ghost, "TargetShardCount": 2,
                              "ScalingType": "UNIFORM_SCALING"}),
    ]:
        msg = expect_error(endpoint, action, params, "ResourceNotFoundException")
        assert msg == f"Stream {ghost} under account {ACCT} not found.", (action, msg)

    name = stream(shards=2)
    msg = expect_error(endpoint, "GetShardIterator",
                       {"StreamName": name, "ShardId": shard_id(7),
                        "ShardIteratorType": "TRIM_HORIZON"}, "ResourceNotFoundException")
    assert msg == f"Shard {shard_id(7)} in stream {name} under account {ACCT} does not exist"
    # On a stream that does not exist, AWS names the shard (kinesalite's tests, run against
    # AWS, show "shardId-002147483647" for ShardId "2147483647").
    msg = expect_error(endpoint, "GetShardIterator",
                       {"StreamName": ghost, "ShardId": "2147483647",
                        "ShardIteratorType": "LATEST"}, "ResourceNotFoundException")
    assert msg == f"Shard shardId-002147483647 in stream {ghost} under account {ACCT} does not exist"
    msg = expect_error(endpoint, "SplitShard",
                       {"StreamName": name, "ShardToSplit": shard_id(9),
                        "NewStartingHashKey": "12345"}, "ResourceNotFoundException")
    assert shard_id(9) in msg
    msg = expect_error(endpoint, "MergeShards",
                       {"StreamName": name, "ShardToMerge": shard_id(1),
                        "AdjacentShardToMerge": shard_id(5)}, "ResourceNotFoundException")
    assert shard_id(5) in msg


def test_get_records_of_a_deleted_stream_names_the_shard(kinesis, endpoint, stream):
    """An iterator taken before DeleteStream: GetRecords says its shard does not exist, as AWS
    does."""
    name = stream(shards=2)
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(1),
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    kinesis.delete_stream(StreamName=name)
    wait_until(lambda: name not in kinesis.list_streams()["StreamNames"], 10, "the stream gone")
    msg = expect_error(endpoint, "GetRecords", {"ShardIterator": iterator},
                       "ResourceNotFoundException")
    assert msg == f"Shard {shard_id(1)} in stream {name} under account {ACCT} does not exist"


def test_create_existing_stream_is_resource_in_use(kinesis, stream):
    name = stream(shards=1)
    with pytest.raises(kinesis.exceptions.ResourceInUseException) as e:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    assert e.value.response["Error"]["Message"] == (
        f"Stream {name} under account {ACCT} already exists.")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The existing stream is untouched.
    assert len(kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]) == 1


# ---------------------------------------------------------------------- limit exceeded ----


def test_shard_limit(spated_factory):
    server = spated_factory(shard_limit=5)
    kinesis = server.client()
    kinesis.create_stream(StreamName="three", ShardCount=3)
    wait_active(kinesis, "three")

    with pytest.raises(kinesis.exceptions.LimitExceededException) as e:
        kinesis.create_stream(StreamName="another", ShardCount=3)
    assert e.value.response["Error"]["Message"] == (
        "This request would exceed the shard limit for the account 000000000000 in us-east-1. "
        "Current shard count for the account: 3. Limit: 5. Number of additional shards that "
        "would have resulted from this request: 3. Refer to the AWS Service Limits page "
        "(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current "
        "limits and how to request higher limits.")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "another" not in kinesis.list_streams()["StreamNames"]

    kinesis.create_stream(StreamName="two", ShardCount=2)  # exactly at the limit
    wait_active(kinesis, "two")
    assert kinesis.describe_limits()["OpenShardCount"] == 5

    with pytest.raises(kinesis.exceptions.LimitExceededException):
        kinesis.split_shard(StreamName="two", ShardToSplit=shard_id(0),
                            NewStartingHashKey=str(2**100))
    with pytest.raises(kinesis.exceptions.LimitExceededException):
        kinesis.update_shard_count(StreamName="two", TargetShardCount=3,
                                   ScalingType="UNIFORM_SCALING")
    with pytest.raises(kinesis.exceptions.LimitExceededException):
        kinesis.create_stream(StreamName="one", ShardCount=1)

    # Merging frees a shard; deleting frees three.
    kinesis.merge_shards(StreamName="two", ShardToMerge=shard_id(0),
                         AdjacentShardToMerge=shard_id(1))
    wait_active(kinesis, "two")
    kinesis.create_stream(StreamName="one", ShardCount=1)
    wait_active(kinesis, "one")
    kinesis.delete_stream(StreamName="three")
    kinesis.get_waiter("stream_not_exists").wait(StreamName="three", WaiterConfig={"Delay": 1})
    kinesis.create_stream(StreamName="three-again", ShardCount=3)
    wait_active(kinesis, "three-again")
    assert kinesis.describe_limits()["OpenShardCount"] == 5


# ------------------------------------------------------------------- invalid arguments ----


def test_sequence_number_from_another_shard(kinesis, endpoint, stream):
    name = stream(shards=2)
    other = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k",
                               ExplicitHashKey=str(MAX_HASH_KEY))
    assert other["ShardId"] == shard_id(1)
    for type_ in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        msg = expect_error(endpoint, "GetShardIterator",
                           {"StreamName": name, "ShardId": shard_id(0), "ShardIteratorType": type_,
                            "StartingSequenceNumber": other["SequenceNumber"]},
                           "InvalidArgumentException")
        assert msg == ("Invalid StartingSequenceNumber. It encodes shardId-000000000001, "
                       "while it was used in a call to a shard with shardId-000000000000")


def test_sequence_number_from_another_stream(kinesis, endpoint, stream):
    a, b = stream(shards=1), stream(shards=1)
    seq = kinesis.put_record(StreamName=a, Data=b"x", PartitionKey="k")["SequenceNumber"]
    expect_error(endpoint, "GetShardIterator",
                 {"StreamName": b, "ShardId": shard_id(0), "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                  "StartingSequenceNumber": seq}, "InvalidArgumentException")


def test_sequence_number_from_earlier_stream_of_same_name(kinesis, endpoint, stream):
    name = stream(shards=1)
    seq = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")["SequenceNumber"]
    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    time.sleep(0.01)
    kinesis.create_stream(StreamName=name, ShardCount=1)
    wait_active(kinesis, name)
    expect_error(endpoint, "GetShardIterator",
                 {"StreamName": name, "ShardId": shard_id(0),
                  "ShardIteratorType": "AT_SEQUENCE_NUMBER", "StartingSequenceNumber": seq},
                 "InvalidArgumentException")


@pytest.mark.parametrize("seq", ["1", "12345", "9" * 56, "4" + "9" * 55, "1" + "0" * 128])
def test_sequence_numbers_the_server_never_made(endpoint, stream, seq):
    name = stream(shards=1)
    status, body = signed_call(endpoint, "GetShardIterator",
                               {"StreamName": name, "ShardId": shard_id(0),
                                "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                                "StartingSequenceNumber": seq})
    assert status == 400 and error_type(body) == "InvalidArgumentException", body


def test_iterator_type_and_sequence_number_must_agree(endpoint, stream, kinesis):
    name = stream(shards=1)
    seq = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")["SequenceNumber"]
    base = {"StreamName": name, "ShardId": shard_id(0)}
    for type_ in ("TRIM_HORIZON", "LATEST"):
        msg = expect_error(endpoint, "GetShardIterator",
                           {**base, "ShardIteratorType": type_, "StartingSequenceNumber": seq},
                           "InvalidArgumentException")
        assert msg == ("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                       "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                       f"StartingSequenceNumber. Request specified {type_} and also a "
                       "StartingSequenceNumber.")
    for type_ in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        msg = expect_error(endpoint, "GetShardIterator", {**base, "ShardIteratorType": type_},
                           "InvalidArgumentException")
        assert msg == ("Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                       "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                       f"StartingSequenceNumber. Request specified {type_} and no "
                       "StartingSequenceNumber.")
    msg = expect_error(endpoint, "GetShardIterator", {**base, "ShardIteratorType": "AT_TIMESTAMP"},
                       "InvalidArgumentException")
    assert msg == ("Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                   "Current request has no timestamp parameter.")
    msg = expect_error(endpoint, "GetShardIterator",
                       {**base, "ShardIteratorType": "AT_TIMESTAMP",
                        "Timestamp": time.time() + 3600}, "InvalidArgumentException")
    assert msg.startswith("The timestampInMillis parameter cannot be greater than the "
                          "currentTimestampInMillis.")


def test_explicit_hash_key_out_of_range(endpoint, stream):
    name = stream(shards=1)
    too_big = str(2**128)
    msg = expect_error(endpoint, "PutRecord", {"StreamName": name, "PartitionKey": "k",
                                               "Data": "AA==", "ExplicitHashKey": too_big},
                       "InvalidArgumentException")
    assert msg == ("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
                   f"[0, 2^128-1]. Specified value was {too_big}")
    msg = expect_error(endpoint, "PutRecords", {"StreamName": name, "Records": [
        {"PartitionKey": "k", "Data": "AA=="},
        {"PartitionKey": "k", "Data": "AA==", "ExplicitHashKey": "9" * 39},
    ]}, "InvalidArgumentException")
    assert msg == ("Invalid ExplicitHashKey. ExplicitHashKey must be in the range: "
                   f"[0, 2^128-1]. Specified value was {'9' * 39}")
    # The whole request failed: the valid first record was not written either.
    it = api(endpoint, "GetShardIterator", StreamName=name, ShardId=shard_id(0),
             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert api(endpoint, "GetRecords", ShardIterator=it)["Records"] == []


def test_retention_in_the_wrong_direction(endpoint, stream):
    name = stream(shards=1)
    msg = expect_error(endpoint, "DecreaseStreamRetentionPeriod",
                       {"StreamName": name, "RetentionPeriodHours": 30}, "InvalidArgumentException")
    assert "can not be longer than existing retention period (24 hours)" in msg
    api(endpoint, "IncreaseStreamRetentionPeriod", StreamName=name, RetentionPeriodHours=30)
    msg = expect_error(endpoint, "IncreaseStreamRetentionPeriod",
                       {"StreamName": name, "RetentionPeriodHours": 25}, "InvalidArgumentException")
    assert "can not be shorter than existing retention period (30 hours)" in msg
    for hours in (0, 23, 8761, 100000):
        op = "IncreaseStreamRetentionPeriod" if hours > 30 else "DecreaseStreamRetentionPeriod"
        expect_error(endpoint, op, {"StreamName": name, "RetentionPeriodHours": hours},
                     "InvalidArgumentException")


def test_split_key_outside_the_shard(endpoint, stream):
    name = stream(shards=2)
    lo, hi = 2**127, MAX_HASH_KEY  # shard 1 of a two-shard stream
    for key in (0, 5, lo, hi, 2**127 - 1):
        msg = expect_error(endpoint, "SplitShard",
                           {"StreamName": name, "ShardToSplit": shard_id(1),
                            "NewStartingHashKey": str(key)}, "InvalidArgumentException")
        assert msg == (f"NewStartingHashKey {key} used in SplitShard() on shard {shard_id(1)} in "
                       f"stream {name} under account {ACCT} is not both greater than one plus "
                       f"the shard's StartingHashKey {lo} and less than the shard's EndingHashKey "
                       f"{hi}.")
    expect_error(endpoint, "SplitShard", {"StreamName": name, "ShardToSplit": shard_id(1),
                                          "NewStartingHashKey": str(2**128 + 5)},
                 "InvalidArgumentException")
    # Nothing was split.
    assert len(api(endpoint, "ListShards", StreamName=name)["Shards"]) == 2


def test_merge_non_adjacent_shards(endpoint, stream):
    name = stream(shards=3)
    msg = expect_error(endpoint, "MergeShards",
                       {"StreamName": name, "ShardToMerge": shard_id(0),
                        "AdjacentShardToMerge": shard_id(2)}, "InvalidArgumentException")
    assert msg == (f"Shards {shard_id(0)} and {shard_id(2)} in stream {name} under account "
                   f"{ACCT} are not an adjacent pair of shards eligible for merging")
    expect_error(endpoint, "MergeShards",
                 {"StreamName": name, "ShardToMerge": shard_id(1),
                  "AdjacentShardToMerge": shard_id(1)}, "InvalidArgumentException")
    assert len(api(endpoint, "ListShards", StreamName=name)["Shards"]) == 3


def test_record_over_one_mib_including_key(kinesis, endpoint, stream):
    """1 MiB of data is legal only with no room for the key: data + key > 1 MiB is refused."""
    name = stream(shards=1)
    data = b64(b"\1" * (1024 * 1024))
    for action, params in [
        ("PutRecord", {"StreamName": name, "PartitionKey": "k", "Data": data}),
        ("PutRecords", {"StreamName": name, "Records": [{"PartitionKey": "k", "Data": data}]}),
    ]:
        status, body = signed_call(endpoint, action, params)
        assert status == 400, (action, status, body)
        assert error_type(body) in ("ValidationException", "InvalidArgumentException"), body
    data = b64(b"\1" * (1024 * 1024 - 255))
    status, body = signed_call(endpoint, "PutRecord",
                               {"StreamName": name, "PartitionKey": "k" * 256, "Data": data})
    assert status == 400 and error_type(body) in ("ValidationException",
                                                  "InvalidArgumentException"), body
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(0),
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert kinesis.get_records(ShardIterator=it)["Records"] == []


def test_put_records_over_ten_mib(kinesis, endpoint, stream):
    # AWS raised the PutRecords limit from 5 MiB to 10 MiB with 10 MiB records; requests of
    # 5 to 10 MiB are accepted (tests/compat/test_max_record_size.py).
    name = stream(shards=1)
    records = [{"PartitionKey": str(i), "Data": b64(os.urandom(1024 * 1024 - 1))}
               for i in range(10)]
    records.append({"PartitionKey": "last", "Data": b64(b"x")})
    msg = expect_error(endpoint, "PutRecords", {"StreamName": name, "Records": records},
                       "InvalidArgumentException")
    assert msg
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(0),
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert kinesis.get_records(ShardIterator=it)["Records"] == []


# ------------------------------------------------------------------------- iterators ----


def test_expired_iterator(spated_factory):
    ttl_s = 0.5
    server = spated_factory(iterator_ttl_ms=int(ttl_s * 1000))
    kinesis = server.client()
    kinesis.create_stream(StreamName="ttl", ShardCount=1)
    wait_active(kinesis, "ttl")
    kinesis.put_record(StreamName="ttl", Data=b"x", PartitionKey="k")
    it = kinesis.get_shard_iterator(StreamName="ttl", ShardId=shard_id(0),
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    fresh = kinesis.get_records(ShardIterator=it)  # within the TTL: fine
    fresh_answered = time.monotonic()  # both iterators were made before this instant
    assert len(fresh["Records"]) == 1
    # Expiry is a property of time itself: wait until the TTL has surely run out for both.
    time.sleep(max(0.0, fresh_answered + ttl_s + 0.2 - time.monotonic()))
    with pytest.raises(kinesis.exceptions.ExpiredIteratorException) as e:
        kinesis.get_records(ShardIterator=it)
    assert e.value.response["Error"]["Message"].startswith(
        "Iterator expired. The iterator was created at time ")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(kinesis.exceptions.ExpiredIteratorException):
        kinesis.get_records(ShardIterator=fresh["NextShardIterator"])

    # A NextShardIterator is a new iterator with its own lifetime: a chain of them, each used
    # soon after it was given, keeps reading long after the first one's TTL ran out.
    it = kinesis.get_shard_iterator(StreamName="ttl", ShardId=shard_id(0),
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    first_made = time.monotonic()
    seen = []
    steps = 0
    while time.monotonic() < first_made + 3 * ttl_s:
        resp = kinesis.get_records(ShardIterator=it)  # ExpiredIteratorException fails the test
        seen += [r["Data"] for r in resp["Records"]]
        it = resp["NextShardIterator"]
        steps += 1
        time.sleep(0.1)  # pacing only: each iterator is used well within its own TTL
    assert steps >= 4
    assert seen == [b"x"], "the chain read the one record, once"


def _flip(text: str, index: int) -> str:
    c = text[index]
    return text[:index] + ("B" if c != "B" else "C") + text[index + 1:]


def test_forged_and_garbled_iterators(kinesis, endpoint, stream):
    name = stream(shards=2)
    kinesis.put_record(StreamName=name, Data=b"secret", PartitionKey="k", ExplicitHashKey="0")
    real = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(0),
                                      ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    rng = random.Random(1234)
    forged = [
        "garbage",
        "A",
        base64.b64encode(os.urandom(96)).decode(),
        base64.b64encode(b"\0" * 8 + b"stream/shard/0").decode(),
        real[: len(real) // 2],
        real[:-1],
        real + "A",
        real[::-1],
        _flip(real, len(real) // 2),
        _flip(real, 3),
        "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
                for _ in range(len(real))),
        real.replace("A", "B"),
        "%s" * 50,
        "\u00e9" * 40,
    ]
    for it in forged:
        if it == real:
            continue
        status, body = signed_call(endpoint, "GetRecords", {"ShardIterator": it})
        assert status == 400, (it, status, body)
        assert error_type(body) == "InvalidArgumentException", (it, body)
        assert error_message(body) == "Invalid ShardIterator.", (it, body)
    # The real one still works after all that.
    assert kinesis.get_records(ShardIterator=real)["Records"][0]["Data"] == b"secret"


def test_iterator_of_deleted_stream(kinesis, endpoint, stream):
    name = stream(shards=1)
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(0),
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    status, body = signed_call(endpoint, "GetRecords", {"ShardIterator": it})
    assert status == 400, body
    assert error_type(body) == "ResourceNotFoundException", body


def test_error_bodies_have_aws_shape(endpoint):
    status, body = signed_call(endpoint, "DescribeStream", {"StreamName": "nope-shape"})
    assert status == 400
    assert set(body) == {"__type", "message"}, body
    assert body["__type"] == "ResourceNotFoundException"
