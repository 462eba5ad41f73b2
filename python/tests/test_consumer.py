"""spate.Consumer: iterator and handler styles, resharding (parents before children), handler
failures, checkpointers (C++ stores, Python stores on the dispatch thread, pynesis shape,
Redis), leases shared by worker processes."""

import os
import subprocess
import sys
import threading

import pytest

import spate

from conftest import wait_for


def put_many(api, stream, n, prefix="r", keys=10):
    for start in range(0, n, 500):
        api.put_records(stream_name=stream, records=[
            {"partition_key": f"key-{i % keys}", "data": f"{prefix}{i}".encode()}
            for i in range(start, min(n, start + 500))])


def fast(**extra):
    options = dict(idle_poll_interval=0.01, checkpoint_interval=0.05, lease_duration=1.0,
                   shard_sync_interval=0.1)
    options.update(extra)
    return options


def test_iterating_reads_every_shard_and_yields_records(client, stream):
    put_many(client, stream, 1000)
    got = []
    with spate.Consumer(client, stream, "it", **fast()) as consumer:
        for record in consumer:
            got.append(record)
            if len(got) == 1000:
                break
    assert sorted(r.data for r in got) == sorted(f"r{i}".encode() for i in range(1000))
    r = got[0]
    assert r.shard_id in ("shardId-000000000000", "shardId-000000000001")
    assert r.approximate_arrival_timestamp.tzinfo is not None
    assert isinstance(r.data, bytes) and r.partition_key.startswith("key-")
    assert consumer.closed


def test_handler_style_runs_until_stop_from_the_handler(fake_stream):
    put_many(fake_stream, "test", 300)
    got = []

    def handler(record):
        got.append(record.data)
        if len(got) == 300:
            consumer.stop()

    consumer = spate.Consumer(fake_stream, "test", "h", handler=handler, **fast())
    consumer.run(timeout=30)
    assert len(set(got)) == 300


