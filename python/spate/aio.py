"""asyncio: the same C++ producer and consumer, awaited instead of waited for.

    async with spate.aio.Producer(client, "orders") as producer:
        result = await producer.put("customer-42", b"...")

    async with spate.aio.Consumer(client, "orders", "billing") as consumer:
        async for record in consumer:
            ...

No thread per call: the C++ side makes a descriptor (an eventfd) readable when outcomes or
batches are waiting, and the event loop watches it with loop.add_reader; the callbacks then run
on the loop's thread. Cancelling the task that awaits stops nothing by itself for a producer
(its records stay queued and are delivered); for a consumer, leaving `async with` (or
cancelling the task in it) stops it cleanly: final checkpoints, leases released.
"""

import asyncio
import os
from typing import Optional

from . import consumer as _consumer
from . import producer as _producer
from .errors import Closed, HandlerError, QueueFull


class Producer:
    """spate.Producer for asyncio: `await put(...)` returns the PutResult (or raises);
    put_nowait() returns an asyncio.Future. Same options as spate.Producer."""

    def __init__(self, client, stream_name: Optional[str] = None, **options):
        options.setdefault("block", False)
        self._sync = _producer.Producer(client, stream_name, **options)
        self._loop = None
        self._idle = None

    def _attach(self):
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._idle = asyncio.Event()
            self._idle.set()
            self._loop.add_reader(self._sync.fileno(), self._on_ready)

    def _on_ready(self):
        try:
            self._sync.poll()  # a callback's exception surfaces in the loop's handler
        finally:
            if self._sync.pending == 0:
                self._idle.set()

    def put_nowait(self, partition_key: str, data, *, explicit_hash_key=None) -> asyncio.Future:
        """Queues a record; the future settles on the loop's thread. QueueFull at once when
        the queue is full."""
        self._attach()
        future = self._loop.create_future()

        def settle(error, result):
            if future.cancelled():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

        self._sync.put(partition_key, data, explicit_hash_key=explicit_hash_key,
                       on_delivery=settle, timeout=0)
        self._idle.clear()
        return future

    async def put(self, partition_key: str, data, *, explicit_hash_key=None):
        """Queues a record and waits for its outcome, waiting for room first while the queue
        is full."""
        delay = 0.001
        while True:
            try:
                future = self.put_nowait(partition_key, data,
                                         explicit_hash_key=explicit_hash_key)
                break
            except QueueFull:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)
        return await future

    async def flush(self) -> None:
        """Waits until every record put so far has its outcome."""
        self._attach()
        self._on_ready()
        while self._sync.pending:
            self._idle.clear()
            self._on_ready()
            if self._sync.pending:
                await self._idle.wait()

    async def close(self) -> None:
        if self._sync.closed:
            return
        await self.flush()
        if self._loop is not None:
            self._loop.remove_reader(self._sync.fileno())
        self._sync.close()

    def stats(self) -> dict:
        return self._sync.stats()

    async def __aenter__(self):
        self._attach()
        return self

    async def __aexit__(self, *exc):
        await self.close()


class Consumer:
    """spate.Consumer for asyncio: `async for record in consumer`, or `await run()` with a
    handler (a plain or an async function). Same options as spate.Consumer."""

    def __init__(self, client, stream_name: Optional[str] = None,
                 application: Optional[str] = None, **options):
        self._handler = options.pop("handler", None)
        self._sync = _consumer.Consumer(client, stream_name, application, **options)
        self._core = self._sync._core
        self._loop = None
        self._wakeup = None
        self._started = False
        self._stopping = False
        self._iterating = False

    def _attach(self):
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._wakeup = asyncio.Event()
            self._loop.add_reader(self._core.fileno(), self._on_readable)
        if not self._started:
            if self._sync.closed:
                raise Closed("consumer is closed", code="Closed")
            self._started = True
            self._core.start()

    def _on_readable(self):
        # Read the eventfd back to zero: it is level-triggered, and a batch waiting while the
        # application awaits something else must not wake the loop on every iteration.
        try:
            os.read(self._core.fileno(), 8)
        except BlockingIOError:
            pass
        self._wakeup.set()

    async def _next_batch(self):
        while not self._stopping:
            item = self._core.next_batch(0)  # also runs waiting store calls
            if item is not None:
                return item
            if self._core.ended():
                return None
            self._wakeup.clear()
            item = self._core.next_batch(0)
            if item is not None:
                return item
            await self._wakeup.wait()
        return None

    async def batches(self):
        """Yields (shard_id, [Record]); a batch is processed when the next is asked for.
        Leaving the loop (break, an exception, cancellation) stops the consumer; the batch in
        hand is then read again by the next owner."""
        if self._iterating:
            raise RuntimeError("this consumer is already being iterated")
        self._iterating = True
        self._attach()
        finished = False
        try:
            while True:
                item = await self._next_batch()
                if item is None:
                    break
                shard_id, records, _behind = item
                yield shard_id, records
                self._core.batch_done(None)
            finished = True
        finally:
            self._iterating = False
            if not finished:
                await self.stop()
        failure = self._core.failure()
        if failure is not None and not isinstance(failure, HandlerError):
            raise failure

    def __aiter__(self):
        return self._records()

    async def _records(self):
        async for _shard, records in self.batches():
            for record in records:
                yield record

    async def run(self) -> None:
        """Calls the handler (awaiting it if it is a coroutine function) for each record until
        stop(); a handler's exception stops the consumer and raises HandlerError."""
        if self._handler is None:
            raise ValueError("run() needs handler=")
        try:
            async for _shard, records in self.batches():
                for record in records:
                    try:
                        outcome = self._handler(record)
                        if asyncio.iscoroutine(outcome):
                            await outcome
                    except Exception as exc:
                        raise _consumer.handler_failed(self._core, exc, record, None) from exc
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stops the consumer: final checkpoints, leases released. Runs the C++ stop on the
        default executor so the loop keeps serving meanwhile."""
        self._stopping = True
        if self._wakeup is not None:
            self._wakeup.set()
        if self._loop is not None:
            self._loop.remove_reader(self._core.fileno())
        if not self._sync.closed:
            await asyncio.get_running_loop().run_in_executor(None, self._sync.stop)

    def stats(self) -> dict:
        return self._sync.stats()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.stop()
