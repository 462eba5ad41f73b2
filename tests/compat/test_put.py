"""PutRecord and PutRecords answer as AWS Kinesis does and route records exactly.

Proves: each record goes to the open shard whose HashKeyRange holds MD5(partition key) read as
a big-endian 128-bit integer (ASCII, Unicode and edge-case keys); ExplicitHashKey overrides the
key's hash, including 0 and 2^128-1 and the exact shard boundaries; sequence numbers are
decimal strings, strictly increasing per shard across PutRecord and PutRecords;
SequenceNumberForOrdering is accepted and keeps order; PutRecords answers one result per record
in request order with FailedRecordCount 0; records are stored byte for byte; the limits that
are *legal* (1 MiB record including its key, 256-char key, 500 records, 5 MiB request) pass.
(The illegal side of each limit is in test_errors.py.)
"""

from __future__ import annotations

import os
import random

import pytest

from spate_harness import (
    ACCOUNT_ID,
    MAX_HASH_KEY,
    api,
    expect_error,
    assert_sequence_number,
    b64,
    hash_key,
    read_shard,
    shard_for_key,
    shard_id,
    shard_range,
    wait_active,
)

KEYS = (
    [f"key-{i}" for i in range(150)]
    + ["a", "0", " ", "~", "ключ", "鍵", "🔑emoji", "mixed ключ 鍵 🔑", "x" * 256, "é" * 256,
       "tab\tand\nnewline", '"quoted"', "\\back\\slash", "null", "\u00ff\u0100"]
)


def _shards(kinesis, name):
    return kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]


def test_put_record_routes_by_md5_of_partition_key(kinesis, stream):
    name = stream(shards=5)
    shards = _shards(kinesis, name)
    for key in KEYS:
        out = kinesis.put_record(StreamName=name, Data=key.encode(), PartitionKey=key)
        expected = shard_for_key(shards, hash_key(key))["ShardId"]
        assert out["ShardId"] == expected, f"key {key!r} (hash {hash_key(key)})"
        assert_sequence_number(out["SequenceNumber"])


def test_put_records_routes_by_md5_and_keeps_request_order(kinesis, stream):
    name = stream(shards=7)
    shards = _shards(kinesis, name)
    entries = [{"Data": f"payload-{i}".encode(), "PartitionKey": k} for i, k in enumerate(KEYS)]
    out = kinesis.put_records(StreamName=name, Records=entries)
    assert out["FailedRecordCount"] == 0
    assert len(out["Records"]) == len(entries)
    for entry, result in zip(entries, out["Records"]):
        assert "ErrorCode" not in result, result
        assert result["ShardId"] == shard_for_key(shards, hash_key(entry["PartitionKey"]))["ShardId"]
        assert_sequence_number(result["SequenceNumber"])

    # Request order = sequence order within each shard, and reading back gives the same pairing.
    by_shard: dict[str, list[tuple[int, bytes]]] = {}
    for entry, result in zip(entries, out["Records"]):
        by_shard.setdefault(result["ShardId"], []).append(
            (int(result["SequenceNumber"]), entry["Data"]))
    for sid, expected in by_shard.items():
        seqs = [s for s, _ in expected]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), sid
        records, _ = read_shard(kinesis, name, sid)
        assert [(int(r["SequenceNumber"]), r["Data"]) for r in records] == expected


def test_put_records_raw_json_shape(endpoint, stream):
    name = stream(shards=2)
    body = api(endpoint, "PutRecords", StreamName=name, Records=[
        {"Data": b64(b"one"), "PartitionKey": "a"},
        {"Data": b64(b"two"), "PartitionKey": "b"},
    ])
    assert body["FailedRecordCount"] == 0
    assert len(body["Records"]) == 2
    for r in body["Records"]:
        assert set(r) >= {"SequenceNumber", "ShardId"}
        assert "ErrorCode" not in r and "ErrorMessage" not in r
    single = api(endpoint, "PutRecord", StreamName=name, Data=b64(b"x"), PartitionKey="a")
    assert set(single) >= {"ShardId", "SequenceNumber"}
    assert single.get("EncryptionType", "NONE") == "NONE"


