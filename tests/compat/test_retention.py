"""Increase/DecreaseStreamRetentionPeriod answer as AWS Kinesis does.

Proves: the default is 24 h; increases and decreases take effect and show in DescribeStream and
DescribeStreamSummary; the range is 24..8760 inclusive (both ends accepted); an equal value is
a no-op; the wrong direction, values out of range and unknown streams are
InvalidArgumentException / ResourceNotFoundException with AWS's messages; records stay readable
after the retention changes; and, on a server whose retention hour is shortened, retention
removes old records and their segment files over time, while reads of trimmed positions start
at the trim horizon.
"""

from __future__ import annotations

import datetime

import pytest
from botocore.exceptions import ClientError

from spate_harness import read_shard, shard_id, wait_active, wait_until


def _retention(kinesis, name) -> int:
    hours = kinesis.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"]
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == hours
    return hours


def _error(excinfo):
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def test_increase_and_decrease(kinesis, stream):
    name = stream(shards=1)
    assert _retention(kinesis, name) == 24
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert _retention(kinesis, name) == 48
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=8760)
    assert _retention(kinesis, name) == 8760
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=100)
    assert _retention(kinesis, name) == 100
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    assert _retention(kinesis, name) == 24


def test_equal_value_is_a_no_op(kinesis, stream):
    name = stream(shards=1)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    assert _retention(kinesis, name) == 24


def test_increase_below_current_is_invalid(kinesis, stream):
    name = stream(shards=1)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=72)
    with pytest.raises(ClientError) as e:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    code, msg = _error(e)
    assert code == "InvalidArgumentException"
    assert msg == (f"Requested retention period (48 hours) for stream {name} can not be shorter "
                   f"than existing retention period (72 hours). Use DecreaseRetentionPeriod API.")
    assert _retention(kinesis, name) == 72


def test_decrease_above_current_is_invalid(kinesis, stream):
    name = stream(shards=1)
    with pytest.raises(ClientError) as e:
        kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    code, msg = _error(e)
    assert code == "InvalidArgumentException"
    assert msg == (f"Requested retention period (48 hours) for stream {name} can not be longer "
                   f"than existing retention period (24 hours). Use IncreaseRetentionPeriod API.")
    assert _retention(kinesis, name) == 24


@pytest.mark.parametrize("op", ["increase", "decrease"])
def test_below_minimum(kinesis, stream, op):
    name = stream(shards=1)
    if op == "decrease":
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    call = getattr(kinesis, f"{op}_stream_retention_period")
    with pytest.raises(ClientError) as e:
        call(StreamName=name, RetentionPeriodHours=23)
    assert _error(e) == (
        "InvalidArgumentException",
        "Minimum allowed retention period is 24 hours. "
        "Requested retention period (23 hours) is too short.",
    )


@pytest.mark.parametrize("op", ["increase", "decrease"])
def test_above_maximum(kinesis, stream, op):
    name = stream(shards=1)
    call = getattr(kinesis, f"{op}_stream_retention_period")
    with pytest.raises(ClientError) as e:
        call(StreamName=name, RetentionPeriodHours=8761)
    assert _error(e) == (
        "InvalidArgumentException",
        "Maximum allowed retention period is 8760 hours. "
        "Requested retention period (8761 hours) is too long.",
    )
    assert _retention(kinesis, name) == 24


def test_unknown_stream(kinesis):
    with pytest.raises(ClientError) as e:
        kinesis.increase_stream_retention_period(StreamName="no-such-retention-stream",
                                                 RetentionPeriodHours=48)
    assert _error(e) == (
        "ResourceNotFoundException",
        "Stream no-such-retention-stream under account 000000000000 not found.",
    )


def test_records_survive_retention_changes(kinesis, stream):
    name = stream(shards=1)
    for i in range(5):
        kinesis.put_record(StreamName=name, Data=b"%d" % i, PartitionKey="k")
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=168)
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    records, _ = read_shard(kinesis, name, shard_id(0))
    assert [r["Data"] for r in records] == [b"0", b"1", b"2", b"3", b"4"]


