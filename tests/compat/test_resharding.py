"""SplitShard, MergeShards and UpdateShardCount reshape a stream as AWS Kinesis does.

Proves: parents are closed (EndingSequenceNumber set, >= their StartingSequenceNumber) and stay
listed and readable; children get the next shard ids, ParentShardId / AdjacentParentShardId and
the right hash ranges; children's sequence numbers are larger than their parents'; the open
shards always tile [0, 2^128-1] exactly; new writes route to the children by MD5; reading a
closed shard to its end returns ChildShards (with ParentShards and HashKeyRange) and no
NextShardIterator; UpdateShardCount UNIFORM_SCALING up and down yields exactly the target
number of evenly sized open shards; every record written before, between and after the
reshards is read back exactly once by a reader that follows the lineage.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from spate_harness import (
    MAX_HASH_KEY,
    assert_exact_cover,
    assert_shard_shape,
    describe_all_shards,
    hash_key,
    is_open,
    list_all_shards,
    shard_for_key,
    shard_id,
    shard_range,
    wait_active,
)


def _by_id(shards):
    return {s["ShardId"]: s for s in shards}


def _open(shards):
    return [s for s in shards if is_open(s)]


def _put(kinesis, name, keys, tag):
    """Writes one record per key; returns {sequence number: (shard, key, data)}."""
    sent = {}
    for k in keys:
        data = f"{tag}:{k}".encode()
        out = kinesis.put_record(StreamName=name, Data=data, PartitionKey=k)
        sent[out["SequenceNumber"]] = (out["ShardId"], k, data)
    return sent


def _read_to_end_of_closed(kinesis, name, sid):
    """Reads a closed shard from TRIM_HORIZON until GetRecords stops giving a next iterator.
    Returns (records, the final response)."""
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=sid,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = []
    for _ in range(1000):
        resp = kinesis.get_records(ShardIterator=it, Limit=7)
        records += resp["Records"]
        if resp.get("NextShardIterator") is None:
            return records, resp
        it = resp["NextShardIterator"]
    raise AssertionError(f"closed shard {sid} never ended (NextShardIterator kept coming)")


def _read_lineage(kinesis, name):
    """A lineage-aware reader: starts at the shards with no (listed) parent, reads each closed
    shard to its end, then its ChildShards once all of a child's parents are finished.
    Returns {sequence number: (shard, partition key, data)}."""
    shards = _by_id(list_all_shards(kinesis, name))
    finished: set[str] = set()
    queue = [sid for sid, s in shards.items()
             if s.get("ParentShardId") not in shards and s.get("AdjacentParentShardId") not in shards]
    got = {}
    steps = 0
    while queue:
        steps += 1
        assert steps < 10_000, f"lineage walk is stuck with {queue}"
        sid = queue.pop(0)
        if sid in finished:
            continue
        parents = [p for p in (shards[sid].get("ParentShardId"),
                               shards[sid].get("AdjacentParentShardId")) if p in shards]
        if any(p not in finished for p in parents):
            queue.append(sid)
            continue
        if is_open(shards[sid]):
            it = kinesis.get_shard_iterator(StreamName=name, ShardId=sid,
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            records = []
            while True:
                resp = kinesis.get_records(ShardIterator=it)
                records += resp["Records"]
                if not resp["Records"] and resp["MillisBehindLatest"] == 0:
                    break
                it = resp["NextShardIterator"]
        else:
            records, last = _read_to_end_of_closed(kinesis, name, sid)
            children = last.get("ChildShards") or []
            assert children, f"end of closed shard {sid} without ChildShards"
            for child in children:
                assert sid in child["ParentShards"]
                queue.append(child["ShardId"])
        for r in records:
            assert r["SequenceNumber"] not in got, "a record was read twice"
            got[r["SequenceNumber"]] = (sid, r["PartitionKey"], r["Data"])
        finished.add(sid)
    assert finished == set(shards), f"lineage walk missed {set(shards) - finished}"
    return got


def test_split_shard(kinesis, stream):
    name = stream(shards=2)
    before = _put(kinesis, name, [f"a{i}" for i in range(30)], "before")
    parent = _by_id(describe_all_shards(kinesis, name))[shard_id(1)]
    lo, hi = shard_range(parent)
    split_at = lo + (hi - lo) // 3

    assert kinesis.split_shard(StreamName=name, ShardToSplit=shard_id(1),
                               NewStartingHashKey=str(split_at))["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    wait_active(kinesis, name)

    shards = describe_all_shards(kinesis, name)
    for s in shards:
        assert_shard_shape(s)
    by_id = _by_id(shards)
    assert list(by_id) == [shard_id(i) for i in range(4)]
    closed = by_id[shard_id(1)]
    assert not is_open(closed)
    end_seq = int(closed["SequenceNumberRange"]["EndingSequenceNumber"])
    assert shard_range(closed) == (lo, hi)

    a, b = by_id[shard_id(2)], by_id[shard_id(3)]
    assert shard_range(a) == (lo, split_at - 1)
    assert shard_range(b) == (split_at, hi)
    for child in (a, b):
        assert is_open(child)
        assert child["ParentShardId"] == shard_id(1)
        assert "AdjacentParentShardId" not in child
        assert int(child["SequenceNumberRange"]["StartingSequenceNumber"]) > end_seq
    assert is_open(by_id[shard_id(0)])
    assert_exact_cover(_open(shards))

    # Every record of the parent is at or below its EndingSequenceNumber.
    parent_records = [seq for seq, (sid, _, _) in before.items() if sid == shard_id(1)]
    assert parent_records and all(int(s) <= end_seq for s in parent_records)

    # New writes route to the children by MD5.
    after = _put(kinesis, name, [f"b{i}" for i in range(60)], "after")
    for seq, (sid, key, _) in after.items():
        assert sid == shard_for_key(shards, hash_key(key))["ShardId"]
        assert sid != shard_id(1)

    assert _read_lineage(kinesis, name) == {**before, **after}


def test_end_of_closed_shard_returns_child_shards(kinesis, stream):
    name = stream(shards=1)
    before = _put(kinesis, name, [f"k{i}" for i in range(10)], "x")
    kinesis.split_shard(StreamName=name, ShardToSplit=shard_id(0),
                        NewStartingHashKey=str(2**127))
    wait_active(kinesis, name)

    records, last = _read_to_end_of_closed(kinesis, name, shard_id(0))
    assert sorted(r["SequenceNumber"] for r in records) == sorted(before)
    assert last.get("NextShardIterator") is None
    assert last["MillisBehindLatest"] == 0
    children = sorted(last["ChildShards"], key=lambda c: c["ShardId"])
    assert [c["ShardId"] for c in children] == [shard_id(1), shard_id(2)]
    for c in children:
        assert c["ParentShards"] == [shard_id(0)]
    assert [shard_range(c) for c in children] == [(0, 2**127 - 1), (2**127, MAX_HASH_KEY)]

    # LATEST on a closed shard is at its end as well: straight to the children.
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(0),
                                    ShardIteratorType="LATEST")["ShardIterator"]
    resp = kinesis.get_records(ShardIterator=it)
    assert resp["Records"] == []
    assert resp.get("NextShardIterator") is None
    assert {c["ShardId"] for c in resp["ChildShards"]} == {shard_id(1), shard_id(2)}

    # AT_SEQUENCE_NUMBER of the parent's last record: that record, then the end.
    last_seq = max(before, key=int)
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id(0),
                                    ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    StartingSequenceNumber=last_seq)["ShardIterator"]
    resp = kinesis.get_records(ShardIterator=it)
    got = list(resp["Records"])
    while resp.get("NextShardIterator"):
        resp = kinesis.get_records(ShardIterator=resp["NextShardIterator"])
        got += resp["Records"]
    assert [r["SequenceNumber"] for r in got] == [last_seq]
    assert resp.get("ChildShards")


def test_end_of_empty_closed_shard(kinesis, stream):
    name = stream(shards=1)
    kinesis.split_shard(StreamName=name, ShardToSplit=shard_id(0),
                        NewStartingHashKey=str(2**64))
    wait_active(kinesis, name)
    records, last = _read_to_end_of_closed(kinesis, name, shard_id(0))
    assert records == []
    assert len(last["ChildShards"]) == 2


def test_merge_shards(kinesis, stream):
    name = stream(shards=3)
    before = _put(kinesis, name, [f"m{i}" for i in range(40)], "before")
    kinesis.merge_shards(StreamName=name, ShardToMerge=shard_id(1),
                         AdjacentShardToMerge=shard_id(2))
    wait_active(kinesis, name)

    shards = describe_all_shards(kinesis, name)
    by_id = _by_id(shards)
    assert list(by_id) == [shard_id(i) for i in range(4)]
    p1, p2, child = by_id[shard_id(1)], by_id[shard_id(2)], by_id[shard_id(3)]
    assert not is_open(p1) and not is_open(p2) and is_open(child)
    assert child["ParentShardId"] == shard_id(1)
    assert child["AdjacentParentShardId"] == shard_id(2)
    assert shard_range(child) == (shard_range(p1)[0], shard_range(p2)[1])
    ends = [int(p["SequenceNumberRange"]["EndingSequenceNumber"]) for p in (p1, p2)]
    assert int(child["SequenceNumberRange"]["StartingSequenceNumber"]) > max(ends)
    assert_exact_cover(_open(shards))
    assert len(_open(shards)) == 2

    for parent in (shard_id(1), shard_id(2)):
        _, last = _read_to_end_of_closed(kinesis, name, parent)
        assert last.get("NextShardIterator") is None
        (c,) = last["ChildShards"]
        assert c["ShardId"] == shard_id(3)
        assert sorted(c["ParentShards"]) == [shard_id(1), shard_id(2)]
        assert shard_range(c) == shard_range(child)

    after = _put(kinesis, name, [f"n{i}" for i in range(40)], "after")
    assert {sid for sid, _, _ in after.values()} <= {shard_id(0), shard_id(3)}
    assert _read_lineage(kinesis, name) == {**before, **after}


def test_merge_in_reverse_order_of_adjacency(kinesis, stream):
    """AdjacentShardToMerge may be the lower neighbour; the child covers both ranges."""
    name = stream(shards=2)
    kinesis.merge_shards(StreamName=name, ShardToMerge=shard_id(1),
                         AdjacentShardToMerge=shard_id(0))
    wait_active(kinesis, name)
    shards = describe_all_shards(kinesis, name)
    (child,) = _open(shards)
    assert child["ShardId"] == shard_id(2)
    assert shard_range(child) == (0, MAX_HASH_KEY)
    assert child["ParentShardId"] == shard_id(1)
    assert child["AdjacentParentShardId"] == shard_id(0)


def _assert_uniform(open_shards, n):
    assert len(open_shards) == n
    assert_exact_cover(open_shards)
    ideal = 2**128 // n
    for s in open_shards:
        lo, hi = shard_range(s)
        assert abs((hi - lo + 1) - ideal) <= ideal // 100 + n, (
            f"{s['ShardId']} holds {hi - lo + 1} keys, uniform is {ideal}")


def test_update_shard_count_up_and_down(kinesis, stream):
    name = stream(shards=2)
    sent = _put(kinesis, name, [f"u{i}" for i in range(30)], "two")

    out = kinesis.update_shard_count(StreamName=name, TargetShardCount=4,
                                     ScalingType="UNIFORM_SCALING")
    assert out["StreamName"] == name
    assert out["CurrentShardCount"] == 2 and out["TargetShardCount"] == 4
    wait_active(kinesis, name)
    shards = list_all_shards(kinesis, name)
    _assert_uniform(_open(shards), 4)
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "OpenShardCount"] == 4
    for s in shards:
        assert_shard_shape(s)
        if s["ShardId"] not in (shard_id(0), shard_id(1)):
            assert s.get("ParentShardId"), f"{s['ShardId']} was created by resharding " \
                                           f"but names no parent"
    sent.update(_put(kinesis, name, [f"v{i}" for i in range(30)], "four"))

    out = kinesis.update_shard_count(StreamName=name, TargetShardCount=3,
                                     ScalingType="UNIFORM_SCALING")
    assert out["CurrentShardCount"] == 4 and out["TargetShardCount"] == 3
    wait_active(kinesis, name)
    _assert_uniform(_open(list_all_shards(kinesis, name)), 3)
    sent.update(_put(kinesis, name, [f"w{i}" for i in range(30)], "three"))

    out = kinesis.update_shard_count(StreamName=name, TargetShardCount=2,
                                     ScalingType="UNIFORM_SCALING")
    wait_active(kinesis, name)
    shards = list_all_shards(kinesis, name)
    _assert_uniform(_open(shards), 2)
    sent.update(_put(kinesis, name, [f"x{i}" for i in range(30)], "two-again"))
    # Routing after the last reshard follows the open shards' ranges.
    for seq, (sid, key, data) in sent.items():
        if data.startswith(b"two-again:"):
            assert sid == shard_for_key(shards, hash_key(key))["ShardId"]

    assert _read_lineage(kinesis, name) == sent


def test_update_shard_count_doubling_and_halving_limits(kinesis, stream):
    """UNIFORM_SCALING may at most double or halve the open shard count in one call."""
    name = stream(shards=2)
    with pytest.raises(ClientError) as e:
        kinesis.update_shard_count(StreamName=name, TargetShardCount=5,
                                   ScalingType="UNIFORM_SCALING")
    assert e.value.response["Error"]["Code"] == "LimitExceededException"
    assert e.value.response["Error"]["Message"] == (
        "UpdateShardCount cannot scale up over double your current open shard count. "
        "Current open shard count: 2, Target shard count: 5")

    name4 = stream(shards=4)
    with pytest.raises(ClientError) as e:
        kinesis.update_shard_count(StreamName=name4, TargetShardCount=1,
                                   ScalingType="UNIFORM_SCALING")
    assert e.value.response["Error"]["Code"] == "LimitExceededException"
    assert e.value.response["Error"]["Message"] == (
        "UpdateShardCount cannot scale down below half your current open shard count. "
        "Current open shard count: 4, Target shard count: 1")


def test_split_then_merge_children_back(kinesis, stream):
    name = stream(shards=1)
    sent = _put(kinesis, name, [f"s{i}" for i in range(20)], "one")
    kinesis.split_shard(StreamName=name, ShardToSplit=shard_id(0),
                        NewStartingHashKey=str(2**100))
    wait_active(kinesis, name)
    sent.update(_put(kinesis, name, [f"t{i}" for i in range(20)], "split"))
    kinesis.merge_shards(StreamName=name, ShardToMerge=shard_id(1),
                         AdjacentShardToMerge=shard_id(2))
    wait_active(kinesis, name)
    sent.update(_put(kinesis, name, [f"u{i}" for i in range(20)], "merged"))
    shards = list_all_shards(kinesis, name)
    (only,) = _open(shards)
    assert only["ShardId"] == shard_id(3) and shard_range(only) == (0, MAX_HASH_KEY)
    assert _read_lineage(kinesis, name) == sent


def test_closed_shard_cannot_be_split_or_merged(kinesis, stream):
    name = stream(shards=2)
    kinesis.split_shard(StreamName=name, ShardToSplit=shard_id(0),
                        NewStartingHashKey=str(2**126))
    wait_active(kinesis, name)
    with pytest.raises(ClientError) as e:
        kinesis.split_shard(StreamName=name, ShardToSplit=shard_id(0),
                            NewStartingHashKey=str(2**125))
    assert e.value.response["Error"]["Code"] in ("ResourceInUseException",
                                                 "InvalidArgumentException")
    with pytest.raises(ClientError) as e:
        kinesis.merge_shards(StreamName=name, ShardToMerge=shard_id(0),
                             AdjacentShardToMerge=shard_id(1))
    assert e.value.response["Error"]["Code"] in ("ResourceInUseException",
                                                 "InvalidArgumentException")
    # Nothing changed.
    assert len(list_all_shards(kinesis, name)) == 4
