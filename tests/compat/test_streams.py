"""Stream lifecycle actions answer as AWS Kinesis does, for boto3 and for raw JSON clients.

Proves: CreateStream / DeleteStream (with boto3's waiters; a re-created name starts empty),
DescribeStream (full shape, even hash-key split, Limit + ExclusiveStartShardId + HasMoreShards
paging, at most 100 shards per page), DescribeStreamSummary, ListStreams (sorted names, Limit,
ExclusiveStartStreamName, NextToken, StreamSummaries, HasMoreStreams, at most 100 names per
page), DescribeLimits (OpenShardCount follows the streams), UpdateStreamMode, the CREATING /
DELETING / UPDATING states when the server is started with transition delays, and races:
concurrent creates of one name and concurrent reshards of one stream.
"""

from __future__ import annotations

import datetime as dt
import threading
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


def test_describe_stream_returns_at_most_100_shards(kinesis, stream):
    """AWS: "The default value is 100. If you specify a value greater than 100, at most 100
    results are returned." (DescribeStream Limit)."""
    name = stream(shards=120)
    for kwargs in ({}, {"Limit": 10000}, {"Limit": 101}):
        desc = kinesis.describe_stream(StreamName=name, **kwargs)["StreamDescription"]
        assert len(desc["Shards"]) == 100, kwargs
        assert desc["HasMoreShards"] is True
    rest = kinesis.describe_stream(StreamName=name, ExclusiveStartShardId=shard_id(99),
                                   Limit=10000)["StreamDescription"]
    assert [s["ShardId"] for s in rest["Shards"]] == [shard_id(i) for i in range(100, 120)]
    assert rest["HasMoreShards"] is False
    assert len(describe_all_shards(kinesis, name)) == 120


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
    for i in range(5):
        kinesis.put_record(StreamName=name, Data=b"old-%d" % i, PartitionKey="k")
    kinesis.add_tags_to_stream(StreamName=name, Tags={"old": "1"})
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
    assert again["RetentionPeriodHours"] == 24
    # The new stream starts empty: none of the old stream's records or tags come back.
    for sid in (shard_id(0), shard_id(1)):
        it = kinesis.get_shard_iterator(StreamName=name, ShardId=sid,
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        assert kinesis.get_records(ShardIterator=it)["Records"] == []
    assert kinesis.list_tags_for_stream(StreamName=name)["Tags"] == []


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


def test_list_streams_returns_at_most_100_names(fresh_server):
    """AWS: "The default value is 100. If you specify a value greater than 100, at most 100
    results are returned." (ListStreams Limit)."""
    kinesis = fresh_server.client()
    names = sorted(f"many-{i:03d}" for i in range(103))
    for n in names:
        kinesis.create_stream(StreamName=n, ShardCount=1)
    for kwargs in ({}, {"Limit": 10000}):
        out = kinesis.list_streams(**kwargs)
        assert out["StreamNames"] == names[:100], kwargs
        assert out["HasMoreStreams"] is True
    rest = kinesis.list_streams(ExclusiveStartStreamName=names[99], Limit=10000)
    assert rest["StreamNames"] == names[100:] and rest["HasMoreStreams"] is False


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
    creating = kinesis.describe_stream(StreamName="slow")["StreamDescription"]
    assert creating["StreamStatus"] == "CREATING"
    assert creating["Shards"] == [] and creating["HasMoreShards"] is False
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


def test_stream_deleted_while_creating_describes_without_shards(spated_factory):
    """A stream deleted while CREATING is DELETING with no shards (and no more to page), as
    AWS describes it, until it is gone."""
    server = spated_factory(create_stream_ms=60_000, delete_stream_ms=60_000)
    kinesis = server.client()
    kinesis.create_stream(StreamName="brief", ShardCount=2)
    kinesis.delete_stream(StreamName="brief")
    described = kinesis.describe_stream(StreamName="brief")["StreamDescription"]
    assert described["StreamStatus"] == "DELETING"
    assert described["Shards"] == [] and described["HasMoreShards"] is False
    assert described["StreamName"] == "brief"


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


def test_concurrent_creates_of_one_name(kinesis):
    """Eight clients create the same stream at once: exactly one succeeds."""
    name = unique_stream_name("race")
    results: list[str] = []
    lock = threading.Lock()

    def create():
        try:  # one botocore client is safe to share between threads
            kinesis.create_stream(StreamName=name, ShardCount=1)
            outcome = "ok"
        except ClientError as e:
            outcome = e.response["Error"]["Code"]
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    try:
        assert sorted(results) == ["ResourceInUseException"] * 7 + ["ok"], results
        wait_active(kinesis, name)
        assert len(kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]) == 1
    finally:
        kinesis.delete_stream(StreamName=name)


def test_concurrent_reshards_of_one_stream(spated_factory):
    """Two reshards race (the stream stays UPDATING for 5 s, far longer than the two requests
    take to arrive even on a busy machine): one wins, the other is
    ResourceInUseException, and the shard map is consistent afterwards."""
    server = spated_factory(update_stream_ms=5000)
    kinesis = server.client()
    kinesis.create_stream(StreamName="race", ShardCount=2)
    wait_active(kinesis, "race")
    results: list[str] = []

    def split(shard: int):
        try:
            kinesis.split_shard(StreamName="race", ShardToSplit=shard_id(shard),
                                NewStartingHashKey=str(shard * 2**127 + 2**100))
            results.append("ok")
        except ClientError as e:
            results.append(e.response["Error"]["Code"])

    threads = [threading.Thread(target=split, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["ResourceInUseException", "ok"], results
    wait_active(kinesis, "race")
    shards = describe_all_shards(kinesis, "race")
    assert len(shards) == 4
    assert_exact_cover([s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]])
