"""SIGKILL of spated during SplitShard, MergeShards and UpdateShardCount, with writes in flight.

A writer thread sends PutRecords (boto3, no retries) without pause and keeps a ledger of every
acknowledged record (partition key, data, shard, sequence number, when its request was sent);
records whose request died with the server are "unknown". Each iteration reshards the stream
and SIGKILLs the server at a chosen point, then restarts it on the same port and data
directory (fsync=batch, where an acknowledgement means the record is durable). The kill points
are fixed, not random: right after the reshard call returned, after k more acknowledged
PutRecords (k = 1, 3, 8, 20), and 0 to 50 ms after the reshard request was sent whole, its
answer not read (the operation may or may not have happened then).
With --update-stream-ms the stream is still UPDATING when the server dies (asserted), without
it the transition is immediate. The iterations follow each other on one stream, so the lineage
grows through several crashes.

After every restart:
- lineage: shard ids are unique, every ParentShardId / AdjacentParentShardId names a shard of
  the stream, every parent is closed (has an EndingSequenceNumber) and every closed shard is a
  parent; each closed shard's hash-key range is handed to its children exactly (their ranges,
  cut to the parent's, tile it); the open shards tile 0..2^128-1 with no gap or overlap;
  shards that existed before the iteration are unchanged (ids, ranges, parents, starting and
  ending sequence numbers) except for the ones the operation closes;
- all or nothing: the open shards' ranges are exactly the ones before the operation or the
  ones it makes - the latter whenever the call returned before the kill;
- every acknowledged record is read back exactly once (every shard from TRIM_HORIZON, closed
  shards to their end), on the shard and with the sequence number it was acknowledged with,
  key and data unchanged; unknown records appear at most once and nothing else appears; each
  shard reads in strictly increasing sequence order, a closed shard's records are no later
  than its EndingSequenceNumber, and a record's hash key is in its shard's range;
- a PutRecords sent after the reshard call returned landed on an open shard of the new set,
  never on a closed parent; the stream is ACTIVE again and takes new writes.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from spate_harness import (
    JSON_CONTENT_TYPE,
    TARGET_PREFIX,
    api,
    assert_exact_cover,
    assert_shard_shape,
    even_ranges,
    hash_key,
    is_open,
    kinesis_client,
    list_all_shards,
    read_shard,
    shard_for_key,
    shard_range,
    sign_headers,
    wait_active,
)
from test_crash_durability import Ledger

STREAM = "reshard-crash"
UPDATE_MS = 4000  # long enough that every kill below lands while the stream is UPDATING
BATCH = 8
PUTS_BEFORE = 4  # acknowledged PutRecords before each reshard, so the parents hold records
WAIT_S = 20.0

# (operation, kill point): an int k kills after k PutRecords acknowledged once the reshard
# call returned (0: at once); a float s kills s seconds after the whole request was sent, its
# answer unread (the reshard may or may not have happened: either is allowed).
PLAN = [
    ("split", 0),
    ("merge", 1),
    ("scale_up", 3),
    ("split", 20),
    ("scale_down", 0),
    ("merge", 8),
    ("split", 0.0),
    ("merge", 0.005),
    ("scale_up", 0.05),
    ("split", 0.0),
    ("scale_down", 0.01),
]


class Writer:
    """A thread sending PutRecords of BATCH records until the server dies (or `stopping`)."""

    def __init__(self, endpoint: str, tag: str, ledger: Ledger) -> None:
        self.endpoint = endpoint
        self.tag = tag
        self.ledger = ledger
        self.puts = 0  # acknowledged PutRecords calls
        self.cond = threading.Condition()
        self.stopping = False
        self.ended = False
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> "Writer":
        self.thread.start()
        return self

    def _run(self) -> None:
        client = kinesis_client(self.endpoint)
        n = 0
        try:
            while not self.stopping:
                items = []
                for _ in range(BATCH):
                    # Keys spread over the whole hash-key space, so every shard gets records.
                    items.append((f"pk-{n % 251}", f"{self.tag}/{n}".encode()))
                    n += 1
                sent = time.monotonic()
                try:
                    out = client.put_records(StreamName=STREAM, Records=[
                        {"PartitionKey": k, "Data": d} for k, d in items])
                except BotoCoreError:
                    self.ledger.maybe(items)  # the server died with the request in flight
                    return
                except ClientError as e:
                    self.ledger.maybe(items)
                    self.errors.append(f"PutRecords refused: {e.response.get('Error')}")
                    return
                if out["FailedRecordCount"]:
                    self.errors.append(f"FailedRecordCount {out['FailedRecordCount']}: {out}")
                for (k, d), r in zip(items, out["Records"]):
                    if "SequenceNumber" in r:
                        self.ledger.ack(d, r["ShardId"], r["SequenceNumber"], k, sent)
                    else:
                        self.ledger.maybe([(k, d)])
                with self.cond:
                    self.puts += 1
                    self.cond.notify_all()
        finally:
            with self.cond:
                self.ended = True
                self.cond.notify_all()

    def wait_puts(self, count: int) -> None:
        """Until `count` PutRecords have been acknowledged in all."""
        deadline = time.monotonic() + WAIT_S
        with self.cond:
            while self.puts < count:
                assert not self.ended, f"the writer stopped early: {self.errors}"
                left = deadline - time.monotonic()
                assert left > 0, f"only {self.puts} of {count} PutRecords acknowledged"
                self.cond.wait(left)

    def join(self) -> None:
        self.thread.join(15)
        assert not self.thread.is_alive(), "the writer hung after the server died"
        assert not self.errors, self.errors


# --- the operations: the call to make and the open ranges it must leave ----------------------


def _ranges(shards) -> list[tuple[int, int]]:
    return sorted(shard_range(s) for s in shards)


def plan_op(op: str, open_shards: list[dict]):
    """(action, params, open ranges after it) for `op` on the current open shards."""
    ranges = _ranges(open_shards)
    by_range = {shard_range(s): s["ShardId"] for s in open_shards}
    if op == "split":
        # The widest open shard (the lowest on a tie), at its midpoint.
        lo, hi = max(ranges, key=lambda r: (r[1] - r[0], -r[0]))
        new = lo + (hi - lo) // 2 + 1
        after = [r for r in ranges if r != (lo, hi)] + [(lo, new - 1), (new, hi)]
        params = {"StreamName": STREAM, "ShardToSplit": by_range[(lo, hi)],
                  "NewStartingHashKey": str(new)}
        return "SplitShard", params, sorted(after)
    if op == "merge":
        # The adjacent pair with the narrowest union (the lowest on a tie).
        i = min(range(len(ranges) - 1), key=lambda j: (ranges[j + 1][1] - ranges[j][0], j))
        (lo, mid), (mid1, hi) = ranges[i], ranges[i + 1]
        assert mid1 == mid + 1
        after = ranges[:i] + [(lo, hi)] + ranges[i + 2:]
        params = {"StreamName": STREAM, "ShardToMerge": by_range[ranges[i]],
                  "AdjacentShardToMerge": by_range[ranges[i + 1]]}
        return "MergeShards", params, sorted(after)
    count = len(ranges)
    target = count * 2 if op == "scale_up" else (count + 1) // 2
    params = {"StreamName": STREAM, "TargetShardCount": target, "ScalingType": "UNIFORM_SCALING"}
    return "UpdateShardCount", params, even_ranges(target)


def send_unanswered(server, action: str, params: dict) -> http.client.HTTPConnection:
    """Sends the signed request whole and returns without reading the answer."""
    body = json.dumps(params).encode()
    headers = sign_headers(server.endpoint, body, {
        "Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": f"{TARGET_PREFIX}.{action}"})
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/", body=body, headers=headers)  # returns once the bytes are sent
    return conn


# --- the checks ----------------------------------------------------------------------------


def check_lineage(shards: list[dict]) -> None:
    by_id = {s["ShardId"]: s for s in shards}
    assert len(by_id) == len(shards), "a shard id is listed twice"
    children: dict[str, list[dict]] = {}
    for s in shards:
        assert_shard_shape(s)
        for key in ("ParentShardId", "AdjacentParentShardId"):
            parent = s.get(key)
            if parent is None:
                continue
            assert parent in by_id, f"{s['ShardId']}: {key} {parent} is not a shard of the stream"
            assert parent < s["ShardId"], f"{s['ShardId']} is older than its parent {parent}"
            children.setdefault(parent, []).append(s)
        if s.get("AdjacentParentShardId"):
            assert s.get("ParentShardId"), f"{s['ShardId']}: an adjacent parent without a parent"
            # A merge child covers exactly its two adjacent parents.
            a = shard_range(by_id[s["ParentShardId"]])
            b = shard_range(by_id[s["AdjacentParentShardId"]])
            (lo1, hi1), (lo2, hi2) = sorted([a, b])
            assert hi1 + 1 == lo2, f"{s['ShardId']}: its parents are not adjacent"
            assert shard_range(s) == (lo1, hi2), f"{s['ShardId']} does not cover its parents"
    for parent_id, kids in children.items():
        parent = by_id[parent_id]
        assert not is_open(parent), f"{parent_id} has children but no EndingSequenceNumber"
        # The children's ranges, cut to the parent's, tile the parent's range exactly.
        lo, hi = shard_range(parent)
        cut = sorted((max(lo, a), min(hi, b)) for a, b in map(shard_range, kids))
        assert all(a <= b for a, b in cut), f"a child of {parent_id} is outside its range"
        assert cut[0][0] == lo and cut[-1][1] == hi, f"children of {parent_id}: {cut}"
        for (_, b1), (a2, _) in zip(cut, cut[1:]):
            assert a2 == b1 + 1, f"children of {parent_id} leave a gap or overlap: {cut}"
    for s in shards:
        if not is_open(s):
            assert s["ShardId"] in children, f"{s['ShardId']} is closed but has no child"
    assert_exact_cover([s for s in shards if is_open(s)])


def read_all(kinesis) -> dict[str, list[dict]]:
    """{shard: records} for every shard: closed ones until GetRecords gives no next iterator,
    open ones until an empty page that is not behind (no writer runs meanwhile)."""
    out = {}
    for s in list_all_shards(kinesis, STREAM):
        sid = s["ShardId"]
        out[sid], last = read_shard(kinesis, STREAM, sid, limit=10_000)
        if is_open(s):
            assert last.get("NextShardIterator") is not None, f"open shard {sid} ended"
        else:
            assert last.get("NextShardIterator") is None, f"closed shard {sid} did not end"
    return out


def verify(kinesis, ledger: Ledger, before: list[dict], after_open, op_returned: bool,
           returned_at: float | None) -> tuple[list[dict], bool]:
    """Every check of the docstring after one crash; returns the shards as now listed and
    whether the reshard happened."""
    wait_active(kinesis, STREAM)
    shards = list_all_shards(kinesis, STREAM)
    check_lineage(shards)

    before_open = _ranges([s for s in before if is_open(s)])
    now_open = _ranges([s for s in shards if is_open(s)])
    if op_returned:
        assert now_open == after_open, "the reshard returned but is not there after the crash"
    else:
        assert now_open in (before_open, after_open), f"half a reshard: {now_open}"
    happened = now_open == after_open and now_open != before_open
    by_id = {s["ShardId"]: s for s in shards}
    for old in before:
        now = by_id.get(old["ShardId"])
        assert now is not None, f"{old['ShardId']} disappeared"
        if is_open(old) and not is_open(now):
            assert happened, f"{old['ShardId']} closed though the reshard did not happen"
            now = {**now, "SequenceNumberRange": {
                "StartingSequenceNumber": now["SequenceNumberRange"]["StartingSequenceNumber"]}}
        assert now == old, f"{old['ShardId']} changed: {old} -> {by_id[old['ShardId']]}"
    if not happened:
        assert len(shards) == len(before), "shards were added by a reshard that did not happen"

    contents = read_all(kinesis)
    found: dict[bytes, tuple[str, str, str]] = {}
    counts: Counter = Counter()
    for sid, records in contents.items():
        s = by_id[sid]
        seqs = [int(r["SequenceNumber"]) for r in records]
        assert seqs == sorted(set(seqs)), f"{sid} does not read in strictly increasing order"
        start = int(s["SequenceNumberRange"]["StartingSequenceNumber"])
        end = s["SequenceNumberRange"].get("EndingSequenceNumber")
        assert all(q >= start for q in seqs), f"{sid} holds a record before its start"
        if end is not None:
            assert all(q <= int(end) for q in seqs), f"{sid} holds a record past its end"
        lo, hi = shard_range(s)
        for r in records:
            assert lo <= hash_key(r["PartitionKey"]) <= hi, f"{sid} holds a key outside its range"
            counts[r["Data"]] += 1
            found[r["Data"]] = (sid, r["SequenceNumber"], r["PartitionKey"])
    twice = [d for d, c in counts.items() if c > 1]
    assert not twice, f"{len(twice)} records stored more than once, e.g. {twice[:3]}"
    lost = [d for d in ledger.acked if d not in found]
    assert not lost, f"{len(lost)} acknowledged records lost, e.g. {lost[:3]}"
    for data, acked in ledger.acked.items():
        assert found[data] == acked, (
            f"{data!r} was acknowledged as {acked}, reads back as {found[data]}")
    strangers = [d for d in found if d not in ledger.acked and d not in ledger.unknown]
    assert not strangers, f"{len(strangers)} records nobody wrote, e.g. {strangers[:3]}"
    if returned_at is not None:
        # Sent after the reshard returned: routed by the new shard table, to an open shard.
        late = [d for d, sent in ledger.sent.items() if sent > returned_at]
        for data in late:
            sid = ledger.acked[data][0]
            assert is_open(by_id[sid]), f"{data!r}, sent after the reshard, landed on {sid}"
    return shards, happened


@pytest.mark.parametrize("update_ms", [0, UPDATE_MS], ids=["immediate", "updating"])
def test_sigkill_during_resharding_keeps_lineage_and_records(spated_factory, update_ms):
    server = spated_factory(fsync="batch", update_stream_ms=update_ms)
    kinesis = server.client()
    kinesis.create_stream(StreamName=STREAM, ShardCount=2)
    wait_active(kinesis, STREAM)
    ledger = Ledger()
    shards = list_all_shards(kinesis, STREAM)
    outcomes = []

    for i, (op, kill_at) in enumerate(PLAN):
        writer = Writer(server.endpoint, f"{update_ms}-{i}", ledger).start()
        try:
            writer.wait_puts(PUTS_BEFORE)
            action, params, after_open = plan_op(op, [s for s in shards if is_open(s)])
            returned_at = None
            conn = None
            if isinstance(kill_at, float):
                conn = send_unanswered(server, action, params)
                time.sleep(kill_at)  # the kill point itself, not a wait for a condition
            else:
                api(server.endpoint, action, **params)
                returned_at = time.monotonic()
                with writer.cond:
                    mark = writer.puts
                writer.wait_puts(mark + kill_at)
                if update_ms:
                    status = kinesis.describe_stream_summary(StreamName=STREAM)[
                        "StreamDescriptionSummary"]["StreamStatus"]
                    assert status == "UPDATING", f"the stream was {status} at the kill"
            server.kill()
            if conn is not None:
                conn.close()
            writer.join()
        finally:
            writer.stopping = True
        server.start()
        kinesis = server.client()
        shards, happened = verify(kinesis, ledger, shards, after_open, returned_at is not None,
                                  returned_at)
        outcomes.append(f"{action}@{kill_at}:{'done' if happened else 'not done'}")

    # The stream takes writes after all those crashes, on the open shard of each key.
    for n in range(32):
        key = f"final-{n}"
        r = kinesis.put_record(StreamName=STREAM, PartitionKey=key, Data=f"final/{n}".encode())
        assert r["ShardId"] == shard_for_key(shards, hash_key(key))["ShardId"]
        ledger.ack(f"final/{n}".encode(), r["ShardId"], r["SequenceNumber"], key, time.monotonic())
    verify(kinesis, ledger, shards, _ranges([s for s in shards if is_open(s)]), True, None)
    assert len(ledger.acked) > 50 * len(PLAN), "the writer barely wrote anything"
    print(f"update_ms={update_ms}: {len(ledger.acked)} acknowledged, "
          f"{len(ledger.unknown)} unknown, {len(shards)} shards; {', '.join(outcomes)}")
    server.stop()
