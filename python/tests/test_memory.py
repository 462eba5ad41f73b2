"""Consuming leaves no reference cycles behind per record, and Record objects are freed as
soon as the application drops them (RSS over millions of records is measured by make bench)."""

import gc
import tracemalloc

import spate
from spate.testing import FakeStream


def consume(n, style):
    fake = FakeStream()
    fake.create_stream(stream_name="s", shard_count=2)
    for start in range(0, n, 500):
        fake.put_records(stream_name="s", records=[
            {"partition_key": f"k{i}", "data": b"x" * 100} for i in range(start, start + 500)])
    seen = 0
    if style == "iterate":
        for _ in spate.Consumer(fake, "s", "mem", idle_poll_interval=0.01):
            seen += 1
            if seen == n:
                break
    else:
        def handler(record):
            nonlocal seen
            seen += 1
            if seen == n:
                consumer.request_stop()
        consumer = spate.Consumer(fake, "s", "mem", handler=handler, idle_poll_interval=0.01)
        consumer.run(timeout=60)
        del consumer
    assert seen == n


def garbage_after(n, style):
    gc.collect()
    gc.disable()
    try:
        consume(n, style)
        return gc.collect()
    finally:
        gc.enable()


def test_no_reference_cycles_per_record():
    for style in ("iterate", "handler"):
        small, large = garbage_after(1_000, style), garbage_after(20_000, style)
        assert large <= small + 5, f"{style}: {large} objects in cycles for 20k records, " \
                                   f"{small} for 1k"


def test_records_are_freed_when_dropped():
    consume(1_000, "iterate")  # warm-up: imports, caches, the blocking-call pool
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        consume(20_000, "iterate")  # 20,000 records of 100 bytes: 2 MB of data alone
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 512 * 1024, f"{grown} bytes still held after 20,000 records"


def test_record_data_is_one_bytes_object():
    fake = FakeStream()
    fake.create_stream(stream_name="s", shard_count=1)
    fake.put_record(stream_name="s", partition_key="k", data=b"payload")
    for record in spate.Consumer(fake, "s", "one", idle_poll_interval=0.01):
        assert record.data is record.data, "each access must not copy the data again"
        assert record.data == b"payload"
        break
