"""Producer: batches records into PutRecords calls in C++ and reports each record's outcome.

    with spate.Producer(client, "orders", linger=0.02) as producer:
        delivery = producer.put("customer-42", b'{"total": 9.5}')
        ...
    delivery.result()   # PutResult(shard_id, sequence_number, ...) or raises spate.Error

Records are queued and sent by C++ threads (max_in_flight concurrent PutRecords calls of up to
max_batch_records / max_batch_bytes, or whatever waited `linger` seconds); only the records a
call did not store are retried, with backoff, until record_ttl seconds passed. Outcomes are
collected in C++ and settled in Python only on a thread that calls poll(), flush(),
Delivery.result() or close() - and by put() itself every 1024 records - so on_delivery
callbacks never run on a C++ thread.
"""

import itertools
import threading
import time
from typing import Callable, NamedTuple, Optional, Union

from . import _core
from ._lifecycle import register_for_exit
from .errors import Closed, Error

Data = Union[bytes, bytearray, memoryview]

# put() settles arrived outcomes itself every this many records, so a producer whose owner
# never calls poll() or flush() holds at most that many settled outcomes.
_SETTLE_EVERY = 1024


class PutResult(NamedTuple):
    """Where a record was stored."""

    shard_id: str
    sequence_number: str
    sub_sequence_number: int  # position inside its KPL aggregate (0 if not aggregated)
    attempts: int  # PutRecords calls it took


class Delivery:
    """The pending outcome of one put(): a future-like handle."""

    __slots__ = ("_producer", "_result", "_error", "_done", "_callback", "__weakref__")

    def __init__(self, producer, callback):
        self._producer = producer
        self._callback = callback
        self._result = None
        self._error = None
        self._done = False

    def done(self) -> bool:
        """Whether the outcome is known (after a poll/flush on this side)."""
        if not self._done:
            self._producer.poll()
        return self._done

    def result(self, timeout: Optional[float] = None) -> PutResult:
        """Waits for the outcome (settling others on the way) and returns it, or raises the
        spate.Error the producer gave up with; TimeoutError after `timeout` seconds."""
        if not self._done:
            self._producer._wait_for(self, timeout)
        if self._error is not None:
            raise self._error
        return self._result

    def exception(self, timeout: Optional[float] = None) -> Optional[Error]:
        if not self._done:
            self._producer._wait_for(self, timeout)
        return self._error

    def _settle(self, result, error):
        self._result = result
        self._error = error
        self._done = True
        callback = self._callback
        self._callback = None
        if callback is not None:
            callback(error, result)

    def __repr__(self):
        state = "pending" if not self._done else ("failed" if self._error else "done")
        return f"<Delivery {state}>"


