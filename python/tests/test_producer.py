"""spate.Producer: batching, retry of only the failed records, outcomes settled on the caller's
thread, argument checks, closed producers, aggregation."""

import threading

import pytest

import spate
from spate.testing import FakeStream


def read_all(api, stream):
    records = []
    for shard in api.list_shards(stream_name=stream)["shards"]:
        it = api.get_shard_iterator(stream_name=stream, shard_id=shard["shard_id"],
                                    position={"type": "TRIM_HORIZON"})["shard_iterator"]
        while it:
            page = api.get_records(shard_iterator=it)
            records += page["records"]
            if not page["records"]:
                break
            it = page["next_shard_iterator"]
    return records


def test_every_record_lands_once_and_its_delivery_says_where(client, stream):
    with spate.Producer(client, stream, linger=0.005) as producer:
        deliveries = [producer.put(f"key-{i % 7}", f"r{i}".encode()) for i in range(2000)]
    results = [d.result(timeout=0) for d in deliveries]
    assert all(r.shard_id.startswith("shardId-") and r.sequence_number for r in results)
    stored = read_all(client, stream)
    assert sorted(r["data"] for r in stored) == sorted(f"r{i}".encode() for i in range(2000))
    assert producer.stats()["succeeded"] == 2000
    assert producer.stats()["requests"] < 2000 / 10, "records must travel in batches"


def test_only_failed_records_are_retried():
    fake = FakeStream()
    fake.create_stream(stream_name="s", shard_count=2)
    fake.inject_put_failures(every=3)
    with spate.Producer(fake, "s", linger=0.001) as producer:
        deliveries = [producer.put(f"k{i}", f"{i}".encode()) for i in range(300)]
        producer.flush()
        stats = producer.stats()
    assert all(d.exception() is None for d in deliveries)
    assert stats["retried"] >= 100
    assert sorted(r["data"] for r in read_all(fake, "s")) == sorted(
        f"{i}".encode() for i in range(300)), "no record lost or stored twice"
    assert any(d.result().attempts > 1 for d in deliveries)


def test_on_delivery_runs_on_the_polling_thread_never_a_cpp_thread(fake_stream):
    caller = threading.get_ident()
    seen = []

    def on_delivery(error, result):
        assert threading.get_ident() == caller
        seen.append((error, result))

    producer = spate.Producer(fake_stream, "test", on_delivery=on_delivery, linger=0.001)
    for i in range(50):
        producer.put("k", b"x")
    assert producer.flush(timeout=10)
    assert len(seen) == 50 and all(e is None for e, _ in seen)
    producer.close()


def test_a_record_that_never_lands_fails_with_record_expired():
    fake = FakeStream()
    fake.create_stream(stream_name="s", shard_count=1)
    fake.inject_put_failures(partition_keys=["doomed"])
    with spate.Producer(fake, "s", record_ttl=0.2, linger=0.001) as producer:
        doomed = producer.put("doomed", b"x")
        fine = producer.put("fine", b"y")
    with pytest.raises(spate.RecordExpired) as info:
        doomed.result()
    assert "ProvisionedThroughputExceeded" in info.value.message
    assert fine.result().shard_id == "shardId-000000000000"


@pytest.mark.parametrize("key, data, exc", [
    ("k", "text is not bytes", TypeError),
    (b"k", b"x", TypeError),
    ("", b"x", ValueError),
    ("k" * 257, b"x", ValueError),
    ("k", b"x" * (2 << 20), ValueError),
])
def test_bad_records_raise_at_the_call(fake_stream, key, data, exc):
    with spate.Producer(fake_stream, "test") as producer:
        with pytest.raises(exc):
            producer.put(key, data)
        assert producer.pending == 0
        assert producer.stats()["accepted"] == 0


def test_buffers_other_than_bytes_are_accepted(fake_stream):
    with spate.Producer(fake_stream, "test") as producer:
        d1 = producer.put("k", bytearray(b"ab"))
        d2 = producer.put("k", memoryview(b"cd"))
    assert d1.result() and d2.result()
    assert sorted(r["data"] for r in read_all(fake_stream, "test")) == [b"ab", b"cd"]


def test_a_closed_producer_refuses_puts(fake_stream):
    producer = spate.Producer(fake_stream, "test")
    producer.close()
    with pytest.raises(spate.Closed):
        producer.put("k", b"x")
    producer.close()  # idempotent


def test_a_full_queue_raises_queue_full_without_blocking():
    fake = FakeStream()
    fake.create_stream(stream_name="s", shard_count=1)
    fake.inject_put_failures(partition_keys=["stuck"])
    producer = spate.Producer(fake, "s", max_queued_records=2, block=False, record_ttl=0.3)
    producer.put("stuck", b"1")
    producer.put("stuck", b"2")
    with pytest.raises(spate.QueueFull):
        producer.put("stuck", b"3")
    producer.close()


def test_aggregated_records_are_unpacked_by_the_consumer(fake_stream):
    with spate.Producer(fake_stream, "test", aggregate=True, linger=0.01) as producer:
        for i in range(100):
            producer.put(f"k{i}", f"v{i}".encode())
    assert len(read_all(fake_stream, "test")) < 100, "records must be packed"
    got = []
    for record in spate.Consumer(fake_stream, "test", "agg"):
        got.append(record)
        if len(got) == 100:
            break
    assert sorted(r.data for r in got) == sorted(f"v{i}".encode() for i in range(100))
    assert all(r.aggregated for r in got)


def test_the_help_text_documents_the_options():
    doc = spate.Producer.__doc__
    for option in ("max_batch_records", "linger", "ordered", "aggregate", "on_delivery"):
        assert option in doc


def test_outcomes_nobody_polls_for_do_not_pile_up(fake_stream):
    producer = spate.Producer(fake_stream, "test", linger=0.001)
    for i in range(20_000):
        producer.put(f"k{i % 10}", b"x")
        if i == 10_000:
            producer._core.flush(10)  # let the first half settle in C++, unpolled
    assert producer.pending < 12_000, "put() settles what arrived as it goes"
    producer.close()


def test_a_callback_that_raises_does_not_strand_the_other_deliveries(fake_stream):
    calls = []

    def on_delivery(error, result):
        calls.append(result)
        if len(calls) == 1:
            raise KeyboardInterrupt  # even a BaseException: the others settle first

    producer = spate.Producer(fake_stream, "test", on_delivery=on_delivery, linger=0.001)
    deliveries = [producer.put("k", b"x") for _ in range(20)]
    with pytest.raises(KeyboardInterrupt):
        while producer.pending:
            producer.flush(timeout=10)
    assert all(d._done for d in deliveries)
    assert producer.flush(timeout=10)
    producer.close()
