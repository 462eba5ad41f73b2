"""Consumer: reads every shard of a stream concurrently in C++, one worker of a group that
shares the shards with leases, and hands the records to Python on one thread.

Handler style:
    consumer = spate.Consumer(client, "orders", "billing", handler=process)
    consumer.run()                     # until stop(), Ctrl-C, or a failure

Iterator style:
    with spate.Consumer(client, "orders", "billing") as consumer:
        for record in consumer:
            process(record)

Readers (one C++ thread per owned shard; GetRecords polling, or SubscribeToShard when
efo_consumer_arn is set) read ahead; each batch waits until this thread processed it, and only
then counts as handled and may be checkpointed (after checkpoint_every_records records, every
checkpoint_interval seconds, at shard end, handover and stop). Delivery is at least once, in
order per shard, parents before children across splits and merges. Workers of one application
share the shards through the checkpointer (SQLite file, Redis, Django, your own); each takes
its fair share, expired leases are taken over, and new shards are noticed by themselves.
"""

import datetime
import threading
import time
from typing import Callable, Iterator, Optional

from . import _core
from ._lifecycle import register_for_exit
from .errors import Closed, HandlerError

_SLICE = 0.1


def _initial_position(position):
    if isinstance(position, datetime.datetime):
        if position.tzinfo is None:
            raise ValueError("initial_position: use a timezone-aware datetime")
        return position.timestamp()
    if position in ("TRIM_HORIZON", "LATEST"):
        return position
    raise ValueError("initial_position: 'TRIM_HORIZON', 'LATEST' or an aware datetime")


def _store(checkpointer):
    # A Python-level wrapper of a C++ store hands over its native handle.
    native = getattr(checkpointer, "native", None)
    return native if native is not None else checkpointer


def handler_failed(core, exc, record, batch):
    """Fails the batch in hand with what the handler raised (the C++ consumer stops with
    that reason) and returns the HandlerError naming the record (or the batch)."""
    where = (f"record {record.sequence_number} of {record.shard_id}"
             if record is not None else f"a batch of {len(batch)} records")
    message = f"handler raised {type(exc).__name__} on {where}: {exc}"
    core.batch_done(message)
    return HandlerError(message, record=record, batch=batch)