def test_retention_removes_old_records_over_time(spated_factory):
    """With one retention hour shortened to 100 ms (`--retention-hour-ms`), the default 24 hours
    pass in 2.4 s (the checks after the trim take far less, so the new record outlives them): the old records' segment files go, a TRIM_HORIZON read returns only what came
    after, and every way of naming a trimmed position (an iterator issued before, AT_ and
    AFTER_SEQUENCE_NUMBER of a trimmed record, AT_TIMESTAMP before it) reads from the trim
    horizon instead of failing; sequence numbers go on from where they were."""
    server = spated_factory(
        extra_args=["--retention-hour-ms", "100", "--retention-check-ms", "20",
                    "--segment-size", "4096"]
    )
    kinesis = server.client()
    kinesis.create_stream(StreamName="aging", ShardCount=1)
    wait_active(kinesis, "aging")
    old = [
        kinesis.put_record(StreamName="aging", Data=b"old-%03d" % i + b"o" * 100,
                           PartitionKey="k")["SequenceNumber"]
        for i in range(100)
    ]
    shard_dir = next(p for p in server.data_dir.rglob(shard_id(0)) if p.is_dir())
    assert len(list(shard_dir.glob("*.seg"))) > 2, "the old records must span segments"
    stale = kinesis.get_shard_iterator(
        StreamName="aging", ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)

    wait_until(lambda: not read_shard(kinesis, "aging", shard_id(0))[0], 30,
               "records past retention to be removed")
    assert len(list(shard_dir.glob("*.seg"))) == 1, "expired segment files must be deleted"

    new = kinesis.put_record(StreamName="aging", Data=b"new", PartitionKey="k")
    assert int(new["SequenceNumber"]) > int(old[-1])
    records, _ = read_shard(kinesis, "aging", shard_id(0))
    assert [r["Data"] for r in records] == [b"new"]

    def first_read(iterator):
        return [r["SequenceNumber"] for r in
                kinesis.get_records(ShardIterator=iterator, Limit=10)["Records"]]

    assert first_read(stale) == [new["SequenceNumber"]]
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        it = kinesis.get_shard_iterator(
            StreamName="aging", ShardId=shard_id(0), ShardIteratorType=kind,
            StartingSequenceNumber=old[10],
        )["ShardIterator"]
        assert first_read(it) == [new["SequenceNumber"]], kind
    it = kinesis.get_shard_iterator(
        StreamName="aging", ShardId=shard_id(0), ShardIteratorType="AT_TIMESTAMP",
        Timestamp=before,
    )["ShardIterator"]
    assert first_read(it) == [new["SequenceNumber"]]
    assert server.running()


def test_list_shards_trim_horizon_follows_the_retention_period(spated_factory):
    """ListShards' FROM_TRIM_HORIZON and AT_TRIM_HORIZON filters use the same retention period
    as the removal of records (here 24 hours of 100 ms): a parent closed by a split drops out
    once its end is older than the retention period, and the trim horizon then falls in the
    children's lifetime."""
    server = spated_factory(extra_args=["--retention-hour-ms", "100"])
    kinesis = server.client()
    kinesis.create_stream(StreamName="split", ShardCount=1)
    wait_active(kinesis, "split")
    kinesis.split_shard(StreamName="split", ShardToSplit=shard_id(0),
                        NewStartingHashKey=str(2**127))
    wait_active(kinesis, "split")

    def listed(kind: str) -> list[str]:
        shards = kinesis.list_shards(StreamName="split", ShardFilter={"Type": kind})["Shards"]
        return [s["ShardId"] for s in shards]

    children = [shard_id(1), shard_id(2)]
    assert listed("FROM_TRIM_HORIZON") == [shard_id(0)] + children
    assert listed("AT_TRIM_HORIZON") == [shard_id(0)]
    wait_until(lambda: listed("FROM_TRIM_HORIZON") == children, 30,
               "the closed parent to fall behind the trim horizon")
    assert listed("AT_TRIM_HORIZON") == children
