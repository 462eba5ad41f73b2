"""UpdateMaxRecordSize answers as AWS Kinesis does and PutRecord / PutRecords enforce it.

Proves: a stream's MaxRecordSizeInKiB is 1024 by default (DescribeStreamSummary); records of
exactly the limit (data plus partition key) are accepted and one byte more is
InvalidArgumentException, by PutRecord and by PutRecords (through the JSON fast path and the
generic path alike), before and after UpdateMaxRecordSize raises the limit; a PutRecords
request may then carry more than the former 5 MiB; the limit survives a restart; with
--update-stream-ms the stream is UPDATING, then ACTIVE; values outside 1024..10240 and a missing
value are ValidationException; an unknown stream is ResourceNotFoundException.

The server's HTTP body limit (16 MiB) admits the largest legal request, a 10 MiB record as
base64 JSON.
"""

from __future__ import annotations

import base64
import os
import time

from spate_harness import api, b64, expect_error, signed_call, stream_arn, unique_stream_name

KIB = 1024
KEY = "pk"


def _max_size(endpoint, name):
    return api(endpoint, "DescribeStreamSummary",
               StreamName=name)["StreamDescriptionSummary"]["MaxRecordSizeInKiB"]


def _data(total: int) -> str:
    """Base64 data that, with KEY, makes a record of `total` bytes."""
    return b64(os.urandom(total - len(KEY)))


def _put_record(endpoint, name, total):
    return signed_call(endpoint, "PutRecord",
                       {"StreamName": name, "PartitionKey": KEY, "Data": _data(total)})


def _put_records(endpoint, name, sizes, generic=False):
    records = [{"PartitionKey": KEY, "Data": _data(n)} for n in sizes]
    if generic:  # a null member makes the fast path decline: the schema path answers
        for r in records:
            r["ExplicitHashKey"] = None
    return signed_call(endpoint, "PutRecords", {"StreamName": name, "Records": records})


def _assert_invalid(result):
    status, body = result
    assert status == 400 and body.get("__type", "").endswith("InvalidArgumentException"), body


def _assert_ok(result):
    status, body = result
    assert status == 200, body
    if "FailedRecordCount" in body:
        assert body["FailedRecordCount"] == 0, body


def test_default_limit_is_one_mib(endpoint, stream):
    name = stream(shards=1)
    assert _max_size(endpoint, name) == 1024
    _assert_ok(_put_record(endpoint, name, 1024 * KIB))
    _assert_invalid(_put_record(endpoint, name, 1024 * KIB + 1))
    _assert_ok(_put_records(endpoint, name, [10, 1024 * KIB]))
    _assert_invalid(_put_records(endpoint, name, [10, 1024 * KIB + 1]))
    _assert_invalid(_put_records(endpoint, name, [1024 * KIB + 1], generic=True))


