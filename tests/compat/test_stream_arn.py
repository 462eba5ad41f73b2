"""Every action that takes StreamName also takes StreamARN, as on AWS.

Debian's botocore 1.29 does not know the StreamARN members, so these requests are built by hand
and SigV4-signed (spate_harness.api). Each action is called with StreamARN only and its effect is
checked; then StreamName + matching StreamARN, a malformed ARN (ValidationException), the ARN of
an unknown stream (ResourceNotFoundException), a StreamName/StreamARN pair naming different
streams, and neither (InvalidArgumentException).
"""

from __future__ import annotations

import base64

import pytest

from spate_harness import (
    KinesisError,
    api,
    expect_error,
    read_shard,
    shard_id,
    signed_call,
    stream_arn,
    unique_stream_name,
)


def test_describe_stream_and_summary_by_arn(endpoint, stream):
    name = stream(shards=3)
    arn = stream_arn(name)
    desc = api(endpoint, "DescribeStream", StreamARN=arn, Limit=2)["StreamDescription"]
    assert desc["StreamName"] == name and desc["StreamARN"] == arn
    assert [s["ShardId"] for s in desc["Shards"]] == [shard_id(0), shard_id(1)]
    assert desc["HasMoreShards"] is True
    desc = api(endpoint, "DescribeStream", StreamARN=arn,
               ExclusiveStartShardId=shard_id(1))["StreamDescription"]
    assert [s["ShardId"] for s in desc["Shards"]] == [shard_id(2)]
    summary = api(endpoint, "DescribeStreamSummary", StreamARN=arn)["StreamDescriptionSummary"]
    assert summary["StreamName"] == name and summary["OpenShardCount"] == 3


def test_list_shards_by_arn(endpoint, stream):
    name = stream(shards=3)
    body = api(endpoint, "ListShards", StreamARN=stream_arn(name), MaxResults=2)
    assert [s["ShardId"] for s in body["Shards"]] == [shard_id(0), shard_id(1)]
    rest = api(endpoint, "ListShards", NextToken=body["NextToken"])
    assert [s["ShardId"] for s in rest["Shards"]] == [shard_id(2)]


def test_put_and_get_by_arn(kinesis, endpoint, stream):
    name = stream(shards=2)
    arn = stream_arn(name)
    one = api(endpoint, "PutRecord", StreamARN=arn, PartitionKey="a",
              Data=base64.b64encode(b"one").decode())
    many = api(endpoint, "PutRecords", StreamARN=arn, Records=[
        {"PartitionKey": "a", "Data": base64.b64encode(b"two").decode()},
        {"PartitionKey": "a", "Data": base64.b64encode(b"three").decode()},
    ])
    assert many["FailedRecordCount"] == 0
    assert {r["ShardId"] for r in many["Records"]} == {one["ShardId"]}

    it = api(endpoint, "GetShardIterator", StreamARN=arn, ShardId=one["ShardId"],
             ShardIteratorType="AT_SEQUENCE_NUMBER",
             StartingSequenceNumber=one["SequenceNumber"])["ShardIterator"]
    # GetRecords also accepts StreamARN next to the iterator.
    body = api(endpoint, "GetRecords", ShardIterator=it, StreamARN=arn)
    assert [base64.b64decode(r["Data"]) for r in body["Records"]] == [b"one", b"two", b"three"]
    # And the boto3 view of the same shard agrees.
    records, _ = read_shard(kinesis, name, one["ShardId"])
    assert [r["Data"] for r in records] == [b"one", b"two", b"three"]


def test_get_records_with_arn_of_another_stream_is_rejected(endpoint, stream):
    a, b = stream(shards=1), stream(shards=1)
    it = api(endpoint, "GetShardIterator", StreamARN=stream_arn(a), ShardId=shard_id(0),
             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    status, body = signed_call(endpoint, "GetRecords",
                               {"ShardIterator": it, "StreamARN": stream_arn(b)})
    assert status == 400
    assert body.get("__type") in ("InvalidArgumentException", "ResourceNotFoundException"), body


def test_retention_by_arn(kinesis, endpoint, stream):
    name = stream(shards=1)
    arn = stream_arn(name)
    api(endpoint, "IncreaseStreamRetentionPeriod", StreamARN=arn, RetentionPeriodHours=36)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "RetentionPeriodHours"] == 36
    api(endpoint, "DecreaseStreamRetentionPeriod", StreamARN=arn, RetentionPeriodHours=25)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "RetentionPeriodHours"] == 25


def test_tags_by_arn(kinesis, endpoint, stream):
    name = stream(shards=1)
    arn = stream_arn(name)
    api(endpoint, "AddTagsToStream", StreamARN=arn, Tags={"x": "1", "y": "2"})
    body = api(endpoint, "ListTagsForStream", StreamARN=arn)
    assert [(t["Key"], t["Value"]) for t in body["Tags"]] == [("x", "1"), ("y", "2")]
    assert body["HasMoreTags"] is False
    api(endpoint, "RemoveTagsFromStream", StreamARN=arn, TagKeys=["x"])
    out = kinesis.list_tags_for_stream(StreamName=name)
    assert out["Tags"] == [{"Key": "y", "Value": "2"}]


