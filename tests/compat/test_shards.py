"""ListShards answers as AWS Kinesis does.

Proves: the full listing equals DescribeStream's; MaxResults pages with a NextToken that alone
(without StreamName) continues the listing; ExclusiveStartShardId; StreamCreationTimestamp;
each of the six ShardFilter types on a stream with closed and open shards, alone and with
MaxResults; and the InvalidArgumentException cases (no stream, NextToken with StreamName,
garbage NextToken, filters missing their ShardId/Timestamp).
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from botocore.exceptions import ClientError

from spate_harness import (
    api,
    assert_exact_cover,
    assert_shard_shape,
    expect_error,
    is_open,
    list_all_shards,
    shard_id,
    shard_range,
)


def _ids(shards):
    return [s["ShardId"] for s in shards]


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_list_shards_matches_describe_stream(kinesis, stream):
    name = stream(shards=4)
    listed = kinesis.list_shards(StreamName=name)
    assert "NextToken" not in listed
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    assert listed["Shards"] == described
    for s in listed["Shards"]:
        assert_shard_shape(s)
    assert _ids(listed["Shards"]) == [shard_id(i) for i in range(4)]
    assert_exact_cover(listed["Shards"])


def test_list_shards_max_results_and_next_token(kinesis, stream):
    name = stream(shards=5)
    first = kinesis.list_shards(StreamName=name, MaxResults=2)
    assert _ids(first["Shards"]) == [shard_id(0), shard_id(1)]
    token = first["NextToken"]
    assert isinstance(token, str) and token

    second = kinesis.list_shards(NextToken=token, MaxResults=2)
    assert _ids(second["Shards"]) == [shard_id(2), shard_id(3)]
    third = kinesis.list_shards(NextToken=second["NextToken"], MaxResults=2)
    assert _ids(third["Shards"]) == [shard_id(4)]
    assert "NextToken" not in third

    # A token can be followed without MaxResults too (default page size covers the rest).
    rest = kinesis.list_shards(NextToken=token)
    assert _ids(rest["Shards"]) == [shard_id(i) for i in range(2, 5)]
    assert "NextToken" not in rest

    # Exactly one page: no token.
    whole = kinesis.list_shards(StreamName=name, MaxResults=5)
    assert len(whole["Shards"]) == 5 and "NextToken" not in whole
    assert _ids(list_all_shards(kinesis, name)) == [shard_id(i) for i in range(5)]


def test_list_shards_exclusive_start_shard_id(kinesis, stream):
    name = stream(shards=4)
    after = kinesis.list_shards(StreamName=name, ExclusiveStartShardId=shard_id(1))
    assert _ids(after["Shards"]) == [shard_id(2), shard_id(3)]
    paged = kinesis.list_shards(StreamName=name, ExclusiveStartShardId=shard_id(0), MaxResults=1)
    assert _ids(paged["Shards"]) == [shard_id(1)]
    assert paged.get("NextToken")
    last = kinesis.list_shards(StreamName=name, ExclusiveStartShardId=shard_id(3))
    assert last["Shards"] == []


def test_list_shards_returns_at_most_1000_shards(spated_factory):
    """AWS: "The default value is 1000. If you specify a value greater than 1000, at most 1000
    results are returned." (ListShards MaxResults)."""
    server = spated_factory(shard_limit=2000)
    kinesis = server.client()
    kinesis.create_stream(StreamName="wide", ShardCount=1003)
    kinesis.get_waiter("stream_exists").wait(StreamName="wide", WaiterConfig={"Delay": 1})
    for kwargs in ({}, {"MaxResults": 10000}):
        out = kinesis.list_shards(StreamName="wide", **kwargs)
        assert len(out["Shards"]) == 1000, kwargs
        assert out.get("NextToken")
    rest = kinesis.list_shards(NextToken=out["NextToken"], MaxResults=10000)
    assert _ids(rest["Shards"]) == [shard_id(i) for i in range(1000, 1003)]
    assert "NextToken" not in rest


def test_list_shards_stream_creation_timestamp(endpoint, stream):
    name = stream(shards=2)
    created = api(endpoint, "DescribeStreamSummary", StreamName=name)[
        "StreamDescriptionSummary"]["StreamCreationTimestamp"]
    out = api(endpoint, "ListShards", StreamName=name, StreamCreationTimestamp=created)
    assert _ids(out["Shards"]) == [shard_id(0), shard_id(1)]