class Producer:
    """Batching, retrying producer for one stream.

    Producer(client, stream_name=None, *, stream_arn=None, max_batch_records=500,
             max_batch_bytes=5 MiB, linger=0.02, max_in_flight=4, max_queued_records=100000,
             max_queued_bytes=64 MiB, block=True, record_ttl=30.0, ordered=False,
             aggregate=False, exit_timeout=10.0, on_delivery=None)

    block: put() waits (interruptibly) while the queue is full; False raises QueueFull.
    ordered: a partition key never has two records in flight, so each key's records land in
      put() order even across retries. aggregate: pack records per shard into KPL aggregates
      (consumers, the KCL and Lambda unpack them).
    on_delivery(error, result): default callback for every record, run in poll()/flush().
    exit_timeout: at interpreter exit an open producer is closed with this timeout (seconds).
    """

    def __init__(self, client, stream_name: Optional[str] = None, *,
                 stream_arn: Optional[str] = None, max_batch_records: int = 500,
                 max_batch_bytes: int = 5 << 20, linger: float = 0.02, max_in_flight: int = 4,
                 max_queued_records: int = 100_000, max_queued_bytes: int = 64 << 20,
                 block: bool = True, record_ttl: float = 30.0, ordered: bool = False,
                 aggregate: bool = False, exit_timeout: float = 10.0,
                 on_delivery: Optional[Callable[[Optional[Error], Optional[PutResult]],
                                                None]] = None):
        if not stream_name and not stream_arn:
            raise ValueError("stream_name or stream_arn is required")
        self._core = _core.ProducerCore(
            client, stream_name, stream_arn, max_batch_records, max_batch_bytes, linger,
            max_in_flight, max_queued_records, max_queued_bytes, block, record_ttl, ordered,
            aggregate, exit_timeout)
        self.stream_name = stream_name
        self._on_delivery = on_delivery
        self._pending = {}
        self._tokens = itertools.count(1)
        self._closed = False
        self._lock = threading.RLock()
        self._deferred_error = None  # a callback's exception met outside poll()
        self.exit_timeout = exit_timeout
        register_for_exit(self)

    # ---- producing --------------------------------------------------------------------------

    def put(self, partition_key: str, data: Data, *, explicit_hash_key: Optional[str] = None,
            on_delivery=None, timeout: Optional[float] = None) -> Delivery:
        """Queues one record. TypeError for str data or a non-str key, ValueError for an empty
        or too long key or a record over 1 MiB, Closed after close(), QueueFull when the queue
        stays full (block=False: at once; else after `timeout` seconds)."""
        if self._closed:
            raise Closed("producer is closed", code="Closed")
        token = next(self._tokens)
        delivery = Delivery(self, on_delivery or self._on_delivery)
        self._pending[token] = delivery
        try:
            self._core.put(partition_key, data, explicit_hash_key, token, timeout)
        except BaseException:
            del self._pending[token]
            raise
        if token % _SETTLE_EVERY == 0:
            self._settle(defer_errors=True)  # outcomes nobody polls for would pile up
        return delivery

    def put_batch(self, records, *, timeout: Optional[float] = None) -> list:
        """put() for each (partition_key, data) pair; returns their Deliveries."""
        return [self.put(key, data, timeout=timeout) for key, data in records]

    # ---- outcomes ---------------------------------------------------------------------------

    def poll(self) -> int:
        """Settles every outcome that arrived (runs on_delivery callbacks on this thread);
        returns how many. A callback's exception propagates after all are settled (also one
        deferred from a put() that settled outcomes on the way)."""
        return self._settle(defer_errors=False)

    def _settle(self, defer_errors):
        with self._lock:
            completions = self._core.take_completions()
            first_error = None
            for token, shard_id, sequence, sub, attempts, error in completions:
                delivery = self._pending.pop(token, None)
                if delivery is None:
                    continue
                result = None if error is not None else PutResult(shard_id, sequence, sub,
                                                                  attempts)
                try:
                    delivery._settle(result, error)
                except BaseException as exc:  # noqa: BLE001 - every delivery settles first
                    if first_error is None:
                        first_error = exc
            if first_error is not None and self._deferred_error is None:
                self._deferred_error = first_error
            if not defer_errors and self._deferred_error is not None:
                error, self._deferred_error = self._deferred_error, None
                raise error
            return len(completions)

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Waits until every record put so far has its outcome (or `timeout` seconds), then
        settles them; True if none is left pending."""
        all_done = self._core.flush(timeout)
        self.poll()
        return all_done and not self._pending

    def _wait_for(self, delivery, timeout):
        deadline = None if timeout is None else time.monotonic() + timeout
        while not delivery._done:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._core.flush(min(0.1, left) if left is not None else 0.1)
            self.poll()
            if not delivery._done and deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError("record not settled yet")

    def fileno(self) -> int:
        """A descriptor that becomes readable when outcomes are waiting for poll()
        (spate.aio uses it with loop.add_reader)."""
        return self._core.fileno()

    @property
    def pending(self) -> int:
        """Records put and not settled yet."""
        return len(self._pending)

    def stats(self) -> dict:
        return self._core.stats()

    # ---- lifetime ---------------------------------------------------------------------------

    def close(self, timeout: Optional[float] = None) -> None:
        """Flushes (for up to `timeout` seconds; None: until every record has its outcome,
        each within record_ttl), stops the senders and settles every record: one still
        unsettled at the timeout fails with Closed. Later put() raises Closed. Idempotent."""
        if self._closed:
            return
        self._core.close(timeout)  # an interruption leaves it open: close() may run again
        self._closed = True
        self.poll()

    def _close_at_exit(self):
        self.close(self.exit_timeout)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<Producer stream={self.stream_name!r} pending={len(self._pending)}>"


