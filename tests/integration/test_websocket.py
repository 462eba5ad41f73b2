"""WebSocket subscriptions (GET /v1/subscribe) push every record, in order, and a slow
subscriber cannot hurt anyone else.

Proves: a whole-stream subscription delivers every shard's records, live and from the past,
and follows resharding so that each partition key's records arrive in the order they were
written (a child's records only after its parents'); a one-shard subscription honours every
`from` and ends at the end of its closed shard with the children named and close code 1000;
deleting the stream closes subscribers with 1000; bad queries are refused before the upgrade
with an AWS-shaped JSON error; a subscriber that stops reading is closed with 1008 once it
stays a full buffer behind, while the server's memory stays bounded and a fast subscriber gets
every record in order; a SubscribeToShard reader that stops reading is simply served at its
own pace, again without memory growth. (Whether producers keep their pace meanwhile is
measured by `make bench`: benchmarks/push/slow_subscribers.py.)
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import socket
import threading
import time
from collections import defaultdict

import pytest
import websockets

from spate_harness import (
    http_get,
    parse_prometheus,
    prometheus_histogram,
    stalled_event_stream,
    stalled_websocket,
    stream_arn,
    wait_active,
    wait_until,
)


def _ws_url(server, **query) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"ws://127.0.0.1:{server.port}/v1/subscribe?{params}"


async def _recv(ws, deadline: float, what: str):
    """The subscription's next message; an AssertionError naming `what` if the server closes
    the connection first or time.monotonic() passes `deadline`."""
    try:
        return await asyncio.wait_for(ws.recv(), max(0.0, deadline - time.monotonic()))
    except asyncio.TimeoutError:
        raise AssertionError(f"no message in time while waiting for {what}") from None
    except websockets.ConnectionClosed as e:
        raise AssertionError(f"the server closed the subscription ({e}) while waiting for "
                             f"{what}") from None


async def _collect(url, count, timeout=15.0, on_open=None):
    """Messages of one subscription until `count` records arrived; fails if the server closes
    it first or `timeout` seconds pass. `on_open` runs (on a thread) once the upgrade is
    answered, by which time the subscription's start position is fixed: spated opens the
    reader before it answers 101."""
    records, messages = [], []
    async with websockets.connect(url, max_size=None) as ws:
        if on_open:
            await asyncio.get_running_loop().run_in_executor(None, on_open)
        deadline = time.monotonic() + timeout
        while len(records) < count:
            raw = await _recv(ws, deadline, f"{count} records ({len(records)} so far)")
            message = json.loads(raw)
            messages.append(message)
            records += [(message["shardId"], r) for r in message["records"]]
    return records, messages


def _data(record) -> bytes:
    return base64.b64decode(record["data"])


def _put_many(kinesis, name, items):
    for key, value in items:
        kinesis.put_record(StreamName=name, PartitionKey=key, Data=value)


def test_whole_stream_live(server, kinesis, stream):
    name = stream(shards=4)
    items = [(f"key-{i % 7}", f"v{i}".encode()) for i in range(60)]

    def produce():
        _put_many(kinesis, name, items)

    records, messages = asyncio.run(_collect(_ws_url(server, stream=name), len(items),
                                             on_open=lambda: threading.Thread(target=produce).start()))
    assert sorted(_data(r) for _, r in records) == sorted(v for _, v in items)
    assert len({shard for shard, _ in records}) > 1
    for key in {k for k, _ in items}:
        got = [_data(r) for _, r in records if r["partitionKey"] == key]
        assert got == [v for k, v in items if k == key]
    for message in messages:
        assert set(message) >= {"shardId", "records", "millisBehindLatest"}
        for r in message["records"]:
            assert set(r) == {"sequenceNumber", "partitionKey", "data", "arrival"}
            assert abs(r["arrival"] / 1000 - time.time()) < 60


def test_whole_stream_follows_resharding_in_key_order(server, kinesis, stream):
    name = stream(shards=1)
    keys = [f"user-{i}" for i in range(12)]
    written = []

    def put_round(tag):
        for key in keys:
            value = f"{key}/{tag}".encode()
            kinesis.put_record(StreamName=name, PartitionKey=key, Data=value)
            written.append((key, value))

    put_round("before")
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                        NewStartingHashKey=str(2**127))
    wait_active(kinesis, name)
    put_round("split")
    kinesis.merge_shards(StreamName=name, ShardToMerge="shardId-000000000001",
                         AdjacentShardToMerge="shardId-000000000002")
    wait_active(kinesis, name)
    put_round("merged")

    def more():
        kinesis.update_shard_count(StreamName=name, TargetShardCount=2,
                                   ScalingType="UNIFORM_SCALING")
        wait_active(kinesis, name)
        put_round("scaled")

    total = len(written) + len(keys)
    records, messages = asyncio.run(_collect(_ws_url(server, stream=name, **{"from": "TRIM_HORIZON"}),
                                             total, on_open=lambda: threading.Thread(target=more).start()))
    assert len(records) == total
    for key in keys:
        got = [_data(r).decode().split("/")[1] for _, r in records if r["partitionKey"] == key]
        assert got == ["before", "split", "merged", "scaled"], key
    ended = [m["shardId"] for m in messages if m.get("endOfShard")]
    assert "shardId-000000000000" in ended


def test_one_shard_every_from_and_its_end(server, kinesis, stream):
    name = stream(shards=1)
    numbers = [kinesis.put_record(StreamName=name, PartitionKey="k", Data=f"r{i}".encode())
               ["SequenceNumber"] for i in range(4)]
    shard = "shardId-000000000000"
    cases = [
        ({"from": "TRIM_HORIZON"}, [b"r0", b"r1", b"r2", b"r3"]),
        ({"from": f"AT_SEQUENCE_NUMBER:{numbers[2]}"}, [b"r2", b"r3"]),
        ({"from": f"AFTER_SEQUENCE_NUMBER:{numbers[2]}"}, [b"r3"]),
        ({"from": f"AT_TIMESTAMP:{int(time.time() * 1000) - 60_000}"}, [b"r0", b"r1", b"r2", b"r3"]),
    ]
    for query, expected in cases:
        records, _ = asyncio.run(_collect(_ws_url(server, stream=name, shard=shard, **query),
                                          len(expected)))
        assert [_data(r) for _, r in records] == expected, query

    async def until_end():
        async with websockets.connect(_ws_url(server, stream=name, shard=shard,
                                              **{"from": "LATEST"})) as ws:
            kinesis.split_shard(StreamName=name, ShardToSplit=shard,
                                NewStartingHashKey=str(2**127))
            last = json.loads(await asyncio.wait_for(ws.recv(), 10))
            with pytest.raises(websockets.ConnectionClosedOK):
                await asyncio.wait_for(ws.recv(), 10)
            return last, ws.close_code, ws.close_reason

    last, code, reason = asyncio.run(until_end())
    assert last["endOfShard"] is True and last["records"] == []
    assert sorted(last["childShards"]) == ["shardId-000000000001", "shardId-000000000002"]
    assert code == 1000 and shard in reason


def _page_lookups(server) -> dict[str, float]:
    status, body = http_get(server.endpoint, "/metrics")
    assert status == 200
    samples = parse_prometheus(body.decode())
    return {result: samples.get(f'spate_push_page_lookups_total{{result="{result}"}}', 0)
            for result in ("taken", "missed")}


def test_subscribers_of_one_shard_share_pages_and_each_gets_every_record(server, kinesis, stream):
    """Subscribers that stand at the same position take the page the first of them read
    (spate_push_page_lookups_total counts it), and every one of them, one-shard and
    whole-stream alike, still gets every record once, in order, as it was put."""
    name = stream(shards=1)
    shard = "shardId-000000000000"
    urls = [_ws_url(server, stream=name, shard=shard)] * 6 + [_ws_url(server, stream=name)] * 6
    before = _page_lookups(server)
    put = []

    def produce():
        for batch in range(40):
            entries = [{"PartitionKey": f"k{i}", "Data": f"b{batch}-r{i}".encode()}
                       for i in range(5)]
            answer = kinesis.put_records(StreamName=name, Records=entries)
            assert answer["FailedRecordCount"] == 0
            put.extend((r["SequenceNumber"], e["PartitionKey"], e["Data"])
                       for r, e in zip(answer["Records"], entries))

    async def subscribe_all():
        connections = [await websockets.connect(url, max_size=None) for url in urls]
        try:
            producing = asyncio.get_running_loop().run_in_executor(None, produce)

            async def records_of(ws):
                got, deadline = [], time.monotonic() + 30
                while len(got) < 200:
                    message = json.loads(await _recv(ws, deadline, f"200 records ({len(got)})"))
                    assert message["shardId"] == shard
                    assert isinstance(message["millisBehindLatest"], int)
                    got += [(r["sequenceNumber"], r["partitionKey"], _data(r))
                            for r in message["records"]]
                return got

            received = await asyncio.gather(*(records_of(ws) for ws in connections))
            await producing
            return received
        finally:
            for ws in connections:
                await ws.close()

    received = asyncio.run(subscribe_all())
    assert len(put) == 200
    for i, got in enumerate(received):
        assert got == put, f"subscriber {i} ({urls[i]})"
    after = _page_lookups(server)
    assert after["taken"] > before["taken"], (before, after)


def test_push_delay_counts_each_take_of_new_records(spated_factory):
    """spate_push_delay_seconds times how long new records waited in the server for a push
    subscriber: one subscriber, puts made one at a time, each awaited at the subscriber before
    the next, gives one duration per put, each shorter than the put's whole trip; a
    subscription that is open but gets nothing adds none."""
    server = spated_factory()
    kinesis = server.client()
    kinesis.create_stream(StreamName="timed", ShardCount=1)
    wait_active(kinesis, "timed")
    _, count_before, sum_before = prometheus_histogram(server.metrics(),
                                                       "spate_push_delay_seconds")
    assert count_before == 0 and sum_before == 0
    puts = 12

    async def one_at_a_time():
        trips = []
        async with websockets.connect(_ws_url(server, stream="timed"), max_size=None) as ws:
            for i in range(puts):
                started = time.monotonic()
                await asyncio.get_running_loop().run_in_executor(
                    None, lambda: kinesis.put_record(StreamName="timed", PartitionKey="k",
                                                     Data=f"r{i}".encode()))
                message = json.loads(await _recv(ws, time.monotonic() + 10, f"record {i}"))
                trips.append(time.monotonic() - started)
                assert [_data(r) for r in message["records"]] == [f"r{i}".encode()]
        return trips

    trips = asyncio.run(one_at_a_time())
    buckets, count, total = prometheus_histogram(server.metrics(), "spate_push_delay_seconds")
    assert count - count_before == puts
    assert 0 < total - sum_before < sum(trips)
    assert buckets[-1] == (float("inf"), count)
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), buckets


def test_push_delay_times_each_shard_of_a_whole_stream_subscription(spated_factory):
    """A whole-stream subscriber listens to every shard: a put that brings records to two
    shards gives a duration for each shard's page whose wake-up came before the page was read,
    at least one and at most two. (That each shard's page gets its own shard's wake-up is
    checked without races in websocket_feed_test.cc, which pulls by hand.)"""
    server = spated_factory()
    kinesis = server.client()
    kinesis.create_stream(StreamName="two-timed", ShardCount=2)
    wait_active(kinesis, "two-timed")
    _, count_before, _ = prometheus_histogram(server.metrics(), "spate_push_delay_seconds")
    puts = 10
    hash_keys = {"shardId-000000000000": "0", "shardId-000000000001": str(2**127)}

    async def one_at_a_time():
        async with websockets.connect(_ws_url(server, stream="two-timed"), max_size=None) as ws:
            for i in range(puts):
                await asyncio.get_running_loop().run_in_executor(
                    None, lambda: kinesis.put_records(StreamName="two-timed", Records=[
                        {"PartitionKey": "k", "ExplicitHashKey": key, "Data": f"{shard}/{i}".encode()}
                        for shard, key in hash_keys.items()]))
                deadline = time.monotonic() + 10
                got = {}
                while len(got) < len(hash_keys):
                    message = json.loads(await _recv(ws, deadline, f"put {i}"))
                    got[message["shardId"]] = [_data(r) for r in message["records"]]
                assert got == {shard: [f"{shard}/{i}".encode()] for shard in hash_keys}

    asyncio.run(one_at_a_time())
    _, count, _ = prometheus_histogram(server.metrics(), "spate_push_delay_seconds")
    # A page read between the put's two wake-ups (they follow each other on the committing
    # thread, and the records of both shards are readable before the first) goes untimed.
    assert puts <= count - count_before <= 2 * puts


def test_deleting_the_stream_closes_subscribers(server, kinesis):
    name = "ws-deleted"
    kinesis.create_stream(StreamName=name, ShardCount=2)
    wait_active(kinesis, name)

    async def run():
        async with websockets.connect(_ws_url(server, stream=name)) as ws:
            kinesis.delete_stream(StreamName=name)
            with pytest.raises(websockets.ConnectionClosedOK):
                await asyncio.wait_for(ws.recv(), 10)
            return ws.close_code, ws.close_reason

    code, reason = asyncio.run(run())
    assert code == 1000 and "deleted" in reason


@pytest.mark.parametrize(
    "query, error",
    [
        ("", "InvalidArgumentException"),
        ("stream=no-such-stream", "ResourceNotFoundException"),
        ("stream={s}&from=SOMEWHERE", "InvalidArgumentException"),
        ("stream={s}&from=AT_SEQUENCE_NUMBER:1", "InvalidArgumentException"),
        ("stream={s}&from=AT_TIMESTAMP:soon", "InvalidArgumentException"),
        ("stream={s}&shard=shard-7", "InvalidArgumentException"),
        ("stream={s}&shard=shardId-000000000042", "ResourceNotFoundException"),
        ("stream={s}&colour=blue", "InvalidArgumentException"),
        ("stream=%zz", "InvalidArgumentException"),
    ],
)
def test_bad_subscriptions_are_refused_before_the_upgrade(server, stream, query, error):
    name = stream(shards=1)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/v1/subscribe?" + query.format(s=name), headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode()})
    response = conn.getresponse()
    body = json.loads(response.read())
    assert response.status == 400
    assert body["__type"] == error and body["message"]
    conn.close()
    assert http_get(server.endpoint, "/healthz")[0] == 200


def _close_frame_after_draining(sock: socket.socket, timeout: float = 20.0):
    """Reads a stalled WebSocket client's socket to its end (the server must close it within
    `timeout` seconds) and walks the server's frames (never masked) from the first; returns
    (code, reason) of the close frame, or None if none came."""
    deadline = time.monotonic() + timeout
    data = bytearray()
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"the server did not close the connection within {timeout} s"
        sock.settimeout(left)
        try:
            chunk = sock.recv(1 << 16)
        except socket.timeout:
            continue  # the deadline check above fails
        if not chunk:
            break
        data += chunk
    at = 0
    while at + 2 <= len(data):
        opcode, length = data[at] & 0x0F, data[at + 1] & 0x7F
        at += 2
        if length == 126:
            length, at = int.from_bytes(data[at:at + 2], "big"), at + 2
        elif length == 127:
            length, at = int.from_bytes(data[at:at + 8], "big"), at + 8
        payload = bytes(data[at:at + length])
        at += length
        if opcode == 0x8:
            return int.from_bytes(payload[:2], "big"), payload[2:].decode()
    return None


def _produce(kinesis, name, batches, first=0):
    """PutRecords `batches` times, 500 records of 1 KB each, every record's data starting with
    its own label; returns [(shard, sequence number, label)] in the order put."""
    acked = []
    for b in range(first, first + batches):
        labels = [f"{b:04d}-{i:03d}".encode() for i in range(500)]
        out = kinesis.put_records(StreamName=name, Records=[
            {"PartitionKey": label.decode(), "Data": label.ljust(1000, b".")} for label in labels])
        assert out["FailedRecordCount"] == 0
        acked += [(r["ShardId"], int(r["SequenceNumber"]), label)
                  for r, label in zip(out["Records"], labels)]
    return acked


def test_slow_subscribers_cannot_hurt_anyone(spated_factory):
    """Two subscribers that never read (a WebSocket one and a SubscribeToShard one) and one
    WebSocket subscriber that reads, while 60 MB is put: the reading one gets every record, in
    order, none missing; the stalled WebSocket one is closed with 1008 and says why; the
    stalled SubscribeToShard one is still served; memory does not follow what they were sent.
    How much stalled subscribers slow producers down is a benchmark, not a test:
    benchmarks/push/slow_subscribers.py, run by `make bench`."""
    # A 3 s grace: the stalled subscriber is still cut well within the test, while the reading
    # one, sharing two cores with the producer and other tests, has ample time to catch up.
    server = spated_factory(extra_args=["--subscriber-buffer-bytes", str(1 << 20),
                                        "--subscriber-lag-ms", "3000"])
    kinesis = server.client()
    name = "busy"
    kinesis.create_stream(StreamName=name, ShardCount=2)
    wait_active(kinesis, name)
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="lazy")
    _produce(kinesis, name, 20)  # warm-up: the server's buffers for this load exist before RSS
    rss_before = server.metrics()["spate_resident_memory_bytes"]

    batches = 120  # 60 MB
    total = batches * 500
    received = defaultdict(list)  # shard -> [(sequence number, label)] in arrival order
    failures = []
    ready = threading.Event()

    async def fast_reader():
        async with websockets.connect(_ws_url(server, stream=name), max_size=None) as ws:
            ready.set()
            deadline = time.monotonic() + 180
            got = 0
            while got < total:
                message = json.loads(await _recv(
                    ws, deadline, f"{total} records in the fast subscriber ({got} so far)"))
                for r in message["records"]:
                    data = _data(r)
                    label = data.rstrip(b".")
                    assert data == label.ljust(1000, b"."), data[:40]
                    received[message["shardId"]].append((int(r["sequenceNumber"]), label))
                got += len(message["records"])

    def run_reader():
        try:
            asyncio.run(fast_reader())
        except BaseException as e:  # noqa: BLE001 - reported by the test thread
            failures.append(e)
            ready.set()

    reader = threading.Thread(target=run_reader, daemon=True)
    reader.start()
    assert ready.wait(20), "the fast subscriber did not connect"
    assert not failures, failures
    stalled_ws = stalled_websocket(server.port, f"/v1/subscribe?stream={name}")
    stalled_efo = stalled_event_stream(server.port, consumer["Consumer"]["ConsumerARN"])
    # Every subscription's start position (LATEST) is taken before the first record is put.
    wait_until(lambda: _subscribers(server) == {"websocket": 2, "event_stream": 1}, 20,
               lambda: f"the three subscriptions, have {_subscribers(server)}")

    acked = _produce(kinesis, name, batches, first=20)
    reader.join(200)
    assert not reader.is_alive(), (
        f"the fast subscriber is still reading: {sum(map(len, received.values()))} of {total}")
    assert not failures, failures[0]
    expected = defaultdict(list)
    for shard, seq, label in acked:
        expected[shard].append((seq, label))
    assert set(received) == set(expected), (sorted(received), sorted(expected))
    for shard, records in expected.items():
        assert received[shard] == records, (
            f"{shard}: the fast subscriber got {len(received[shard])} records, "
            f"{len(records)} were put; first difference at "
            f"{next((i for i, (a, b) in enumerate(zip(received[shard], records)) if a != b), None)}")

    # The stalled WebSocket subscriber, and only it, was closed for being slow; memory did not
    # follow the 40 MB it was sent.
    def slow_one_closed():
        metrics = server.metrics()
        return metrics if metrics.get("spate_slow_subscribers_closed_total", 0) >= 1 else None

    metrics = wait_until(slow_one_closed, 15, "spate_slow_subscribers_closed_total to reach 1")
    assert metrics["spate_slow_subscribers_closed_total"] == 1
    growth = metrics["spate_resident_memory_bytes"] - rss_before
    assert growth < 32 << 20, f"RSS grew by {growth / 2**20:.1f} MiB"
    # The stalled SubscribeToShard reader is still served at its own pace, not cut off.
    assert metrics['spate_subscribers{kind="event_stream"}'] == 1
    # The stalled WebSocket client, reading at last, finds the data it was sent and then a
    # close frame that says why.
    code, reason = _close_frame_after_draining(stalled_ws) or (None, None)
    assert code == 1008, reason
    assert reason.startswith(f"subscriber too slow: over {1 << 20} bytes behind"), reason
    stalled_efo.close()
    stalled_ws.close()
    assert http_get(server.endpoint, "/healthz")[0] == 200


def _subscribers(server) -> dict[str, float]:
    """Open subscriptions by kind, from /metrics."""
    metrics = server.metrics()
    return {kind: metrics.get(f'spate_subscribers{{kind="{kind}"}}', 0)
            for kind in ("websocket", "event_stream")}


def test_shutdown_with_subscribers_is_prompt_and_clean(spated_factory):
    """SIGTERM with a live WebSocket subscriber, a stalled one and a SubscribeToShard reader:
    spated says goodbye (1001 to WebSocket clients), exits 0, and does not wait out its drain
    timeout; everything acknowledged before is still there after a restart."""
    server = spated_factory()
    kinesis = server.client()
    kinesis.create_stream(StreamName="s", ShardCount=1)
    wait_active(kinesis, "s")
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn("s"), ConsumerName="c")
    kinesis.put_record(StreamName="s", PartitionKey="k", Data=b"kept")
    stalled = stalled_websocket(server.port, "/v1/subscribe?stream=s")
    efo = stalled_event_stream(server.port, consumer["Consumer"]["ConsumerARN"])

    async def run():
        async with websockets.connect(_ws_url(server, stream="s")) as ws:
            started = time.time()
            stopper = threading.Thread(target=server.stop)
            stopper.start()
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 15)
            code = ws.close_code
            await asyncio.get_running_loop().run_in_executor(None, stopper.join)
            return code, time.time() - started

    code, took = asyncio.run(run())
    assert code == 1001
    assert took < 8, f"shutdown took {took:.1f}s"
    stalled.close()
    efo.close()
    server.start()
    records = server.client().get_records(ShardIterator=server.client().get_shard_iterator(
        StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"])["Records"]
    assert [r["Data"] for r in records] == [b"kept"]
