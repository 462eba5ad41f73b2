"""SubscribeToShard pushes records to boto3's `subscribe_to_shard` as AWS does.

Proves: the answer starts with the initial response and then pushes each committed record, in
order, at once (no polling interval); ContinuationSequenceNumber is the last record's number
and AFTER_SEQUENCE_NUMBER of it resumes with nothing lost or repeated, even on an empty shard;
every StartingPosition type; an idle subscription still gets an event every heartbeat; the end
of a closed shard is an event with ChildShards and no ContinuationSequenceNumber, after which
the stream ends; the subscription ends on its own after its lifetime; a second subscription
within 5 s is ResourceInUseException, a later one takes over and the first ends with
ResourceInUseException; deregistering the consumer or deleting the stream ends it; errors
before the stream starts are ordinary Kinesis errors; consumers at the same position share the
page the first of them read, and each still gets every record, with its own continuation.
"""

from __future__ import annotations

import queue
import threading
import time

import pytest
from botocore.exceptions import ClientError, EventStreamError

from spate_harness import (
    expect_error,
    http_get,
    parse_prometheus,
    prometheus_histogram,
    stream_arn,
    wait_active,
)

SHARD0 = "shardId-000000000000"
_END = object()


# This module's spated sends idle events every 200 ms: a Python client blocked reading a
# subscription only lets go of its socket (so the server sees it close) when data arrives.
SPATED_FLAGS = ["--heartbeat-ms", "200"]


class Subscription:
    """One subscribe_to_shard call read on a thread: events (or the end, or the error) queue up."""

    def __init__(self, kinesis, consumer_arn, shard=SHARD0, **position):
        position.setdefault("Type", "LATEST")
        self.response = kinesis.subscribe_to_shard(
            ConsumerARN=consumer_arn, ShardId=shard, StartingPosition=position
        )
        self.events: queue.Queue = queue.Queue()
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for event in self.response["EventStream"]:
                self.events.put(event["SubscribeToShardEvent"])
        except Exception as e:  # noqa: BLE001 - handed to the test
            self.error = e
        self.events.put(_END)

    def next(self, timeout=10.0):
        """The next event, or None once the stream has ended; fails if none comes in time."""
        try:
            item = self.events.get(timeout=max(0.0, timeout))
        except queue.Empty:
            raise AssertionError(f"no event within {timeout:.1f} s") from None
        return None if item is _END else item

    def records(self, count, timeout=10.0):
        """Events until `count` records arrived; returns (records, events). Fails if the stream
        ends first or `timeout` seconds pass."""
        records, events = [], []
        deadline = time.monotonic() + timeout
        while len(records) < count:
            left = deadline - time.monotonic()
            assert left > 0, f"{len(records)} of {count} records in {timeout} s"
            event = self.next(left)
            assert event is not None, f"stream ended after {len(records)} records: {self.error}"
            events.append(event)
            records += event["Records"]
        return records, events

    def until_end(self, timeout=10.0):
        """Every event until the stream ends; fails if it has not ended within `timeout`
        seconds (heartbeats keep coming while it lasts, so no single wait would notice)."""
        events = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"the subscription did not end within {timeout} s ({len(events)} events)"
            event = self.next(left)
            if event is None:
                return events
            events.append(event)

    def close(self):
        self.response["EventStream"].close()


def _consumer(kinesis, name, consumer="c"):
    out = kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName=consumer)
    return out["Consumer"]["ConsumerARN"]


def _put(kinesis, name, values, key="k"):
    return [
        kinesis.put_record(StreamName=name, Data=v, PartitionKey=key)["SequenceNumber"]
        for v in values
    ]