def test_explicit_hash_key_overrides_partition_key(kinesis, stream):
    name = stream(shards=4)
    shards = _shards(kinesis, name)
    probes = [0, 1, MAX_HASH_KEY, MAX_HASH_KEY - 1]
    for s in shards:
        lo, hi = shard_range(s)
        probes += [lo, hi, (lo + hi) // 2]
    for key in probes:
        # The partition key hashes somewhere else entirely; ExplicitHashKey must win.
        out = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="same-key",
                                 ExplicitHashKey=str(key))
        assert out["ShardId"] == shard_for_key(shards, key)["ShardId"], key

    entries = [{"Data": b"y", "PartitionKey": "same-key", "ExplicitHashKey": str(k)}
               for k in probes]
    out = kinesis.put_records(StreamName=name, Records=entries)
    assert out["FailedRecordCount"] == 0
    assert [r["ShardId"] for r in out["Records"]] == [
        shard_for_key(shards, k)["ShardId"] for k in probes]


def test_sequence_numbers_strictly_increase_per_shard(kinesis, stream):
    name = stream(shards=3)
    last: dict[str, int] = {}
    seen: set[int] = set()
    rng = random.Random(7)
    for i in range(60):
        if i % 3 == 0:
            batch = [{"Data": os.urandom(8), "PartitionKey": f"k{rng.randrange(30)}"}
                     for _ in range(rng.randrange(1, 20))]
            results = kinesis.put_records(StreamName=name, Records=batch)["Records"]
        else:
            results = [kinesis.put_record(StreamName=name, Data=b"r",
                                          PartitionKey=f"k{rng.randrange(30)}")]
        for r in results:
            seq = assert_sequence_number(r["SequenceNumber"])
            assert seq not in seen, "a sequence number was handed out twice in one stream"
            seen.add(seq)
            if r["ShardId"] in last:
                assert seq > last[r["ShardId"]], "sequence numbers went backwards in a shard"
            last[r["ShardId"]] = seq


def test_sequence_number_for_ordering(kinesis, stream):
    name = stream(shards=2)
    first = kinesis.put_record(StreamName=name, Data=b"1", PartitionKey="ordered")
    previous = first["SequenceNumber"]
    for i in range(2, 12):
        out = kinesis.put_record(StreamName=name, Data=str(i).encode(), PartitionKey="ordered",
                                 SequenceNumberForOrdering=previous)
        assert out["ShardId"] == first["ShardId"]
        assert int(out["SequenceNumber"]) > int(previous)
        previous = out["SequenceNumber"]
    records, _ = read_shard(kinesis, name, first["ShardId"])
    assert [r["Data"] for r in records] == [str(i).encode() for i in range(1, 12)]


@pytest.mark.parametrize("plain", ["0", "12345", str(2**124 - 1)])
def test_sequence_number_for_ordering_takes_old_layout_numbers(kinesis, stream, plain):
    """AWS reads a decimal below 2^124 as a sequence number of its oldest layout and takes it
    (kinesalite's tests, run against AWS, put with "0" and small numbers)."""
    name = stream(shards=1)
    put = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k",
                             SequenceNumberForOrdering=plain)
    assert_sequence_number(put["SequenceNumber"])


@pytest.mark.parametrize("bogus", [str(2**124), "9" * 56, "1" + "0" * 128])
def test_sequence_number_for_ordering_must_be_a_real_number(endpoint, stream, bogus):
    """A SequenceNumberForOrdering the server never issued, at or above 2^124, is refused, as
    AWS refuses it."""
    name = stream(shards=1)
    msg = expect_error(endpoint, "PutRecord", {"StreamName": name, "PartitionKey": "k",
                                               "Data": "AA==",
                                               "SequenceNumberForOrdering": bogus},
                       "InvalidArgumentException")
    assert msg == (f"ExclusiveMinimumSequenceNumber {bogus} used in PutRecord on stream {name} "
                   f"under account 000000000000 is invalid.")


def test_data_is_stored_byte_for_byte(kinesis, stream):
    name = stream(shards=1)
    payloads = [bytes(range(256)), b"", b"\x00" * 1000, b"\xff\xfe\xfd", os.urandom(4096),
                "unicode ✓ ключ".encode(), b"=" * 3, b"+/+/"]
    for p in payloads:
        kinesis.put_record(StreamName=name, Data=p, PartitionKey="bytes")
    records, _ = read_shard(kinesis, name, shard_id(0))
    assert [r["Data"] for r in records] == payloads
    assert all(r["PartitionKey"] == "bytes" for r in records)


