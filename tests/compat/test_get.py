"""GetShardIterator and GetRecords answer as AWS Kinesis does.

Proves: the five iterator types (TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER,
AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP) start where AWS starts; GetRecords honours Limit, chains
through NextShardIterator (present on an open shard even when nothing is new), reports
MillisBehindLatest (0 when caught up) and ApproximateArrivalTimestamp (near the put time,
non-decreasing), returns data byte for byte including binary and empty payloads, caps a
response at 10 MiB, and an iterator can be used more than once; readers tailing shards while
writers append see every acknowledged record exactly once and in order. Raw JSON shapes are
checked too (base64 Data, number timestamps).
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import random
import threading
import time

from spate_harness import (
    api,
    assert_sequence_number,
    read_shard,
    shard_id,
    wait_until,
)


def _put_many(kinesis, name, n, key="k", prefix=b"rec-"):
    out = []
    for i in range(n):
        r = kinesis.put_record(StreamName=name, Data=prefix + str(i).encode(), PartitionKey=key)
        out.append(r)
    return out


def _iterator(kinesis, name, shard, type_, **kw):
    return kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType=type_,
                                      **kw)["ShardIterator"]


def test_trim_horizon_reads_everything_in_order(kinesis, stream):
    name = stream(shards=1)
    puts = _put_many(kinesis, name, 25)
    it = _iterator(kinesis, name, shard_id(0), "TRIM_HORIZON")
    assert isinstance(it, str) and 1 <= len(it) <= 512
    resp = kinesis.get_records(ShardIterator=it)
    assert [r["SequenceNumber"] for r in resp["Records"]] == [p["SequenceNumber"] for p in puts]
    assert [r["Data"] for r in resp["Records"]] == [b"rec-%d" % i for i in range(25)]
    assert all(r["PartitionKey"] == "k" for r in resp["Records"])
    assert resp["MillisBehindLatest"] == 0
    assert resp["NextShardIterator"]

    # Caught up: an empty page, still with a next iterator, still 0 behind.
    empty = kinesis.get_records(ShardIterator=resp["NextShardIterator"])
    assert empty["Records"] == [] and empty["NextShardIterator"]
    assert empty["MillisBehindLatest"] == 0

    # New records appear on the next iterator.
    kinesis.put_record(StreamName=name, Data=b"late", PartitionKey="k")
    later = kinesis.get_records(ShardIterator=empty["NextShardIterator"])
    assert [r["Data"] for r in later["Records"]] == [b"late"]


def test_trim_horizon_on_empty_shard(kinesis, stream):
    name = stream(shards=1)
    resp = kinesis.get_records(ShardIterator=_iterator(kinesis, name, shard_id(0), "TRIM_HORIZON"))
    assert resp["Records"] == [] and resp["NextShardIterator"]
    assert resp["MillisBehindLatest"] == 0


def test_latest_sees_only_later_records(kinesis, stream):
    name = stream(shards=1)
    _put_many(kinesis, name, 5, prefix=b"old-")
    it = _iterator(kinesis, name, shard_id(0), "LATEST")
    first = kinesis.get_records(ShardIterator=it)
    assert first["Records"] == []
    _put_many(kinesis, name, 3, prefix=b"new-")
    # The LATEST iterator was fixed when it was issued: it now sees the three new records.
    resp = kinesis.get_records(ShardIterator=it)
    assert [r["Data"] for r in resp["Records"]] == [b"new-0", b"new-1", b"new-2"]


def test_at_and_after_sequence_number(kinesis, stream):
    name = stream(shards=1)
    puts = _put_many(kinesis, name, 10)
    seqs = [p["SequenceNumber"] for p in puts]
    for k in (0, 4, 9):
        at = _iterator(kinesis, name, shard_id(0), "AT_SEQUENCE_NUMBER",
                       StartingSequenceNumber=seqs[k])
        got = kinesis.get_records(ShardIterator=at)["Records"]
        assert [r["SequenceNumber"] for r in got] == seqs[k:]
        after = _iterator(kinesis, name, shard_id(0), "AFTER_SEQUENCE_NUMBER",
                          StartingSequenceNumber=seqs[k])
        got = kinesis.get_records(ShardIterator=after)["Records"]
        assert [r["SequenceNumber"] for r in got] == seqs[k + 1:]


def test_at_sequence_number_of_the_shards_starting_number(kinesis, stream):
    name = stream(shards=1)
    start = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"][0][
        "SequenceNumberRange"]["StartingSequenceNumber"]
    puts = _put_many(kinesis, name, 3)
    it = _iterator(kinesis, name, shard_id(0), "AT_SEQUENCE_NUMBER", StartingSequenceNumber=start)
    got = kinesis.get_records(ShardIterator=it)["Records"]
    assert [r["SequenceNumber"] for r in got] == [p["SequenceNumber"] for p in puts]


def _iterator_at(endpoint, name, shard, when: float) -> str:
    """AT_TIMESTAMP iterator via a raw request: botocore 1.29 truncates request timestamps
    to whole seconds, SDKs in general send fractional epoch seconds."""
    return api(endpoint, "GetShardIterator", StreamName=name, ShardId=shard,
               ShardIteratorType="AT_TIMESTAMP", Timestamp=when)["ShardIterator"]


def test_at_timestamp(kinesis, endpoint, stream):
    name = stream(shards=1)
    t0 = time.time() - 5
    _put_many(kinesis, name, 4, prefix=b"a-")
    time.sleep(0.3)
    middle = time.time()
    time.sleep(0.3)
    _put_many(kinesis, name, 3, prefix=b"b-")

    got = kinesis.get_records(ShardIterator=_iterator_at(endpoint, name, shard_id(0), middle))
    assert [r["Data"] for r in got["Records"]] == [b"b-0", b"b-1", b"b-2"]

    # Before the stream existed: everything (clamped to the trim horizon).
    got = kinesis.get_records(ShardIterator=_iterator_at(endpoint, name, shard_id(0), t0))
    records = got["Records"]
    assert [r["Data"] for r in records] == [b"a-0", b"a-1", b"a-2", b"a-3", b"b-0", b"b-1", b"b-2"]

    # A record's own arrival time includes that record (and nothing older than that time).
    arrival = records[4]["ApproximateArrivalTimestamp"].timestamp()
    got = kinesis.get_records(ShardIterator=_iterator_at(endpoint, name, shard_id(0), arrival))
    assert [r["Data"] for r in got["Records"]] == [b"b-0", b"b-1", b"b-2"]


def test_at_timestamp_with_boto3_whole_seconds(kinesis, stream):
    """boto3 1.29 sends whole seconds; a timestamp well before the records still works."""
    name = stream(shards=1)
    _put_many(kinesis, name, 2)
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=3)
    it = _iterator(kinesis, name, shard_id(0), "AT_TIMESTAMP", Timestamp=when)
    assert len(kinesis.get_records(ShardIterator=it)["Records"]) == 2


def test_limit_and_next_shard_iterator_chain(kinesis, stream):
    name = stream(shards=1)
    puts = _put_many(kinesis, name, 10)
    it = _iterator(kinesis, name, shard_id(0), "TRIM_HORIZON")
    pages = []
    for _ in range(10):
        resp = kinesis.get_records(ShardIterator=it, Limit=3)
        if not resp["Records"]:
            break
        pages.append([r["SequenceNumber"] for r in resp["Records"]])
        assert resp["MillisBehindLatest"] >= 0
        it = resp["NextShardIterator"]
    assert [len(p) for p in pages] == [3, 3, 3, 1]
    assert sum(pages, []) == [p["SequenceNumber"] for p in puts]

    one = kinesis.get_records(ShardIterator=_iterator(kinesis, name, shard_id(0), "TRIM_HORIZON"),
                              Limit=1)
    assert len(one["Records"]) == 1
    big = kinesis.get_records(ShardIterator=_iterator(kinesis, name, shard_id(0), "TRIM_HORIZON"),
                              Limit=10000)
    assert len(big["Records"]) == 10


def test_iterator_can_be_reused(kinesis, stream):
    name = stream(shards=1)
    _put_many(kinesis, name, 4)
    it = _iterator(kinesis, name, shard_id(0), "TRIM_HORIZON")
    a = kinesis.get_records(ShardIterator=it, Limit=2)["Records"]
    b = kinesis.get_records(ShardIterator=it, Limit=2)["Records"]
    assert [r["SequenceNumber"] for r in a] == [r["SequenceNumber"] for r in b]


def test_millis_behind_latest_when_behind(kinesis, stream):
    name = stream(shards=1)
    kinesis.put_record(StreamName=name, Data=b"first", PartitionKey="k")
    time.sleep(1.0)
    for _ in range(3):
        kinesis.put_record(StreamName=name, Data=b"later", PartitionKey="k")
    resp = kinesis.get_records(ShardIterator=_iterator(kinesis, name, shard_id(0), "TRIM_HORIZON"),
                               Limit=1)
    assert [r["Data"] for r in resp["Records"]] == [b"first"]
    # One record read, the tip is ~1 s newer: the reader is behind by about that much.
    assert 500 <= resp["MillisBehindLatest"] <= 60_000, resp["MillisBehindLatest"]
    rest = kinesis.get_records(ShardIterator=resp["NextShardIterator"])
    assert len(rest["Records"]) == 3 and rest["MillisBehindLatest"] == 0


def test_approximate_arrival_timestamp(kinesis, stream):
    name = stream(shards=1)
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    _put_many(kinesis, name, 5)
    time.sleep(0.2)
    _put_many(kinesis, name, 5, prefix=b"second-")
    after = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    records, _ = read_shard(kinesis, name, shard_id(0))
    stamps = [r["ApproximateArrivalTimestamp"] for r in records]
    assert len(stamps) == 10
    assert all(before <= s <= after for s in stamps), (before, stamps, after)
    assert stamps == sorted(stamps)
    assert stamps[5] - stamps[4] >= dt.timedelta(milliseconds=150)


def test_binary_data_round_trip(kinesis, stream):
    name = stream(shards=2)
    payloads = [os.urandom(n) for n in (0, 1, 2, 3, 4, 57, 1000, 65_536, 300_000)]
    payloads.append(bytes(range(256)) * 4)
    sent = []
    for i, p in enumerate(payloads):
        out = kinesis.put_record(StreamName=name, Data=p, PartitionKey=f"bin-{i}")
        sent.append((out["ShardId"], out["SequenceNumber"], p))
    got = {}
    for sid in (shard_id(0), shard_id(1)):
        records, _ = read_shard(kinesis, name, sid)
        for r in records:
            got[r["SequenceNumber"]] = (sid, r["Data"])
    for sid, seq, p in sent:
        assert got[seq] == (sid, p)


def test_get_records_raw_json_shape(endpoint, stream):
    name = stream(shards=1)
    data = bytes(range(256))
    api(endpoint, "PutRecord", StreamName=name, PartitionKey="raw",
        Data=base64.b64encode(data).decode())
    it = api(endpoint, "GetShardIterator", StreamName=name, ShardId=shard_id(0),
             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    body = api(endpoint, "GetRecords", ShardIterator=it)
    assert isinstance(body["MillisBehindLatest"], int)
    assert isinstance(body["NextShardIterator"], str)
    assert "ChildShards" not in body or body["ChildShards"] == []
    (rec,) = body["Records"]
    assert base64.b64decode(rec["Data"]) == data
    assert rec["PartitionKey"] == "raw"
    assert_sequence_number(rec["SequenceNumber"])
    ts = rec["ApproximateArrivalTimestamp"]
    assert isinstance(ts, (int, float)) and abs(ts - time.time()) < 60


def test_reading_many_records_in_pages(kinesis, stream):
    name = stream(shards=1)
    total = 0
    expected = []
    for b in range(6):
        batch = [{"Data": f"{b}:{i}".encode(), "PartitionKey": "bulk"} for i in range(500)]
        kinesis.put_records(StreamName=name, Records=batch)
        expected += [e["Data"] for e in batch]
        total += 500
    records, _ = read_shard(kinesis, name, shard_id(0), limit=1000)
    assert [r["Data"] for r in records] == expected
    seqs = [int(r["SequenceNumber"]) for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == total


def test_get_records_caps_a_response_at_10_mib(kinesis, stream):
    """GetRecords returns at most 10 MiB per call (AWS's limit); the rest follows."""
    name = stream(shards=1)
    blobs = [bytes([i]) * (1024 * 1024 - 1) for i in range(12)]
    for i in range(0, 12, 4):
        out = kinesis.put_records(StreamName=name, Records=[
            {"Data": b, "PartitionKey": "k"} for b in blobs[i:i + 4]])
        assert out["FailedRecordCount"] == 0
    it = _iterator(kinesis, name, shard_id(0), "TRIM_HORIZON")
    first = kinesis.get_records(ShardIterator=it)
    size = sum(len(r["Data"]) + len(r["PartitionKey"]) for r in first["Records"])
    assert 1 <= len(first["Records"]) < 12
    assert size <= 10 * 1024 * 1024
    assert first["MillisBehindLatest"] >= 0
    resp = first
    got = list(first["Records"])
    while True:
        resp = kinesis.get_records(ShardIterator=resp["NextShardIterator"])
        if not resp["Records"]:
            break
        got += resp["Records"]
    assert [r["Data"] for r in got] == blobs


def test_tailing_readers_see_every_record_once_while_writers_write(kinesis, stream):
    """Readers that follow NextShardIterator while three writers append concurrently see
    every acknowledged record exactly once, in sequence order, never a torn one."""
    name = stream(shards=2)
    stop = threading.Event()
    writers_done = threading.Event()  # every acknowledged PutRecords has returned
    acked: dict[str, list[tuple[str, bytes]]] = {shard_id(0): [], shard_id(1): []}
    lock = threading.Lock()
    errors: list[str] = []

    def writer(w: int):
        rng = random.Random(w)
        i = 0
        while not stop.is_set():
            batch = [{"Data": f"{w}:{i + j}:".encode() + rng.randbytes(rng.randrange(0, 200)),
                      "PartitionKey": f"k{rng.randrange(50)}"} for j in range(rng.randrange(1, 30))]
            i += len(batch)
            try:
                out = kinesis.put_records(StreamName=name, Records=batch)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
                return
            with lock:
                for entry, r in zip(batch, out["Records"]):
                    acked[r["ShardId"]].append((r["SequenceNumber"], entry["Data"]))

    seen: dict[str, list[tuple[str, bytes]]] = {shard_id(0): [], shard_id(1): []}

    def reader(sid: str):
        it = kinesis.get_shard_iterator(StreamName=name, ShardId=sid,
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        idle_after_stop = 0
        while idle_after_stop < 2:
            try:
                resp = kinesis.get_records(ShardIterator=it, Limit=37)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
                return
            seen[sid] += [(r["SequenceNumber"], r["Data"]) for r in resp["Records"]]
            it = resp["NextShardIterator"]
            # Stop only once no write is in flight: a batch acked after `stop` is still owed.
            if writers_done.is_set() and not resp["Records"]:
                idle_after_stop += 1

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    readers = [threading.Thread(target=reader, args=(sid,)) for sid in seen]
    for t in writers + readers:
        t.start()

    def acked_counts() -> list[int]:
        with lock:
            return [len(v) for v in acked.values()]

    def written() -> bool:
        if min(acked_counts()) >= 2000:
            return True
        assert any(t.is_alive() for t in writers), f"every writer stopped: {errors}"
        return False

    # The writers go on until each shard holds a fair amount, however slow the machine.
    wait_until(written, 60, lambda: f"2000 acknowledged records per shard, have {acked_counts()}")
    stop.set()
    for t in writers:
        t.join(30)
        assert not t.is_alive(), "a writer hung"
    writers_done.set()
    for t in readers:
        t.join(60)
        assert not t.is_alive(), f"a reader is still reading: {errors}"
    assert not errors, errors
    for sid in seen:
        want = sorted(acked[sid], key=lambda r: int(r[0]))
        assert len(want) > 50, "the writers barely wrote anything"
        got = seen[sid]
        assert [int(s) for s, _ in got] == sorted(int(s) for s, _ in got), f"{sid} out of order"
        assert got == want, f"{sid}: tailing reader saw {len(got)} records, {len(want)} acked"