def test_parents_are_finished_before_children_and_key_order_holds(client, stream):
    put_many(client, stream, 400, prefix="before-")
    shard = client.list_shards(stream_name=stream)["shards"][0]
    lo = int(shard["hash_range"]["starting_hash_key"])
    hi = int(shard["hash_range"]["ending_hash_key"])
    client.split_shard(stream_name=stream, shard_to_split=shard["shard_id"],
                       new_starting_hash_key=str((lo + hi) // 2))
    wait_for(lambda: client.describe_stream_summary(stream_name=stream)["summary"]["status"]
             == "ACTIVE")
    put_many(client, stream, 400, prefix="after-")
    got = []
    with spate.Consumer(client, stream, "reshard", **fast()) as consumer:
        for record in consumer:
            got.append(record)
            if len(got) == 800:
                break
    by_key = {}
    for r in got:
        by_key.setdefault(r.partition_key, []).append(r.data.decode())
    for key, values in by_key.items():
        befores = [v for v in values if v.startswith("before-")]
        afters = [v for v in values if v.startswith("after-")]
        assert values == befores + afters, f"{key}: a child's record came before its parent's"
    assert len(got) == 800


def test_a_handler_exception_stops_the_consumer_and_names_the_record(fake_stream):
    put_many(fake_stream, "test", 20)

    def handler(record):
        if record.data == b"r7":
            raise KeyError("boom")

    consumer = spate.Consumer(fake_stream, "test", "fail", handler=handler, **fast())
    with pytest.raises(spate.HandlerError) as info:
        consumer.run(timeout=30)
    assert info.value.record.data == b"r7"
    assert isinstance(info.value.__cause__, KeyError)
    assert info.value.record.sequence_number in info.value.message
    assert consumer.closed


def test_on_error_retry_retries_the_record_then_goes_on(fake_stream):
    put_many(fake_stream, "test", 5)
    attempts = {}

    def handler(record):
        attempts[record.data] = attempts.get(record.data, 0) + 1
        if record.data == b"r2" and attempts[record.data] < 3:
            raise RuntimeError("flaky")
        if len(attempts) == 5:
            consumer.stop()

    consumer = spate.Consumer(fake_stream, "test", "retry", handler=handler,
                              on_error="retry", handler_retries=3, **fast())
    consumer.run(timeout=30)
    assert attempts[b"r2"] == 3


def test_checkpoints_let_a_new_worker_resume_where_the_last_stopped(fake_stream, tmp_path):
    store = spate.SQLiteCheckpointer(tmp_path / "cp.db")
    put_many(fake_stream, "test", 100)
    first = []
    with spate.Consumer(fake_stream, "test", "resume", checkpointer=store, **fast()) as c:
        for record in c:
            first.append(record.data)
            if len(first) == 100:
                break
    entries = store.list(spate._core.group_key("resume", "test"))
    assert len(entries) == 2 and all(e["owner"] == "" for e in entries)
    put_many(fake_stream, "test", 50, prefix="new")
    second = []
    wanted = {f"new{i}".encode() for i in range(50)}
    with spate.Consumer(fake_stream, "test", "resume", checkpointer=store, **fast()) as c:
        for record in c:
            second.append(record)
            if wanted <= {r.data for r in second}:
                break
    # At least once: the batch the first loop was in when it broke off is read again (its
    # shard only); everything checkpointed before is not.
    repeated = [r for r in second if not r.data.startswith(b"new")]
    assert len({r.shard_id for r in repeated}) <= 1
    assert {r.data for r in repeated} <= set(first)
    assert len(repeated) < 100


class RecordingStore(spate.Checkpointer):
    """A Python store that notes the thread of every call."""

    def __init__(self):
        self.entries = {}
        self.threads = set()

    def list(self, group):
        self.threads.add(threading.get_ident())
        return [dict(v) for (g, _), v in sorted(self.entries.items()) if g == group]

    def compare_and_set(self, group, lease, expected_version):
        self.threads.add(threading.get_ident())
        current = self.entries.get((group, lease["shard_id"]))
        if (current["version"] if current else 0) != expected_version:
            return False
        self.entries[(group, lease["shard_id"])] = dict(lease, version=expected_version + 1)
        return True

    def clear(self, group):
        self.entries = {k: v for k, v in self.entries.items() if k[0] != group}


def test_a_python_checkpointer_is_called_only_on_the_consumers_thread(fake_stream):
    put_many(fake_stream, "test", 100)
    store = RecordingStore()
    got = 0
    with spate.Consumer(fake_stream, "test", "py", checkpointer=store, **fast()) as c:
        for _ in c:
            got += 1
            if got == 100:
                break
    assert store.threads == {threading.get_ident()}
    assert {e["checkpoint"] != "" for e in store.entries.values()} == {True}
    assert all(e["owner"] == "" for e in store.entries.values()), "stop() releases leases"


class PynesisStore:
    def __init__(self):
        self.saved = {}

    def checkpoint(self, shard_id, sequence_number):
        self.saved[shard_id] = sequence_number

    def get_checkpoint(self, shard_id):
        return self.saved.get(shard_id)

    def get_all_checkpoints(self):
        return dict(self.saved)


def test_a_pynesis_style_store_works_through_the_adapter(fake_stream):
    put_many(fake_stream, "test", 60)
    store = PynesisStore()
    got = []

    def handler(record):
        got.append(record)
        if len(got) == 60:
            consumer.stop()  # from the handler: after this batch, which counts as processed

    consumer = spate.Consumer(fake_stream, "test", "pyn", handler=handler,
                              checkpointer=spate.PynesisCheckpointer(store), **fast())
    consumer.run(timeout=30)
    last = {}
    for r in got:
        last[r.shard_id] = r.sequence_number
    assert store.get_all_checkpoints() == last


def test_the_redis_checkpointer_keeps_checkpoints_in_redis(fake_stream, redis_url):
    import redis
    put_many(fake_stream, "test", 50)
    store = spate.RedisCheckpointer(redis_url)
    n = 0
    with spate.Consumer(fake_stream, "test", "redis-app", checkpointer=store, **fast()) as c:
        for _ in c:
            n += 1
            if n == 50:
                break
    entries = store.list(spate._core.group_key("redis-app", "test"))
    assert len(entries) == 2 and all(e["checkpoint"] for e in entries)
    assert redis.Redis.from_url(redis_url).dbsize() > 0


WORKER = r"""
import sys, spate
endpoint, stream, db, out = sys.argv[1:5]
client = spate.Client(endpoint, "us-east-1", ("a", "b", ""))
seen = open(out, "a")
def handler(record):
    seen.write(record.shard_id + " " + record.data.decode() + "\n"); seen.flush()
c = spate.Consumer(client, stream, "group", handler=handler,
                   checkpointer=spate.SQLiteCheckpointer(db), idle_poll_interval=0.01,
                   checkpoint_interval=0.05, lease_duration=1.0, shard_sync_interval=0.1)
c.run(timeout=float(sys.argv[5]))
"""


def test_worker_processes_share_the_shards_with_leases(client, server, tmp_path):
    name = "shared-" + os.urandom(4).hex()
    client.create_stream(stream_name=name, shard_count=4)
    wait_for(lambda: client.describe_stream_summary(stream_name=name)["summary"]["status"]
             == "ACTIVE")
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    outs = [tmp_path / f"w{i}.txt" for i in range(2)]
    procs = [subprocess.Popen([sys.executable, str(script), server.endpoint, name,
                               str(tmp_path / "cp.db"), str(out), "8"]) for out in outs]
    try:
        # Records keep arriving, each round once the last was consumed, until both workers
        # have processed some: the second one to start gets its share by handover.
        def consumed():
            return sum(len(out.read_text().splitlines()) for out in outs if out.exists())

        def both_working():
            return all(out.exists() and out.stat().st_size > 0 for out in outs)

        sent = 0
        while sent < 20000 and not (both_working() and sent >= 400):
            put_many(client, name, 100, prefix=f"b{sent}-")
            sent += 100
            wait_for(lambda: consumed() >= sent, timeout=30)
        for p in procs:
            assert p.wait(60) == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    per_worker = [[line.split() for line in out.read_text().splitlines()] for out in outs]
    seen = sorted(d for lines in per_worker for _, d in lines)
    expected = sorted(f"b{b}-{i}" for b in range(0, sent, 100) for i in range(100))
    assert seen == expected, "every record exactly once across the two workers"
    assert all(per_worker), "both workers processed records"
    assert {s for lines in per_worker for s, _ in lines} == {
        f"shardId-00000000000{i}" for i in range(4)}


def test_a_deleted_stream_fails_the_consumer(client, stream):
    consumer = spate.Consumer(client, stream, "gone", **fast())
    timer = threading.Timer(0.3, lambda: client.delete_stream(stream_name=stream))
    timer.start()
    with pytest.raises(spate.ResourceNotFound):
        for _ in consumer:
            pass
    timer.join()


def test_a_closed_consumer_cannot_run_again(fake_stream):
    consumer = spate.Consumer(fake_stream, "test", "closed", handler=lambda r: None)
    consumer.stop()
    with pytest.raises(spate.Closed):
        consumer.run(timeout=1)


def test_stop_from_another_thread_returns_promptly(fake_stream):
    consumer = spate.Consumer(fake_stream, "test", "bg", handler=lambda r: None, **fast())
    runner = threading.Thread(target=consumer.run)
    runner.start()
    wait_for(lambda: consumer._dispatching is not None)
    consumer.stop()
    runner.join(30)
    assert not runner.is_alive()
    assert consumer.closed


def test_enhanced_fan_out_reads_through_subscribe_to_shard(client, stream):
    arn = client.describe_stream_summary(stream_name=stream)["summary"]["stream_arn"]
    registered = client.register_stream_consumer(stream_arn=arn, consumer_name="efo")
    consumer_arn = registered["consumer"]["consumer_arn"]
    wait_for(lambda: client.describe_stream_consumer(consumer_arn=consumer_arn)["consumer"][
        "status"] == "ACTIVE")
    put_many(client, stream, 200)
    got = []
    with spate.Consumer(client, stream, "efo-app", efo_consumer_arn=consumer_arn,
                        **fast()) as consumer:
        for record in consumer:
            got.append(record.data)
            if len(got) == 200:
                break
    assert sorted(got) == sorted(f"r{i}".encode() for i in range(200))


def test_expired_iterators_and_throttling_are_ridden_out(fake_stream):
    put_many(fake_stream, "test", 100)
    fake_stream.inject_call_failures(3, "ExpiredIteratorException", "Iterator expired")
    got = set()
    with spate.Consumer(fake_stream, "test", "recover", **fast()) as consumer:
        for record in consumer:
            got.add(record.data)
            if len(got) == 100:
                break
    put_many(fake_stream, "test", 50, prefix="t")
    fake_stream.inject_call_failures(4, "ProvisionedThroughputExceededException", "slow down")
    with spate.Consumer(fake_stream, "test", "recover", **fast()) as consumer:
        for record in consumer:
            got.add(record.data)
            if len(got) == 150:
                break
    assert got == {f"r{i}".encode() for i in range(100)} | {f"t{i}".encode() for i in range(50)}


def test_a_stop_from_the_handler_loses_no_record_of_the_batch(fake_stream):
    put_many(fake_stream, "test", 100)
    store = spate.MemoryCheckpointer()
    first = []

    def stop_early(record):
        first.append(record.data)
        if len(first) == 10:
            consumer.request_stop()

    # Exactly once across a clean stop holds while the lease stays fresh; fast()'s 1 s lease
    # can go stale on a loaded machine (the reader then stops without a final checkpoint, by
    # design, and the batch comes again), so this test keeps its leases longer.
    steady = fast(lease_duration=30.0)
    consumer = spate.Consumer(fake_stream, "test", "early", handler=stop_early,
                              checkpointer=store, **steady)
    consumer.run(timeout=30)
    assert len(first) >= 10
    second = []
    with spate.Consumer(fake_stream, "test", "early", checkpointer=store, **steady) as again:
        for _shard, records in again.batches(timeout=20):
            second += [r.data for r in records]
            if len(first) + len(second) >= 100:
                break
    assert sorted(first + second) == sorted(f"r{i}".encode() for i in range(100))


def test_a_pynesis_store_resumes_a_restarted_worker_where_it_stopped(fake_stream):
    put_many(fake_stream, "test", 60)
    store = PynesisStore()

    def run_until(total, seen):
        def handler(record):
            seen.append(record.data)
            if len(seen) >= total:
                consumer.request_stop()
        consumer = spate.Consumer(fake_stream, "test", "pyn-restart", handler=handler,
                                  checkpointer=spate.PynesisCheckpointer(store), **fast())
        consumer.run(timeout=30)

    first, second = [], []
    run_until(60, first)
    put_many(fake_stream, "test", 20, prefix="late")
    run_until(20, second)  # a new process would start with a fresh adapter over the same store
    assert sorted(second) == sorted(f"late{i}".encode() for i in range(20)), \
        "the restarted worker must start after the stored checkpoints"


class InterruptingStore(RecordingStore):
    def compare_and_set(self, group, lease, expected_version):
        raise KeyboardInterrupt


def test_ctrl_c_inside_a_python_store_is_not_swallowed(fake_stream):
    consumer = spate.Consumer(fake_stream, "test", "ki", handler=lambda r: None,
                              checkpointer=InterruptingStore(), **fast())
    with pytest.raises(KeyboardInterrupt):
        consumer.run(timeout=30)
    assert consumer.closed
