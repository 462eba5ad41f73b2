"""Everything spated acknowledged survives a restart, byte for byte, with the same numbers.

Proves, for a graceful stop (SIGTERM, exit code 0) and for a crash (SIGKILL) in each fsync
mode (and both group syncs of batch): after restarting on the same data directory and port, every acknowledged record
(binary data of many sizes, Unicode partition keys) is read back from the shard it was acked
on, with its sequence number, partition key and data unchanged and in the same order; the
catalog survives too (shards, hash ranges, starting sequence numbers, closed parents and their
children after a split, ChildShards at the end of the parent, retention, tags, stream mode);
shard iterators issued before a restart keep working; records written after the restart get
sequence numbers larger than every earlier one in their shard; a stream deleted before the
restart stays deleted; reads and lookups across many small log segments survive a crash; and
streams caught mid-transition (CREATING, DELETING, UPDATING) finish it after a restart.
"""

from __future__ import annotations

import base64
import os
import random
import time

import pytest

from spate_harness import (
    ServerError,
    api,
    signed_call,
    list_all_shards,
    read_shard,
    shard_id,
    stream_arn,
    wait_active,
)


def _payloads(rng: random.Random, count: int):
    sizes = [0, 1, 2, 3, 100, 1000, 4096, 65_536, 200_000]
    for i in range(count):
        size = sizes[i % len(sizes)] if i % 7 == 0 else rng.randrange(1, 600)
        key = rng.choice(["k", "ключ", "鍵-🔑", f"key-{i % 97}", "x" * 256])
        yield key, rng.randbytes(size)


def _write(kinesis, name, rng, count, use_batches=True):
    """Writes `count` records; returns {sequence number: (shard, key, data)} as acknowledged."""
    acked = {}
    items = list(_payloads(rng, count))
    i = 0
    while i < len(items):
        if use_batches and rng.random() < 0.7:
            n = rng.randrange(1, 120)
            batch = items[i:i + n]
            out = kinesis.put_records(StreamName=name, Records=[
                {"PartitionKey": k, "Data": d} for k, d in batch])
            assert out["FailedRecordCount"] == 0
            for (k, d), r in zip(batch, out["Records"]):
                acked[r["SequenceNumber"]] = (r["ShardId"], k, d)
            i += len(batch)
        else:
            k, d = items[i]
            r = kinesis.put_record(StreamName=name, PartitionKey=k, Data=d)
            acked[r["SequenceNumber"]] = (r["ShardId"], k, d)
            i += 1
    return acked


def _read_all(kinesis, name):
    """{sequence number: (shard, key, data)} over every shard, checking order per shard."""
    got = {}
    for s in list_all_shards(kinesis, name):
        records, _ = read_shard(kinesis, name, s["ShardId"], limit=2000)
        seqs = [int(r["SequenceNumber"]) for r in records]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), s["ShardId"]
        for r in records:
            assert r["SequenceNumber"] not in got
            got[r["SequenceNumber"]] = (s["ShardId"], r["PartitionKey"], r["Data"])
    return got


