"""Increase/DecreaseStreamRetentionPeriod answer as AWS Kinesis does.

Proves: the default is 24 h; increases and decreases take effect and show in DescribeStream and
DescribeStreamSummary; the range is 24..8760 inclusive (both ends accepted); an equal value is
a no-op; the wrong direction, values out of range and unknown streams are
InvalidArgumentException / ResourceNotFoundException with AWS's messages; records stay readable
after the retention changes.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from spate_harness import read_shard, shard_id


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