def test_list_shards_next_token_with_stream_name_is_invalid(kinesis, stream):
    name = stream(shards=3)
    token = kinesis.list_shards(StreamName=name, MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as e:
        kinesis.list_shards(StreamName=name, NextToken=token)
    assert _code(e) == "InvalidArgumentException"
    assert e.value.response["Error"]["Message"] == (
        "NextToken and StreamName cannot be provided together."
    )


def test_list_shards_without_stream_or_token_is_invalid(endpoint):
    msg = expect_error(endpoint, "ListShards", {}, "InvalidArgumentException")
    assert "NextToken" in msg and "StreamName" in msg


def test_list_shards_garbage_next_token_is_invalid(endpoint):
    for token in ["garbage", "A" * 300, "eyJzIjoibm9wZSJ9"]:
        expect_error(endpoint, "ListShards", {"NextToken": token}, "InvalidArgumentException")


def test_list_shards_unknown_stream(kinesis):
    with pytest.raises(ClientError) as e:
        kinesis.list_shards(StreamName="no-such-stream-for-list-shards")
    assert _code(e) == "ResourceNotFoundException"


@pytest.fixture
def split_stream(kinesis, stream):
    """A stream with one shard split in two: shard 0 closed, shards 1 and 2 open.
    Returns (name, t_before_split, t_after_split)."""
    name = stream(shards=1)
    kinesis.put_record(StreamName=name, Data=b"before", PartitionKey="p")
    time.sleep(0.4)
    t_before = time.time()
    time.sleep(0.4)
    kinesis.split_shard(StreamName=name, ShardToSplit=shard_id(0),
                        NewStartingHashKey=str(2**127))
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    time.sleep(0.4)
    t_after = time.time()
    time.sleep(0.1)
    return name, t_before, t_after


def _filtered(endpoint, name, **flt):
    """ListShards with a filter, sent raw: botocore 1.29 would truncate Timestamp to whole
    seconds, while SDKs in general send fractional epoch seconds."""
    return _ids(api(endpoint, "ListShards", StreamName=name, ShardFilter=flt)["Shards"])


def test_shard_filter_types(kinesis, endpoint, split_stream):
    name, t_before, t_after = split_stream
    s0, s1, s2 = shard_id(0), shard_id(1), shard_id(2)

    all_shards = kinesis.list_shards(StreamName=name)["Shards"]
    assert _ids(all_shards) == [s0, s1, s2]
    assert not is_open(all_shards[0]) and is_open(all_shards[1]) and is_open(all_shards[2])

    assert _filtered(endpoint, name, Type="AFTER_SHARD_ID", ShardId=s0) == [s1, s2]
    assert _filtered(endpoint, name, Type="AFTER_SHARD_ID", ShardId=s1) == [s2]
    assert _filtered(endpoint, name, Type="AT_TRIM_HORIZON") == [s0]
    assert _filtered(endpoint, name, Type="FROM_TRIM_HORIZON") == [s0, s1, s2]
    assert _filtered(endpoint, name, Type="AT_LATEST") == [s1, s2]
    assert _filtered(endpoint, name, Type="AT_TIMESTAMP", Timestamp=t_before) == [s0]
    assert _filtered(endpoint, name, Type="AT_TIMESTAMP", Timestamp=t_after) == [s1, s2]
    assert _filtered(endpoint, name, Type="FROM_TIMESTAMP", Timestamp=t_before) == [s0, s1, s2]
    assert _filtered(endpoint, name, Type="FROM_TIMESTAMP", Timestamp=t_after) == [s1, s2]


def test_shard_filter_returns_full_shard_objects(kinesis, split_stream):
    name, _, _ = split_stream
    latest = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})["Shards"]
    assert_exact_cover(latest)
    for s in latest:
        assert_shard_shape(s)
        assert s["ParentShardId"] == shard_id(0)
    assert shard_range(latest[0]) == (0, 2**127 - 1)
    assert shard_range(latest[1]) == (2**127, 2**128 - 1)


def test_shard_filter_with_max_results_pages(kinesis, split_stream):
    name, _, _ = split_stream
    first = kinesis.list_shards(StreamName=name, MaxResults=1,
                                ShardFilter={"Type": "FROM_TRIM_HORIZON"})
    assert _ids(first["Shards"]) == [shard_id(0)]
    seen = _ids(first["Shards"])
    token = first.get("NextToken")
    while token:
        page = kinesis.list_shards(NextToken=token, MaxResults=1)
        seen += _ids(page["Shards"])
        token = page.get("NextToken")
        assert len(seen) <= 3
    assert seen == [shard_id(0), shard_id(1), shard_id(2)]

    latest = kinesis.list_shards(StreamName=name, MaxResults=1, ShardFilter={"Type": "AT_LATEST"})
    assert _ids(latest["Shards"]) == [shard_id(1)]
    more = kinesis.list_shards(NextToken=latest["NextToken"], MaxResults=5)
    assert _ids(more["Shards"]) == [shard_id(2)]


def test_shard_filter_with_boto3(kinesis, split_stream):
    """The same filters through boto3 (which sends whole-second timestamps)."""
    name, _, _ = split_stream
    out = kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_LATEST"})
    assert _ids(out["Shards"]) == [shard_id(1), shard_id(2)]
    out = kinesis.list_shards(StreamName=name, ShardFilter={
        "Type": "FROM_TIMESTAMP",
        "Timestamp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)})
    assert _ids(out["Shards"]) == [shard_id(1), shard_id(2)]
    out = kinesis.list_shards(StreamName=name, ShardFilter={
        "Type": "AT_TIMESTAMP",
        "Timestamp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)})
    assert _ids(out["Shards"]) == [shard_id(1), shard_id(2)]


@pytest.mark.parametrize("flt", [
    {"Type": "AFTER_SHARD_ID"},
    {"Type": "AT_TIMESTAMP"},
    {"Type": "FROM_TIMESTAMP"},
])
def test_shard_filter_missing_required_member(endpoint, stream, flt):
    name = stream(shards=1)
    expect_error(endpoint, "ListShards", {"StreamName": name, "ShardFilter": flt},
                 "InvalidArgumentException")


def test_shard_filter_bad_type_is_validation_error(endpoint, stream):
    name = stream(shards=1)
    msg = expect_error(endpoint, "ListShards",
                       {"StreamName": name, "ShardFilter": {"Type": "SIDEWAYS"}},
                       "ValidationException")
    assert msg.startswith("1 validation error detected: Value 'SIDEWAYS' at 'shardFilter.type' "
                          "failed to satisfy constraint: Member must satisfy enum value set: ")