def test_split_merge_update_by_arn(kinesis, endpoint, stream):
    name = stream(shards=2)
    arn = stream_arn(name)
    api(endpoint, "SplitShard", StreamARN=arn, ShardToSplit=shard_id(0),
        NewStartingHashKey=str(2**126))
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    api(endpoint, "MergeShards", StreamARN=arn, ShardToMerge=shard_id(2),
        AdjacentShardToMerge=shard_id(3))
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    assert [s["ShardId"] for s in shards] == [shard_id(i) for i in range(5)]
    out = api(endpoint, "UpdateShardCount", StreamARN=arn, TargetShardCount=4,
              ScalingType="UNIFORM_SCALING")
    assert out["CurrentShardCount"] == 2 and out["TargetShardCount"] == 4
    assert out.get("StreamName", name) == name
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "OpenShardCount"] == 4


def test_delete_stream_by_arn(kinesis, endpoint, stream):
    name = stream(shards=1)
    api(endpoint, "DeleteStream", StreamARN=stream_arn(name))
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    assert name not in kinesis.list_streams(Limit=10000)["StreamNames"]


def test_stream_name_and_matching_arn_together(endpoint, stream):
    name = stream(shards=1)
    body = api(endpoint, "DescribeStreamSummary", StreamName=name, StreamARN=stream_arn(name))
    assert body["StreamDescriptionSummary"]["StreamName"] == name
    out = api(endpoint, "PutRecord", StreamName=name, StreamARN=stream_arn(name),
              PartitionKey="k", Data="AA==")
    assert out["ShardId"] == shard_id(0)


def test_stream_name_and_arn_of_different_streams(endpoint, stream):
    a, b = stream(shards=1), stream(shards=1)
    status, body = signed_call(endpoint, "DescribeStreamSummary",
                               {"StreamName": a, "StreamARN": stream_arn(b)})
    assert status == 400, body
    assert body.get("__type") in ("InvalidArgumentException", "ResourceNotFoundException",
                                  "ValidationException"), body


ARN_ACTIONS = {
    "DescribeStream": {},
    "DescribeStreamSummary": {},
    "DeleteStream": {},
    "ListShards": {},
    "ListTagsForStream": {},
    "AddTagsToStream": {"Tags": {"a": "b"}},
    "RemoveTagsFromStream": {"TagKeys": ["a"]},
    "IncreaseStreamRetentionPeriod": {"RetentionPeriodHours": 48},
    "DecreaseStreamRetentionPeriod": {"RetentionPeriodHours": 24},
    "PutRecord": {"PartitionKey": "k", "Data": "AA=="},
    "PutRecords": {"Records": [{"PartitionKey": "k", "Data": "AA=="}]},
    "GetShardIterator": {"ShardId": "shardId-000000000000", "ShardIteratorType": "LATEST"},
    "SplitShard": {"ShardToSplit": "shardId-000000000000", "NewStartingHashKey": "100"},
    "MergeShards": {"ShardToMerge": "shardId-000000000000",
                    "AdjacentShardToMerge": "shardId-000000000001"},
    "UpdateShardCount": {"TargetShardCount": 2, "ScalingType": "UNIFORM_SCALING"},
    "UpdateStreamMode": {"StreamModeDetails": {"StreamMode": "ON_DEMAND"}},
}


@pytest.mark.parametrize("action", sorted(ARN_ACTIONS))
def test_unknown_stream_arn_is_resource_not_found(endpoint, action):
    name = unique_stream_name("absent")
    params = {"StreamARN": stream_arn(name), **ARN_ACTIONS[action]}
    msg = expect_error(endpoint, action, params, "ResourceNotFoundException")
    assert name in msg


@pytest.mark.parametrize("action", sorted(ARN_ACTIONS))
def test_malformed_stream_arn_is_validation_error(endpoint, action):
    params = {"StreamARN": "arn:aws:s3:::bucket", **ARN_ACTIONS[action]}
    msg = expect_error(endpoint, action, params, "ValidationException")
    assert msg.startswith("1 validation error detected: Value 'arn:aws:s3:::bucket' at "
                          "'streamARN' failed to satisfy constraint: Member must satisfy "
                          "regular expression pattern: arn:aws.*:kinesis:.*:\\d{12}:stream/")


@pytest.mark.parametrize("action", sorted(set(ARN_ACTIONS) - {"ListShards", "UpdateStreamMode"}))
def test_neither_stream_name_nor_arn(endpoint, action):
    params = dict(ARN_ACTIONS[action])
    expect_error(endpoint, action, params, "InvalidArgumentException")


def test_arn_of_other_account_or_region_is_not_this_stream(endpoint, stream):
    name = stream(shards=1)
    for arn in (f"arn:aws:kinesis:us-east-1:123456789012:stream/{name}",
                f"arn:aws:kinesis:eu-west-1:000000000000:stream/{name}"):
        status, body = signed_call(endpoint, "DescribeStreamSummary", {"StreamARN": arn})
        assert status == 400, f"{arn} was accepted: {body}"
        assert body.get("__type") in ("ResourceNotFoundException", "InvalidArgumentException",
                                      "AccessDeniedException"), body


def test_api_helper_raises_on_errors(endpoint):
    """The helper the other tests rely on really reports failures."""
    with pytest.raises(KinesisError) as e:
        api(endpoint, "DescribeStreamSummary", StreamName=unique_stream_name("none"))
    assert e.value.status == 400 and e.value.type == "ResourceNotFoundException"
