"""PutRecords partial failures on the wire: in one request some records fail and the others
are stored, and a client can tell exactly which.

Proves, against a real spated with its per-shard write limit turned on (`--shard-write-records`
/ `--shard-write-bytes`, a token bucket per shard that starts full), on a two-shard stream where
one shard goes over its limit and the other does not:
- the answer is HTTP 200 with one entry per record in request order and FailedRecordCount equal
  to the number of failed entries, exactly as the bucket sizes predict;
- a failed entry has exactly ErrorCode ProvisionedThroughputExceededException and AWS's
  ErrorMessage naming the hot shard, the stream and the account (no SequenceNumber, no
  ShardId); a successful entry has exactly SequenceNumber and ShardId;
- the shard under its limit loses nothing; a record the byte budget cannot cover costs nothing,
  so a smaller record after it still fits;
- GetRecords reads back exactly the successful records, in order, byte for byte, and none of
  the failed ones; the same answer shape comes back in CBOR (the Java SDK's encoding);
- a single PutRecord to the exhausted shard is ProvisionedThroughputExceededException (HTTP
  400), and the shard accepts again once its bucket has refilled.

A record over the stream's maximum record size is not a per-record failure: AWS documents
PutRecordsResultEntry.ErrorCode as ProvisionedThroughputExceededException or InternalFailure
only, so a too-large record refuses the whole request (InvalidArgumentException), and nothing of
that request is stored on any shard.

All through boto3 with retries off (`server.client()`), so what is asserted is what the server
sent.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from spate_harness import (
    ACCOUNT_ID,
    CBOR_CONTENT_TYPE,
    api,
    assert_sequence_number,
    cbor_call,
    hash_key,
    read_shard,
    shard_for_key,
    shard_id,
    stream_arn,
    wait_active,
    wait_until,
)

HOT = shard_id(0)
COLD = shard_id(1)


def _two_shard_stream(kinesis, name: str) -> dict[str, list[str]]:
    """Creates `name` with two shards; returns partition keys that route to each shard."""
    kinesis.create_stream(StreamName=name, ShardCount=2)
    wait_active(kinesis, name)
    shards = kinesis.list_shards(StreamName=name)["Shards"]
    assert [s["ShardId"] for s in shards] == [HOT, COLD]
    keys: dict[str, list[str]] = {HOT: [], COLD: []}
    i = 0
    while min(len(v) for v in keys.values()) < 40:
        key = f"pk-{i}"
        keys[shard_for_key(shards, hash_key(key))["ShardId"]].append(key)
        i += 1
    return keys


def _rate_message(shard: str, stream: str) -> str:
    return f"Rate exceeded for shard {shard} in stream {stream} under account {ACCOUNT_ID}."


def _assert_entries(name: str, answer: dict, expected_shards: list[str | None]) -> None:
    """`expected_shards[i]` is the shard record i must be stored on, or None if it must have
    failed with ProvisionedThroughputExceededException on the hot shard."""
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    entries = answer["Records"]
    assert len(entries) == len(expected_shards)
    assert answer["FailedRecordCount"] == expected_shards.count(None)
    for i, (entry, shard) in enumerate(zip(entries, expected_shards)):
        if shard is None:
            assert entry == {"ErrorCode": "ProvisionedThroughputExceededException",
                             "ErrorMessage": _rate_message(HOT, name)}, (i, entry)
        else:
            assert set(entry) == {"SequenceNumber", "ShardId"}, (i, entry)
            assert entry["ShardId"] == shard, (i, entry)
            assert_sequence_number(entry["SequenceNumber"])


def _assert_stored(kinesis, name: str, records: list[dict], answer: dict) -> None:
    """Each shard holds exactly the records answered as stored on it, in request order, with
    the sequence numbers of the answer, and nothing else (so none of the failed ones)."""
    for shard in (HOT, COLD):
        expected = [(a["SequenceNumber"], r["PartitionKey"], r["Data"])
                    for r, a in zip(records, answer["Records"]) if a.get("ShardId") == shard]
        got, _ = read_shard(kinesis, name, shard)
        assert [(g["SequenceNumber"], g["PartitionKey"], g["Data"]) for g in got] == expected


def test_record_limit_fails_the_hot_shards_surplus_only(spated_factory):
    """--shard-write-records 5: of 8 records for shard 0 and 4 for shard 1, interleaved in one
    request, the first 5 for shard 0 and all 4 for shard 1 are stored; 3 fail."""
    server = spated_factory(extra_args=["--shard-write-records", "5"])
    kinesis = server.client()
    name = "hot-and-cold"
    keys = _two_shard_stream(kinesis, name)
    plan = [HOT, HOT, COLD, HOT, HOT, COLD, HOT, HOT, COLD, HOT, HOT, COLD]
    records, expected, hot_seen = [], [], 0
    for i, shard in enumerate(plan):
        records.append({"PartitionKey": keys[shard][i], "Data": b"rec-%02d-" % i + shard.encode()})
        if shard == HOT:
            hot_seen += 1
            expected.append(HOT if hot_seen <= 5 else None)
        else:
            expected.append(COLD)
    assert expected.count(None) == 3
    kinesis.enable_enhanced_monitoring(StreamName=name,
                                       ShardLevelMetrics=["WriteProvisionedThroughputExceeded"])
    answer = kinesis.put_records(StreamName=name, Records=records)
    _assert_entries(name, answer, expected)
    assert answer["EncryptionType"] == "NONE"
    _assert_stored(kinesis, name, records, answer)
    # The refusals are counted on shard 0 only (enhanced monitoring's
    # WriteProvisionedThroughputExceeded).
    metrics = server.metrics()
    metric = "spate_shard_write_provisioned_throughput_exceeded_total"
    assert metrics[f'{metric}{{stream="{name}",shard="{HOT}"}}'] == 3
    assert metrics[f'{metric}{{stream="{name}",shard="{COLD}"}}'] == 0


def test_byte_limit_refuses_what_does_not_fit_and_charges_nothing_for_it(spated_factory):
    """--shard-write-bytes 1000 (data plus partition key): on shard 0, records of 600, 600,
    300, 200 and 100 bytes give stored, failed, stored, failed, stored (a refused record costs
    nothing, so the smaller ones after it still fit: 600 + 300 + 100 = 1000); shard 1, under
    its limit, stores all of its 900 bytes. A PutRecord of 1000 bytes to the drained shard
    right after is refused as a whole, and accepted once the bucket has refilled."""
    server = spated_factory(extra_args=["--shard-write-bytes", "1000"])
    kinesis = server.client()
    name = "bytes"
    keys = _two_shard_stream(kinesis, name)

    def record(shard: str, n: int, size: int) -> dict:
        key = keys[shard][n]
        return {"PartitionKey": key, "Data": bytes([65 + n]) * (size - len(key))}

    records = [record(HOT, 0, 600), record(COLD, 0, 450), record(HOT, 1, 600),
               record(HOT, 2, 300), record(COLD, 1, 450), record(HOT, 3, 200),
               record(HOT, 4, 100)]
    expected = [HOT, COLD, None, HOT, COLD, None, HOT]
    answer = kinesis.put_records(StreamName=name, Records=records)
    _assert_entries(name, answer, expected)
    _assert_stored(kinesis, name, records, answer)

    # Shard 0's bucket is empty now and refills at 1000 bytes/s: a 1000-byte record needs the
    # whole second, so it is refused now...
    big = record(HOT, 5, 1000)
    with pytest.raises(ClientError) as refused:
        kinesis.put_record(StreamName=name, **big)
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"] == {"Code": "ProvisionedThroughputExceededException",
                              "Message": _rate_message(HOT, name)}
    # ... while shard 1, with 100 bytes left and refilling, takes a small one at once.
    small = record(COLD, 2, 50)
    assert kinesis.put_record(StreamName=name, **small)["ShardId"] == COLD
    # ... and it is accepted once the bucket has refilled.
    def try_put():
        try:
            return kinesis.put_record(StreamName=name, **big)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
            return None

    put = wait_until(try_put, 10, "shard 0 to accept again", interval=0.1)
    assert put["ShardId"] == HOT
    hot, _ = read_shard(kinesis, name, HOT)
    assert [r["Data"] for r in hot] == [records[0]["Data"], records[3]["Data"],
                                        records[6]["Data"], big["Data"]]
    cold, _ = read_shard(kinesis, name, COLD)
    assert [r["Data"] for r in cold] == [records[1]["Data"], records[4]["Data"], small["Data"]]


def test_partial_failure_in_cbor(spated_factory):
    """The Java SDK's encoding: the same per-record answer as a CBOR map, the failed entry
    with ErrorCode and ErrorMessage only."""
    server = spated_factory(extra_args=["--shard-write-records", "2"])
    kinesis = server.client()
    name = "cbor-partial"
    keys = _two_shard_stream(kinesis, name)
    records = [{"PartitionKey": keys[s][i], "Data": b"\x00c%d\xff" % i}
               for i, s in enumerate([HOT, HOT, HOT, COLD, COLD])]
    status, body, ctype = cbor_call(server.endpoint, "PutRecords",
                                    {"StreamName": name, "Records": records})
    assert (status, ctype) == (200, CBOR_CONTENT_TYPE), body
    _assert_entries(name, {**body, "ResponseMetadata": {"HTTPStatusCode": status}},
                    [HOT, HOT, None, COLD, COLD])
    _assert_stored(kinesis, name, records, body)


def test_a_record_over_the_max_record_size_refuses_the_whole_request(spated_factory):
    """One record of 1 MiB + 1 byte (data plus key) among small records for both shards: the
    request fails as a whole with InvalidArgumentException, not as one failed entry, and
    neither shard stores anything of it; with the limit raised by UpdateMaxRecordSize the
    same request is stored whole."""
    server = spated_factory()
    kinesis = server.client()
    name = "too-big"
    keys = _two_shard_stream(kinesis, name)
    big_key = keys[COLD][0]
    records = [{"PartitionKey": keys[HOT][0], "Data": b"small-0"},
               {"PartitionKey": big_key, "Data": b"x" * (1024 * 1024 + 1 - len(big_key))},
               {"PartitionKey": keys[HOT][1], "Data": b"small-2"},
               {"PartitionKey": keys[COLD][1], "Data": b"small-3"}]
    with pytest.raises(ClientError) as refused:
        kinesis.put_records(StreamName=name, Records=records)
    error = refused.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidArgumentException"
    assert error["Error"]["Message"].startswith(
        "Record size 1048577 exceeds the maximum record size of 1024 KiB"), error
    assert "Records" not in refused.value.response
    for shard in (HOT, COLD):
        assert read_shard(kinesis, name, shard)[0] == []

    # UpdateMaxRecordSize is newer than Debian's botocore: a signed raw request.
    assert api(server.endpoint, "UpdateMaxRecordSize", StreamARN=stream_arn(name),
               MaxRecordSizeInKiB=2048) == {}
    answer = kinesis.put_records(StreamName=name, Records=records)
    _assert_entries(name, answer, [HOT, COLD, HOT, COLD])
    _assert_stored(kinesis, name, records, answer)
