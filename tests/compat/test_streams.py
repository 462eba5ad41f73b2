"""Stream lifecycle actions answer as AWS Kinesis does, for boto3 and for raw JSON clients.

Proves: CreateStream / DeleteStream (with boto3's waiters), DescribeStream (full shape, even
hash-key split, Limit + ExclusiveStartShardId + HasMoreShards paging), DescribeStreamSummary,
ListStreams (sorted names, Limit, ExclusiveStartStreamName, NextToken, StreamSummaries,
HasMoreStreams), DescribeLimits (OpenShardCount follows the streams), UpdateStreamMode, and the
CREATING / DELETING / UPDATING states when the server is started with transition delays.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from botocore.exceptions import ClientError

from spate_harness import (
    ACCOUNT_ID,
    api,
    assert_exact_cover,
    assert_shard_shape,
    describe_all_shards,
    even_ranges,
    expect_error,
    shard_id,
    shard_range,
    stream_arn,
    unique_stream_name,
    wait_active,
)


def _near_now(ts: dt.datetime, slack_s: float = 120) -> bool:
    now = dt.datetime.now(dt.timezone.utc)
    return abs((now - ts).total_seconds()) < slack_s


def _error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_create_stream_then_describe_has_aws_shape(kinesis, stream):
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=2)
    name = stream(shards=3)
    after = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)

    desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["StreamName"] == name
    assert desc["StreamARN"] == f"arn:aws:kinesis:us-east-1:{ACCOUNT_ID}:stream/{name}"
    assert desc["StreamStatus"] == "ACTIVE"
    assert desc["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert desc["HasMoreShards"] is False
    assert desc["RetentionPeriodHours"] == 24
    assert desc["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert desc["EncryptionType"] == "NONE"
    assert before <= desc["StreamCreationTimestamp"] <= after

    shards = desc["Shards"]
    assert [s["ShardId"] for s in shards] == [shard_id(i) for i in range(3)]
    for s in shards:
        assert_shard_shape(s)
        assert "EndingSequenceNumber" not in s["SequenceNumberRange"]
        assert "ParentShardId" not in s and "AdjacentParentShardId" not in s
    assert [shard_range(s) for s in shards] == even_ranges(3)
    assert_exact_cover(shards)


@pytest.mark.parametrize("count", [1, 2, 7])
def test_create_stream_splits_key_space_evenly(kinesis, stream, count):
    name = stream(shards=count)
    shards = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    assert [shard_range(s) for s in shards] == even_ranges(count)


def test_describe_stream_pages_with_limit_and_exclusive_start(kinesis, stream):
    name = stream(shards=5)
    ids = [shard_id(i) for i in range(5)]

    first = kinesis.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
    assert [s["ShardId"] for s in first["Shards"]] == ids[:2]
    assert first["HasMoreShards"] is True

    middle = kinesis.describe_stream(StreamName=name, Limit=2, ExclusiveStartShardId=ids[1])
    middle = middle["StreamDescription"]
    assert [s["ShardId"] for s in middle["Shards"]] == ids[2:4]
    assert middle["HasMoreShards"] is True

    last = kinesis.describe_stream(StreamName=name, Limit=2, ExclusiveStartShardId=ids[3])
    last = last["StreamDescription"]
    assert [s["ShardId"] for s in last["Shards"]] == ids[4:]
    assert last["HasMoreShards"] is False

    exact = kinesis.describe_stream(StreamName=name, Limit=5)["StreamDescription"]
    assert len(exact["Shards"]) == 5 and exact["HasMoreShards"] is False

    past_end = kinesis.describe_stream(StreamName=name, ExclusiveStartShardId=ids[4])
    assert past_end["StreamDescription"]["Shards"] == []
    assert past_end["StreamDescription"]["HasMoreShards"] is False

    assert [s["ShardId"] for s in describe_all_shards(kinesis, name)] == ids


def test_describe_stream_summary(kinesis, stream):
    name = stream(shards=4)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamName"] == name
    assert summary["StreamARN"] == stream_arn(name)
    assert summary["StreamStatus"] == "ACTIVE"
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert summary["RetentionPeriodHours"] == 24
    assert summary["OpenShardCount"] == 4
    assert summary["ConsumerCount"] == 0
    assert summary["EncryptionType"] == "NONE"
    assert summary["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert _near_now(summary["StreamCreationTimestamp"])
    desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["StreamCreationTimestamp"] == summary["StreamCreationTimestamp"]


def test_describe_stream_summary_raw_json_shape(endpoint, stream):
    """The JSON itself: timestamps are epoch-second numbers, counts are integers."""
    name = stream(shards=2)
    body = api(endpoint, "DescribeStreamSummary", StreamName=name)
    summary = body["StreamDescriptionSummary"]
    assert isinstance(summary["StreamCreationTimestamp"], (int, float))
    assert abs(summary["StreamCreationTimestamp"] - time.time()) < 120
    assert summary["OpenShardCount"] == 2 and isinstance(summary["OpenShardCount"], int)
    assert summary["RetentionPeriodHours"] == 24


def test_delete_stream_then_name_is_reusable(kinesis, stream):
    name = stream(shards=1)
    created = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(
        StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream(StreamName=name)
    assert _error_code(e) == "ResourceNotFoundException"
    assert name not in kinesis.list_streams(Limit=10000)["StreamNames"]

    time.sleep(0.01)
    kinesis.create_stream(StreamName=name, ShardCount=2)
    wait_active(kinesis, name)
    again = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert again["OpenShardCount"] == 2
    assert again["StreamCreationTimestamp"] >= created["StreamCreationTimestamp"]


def test_delete_unknown_stream_is_resource_not_found(kinesis):
    with pytest.raises(ClientError) as e:
        kinesis.delete_stream(StreamName=unique_stream_name("never-created"))
    assert _error_code(e) == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_list_streams_sorted_paged_and_summarised(fresh_server):
    kinesis = fresh_server.client()
    endpoint = fresh_server.endpoint
    names = ["zeta", "alpha", "Mixed.Case", "beta-1", "beta_2", "9lives"]
    for n in names:
        kinesis.create_stream(StreamName=n, ShardCount=1)
    for n in names:
        wait_active(kinesis, n)
    expected = sorted(names)  # AWS sorts by name, byte order

    full = kinesis.list_streams()
    assert full["StreamNames"] == expected
    assert full["HasMoreStreams"] is False

    page = kinesis.list_streams(Limit=2)
    assert page["StreamNames"] == expected[:2]
    assert page["HasMoreStreams"] is True

    after = kinesis.list_streams(ExclusiveStartStreamName=expected[1], Limit=3)
    assert after["StreamNames"] == expected[2:5]
    assert after["HasMoreStreams"] is True
    tail = kinesis.list_streams(ExclusiveStartStreamName=expected[4])
    assert tail["StreamNames"] == expected[5:]
    assert tail["HasMoreStreams"] is False

    # A name that is not a stream still positions the page (names after it).
    between = kinesis.list_streams(ExclusiveStartStreamName="b")
    assert between["StreamNames"] == [n for n in expected if n > "b"]

    # NextToken paging and StreamSummaries (newer API members: raw signed requests).
    seen: list[str] = []
    body = api(endpoint, "ListStreams", Limit=4)
    summaries = list(body["StreamSummaries"])
    seen += body["StreamNames"]
    assert body["HasMoreStreams"] is True and body.get("NextToken")
    pages = 1
    while body.get("NextToken"):
        body = api(endpoint, "ListStreams", NextToken=body["NextToken"], Limit=4)
        seen += body["StreamNames"]
        summaries += body["StreamSummaries"]
        pages += 1
        assert pages < 10
    assert body["HasMoreStreams"] is False
    assert seen == expected
    assert [s["StreamName"] for s in summaries] == expected
    for s in summaries:
        assert s["StreamARN"] == stream_arn(s["StreamName"])
        assert s["StreamStatus"] == "ACTIVE"
        assert s["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
        assert isinstance(s["StreamCreationTimestamp"], (int, float))
        assert abs(s["StreamCreationTimestamp"] - time.time()) < 120


def test_list_streams_empty_server(fresh_server):
    out = fresh_server.client().list_streams()
    assert out["StreamNames"] == [] and out["HasMoreStreams"] is False


def test_describe_limits_tracks_open_shards(fresh_server):
    kinesis = fresh_server.client()
    limits = kinesis.describe_limits()
    assert limits["OpenShardCount"] == 0
    assert isinstance(limits["ShardLimit"], int) and limits["ShardLimit"] >= 1
    assert limits["OnDemandStreamCount"] == 0
    assert isinstance(limits["OnDemandStreamCountLimit"], int)

    kinesis.create_stream(StreamName="a", ShardCount=2)
    kinesis.create_stream(StreamName="b", ShardCount=3)
    wait_active(kinesis, "a")
    wait_active(kinesis, "b")
    assert kinesis.describe_limits()["OpenShardCount"] == 5

    kinesis.split_shard(
        StreamName="a", ShardToSplit=shard_id(0), NewStartingHashKey=str(2**126)
    )
    wait_active(kinesis, "a")
    assert kinesis.describe_limits()["OpenShardCount"] == 6  # one closed, two opened

    kinesis.delete_stream(StreamName="b")
    kinesis.get_waiter("stream_not_exists").wait(StreamName="b", WaiterConfig={"Delay": 1})
    assert kinesis.describe_limits()["OpenShardCount"] == 3


def test_describe_limits_reports_configured_shard_limit(spated_factory):
    server = spated_factory(shard_limit=5)
    limits = server.client().describe_limits()
    assert limits["ShardLimit"] == 5
    assert limits["OpenShardCount"] == 0


def test_update_stream_mode_round_trip(kinesis, endpoint, stream):
    name = stream(shards=1)
    arn = stream_arn(name)
    assert api(endpoint, "UpdateStreamMode", StreamARN=arn,
               StreamModeDetails={"StreamMode": "ON_DEMAND"}) == {}
    wait_active(kinesis, name)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"][
        "StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}

    api(endpoint, "UpdateStreamMode", StreamARN=arn,
        StreamModeDetails={"StreamMode": "PROVISIONED"})
    wait_active(kinesis, name)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}


def test_update_stream_mode_unknown_stream(endpoint):
    expect_error(endpoint, "UpdateStreamMode",
                 {"StreamARN": stream_arn(unique_stream_name("nope")),
                  "StreamModeDetails": {"StreamMode": "ON_DEMAND"}},
                 "ResourceNotFoundException")


def test_create_on_demand_stream(kinesis, stream):
    name = stream(shards=None, mode="ON_DEMAND")
    desc = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert desc["StreamStatus"] == "ACTIVE"
    assert len(desc["Shards"]) >= 1
    assert_exact_cover(desc["Shards"])
    # Records can be written to it like to any stream.
    out = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    assert out["ShardId"] in {s["ShardId"] for s in desc["Shards"]}


def test_creating_and_deleting_states_with_delays(spated_factory):
    """With --create-stream-ms / --delete-stream-ms the stream is visibly CREATING and
    DELETING for a while, as on AWS; writes to a CREATING stream are ResourceNotFound."""
    server = spated_factory(create_stream_ms=1500, delete_stream_ms=1500)
    kinesis = server.client()
    kinesis.create_stream(StreamName="slow", ShardCount=1)

    summary = kinesis.describe_stream_summary(StreamName="slow")["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "CREATING"
    assert kinesis.list_streams()["StreamNames"] == ["slow"]
    with pytest.raises(ClientError) as e:
        kinesis.put_record(StreamName="slow", Data=b"x", PartitionKey="k")
    assert _error_code(e) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        kinesis.create_stream(StreamName="slow", ShardCount=1)
    assert _error_code(e) == "ResourceInUseException"

    started = time.monotonic()
    kinesis.get_waiter("stream_exists").wait(StreamName="slow", WaiterConfig={"Delay": 1})
    assert time.monotonic() - started < 10
    assert kinesis.describe_stream(StreamName="slow")["StreamDescription"][
        "StreamStatus"] == "ACTIVE"
    kinesis.put_record(StreamName="slow", Data=b"x", PartitionKey="k")

    kinesis.delete_stream(StreamName="slow")
    summary = kinesis.describe_stream_summary(StreamName="slow")["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "DELETING"
    with pytest.raises(ClientError) as e:
        kinesis.create_stream(StreamName="slow", ShardCount=1)
    assert _error_code(e) == "ResourceInUseException"
    kinesis.get_waiter("stream_not_exists").wait(StreamName="slow", WaiterConfig={"Delay": 1})
    assert kinesis.list_streams()["StreamNames"] == []


def test_updating_state_with_delay(spated_factory):
    """With --update-stream-ms, resharding leaves the stream UPDATING for a while and a second
    reshard meanwhile is ResourceInUseException; the result appears once ACTIVE again."""
    server = spated_factory(update_stream_ms=1500)
    kinesis = server.client()
    kinesis.create_stream(StreamName="grow", ShardCount=1)
    wait_active(kinesis, "grow")

    out = kinesis.update_shard_count(
        StreamName="grow", TargetShardCount=2, ScalingType="UNIFORM_SCALING"
    )
    assert out["CurrentShardCount"] == 1 and out["TargetShardCount"] == 2
    summary = kinesis.describe_stream_summary(StreamName="grow")["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "UPDATING"
    # Writes keep working while UPDATING (as on AWS).
    kinesis.put_record(StreamName="grow", Data=b"during", PartitionKey="k")
    with pytest.raises(ClientError) as e:
        kinesis.split_shard(StreamName="grow", ShardToSplit=shard_id(0),
                            NewStartingHashKey=str(2**127))
    assert _error_code(e) == "ResourceInUseException"

    wait_active(kinesis, "grow")
    shards = describe_all_shards(kinesis, "grow")
    open_shards = [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]
    assert len(open_shards) == 2
    assert_exact_cover(open_shards)