def _catalog(kinesis, endpoint, name):
    shards = list_all_shards(kinesis, name)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    tags = kinesis.list_tags_for_stream(StreamName=name)["Tags"]
    raw = api(endpoint, "DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]
    return {
        "shards": shards,
        "retention": summary["RetentionPeriodHours"],
        "mode": summary["StreamModeDetails"],
        "open": summary["OpenShardCount"],
        "created": raw["StreamCreationTimestamp"],
        "arn": summary["StreamARN"],
        "tags": tags,
    }


def _max_seq_per_shard(records):
    out = {}
    for seq, (sid, _, _) in records.items():
        out[sid] = max(out.get(sid, 0), int(seq))
    return out


def _setup_streams(kinesis):
    """Three streams: 'main' (3 shards, one split, tags, 48 h), 'ondemand', 'doomed'."""
    kinesis.create_stream(StreamName="main", ShardCount=3)
    kinesis.create_stream(StreamName="ondemand", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    kinesis.create_stream(StreamName="doomed", ShardCount=1)
    for n in ("main", "ondemand", "doomed"):
        wait_active(kinesis, n)
    kinesis.add_tags_to_stream(StreamName="main", Tags={"team": "data", "empty": ""})
    kinesis.increase_stream_retention_period(StreamName="main", RetentionPeriodHours=48)


def _check_after_restart(kinesis, endpoint, acked, catalog_before):
    assert _catalog(kinesis, endpoint, "main") == catalog_before
    got = _read_all(kinesis, "main")
    missing = set(acked) - set(got)
    assert not missing, f"{len(missing)} acknowledged records are gone, e.g. {sorted(missing)[:3]}"
    for seq, want in acked.items():
        assert got[seq] == want, f"record {seq} changed across the restart"
    return got


# Under batch, rounds that cover several shards sync the file system at once (--group-sync
# volume, the default) or each log file (file).
@pytest.mark.parametrize("fsync,group_sync", [("batch", "volume"), ("batch", "file"),
                                              ("always", None), ("never", None)])
def test_restart_keeps_everything(spated_factory, fsync, group_sync):
    server = spated_factory(fsync=fsync,
                            extra_args=["--group-sync", group_sync] if group_sync else [])
    kinesis = server.client()
    rng = random.Random(f"restart-{fsync}")
    _setup_streams(kinesis)
    acked = _write(kinesis, "main", rng, 900)
    kinesis.split_shard(StreamName="main", ShardToSplit=shard_id(1),
                        NewStartingHashKey=str(2**127))
    wait_active(kinesis, "main")
    acked.update(_write(kinesis, "main", rng, 600))
    od = kinesis.put_record(StreamName="ondemand", Data=b"od", PartitionKey="k")
    kinesis.delete_stream(StreamName="doomed")
    kinesis.get_waiter("stream_not_exists").wait(StreamName="doomed", WaiterConfig={"Delay": 1})
    assert _read_all(kinesis, "main") == acked  # sanity before any restart
    before = _catalog(kinesis, endpoint=server.endpoint, name="main")
    assert len(before["shards"]) == 5

    # 1. Graceful stop.
    server.stop()  # asserts exit code 0
    server.start()
    kinesis = server.client()
    got = _check_after_restart(kinesis, server.endpoint, acked, before)
    assert got == acked  # nothing unacknowledged was ever written here
    assert sorted(kinesis.list_streams()["StreamNames"]) == ["main", "ondemand"]
    assert kinesis.describe_stream_summary(StreamName="ondemand")["StreamDescriptionSummary"][
        "StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    rec, _ = read_shard(kinesis, "ondemand", od["ShardId"])
    assert [(r["SequenceNumber"], r["Data"]) for r in rec] == [(od["SequenceNumber"], b"od")]

    # The split parent still ends in ChildShards after the restart.
    it = kinesis.get_shard_iterator(StreamName="main", ShardId=shard_id(1),
                                    ShardIteratorType="LATEST")["ShardIterator"]
    end = kinesis.get_records(ShardIterator=it)
    assert end.get("NextShardIterator") is None
    assert sorted(c["ShardId"] for c in end["ChildShards"]) == [shard_id(3), shard_id(4)]

    # New writes continue above every earlier number of their shard.
    high = _max_seq_per_shard(acked)
    fresh = _write(kinesis, "main", rng, 300)
    for seq, (sid, _, _) in fresh.items():
        assert int(seq) > high.get(sid, 0), f"{sid}: {seq} is not above {high.get(sid)}"
    acked.update(fresh)

    # 2. Crash.
    server.kill()
    server.start()
    kinesis = server.client()
    got = _check_after_restart(kinesis, server.endpoint, acked, before)
    assert got == acked
    high = _max_seq_per_shard(acked)
    fresh = _write(kinesis, "main", rng, 200)
    for seq, (sid, _, _) in fresh.items():
        assert int(seq) > high.get(sid, 0)
    acked.update(fresh)

    # 3. Crash right after writing, then a graceful stop, then read once more.
    server.kill()
    server.start()
    server.stop()
    server.start()
    assert _read_all(server.client(), "main") == acked


def test_resuming_after_a_restart(spated_factory):
    """A consumer resumes across a restart: an iterator issued before it keeps working (its
    lifetime is 5 minutes, restarts or not), and AT/AFTER_SEQUENCE_NUMBER iterators taken
    after it start exactly where they did before."""
    server = spated_factory()
    kinesis = server.client()
    kinesis.create_stream(StreamName="resume", ShardCount=1)
    wait_active(kinesis, "resume")
    seqs = [kinesis.put_record(StreamName="resume", Data=b"%d" % i, PartitionKey="k")[
        "SequenceNumber"] for i in range(20)]
    held = kinesis.get_records(ShardIterator=kinesis.get_shard_iterator(
        StreamName="resume", ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"], Limit=5)["NextShardIterator"]
    server.stop()
    server.start()
    kinesis = server.client()
    got = kinesis.get_records(ShardIterator=held)["Records"]
    assert [r["SequenceNumber"] for r in got] == seqs[5:]
    it = kinesis.get_shard_iterator(StreamName="resume", ShardId=shard_id(0),
                                    ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                    StartingSequenceNumber=seqs[9])["ShardIterator"]
    got = kinesis.get_records(ShardIterator=it)["Records"]
    assert [r["SequenceNumber"] for r in got] == seqs[10:]
    assert [r["Data"] for r in got] == [b"%d" % i for i in range(10, 20)]
    # LATEST after the restart sees only new records.
    it = kinesis.get_shard_iterator(StreamName="resume", ShardId=shard_id(0),
                                    ShardIteratorType="LATEST")["ShardIterator"]
    kinesis.put_record(StreamName="resume", Data=b"new", PartitionKey="k")
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=it)["Records"]] == [b"new"]


def test_restart_with_empty_and_untouched_streams(spated_factory):
    server = spated_factory()
    kinesis = server.client()
    kinesis.create_stream(StreamName="empty", ShardCount=2)
    wait_active(kinesis, "empty")
    before = list_all_shards(kinesis, "empty")
    server.kill()
    server.start()
    kinesis = server.client()
    assert list_all_shards(kinesis, "empty") == before
    for s in before:
        records, _ = read_shard(kinesis, "empty", s["ShardId"])
        assert records == []
    assert api(server.endpoint, "DescribeStreamSummary",
               StreamARN=stream_arn("empty"))["StreamDescriptionSummary"]["OpenShardCount"] == 2


def test_stop_and_start_many_times(spated_factory):
    """Ten quick restarts (alternating SIGTERM and SIGKILL), one record each: all there."""
    server = spated_factory()
    kinesis = server.client()
    kinesis.create_stream(StreamName="often", ShardCount=1)
    wait_active(kinesis, "often")
    acked = []
    for i in range(10):
        r = kinesis.put_record(StreamName="often", Data=os.urandom(32) + bytes([i]),
                               PartitionKey="k")
        acked.append(r["SequenceNumber"])
        if i % 2:
            server.kill()
        else:
            server.stop()
        server.start()
        kinesis = server.client()
    records, _ = read_shard(kinesis, "often", shard_id(0))
    assert [r["SequenceNumber"] for r in records] == acked


def test_many_small_segments_across_restarts(spated_factory):
    """With 64 KiB log segments (--segment-size, a spated flag beyond the basic contract) a
    shard spans dozens of segment files: reads that cross segment boundaries, lookups of any
    sequence number and AT_TIMESTAMP all work, before and after a crash."""
    server = spated_factory(extra_args=["--segment-size", "65536"])
    kinesis = server.client()
    kinesis.create_stream(StreamName="segs", ShardCount=1)
    wait_active(kinesis, "segs")
    rng = random.Random(99)
    acked = []
    stamps = []
    for batch_no in range(12):
        batch = [{"PartitionKey": "k", "Data": rng.randbytes(rng.randrange(100, 3000))}
                 for _ in range(100)]
        out = kinesis.put_records(StreamName="segs", Records=batch)
        acked += [(r["SequenceNumber"], e["Data"]) for e, r in zip(batch, out["Records"])]
        stamps.append(time.time())
        time.sleep(0.02)
    segment_files = [p for p in server.data_dir.rglob("*") if p.is_file()]
    assert len(segment_files) > 20, "expected the shard to span many files"

    def check(kinesis):
        records, _ = read_shard(kinesis, "segs", shard_id(0), limit=333)
        assert [(r["SequenceNumber"], r["Data"]) for r in records] == acked
        for k in rng.sample(range(len(acked)), 25):
            it = kinesis.get_shard_iterator(StreamName="segs", ShardId=shard_id(0),
                                            ShardIteratorType="AT_SEQUENCE_NUMBER",
                                            StartingSequenceNumber=acked[k][0])["ShardIterator"]
            got = kinesis.get_records(ShardIterator=it, Limit=3)["Records"]
            assert [(r["SequenceNumber"], r["Data"]) for r in got] == acked[k:k + 3], k
        for b in (3, 7):
            it = api(server.endpoint, "GetShardIterator", StreamName="segs", ShardId=shard_id(0),
                     ShardIteratorType="AT_TIMESTAMP", Timestamp=stamps[b])["ShardIterator"]
            got = kinesis.get_records(ShardIterator=it, Limit=1)["Records"]
            assert got and got[0]["SequenceNumber"] == acked[(b + 1) * 100][0], b

    check(kinesis)
    server.kill()
    server.start()
    check(server.client())


def test_restart_in_the_middle_of_state_transitions(spated_factory):
    """A stream CREATING, one DELETING and one UPDATING when the server crashes finish their
    transitions after the restart (as if the delay had passed) instead of sticking."""
    server = spated_factory(create_stream_ms=3000, delete_stream_ms=3000, update_stream_ms=3000)
    kinesis = server.client()
    kinesis.create_stream(StreamName="gone", ShardCount=1)
    kinesis.create_stream(StreamName="grows", ShardCount=1)
    wait_active(kinesis, "gone")
    wait_active(kinesis, "grows")
    kinesis.put_record(StreamName="grows", Data=b"before", PartitionKey="k")
    kinesis.delete_stream(StreamName="gone")
    kinesis.update_shard_count(StreamName="grows", TargetShardCount=2,
                               ScalingType="UNIFORM_SCALING")
    kinesis.create_stream(StreamName="born", ShardCount=2)
    states = {n: kinesis.describe_stream_summary(StreamName=n)["StreamDescriptionSummary"][
        "StreamStatus"] for n in ("gone", "grows", "born")}
    assert states == {"gone": "DELETING", "grows": "UPDATING", "born": "CREATING"}
    server.kill()
    server.start()
    kinesis = server.client()
    kinesis.get_waiter("stream_not_exists").wait(StreamName="gone", WaiterConfig={"Delay": 1})
    wait_active(kinesis, "born")
    wait_active(kinesis, "grows")
    assert kinesis.describe_stream_summary(StreamName="born")["StreamDescriptionSummary"][
        "OpenShardCount"] == 2
    assert kinesis.describe_stream_summary(StreamName="grows")["StreamDescriptionSummary"][
        "OpenShardCount"] == 2
    assert sorted(kinesis.list_streams()["StreamNames"]) == ["born", "grows"]
    records, _ = read_shard(kinesis, "grows", shard_id(0))
    assert [r["Data"] for r in records] == [b"before"]


def _single_shard_with_markers(server, count):
    """A one-shard stream holding `count` records whose data start with a findable marker."""
    kinesis = server.client()
    kinesis.create_stream(StreamName="disk", ShardCount=1)
    wait_active(kinesis, "disk")
    acked = []
    for i in range(count):
        data = b"MARK-%05d-" % i + bytes([i % 251]) * 200
        r = kinesis.put_record(StreamName="disk", Data=data, PartitionKey="k")
        acked.append((r["SequenceNumber"], data))
    segments = sorted(server.data_dir.rglob("*.seg"))
    assert segments, f"no .seg files under {server.data_dir}"
    return acked, segments


def _read_disk(server):
    records, _ = read_shard(server.client(), "disk", shard_id(0))
    return [(r["SequenceNumber"], r["Data"]) for r in records]


@pytest.mark.parametrize("damage", ["truncate", "zeros", "garbage"])
@pytest.mark.parametrize("how", ["stop", "kill"])
def test_torn_or_padded_tail_is_end_of_log(spated_factory, damage, how):
    """What a power loss leaves at the end of the active segment (a torn last record, zeroed
    preallocated space, or junk) is the end of the log, not corruption: the server starts and
    serves every intact record, and new writes continue after them."""
    server = spated_factory()
    acked, segments = _single_shard_with_markers(server, 60)
    getattr(server, how)()
    active = segments[-1]
    raw = active.read_bytes()
    last = raw.rfind(b"MARK-%05d-" % 59)
    assert last > 0
    if damage == "truncate":
        active.write_bytes(raw[: last + 50])  # cuts the last record's frame in half
        expected = acked[:-1]
    elif damage == "zeros":
        active.write_bytes(raw + bytes(4096))
        expected = acked
    else:
        active.write_bytes(raw + random.Random(5).randbytes(777))
        expected = acked
    server.start()
    assert _read_disk(server) == expected
    new = server.client().put_record(StreamName="disk", Data=b"after", PartitionKey="k")
    assert int(new["SequenceNumber"]) > int(expected[-1][0])
    assert _read_disk(server) == expected + [(new["SequenceNumber"], b"after")]
    server.stop()
    server.start()
    assert _read_disk(server) == expected + [(new["SequenceNumber"], b"after")]


def _damage_record(segment, index):
    """Flips one byte inside the data of the record whose marker is `index`."""
    raw = bytearray(segment.read_bytes())
    at = raw.find(b"MARK-%05d-" % index)
    assert at > 0, f"record {index} is not in {segment}"
    raw[at + 100] ^= 0xFF
    segment.write_bytes(bytes(raw))


def _read_until_refused(server):
    """Reads the shard from TRIM_HORIZON until a GetRecords answer is an error; returns the
    records read and the error (None if the end was reached without one)."""
    kinesis = server.client()
    it = kinesis.get_shard_iterator(
        StreamName="disk", ShardId=shard_id(0), ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    got = []
    for _ in range(100):
        status, body = signed_call(
            server.endpoint, "GetRecords", {"ShardIterator": it, "Limit": 25}
        )
        if status != 200:
            return got, (status, body)
        got += [(r["SequenceNumber"], base64.b64decode(r["Data"])) for r in body["Records"]]
        if not body["Records"] and body.get("MillisBehindLatest") == 0:
            return got, None
        it = body["NextShardIterator"]
    raise AssertionError(f"no end and no error after 100 reads ({len(got)} records)")


def test_corruption_found_by_recovery_cuts_the_active_segment_there(spated_factory):
    """A flipped byte in an older record of the active segment, found by the scan of an
    unclean restart (SIGKILL: the active segment has no index file): recovery reports it with
    the file and offset and cuts the segment there, since after a power loss the unsynced end of
    the active segment may hold a lost page before pages that survived
    (docs/format/segment_format.md). The server serves exactly the records before the damaged
    one, never its bytes and never anything after it, and new records get positions past every
    one the cut-away bytes held."""
    server = spated_factory()
    acked, segments = _single_shard_with_markers(server, 60)
    server.kill()
    assert len(segments) == 1, "the damage must fall in the active segment"
    _damage_record(segments[0], 30)
    server.start()
    log = server.log_path.read_text(errors="replace")
    assert f"corruption in {segments[0]} at offset" in log, server.log_tail()
    assert _read_disk(server) == acked[:30]
    new = server.client().put_record(StreamName="disk", Data=b"after", PartitionKey="k")
    assert int(new["SequenceNumber"]) > int(acked[-1][0]), "a cut-away position was reused"
    assert _read_disk(server) == acked[:30] + [(new["SequenceNumber"], b"after")]


@pytest.mark.parametrize("where", ["active", "sealed"])
def test_corruption_behind_a_trusted_index_is_served_up_to_and_refused_at(spated_factory, where):
    """A flipped byte in a record of a segment whose index file a clean stop wrote (so the
    restart trusts it and scans nothing, as it does for every sealed segment): the server starts
    and serves every record before the damaged one, and the read that reaches it is answered
    500 InternalFailure naming the shard and the corruption, every time: the damaged bytes are
    never served and the records after them are never served around them."""
    extra = ["--segment-size", "65536"] if where == "sealed" else []
    server = spated_factory(extra_args=extra)
    count = 600 if where == "sealed" else 60
    acked, _ = _single_shard_with_markers(server, count)
    server.stop()
    segments = sorted(server.data_dir.rglob("*.seg"))
    if where == "sealed":
        assert len(segments) >= 3, "the damage must fall in a sealed segment"
    else:
        assert len(segments) == 1
    assert all(seg.with_suffix(".idx").exists() for seg in segments)
    _damage_record(segments[0], 30)
    server.start()
    for _ in range(2):
        got, error = _read_until_refused(server)
        assert got == acked[:30]
        assert error is not None, "the read went past the damaged record"
        status, body = error
        assert status == 500 and body["__type"] == "InternalFailure", error
        assert "reading shardId-000000000000 at position" in body["message"], error
        assert "corrupt record frame" in body["message"], error
    assert server.running()


def test_corruption_in_a_sealed_segment_without_its_index_refuses_to_start(spated_factory):
    """A flipped byte in a sealed segment whose index file is gone, so the restart scans it:
    a sealed segment was synced whole when it was sealed, so no crash explains damage before
    its end. spated refuses to start rather than serve around the hole, and its log names the
    file and the offset."""
    server = spated_factory(extra_args=["--segment-size", "65536"])
    _single_shard_with_markers(server, 600)
    server.stop()
    segments = sorted(server.data_dir.rglob("*.seg"))
    assert len(segments) >= 3, "the damage must fall in a sealed segment"
    _damage_record(segments[0], 30)
    segments[0].with_suffix(".idx").unlink()
    with pytest.raises(ServerError, match="before /healthz answered"):
        server.start()
    assert not server.running()
    log = server.log_path.read_text(errors="replace")
    assert f"corruption in {segments[0]} at offset" in log, server.log_tail()