def test_initial_response_then_live_records_in_order(kinesis, stream):
    name = stream(shards=1)
    sub = Subscription(kinesis, _consumer(kinesis, name))
    assert sub.response["ResponseMetadata"]["HTTPStatusCode"] == 200
    sent = [f"live-{i}".encode() for i in range(30)]
    started = time.time()
    threading.Thread(target=_put, args=(kinesis, name, sent), daemon=True).start()
    records, events = sub.records(len(sent))
    assert [r["Data"] for r in records] == sent
    assert all(r["PartitionKey"] == "k" for r in records)
    numbers = [int(r["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert events[-1]["ContinuationSequenceNumber"] == records[-1]["SequenceNumber"]
    assert all(isinstance(e["MillisBehindLatest"], int) for e in events)
    # Pushed, not polled: 30 records, one request each, arrive well inside a poll interval.
    assert time.time() - started < 5
    sub.close()


def _pages_taken(server) -> float:
    status, body = http_get(server.endpoint, "/metrics")
    assert status == 200
    return parse_prometheus(body.decode()).get('spate_push_page_lookups_total{result="taken"}', 0)


def test_consumers_of_one_shard_share_pages_and_each_gets_every_record(server, kinesis, stream):
    """Consumers that stand at the same position take the Records the first of them read and
    encoded (spate_push_page_lookups_total counts it); every one of them still gets every
    record once, in order, as it was put, and each event's continuation is its last record."""
    name = stream(shards=1)
    subs = [Subscription(kinesis, _consumer(kinesis, name, f"c{i}")) for i in range(5)]
    before = _pages_taken(server)
    put = []
    for batch in range(30):
        entries = [{"PartitionKey": f"k{i}", "Data": f"b{batch}-r{i}".encode()} for i in range(5)]
        answer = kinesis.put_records(StreamName=name, Records=entries)
        assert answer["FailedRecordCount"] == 0
        put += [(r["SequenceNumber"], e["Data"]) for r, e in zip(answer["Records"], entries)]
    for i, sub in enumerate(subs):
        records, events = sub.records(len(put), timeout=30)
        assert [(r["SequenceNumber"], r["Data"]) for r in records] == put, f"consumer {i}"
        for event in events:
            if event["Records"]:
                assert event["ContinuationSequenceNumber"] == event["Records"][-1]["SequenceNumber"]
        sub.close()
    assert _pages_taken(server) > before


def test_push_delay_counts_takes_of_new_records(spated_factory):
    """spate_push_delay_seconds times how long new records waited in the server for a push
    subscriber, SubscribeToShard's as the WebSocket feed's (tests/integration/test_websocket.py
    checks the count exactly): puts made one at a time, each awaited at the subscriber, add one
    duration each, each shorter than the put's whole trip. (A heartbeat that happens to read
    a put's records before its wake-up takes them untimed, so the count may fall short.)"""
    server = spated_factory(extra_args=SPATED_FLAGS)
    kinesis = server.client()
    kinesis.create_stream(StreamName="timed", ShardCount=1)
    wait_active(kinesis, "timed")

    def delays():
        return prometheus_histogram(server.metrics(), "spate_push_delay_seconds")[1:]

    count_before, sum_before = delays()
    sub = Subscription(kinesis, _consumer(kinesis, "timed"))
    puts, trips = 10, 0.0
    for i in range(puts):
        started = time.monotonic()
        _put(kinesis, "timed", [f"r{i}".encode()])
        records, _ = sub.records(1)
        trips += time.monotonic() - started
        assert [r["Data"] for r in records] == [f"r{i}".encode()]
    sub.close()
    count, total = delays()
    assert 1 <= count - count_before <= puts
    assert 0 < total - sum_before < trips


def test_history_then_live_from_trim_horizon(kinesis, stream):
    name = stream(shards=1)
    arn = _consumer(kinesis, name)
    _put(kinesis, name, [b"old-0", b"old-1"])
    sub = Subscription(kinesis, arn, Type="TRIM_HORIZON")
    records, _ = sub.records(2)
    assert [r["Data"] for r in records] == [b"old-0", b"old-1"]
    _put(kinesis, name, [b"new"])
    records, _ = sub.records(1)
    assert [r["Data"] for r in records] == [b"new"]
    sub.close()


def _subscribe_when_free(kinesis, arn, timeout=10.0, **position):
    """Subscribes, retrying while the consumer and shard are taken (ResourceInUseException:
    the previous subscription of the pair is still being closed, or is younger than 5 s),
    until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return Subscription(kinesis, arn, **position)
        except ClientError as e:
            if (e.response["Error"]["Code"] != "ResourceInUseException"
                    or time.monotonic() > deadline):
                raise
            time.sleep(0.1)


def test_every_starting_position(kinesis, stream):
    name = stream(shards=1)
    arn = _consumer(kinesis, name)
    numbers = _put(kinesis, name, [b"r0", b"r1", b"r2"])
    # botocore sends timestamps in whole seconds: start r3 in a second of its own.
    time.sleep(1.02 - time.time() % 1)
    middle = float(int(time.time()))
    numbers += _put(kinesis, name, [b"r3"])
    cases = [
        ({"Type": "AT_SEQUENCE_NUMBER", "SequenceNumber": numbers[1]}, [b"r1", b"r2", b"r3"]),
        ({"Type": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": numbers[1]}, [b"r2", b"r3"]),
        ({"Type": "AT_TIMESTAMP", "Timestamp": middle}, [b"r3"]),
        ({"Type": "TRIM_HORIZON"}, [b"r0", b"r1", b"r2", b"r3"]),
    ]
    for position, expected in cases:
        sub = _subscribe_when_free(kinesis, arn, **position)
        records, _ = sub.records(len(expected))
        assert [r["Data"] for r in records] == expected, position
        sub.close()


def test_continuation_resumes_without_loss_even_on_an_empty_shard(kinesis, stream):
    name = stream(shards=1)
    arn = _consumer(kinesis, name)
    # No record yet: the heartbeat-less first event comes with the records; use the shard's
    # start as AWS does (DescribeStream's StartingSequenceNumber) to resume after nothing.
    shard = kinesis.list_shards(StreamName=name)["Shards"][0]
    start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    _put(kinesis, name, [b"first"])
    sub = _subscribe_when_free(kinesis, arn, Type="AFTER_SEQUENCE_NUMBER", SequenceNumber=start)
    records, events = sub.records(1)
    assert [r["Data"] for r in records] == [b"first"]
    continuation = events[-1]["ContinuationSequenceNumber"]
    sub.close()
    _put(kinesis, name, [b"second", b"third"])
    sub = _subscribe_when_free(kinesis, arn, Type="AFTER_SEQUENCE_NUMBER",
                               SequenceNumber=continuation)
    records, _ = sub.records(2)
    assert [r["Data"] for r in records] == [b"second", b"third"]
    sub.close()


def test_idle_subscription_gets_heartbeats_with_the_continuation(spated_factory):
    server = spated_factory(extra_args=["--heartbeat-ms", "300"])
    kinesis = server.client()
    kinesis.create_stream(StreamName="s", ShardCount=1)
    wait_active(kinesis, "s")
    arn = _consumer(kinesis, "s")
    numbers = _put(kinesis, "s", [b"x"])
    sub = Subscription(kinesis, arn)  # LATEST: after "x"
    started = time.time()
    first, second = sub.next(), sub.next()
    # The default interval is AWS's 5 s; this server's is 300 ms.
    assert first["Records"] == [] and second["Records"] == []
    assert first["ContinuationSequenceNumber"] == numbers[0]
    assert first["MillisBehindLatest"] == 0
    assert time.time() - started < 3
    sub.close()


def test_a_reading_subscriber_outlives_the_write_timeout(spated_factory):
    """The stall cut-off is for writes the reader does not take, not for the subscription's
    own wait for the client to go away: a subscriber that keeps reading stays served."""
    server = spated_factory(extra_args=["--heartbeat-ms", "200", "--push-write-timeout-ms", "800"])
    kinesis = server.client()
    kinesis.create_stream(StreamName="s", ShardCount=1)
    wait_active(kinesis, "s")
    sub = Subscription(kinesis, _consumer(kinesis, "s"))
    started = time.time()
    events = 0
    while time.time() - started < 3:
        assert sub.next(timeout=2) is not None, f"cut off after {events} events: {sub.error}"
        events += 1
    sub.close()


def test_end_of_a_closed_shard_has_children_and_no_continuation(kinesis, stream):
    name = stream(shards=1)
    arn = _consumer(kinesis, name)
    _put(kinesis, name, [b"a", b"b"])
    sub = Subscription(kinesis, arn, Type="TRIM_HORIZON")
    records, _ = sub.records(2)
    kinesis.split_shard(StreamName=name, ShardToSplit=SHARD0, NewStartingHashKey=str(2**127))
    events = sub.until_end()
    assert sub.error is None
    last = events[-1]
    assert "ContinuationSequenceNumber" not in last
    children = sorted(c["ShardId"] for c in last["ChildShards"])
    assert children == ["shardId-000000000001", "shardId-000000000002"]
    assert all(c["ParentShards"] == [SHARD0] for c in last["ChildShards"])


def test_subscription_ends_after_its_lifetime(spated_factory):
    server = spated_factory(extra_args=["--subscription-ms", "1500"])
    kinesis = server.client()
    kinesis.create_stream(StreamName="s", ShardCount=1)
    wait_active(kinesis, "s")
    arn = _consumer(kinesis, "s")
    started = time.time()
    sub = Subscription(kinesis, arn)
    sub.until_end(timeout=10)
    assert sub.error is None
    assert 1.3 < time.time() - started < 8
    # The pair is free again once a subscription has ended.
    Subscription(kinesis, arn).close()


def test_one_subscription_per_consumer_and_shard(kinesis, stream):
    name = stream(shards=2)
    arn = _consumer(kinesis, name)
    first_requested = time.monotonic()
    first = Subscription(kinesis, arn)
    with pytest.raises(ClientError) as e:
        Subscription(kinesis, arn)
    assert e.value.response["Error"]["Code"] == "ResourceInUseException"
    assert e.value.response["Error"]["Message"].startswith(
        "Another active subscription exists for this consumer:")
    # Another shard, or another consumer, is another pair.
    Subscription(kinesis, arn, shard="shardId-000000000001").close()
    Subscription(kinesis, _consumer(kinesis, name, "other")).close()
    # Until 5 s after the first began, the pair stays taken; then a new subscription takes
    # over, and the first ends with ResourceInUseException.
    second = _subscribe_when_free(kinesis, arn, timeout=20)
    # (>= 5 s less a millisecond: the server counts whole milliseconds)
    assert time.monotonic() - first_requested >= 4.999, "taken over within 5 s"
    first.until_end()
    assert isinstance(first.error, EventStreamError)
    assert first.error.response["Error"]["Code"] == "ResourceInUseException"
    _put(kinesis, name, [b"after"], key="k")
    second.close()


def test_deregistering_or_deleting_ends_the_subscription(kinesis, stream):
    name = stream(shards=1)
    arn = _consumer(kinesis, name)
    sub = Subscription(kinesis, arn)
    kinesis.deregister_stream_consumer(ConsumerARN=arn)
    sub.until_end()
    assert isinstance(sub.error, EventStreamError)
    assert sub.error.response["Error"]["Code"] == "ResourceNotFoundException"

    arn = _consumer(kinesis, name, "again")
    sub = Subscription(kinesis, arn)
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    sub.until_end()
    assert isinstance(sub.error, EventStreamError)
    assert sub.error.response["Error"]["Code"] == "ResourceNotFoundException"


def test_errors_before_the_stream_starts(endpoint, kinesis, stream, spated_factory):
    name = stream(shards=1)
    arn = _consumer(kinesis, name)
    base = {"ConsumerARN": arn, "ShardId": SHARD0, "StartingPosition": {"Type": "LATEST"}}
    expect_error(endpoint, "SubscribeToShard", {**base, "ShardId": "shardId-000000000009"},
                 "ResourceNotFoundException")
    expect_error(endpoint, "SubscribeToShard",
                 {**base, "ConsumerARN": arn.rsplit(":", 1)[0] + ":1"}, "ResourceNotFoundException")
    expect_error(endpoint, "SubscribeToShard",
                 {**base, "StartingPosition": {"Type": "AT_SEQUENCE_NUMBER"}},
                 "InvalidArgumentException")
    expect_error(endpoint, "SubscribeToShard",
                 {**base, "StartingPosition": {"Type": "LATEST", "SequenceNumber": "1"}},
                 "InvalidArgumentException")
    expect_error(endpoint, "SubscribeToShard",
                 {**base, "StartingPosition": {"Type": "AT_TIMESTAMP"}},
                 "InvalidArgumentException")
    expect_error(endpoint, "SubscribeToShard",
                 {**base, "StartingPosition": {"Type": "AT_SEQUENCE_NUMBER", "SequenceNumber": "7"}},
                 "InvalidArgumentException")
    expect_error(endpoint, "SubscribeToShard",
                 {**base, "StartingPosition": {"Type": "SOMEWHERE"}}, "ValidationException")
    expect_error(endpoint, "SubscribeToShard", {"ConsumerARN": arn, "ShardId": SHARD0},
                 "ValidationException")
    expect_error(endpoint, "SubscribeToShard", {**base, "ConsumerARN": stream_arn(name)},
                 "ValidationException")

    slow = spated_factory(extra_args=["--consumer-ms", "60000"])
    client = slow.client()
    client.create_stream(StreamName="s", ShardCount=1)
    wait_active(client, "s")
    creating = _consumer(client, "s", "late")
    message = expect_error(slow.endpoint, "SubscribeToShard", {**base, "ConsumerARN": creating},
                           "ResourceInUseException")
    seconds = creating.rsplit(":", 1)[1]
    assert message == (f"Consumer late with creation timestamp {seconds} under stream: s , "
                       "account 000000000000 is not in ACTIVE status.")
    # The server keeps serving after every refusal.
    assert kinesis.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"]