def test_raised_limit_is_enforced(endpoint, stream):
    name = stream(shards=1)
    assert api(endpoint, "UpdateMaxRecordSize", StreamARN=stream_arn(name),
               MaxRecordSizeInKiB=2048) == {}
    assert _max_size(endpoint, name) == 2048
    _assert_ok(_put_record(endpoint, name, 2048 * KIB))
    _assert_invalid(_put_record(endpoint, name, 2048 * KIB + 1))
    _assert_ok(_put_records(endpoint, name, [2048 * KIB]))
    _assert_ok(_put_records(endpoint, name, [2048 * KIB], generic=True))
    _assert_invalid(_put_records(endpoint, name, [5, 2048 * KIB + 1]))
    _assert_invalid(_put_records(endpoint, name, [2048 * KIB + 1], generic=True))
    # Nothing of a refused request was written.
    it = api(endpoint, "GetShardIterator", StreamName=name, ShardId="shardId-000000000000",
             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = api(endpoint, "GetRecords", ShardIterator=it)["Records"]
    assert len(records) == 3


def test_put_records_beyond_five_mib(endpoint, stream):
    name = stream(shards=1)
    api(endpoint, "UpdateMaxRecordSize", StreamARN=stream_arn(name), MaxRecordSizeInKiB=5120)
    _assert_ok(_put_record(endpoint, name, 5120 * KIB))
    _assert_invalid(_put_record(endpoint, name, 5120 * KIB + 1))
    # 5.4 MiB in one request: over the former 5 MiB PutRecords limit, within today's 10 MiB.
    _assert_ok(_put_records(endpoint, name, [2700 * KIB, 2700 * KIB]))


def test_ten_mib_records_pass_end_to_end(endpoint, stream):
    name = stream(shards=1)
    api(endpoint, "UpdateMaxRecordSize", StreamARN=stream_arn(name), MaxRecordSizeInKiB=10240)
    _assert_ok(_put_record(endpoint, name, 10240 * KIB))
    _assert_invalid(_put_record(endpoint, name, 10240 * KIB + 1))
    _assert_ok(_put_records(endpoint, name, [10240 * KIB], generic=True))
    it = api(endpoint, "GetShardIterator", StreamName=name, ShardId="shardId-000000000000",
             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    sizes = []
    for _ in range(2):  # 10 MiB per GetRecords: one such record per call
        got = api(endpoint, "GetRecords", ShardIterator=it)
        sizes += [len(base64.b64decode(r["Data"])) for r in got["Records"]]
        it = got["NextShardIterator"]
    assert sizes == [10240 * KIB - len(KEY)] * 2


def test_lowering_the_limit_again(endpoint, stream):
    name = stream(shards=1)
    api(endpoint, "UpdateMaxRecordSize", StreamARN=stream_arn(name), MaxRecordSizeInKiB=3000)
    api(endpoint, "UpdateMaxRecordSize", StreamARN=stream_arn(name), MaxRecordSizeInKiB=1024)
    _assert_invalid(_put_record(endpoint, name, 1024 * KIB + 1))


def test_survives_restart(fresh_server):
    endpoint = fresh_server.endpoint
    name = unique_stream_name("big")
    api(endpoint, "CreateStream", StreamName=name, ShardCount=1)
    api(endpoint, "UpdateMaxRecordSize", StreamARN=stream_arn(name), MaxRecordSizeInKiB=5120)
    big = os.urandom(5120 * KIB - len(KEY))
    _assert_ok(signed_call(endpoint, "PutRecord",
                           {"StreamName": name, "PartitionKey": KEY, "Data": b64(big)}))
    fresh_server.kill()  # recovery rescans the log: a 5 MiB frame is read back whole
    fresh_server.start()
    assert _max_size(endpoint, name) == 5120
    it = api(endpoint, "GetShardIterator", StreamName=name, ShardId="shardId-000000000000",
             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    [record] = api(endpoint, "GetRecords", ShardIterator=it)["Records"]
    assert base64.b64decode(record["Data"]) == big
    _assert_ok(_put_record(endpoint, name, 5120 * KIB))
    _assert_invalid(_put_record(endpoint, name, 5120 * KIB + 1))


def test_updating_then_active(spated_factory):
    server = spated_factory(update_stream_ms=1000)
    name = unique_stream_name("big")
    api(server.endpoint, "CreateStream", StreamName=name, ShardCount=1)
    api(server.endpoint, "UpdateMaxRecordSize", StreamARN=stream_arn(name),
        MaxRecordSizeInKiB=4096)
    summary = api(server.endpoint, "DescribeStreamSummary",
                  StreamName=name)["StreamDescriptionSummary"]
    assert (summary["StreamStatus"], summary["MaxRecordSizeInKiB"]) == ("UPDATING", 4096)
    _assert_ok(_put_record(server.endpoint, name, 4096 * KIB))  # writable while UPDATING
    deadline = time.monotonic() + 10
    while api(server.endpoint, "DescribeStreamSummary",
              StreamName=name)["StreamDescriptionSummary"]["StreamStatus"] != "ACTIVE":
        assert time.monotonic() < deadline, "the stream stayed UPDATING"
        time.sleep(0.1)


def test_validation(endpoint, stream):
    arn = stream_arn(stream(shards=1))
    for bad in (1023, 10241, 0):
        msg = expect_error(endpoint, "UpdateMaxRecordSize",
                           {"StreamARN": arn, "MaxRecordSizeInKiB": bad}, "ValidationException")
        assert f"Value '{bad}' at 'maxRecordSizeInKiB'" in msg
    msg = expect_error(endpoint, "UpdateMaxRecordSize", {"StreamARN": arn}, "ValidationException")
    assert "Member must not be null" in msg
    api(endpoint, "UpdateMaxRecordSize", StreamARN=arn, MaxRecordSizeInKiB=10240)
    api(endpoint, "UpdateMaxRecordSize", StreamARN=arn, MaxRecordSizeInKiB=1024)


def test_unknown_stream(endpoint):
    expect_error(endpoint, "UpdateMaxRecordSize",
                 {"StreamARN": stream_arn("no-such-stream"), "MaxRecordSizeInKiB": 2048},
                 "ResourceNotFoundException")