def test_largest_legal_record_and_key(kinesis, stream):
    """1 MiB per record counts data + partition key: 1 MiB - 256 bytes of data with a
    256-char key is legal, and so is 1 MiB - 1 byte of data with a 1-char key."""
    name = stream(shards=1)
    key = "k" * 256
    big = os.urandom(1024 * 1024 - 256)
    kinesis.put_record(StreamName=name, Data=big, PartitionKey=key)
    almost = os.urandom(1024 * 1024 - 1)
    kinesis.put_records(StreamName=name, Records=[{"Data": almost, "PartitionKey": "k"}])
    records, _ = read_shard(kinesis, name, shard_id(0), limit=1)
    assert [r["Data"] for r in records] == [big, almost]
    assert [r["PartitionKey"] for r in records] == [key, "k"]


def test_put_records_500_records_and_5_mib(kinesis, stream):
    name = stream(shards=2)
    entries = [{"Data": os.urandom(10), "PartitionKey": f"pk{i}"} for i in range(500)]
    out = kinesis.put_records(StreamName=name, Records=entries)
    assert out["FailedRecordCount"] == 0 and len(out["Records"]) == 500

    # Exactly 5 MiB of data + keys in one request (5 records of 1 MiB incl. the 1-char key).
    five = [{"Data": os.urandom(1024 * 1024 - 1), "PartitionKey": str(i)} for i in range(5)]
    out = kinesis.put_records(StreamName=name, Records=five)
    assert out["FailedRecordCount"] == 0 and len(out["Records"]) == 5


def test_put_record_via_stream_with_many_keys_spreads_over_all_shards(kinesis, stream):
    name = stream(shards=4)
    used = {kinesis.put_record(StreamName=name, Data=b".", PartitionKey=f"spread-{i}")["ShardId"]
            for i in range(64)}
    assert used == {shard_id(i) for i in range(4)}


@pytest.mark.parametrize("shards", [1, 3])
def test_every_record_is_readable_from_its_shard(kinesis, stream, shards):
    name = stream(shards=shards)
    sent = {}
    for i in range(40):
        out = kinesis.put_record(StreamName=name, Data=f"d{i}".encode(), PartitionKey=f"p{i}")
        sent[out["SequenceNumber"]] = (out["ShardId"], f"p{i}", f"d{i}".encode())
    got = {}
    for i in range(shards):
        records, _ = read_shard(kinesis, name, shard_id(i))
        for r in records:
            got[r["SequenceNumber"]] = (shard_id(i), r["PartitionKey"], r["Data"])
    assert got == sent


def test_throttled_records_fail_one_by_one_on_the_wire(spated_factory):
    """With a per-shard write limit (--shard-write-records 500, a spated flag), one PutRecords of
    1,000 records to one shard partly fails: HTTP 200, FailedRecordCount equal to the entries
    that carry ErrorCode ProvisionedThroughputExceededException and AWS's message naming the
    shard, stream and account, no SequenceNumber on those; every other entry is stored, and
    only those are read back, byte for byte. Read here with boto3, not our own client."""
    server = spated_factory(extra_args=["--shard-write-records", "500"])
    kinesis = server.client()
    kinesis.create_stream(StreamName="limited", ShardCount=1)
    wait_active(kinesis, "limited")
    records = [{"PartitionKey": f"k{i}", "Data": b"r%04d" % i} for i in range(500)]
    answers = []
    for _ in range(2):
        out = kinesis.put_records(StreamName="limited", Records=records)
        assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert len(out["Records"]) == len(records)
        failed = [r for r in out["Records"] if "ErrorCode" in r]
        assert out["FailedRecordCount"] == len(failed)
        answers.append(out["Records"])
    every = answers[0] + answers[1]
    failed = [r for r in every if "ErrorCode" in r]
    assert 0 < len(failed) < len(every), "the limit must refuse some of 1,000 records, not all"
    for r in failed:
        assert r["ErrorCode"] == "ProvisionedThroughputExceededException"
        assert r["ErrorMessage"] == (f"Rate exceeded for shard {shard_id(0)} in stream limited "
                                     f"under account {ACCOUNT_ID}.")
        assert "SequenceNumber" not in r and "ShardId" not in r
    stored = []
    for entry, answer in zip(records + records, every):
        if "ErrorCode" not in answer:
            assert answer["ShardId"] == shard_id(0)
            assert_sequence_number(answer["SequenceNumber"])
            stored.append((answer["SequenceNumber"], entry["Data"]))
    got, _ = read_shard(kinesis, "limited", shard_id(0))
    assert [(r["SequenceNumber"], r["Data"]) for r in got] == stored
