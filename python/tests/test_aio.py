"""spate.aio: the same producer and consumer awaited on an event loop, completion signalled
through a descriptor the loop watches (no thread per call), clean stop on cancellation."""

import asyncio
import threading

import pytest

import spate
import spate.aio
from spate.testing import FakeStream


def fake_with_stream(shards=2):
    fake = FakeStream()
    fake.create_stream(stream_name="s", shard_count=shards)
    return fake


def test_await_put_returns_where_the_record_landed():
    fake = fake_with_stream()

    async def main():
        async with spate.aio.Producer(fake, "s", linger=0.001) as producer:
            results = await asyncio.gather(*(producer.put(f"k{i}", b"x") for i in range(200)))
        return results

    results = asyncio.run(main())
    assert len(results) == 200
    assert all(r.sequence_number for r in results)


def test_no_thread_is_started_per_call():
    fake = fake_with_stream()

    async def main():
        async with spate.aio.Producer(fake, "s", linger=0.001) as producer:
            before = threading.active_count()
            await asyncio.gather(*(producer.put(f"k{i}", b"x") for i in range(500)))
            return before, threading.active_count()

    before, after = asyncio.run(main())
    assert after <= before


def test_put_failures_raise_the_same_classes_as_sync():
    fake = fake_with_stream(1)
    fake.inject_put_failures(partition_keys=["bad"])

    async def main():
        async with spate.aio.Producer(fake, "s", record_ttl=0.1, linger=0.001) as producer:
            with pytest.raises(spate.RecordExpired):
                await producer.put("bad", b"x")
            with pytest.raises(TypeError):
                await producer.put("k", "not bytes")

    asyncio.run(main())


def test_async_for_reads_records_and_exit_stops_cleanly():
    fake = fake_with_stream()
    fake.put_records(stream_name="s", records=[
        {"partition_key": f"k{i}", "data": f"{i}".encode()} for i in range(300)])

    async def main():
        got = []
        consumer = spate.aio.Consumer(fake, "s", "aio", idle_poll_interval=0.01)
        async with consumer:
            async for record in consumer:
                got.append(record.data)
                if len(got) == 300:
                    break
        return got, consumer

    got, consumer = asyncio.run(main())
    assert sorted(got) == sorted(f"{i}".encode() for i in range(300))
    assert consumer._sync.closed


def test_cancelling_the_consuming_task_stops_the_consumer():
    fake = fake_with_stream()
    store = spate.MemoryCheckpointer()

    async def consume(consumer, started):
        async with consumer:
            async for _ in consumer:
                started.set()

    async def main():
        consumer = spate.aio.Consumer(fake, "s", "cancel", checkpointer=store,
                                      idle_poll_interval=0.01)
        started = asyncio.Event()
        task = asyncio.create_task(consume(consumer, started))
        fake.put_record(stream_name="s", partition_key="k", data=b"x")
        await asyncio.wait_for(started.wait(), 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return consumer

    consumer = asyncio.run(main())
    assert consumer._sync.closed
    entries = store.list(spate._core.group_key("cancel", "s"))
    assert entries and all(e["owner"] == "" for e in entries), "leases released"


def test_an_async_handler_is_awaited_and_its_exception_is_a_handler_error():
    fake = fake_with_stream(1)
    fake.put_records(stream_name="s", records=[
        {"partition_key": "k", "data": f"{i}".encode()} for i in range(5)])
    seen = []

    async def handler(record):
        await asyncio.sleep(0)
        seen.append(record.data)
        if record.data == b"3":
            raise ValueError("bad record")

    async def main():
        consumer = spate.aio.Consumer(fake, "s", "ah", handler=handler, idle_poll_interval=0.01)
        with pytest.raises(spate.HandlerError) as info:
            await consumer.run()
        return info.value

    error = asyncio.run(main())
    assert error.record.data == b"3"
    assert seen == [b"0", b"1", b"2", b"3"]


def test_a_waiting_batch_does_not_spin_the_loop_while_the_application_awaits():
    import resource
    fake = fake_with_stream(1)
    fake.put_records(stream_name="s", records=[
        {"partition_key": "k", "data": b"x"} for _ in range(10)])

    async def main():
        async with spate.aio.Consumer(fake, "s", "idle", idle_poll_interval=0.01) as consumer:
            async for _ in consumer:
                # More batches become ready meanwhile; an eventfd left readable would make the
                # loop's selector return at once, over and over, for this whole second.
                fake.put_record(stream_name="s", partition_key="k", data=b"y")
                before = resource.getrusage(resource.RUSAGE_SELF)
                await asyncio.sleep(1.0)
                after = resource.getrusage(resource.RUSAGE_SELF)
                return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)

    used = asyncio.run(main())
    assert used < 0.5, f"{used:.2f} s of CPU while the loop only slept for one second"


def test_breaking_out_of_async_for_without_async_with_stops_the_consumer():
    fake = fake_with_stream(1)
    fake.put_record(stream_name="s", partition_key="k", data=b"x")

    async def main():
        consumer = spate.aio.Consumer(fake, "s", "brk", idle_poll_interval=0.01)
        async for _ in consumer:
            break
        for _ in range(3000):  # the generator is closed by the loop soon after the break
            if consumer._sync.closed:
                return True
            await asyncio.sleep(0.01)
        return False

    assert asyncio.run(main()), "the consumer was never stopped"