class Consumer:
    """Consumer(client, stream_name, application, *, handler=None, batch_handler=None,
    checkpointer=None, initial_position="TRIM_HORIZON", efo_consumer_arn=None,
    on_error="stop", handler_retries=3, worker_id=None, max_records_per_call=10000,
    idle_poll_interval=0.2, checkpoint_every_records=10000, checkpoint_interval=1.0,
    lease_duration=10.0, shard_sync_interval=10.0, max_leases=0, unreachable_timeout=0)

    handler(record) is called for each record, batch_handler(shard_id, records) for each
    batch (give one, or neither and iterate). An exception from a handler stops the consumer
    and run()/iteration raises HandlerError naming the record, with the exception as cause
    (on_error="retry": the record is retried handler_retries times with backoff first). The
    checkpointer defaults to an in-memory one (no sharing, no durability). unreachable_timeout
    (seconds, 0 = ride out any outage) makes the consumer fail once the endpoint has not
    answered for that long.
    """

    def __init__(self, client, stream_name: Optional[str] = None,
                 application: Optional[str] = None, *, stream_arn: Optional[str] = None,
                 handler: Optional[Callable] = None, batch_handler: Optional[Callable] = None,
                 checkpointer=None, initial_position="TRIM_HORIZON",
                 efo_consumer_arn: Optional[str] = None, on_error: str = "stop",
                 handler_retries: int = 3, worker_id: Optional[str] = None,
                 max_records_per_call: int = 10_000, idle_poll_interval: float = 0.2,
                 checkpoint_every_records: int = 10_000, checkpoint_interval: float = 1.0,
                 lease_duration: float = 10.0, shard_sync_interval: float = 10.0,
                 max_leases: int = 0, unreachable_timeout: float = 0):
        if not application:
            raise ValueError("application is required: it names the consumer group")
        if handler is not None and batch_handler is not None:
            raise ValueError("give handler or batch_handler, not both")
        if on_error not in ("stop", "retry"):
            raise ValueError("on_error must be 'stop' or 'retry'")
        self._core = _core.ConsumerCore(
            client, application, stream_name, stream_arn, worker_id, _store(checkpointer),
            _initial_position(initial_position), efo_consumer_arn, max_records_per_call,
            idle_poll_interval, checkpoint_every_records, checkpoint_interval, lease_duration,
            shard_sync_interval, max_leases, unreachable_timeout)
        self.stream_name = stream_name
        self.application = application
        self._handler = handler
        self._batch_handler = batch_handler
        self._on_error = on_error
        self._retries = handler_retries
        self._stop_requested = False
        self._closed = False
        self._dispatching = None  # the thread in run() or iteration
        self._finished = threading.Event()
        self._state = threading.Lock()  # guards _dispatching and _closed
        register_for_exit(self)

    @property
    def worker_id(self) -> str:
        return self._core.worker_id

    def stats(self) -> dict:
        """records, batches, checkpoints, shards_finished, leases_taken, leases_lost,
        owned_shards."""
        return self._core.stats()

    # ---- running ----------------------------------------------------------------------------

    def run(self, timeout: Optional[float] = None) -> None:
        """Dispatches records to the handler on this thread until stop() (from the handler or
        another thread), `timeout` seconds, Ctrl-C (KeyboardInterrupt, after a clean stop) or a
        failure (raised). Stops the consumer before returning."""
        if self._handler is None and self._batch_handler is None:
            raise ValueError("run() needs handler= or batch_handler=; or iterate instead")
        deadline = None if timeout is None else time.monotonic() + timeout
        for _ in self._batches(deadline):
            pass

    def __iter__(self) -> Iterator:
        """Yields records, one shard's batch after another. A batch counts as processed when
        the next record is asked for; leaving the loop (break, exception) stops the consumer
        and the unfinished batch is read again by the next owner."""
        for _shard, records in self._batches(None, yield_records=True):
            yield from records

    def batches(self, timeout: Optional[float] = None) -> Iterator:
        """Yields (shard_id, [Record]) per batch; the batch is processed when the next one is
        asked for."""
        deadline = None if timeout is None else time.monotonic() + timeout
        yield from self._batches(deadline, yield_records=True)

    def _batches(self, deadline, yield_records=False):
        with self._state:
            if self._closed:
                raise Closed("consumer is closed", code="Closed")
            if self._dispatching is not None:
                raise RuntimeError("this consumer is already being run")
            self._dispatching = threading.current_thread()
            self._core.start()
        clean = False
        try:
            while not self._stop_requested:
                wait = _SLICE
                if deadline is not None:
                    wait = min(wait, deadline - time.monotonic())
                    if wait <= 0:
                        break
                item = self._core.next_batch(wait)
                if item is None:
                    if self._core.ended():
                        break
                    continue
                shard_id, records, _behind = item
                if yield_records:
                    yield shard_id, records
                else:
                    self._handle(shard_id, records)
                self._core.batch_done(None)
            clean = True
        finally:
            with self._state:
                self._dispatching = None
            self._shutdown()
        if clean:
            failure = self._core.failure()
            if failure is not None and not isinstance(failure, HandlerError):
                raise failure

    def _handle(self, shard_id, records):
        if self._batch_handler is not None:
            self._call(self._batch_handler, (shard_id, records), None, records)
            return
        handler = self._handler
        for record in records:  # the whole batch, even after a stop request: it is then done
            self._call(handler, (record,), record, None)

    def _call(self, fn, args, record, batch):
        attempt = 0
        while True:
            try:
                fn(*args)
                return
            except Exception as exc:
                attempt += 1
                if self._on_error == "retry" and attempt <= self._retries:
                    time.sleep(min(0.05 * (2 ** attempt), 2.0))
                    continue
                raise handler_failed(self._core, exc, record, batch) from exc

    # ---- stopping ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Stops the consumer: from a handler (or iteration) it ends the loop after the current
        batch; from another thread it waits until the loop has ended; otherwise it stops at
        once. Final checkpoints are written and leases released. Idempotent."""
        self._stop_requested = True
        with self._state:
            running = self._dispatching
            if running is None:
                if self._closed:
                    return
                self._closed = True  # a loop starting now sees it and raises Closed
        if running is None:
            self._shutdown(marked=True)
        elif running is not threading.current_thread():
            while not self._finished.wait(_SLICE):
                pass

    close = stop

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def request_stop(self) -> None:
        """Asks the loop (run() or iteration) to end after the current batch, and returns at
        once; the loop then stops the consumer. Safe from any thread and signal handler."""
        self._stop_requested = True

    def _shutdown(self, marked=False):
        if not marked:
            with self._state:
                if self._closed:
                    return
                self._closed = True
        try:
            self._core.stop()
        finally:
            self._finished.set()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return (f"<Consumer stream={self.stream_name!r} application={self.application!r} "
                f"worker={self.worker_id!r}>")
