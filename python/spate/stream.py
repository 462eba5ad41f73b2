"""Stream: one stream by name, the short way in - put, put_batch, read, stop.

    stream = spate.Stream("orders")                  # Client() from AWS_* variables
    stream.put("customer-42", b"...")                # one PutRecord, returns PutResult
    stream.put_batch([("k1", b"a"), ("k2", b"b")])   # PutRecords, failed entries retried
    for record in stream.read():                     # every shard, until stop()
        ...

read() runs a Consumer (a group named after the stream unless `application` is given, an
in-memory checkpointer unless one is given) and yields its records; stop() ends every read()
of the stream at the next record (within 0.1 s when it is waiting for records), from any
thread or from inside the loop; what it had not yielded yet is read again by the next read(). Each read() has its own
consumer, so threads may read one Stream concurrently.

codec="json": put() takes any JSON-serialisable value and read() yields decoded values (what
pynesis did); a record that is not JSON raises ValueError naming it, instead of becoming {}.
"""

import json
import threading
import time
from typing import Iterable, Iterator, List, Optional, Tuple

from . import _core
from .consumer import Consumer
from .errors import error_class
from .producer import PutResult


class Stream:
    def __init__(self, name: str, client=None, *, application: Optional[str] = None,
                 checkpointer=None, initial_position="TRIM_HORIZON",
                 codec: Optional[str] = None, **consumer_options):
        if codec not in (None, "json"):
            raise ValueError("codec must be None or 'json'")
        self.name = name
        self.codec = codec
        self.client = client if client is not None else _core.Client()
        self.application = application or f"spate-stream-{name}"
        self._checkpointer = checkpointer
        self._initial_position = initial_position
        self._consumer_options = consumer_options
        self._readers = set()
        self._readers_lock = threading.Lock()

    def put(self, partition_key: str, data: bytes, *,
            explicit_hash_key: Optional[str] = None) -> PutResult:
        """One PutRecord; raises spate.Error subclasses on failure."""
        data = self._encode(data)
        r = self.client.put_record(stream_name=self.name, partition_key=partition_key,
                                   data=data, explicit_hash_key=explicit_hash_key or "")
        return PutResult(r["shard_id"], r["sequence_number"], 0, 1)

    def put_batch(self, records: Iterable[Tuple[str, bytes]], *, max_attempts: int = 8
                  ) -> List[PutResult]:
        """PutRecords in calls of up to 500; entries a call did not store (throttled,
        internal failure) are sent again, alone, with backoff. Returns results in input
        order; raises the last entry error if some never got stored."""
        entries = [{"partition_key": k, "data": self._encode(d)} for k, d in records]
        results: List[Optional[PutResult]] = [None] * len(entries)
        for start in range(0, len(entries), 500):
            todo = list(range(start, min(start + 500, len(entries))))
            attempt = 0
            while todo:
                attempt += 1
                r = self.client.put_records(stream_name=self.name,
                                            records=[entries[i] for i in todo])
                failed = []
                for i, out in zip(todo, r["records"]):
                    if "error_code" in out:
                        failed.append((i, out))
                    else:
                        results[i] = PutResult(out["shard_id"], out["sequence_number"], 0,
                                               attempt)
                if failed and attempt >= max_attempts:
                    code, message = failed[-1][1]["error_code"], failed[-1][1]["error_message"]
                    raise error_class(code)(f"{len(failed)} records not stored after {attempt} "
                                            f"attempts: {message}", code=code)
                todo = [i for i, _ in failed]
                if todo:
                    time.sleep(min(0.025 * (2 ** attempt), 2.0))
        return results

    def read(self, **overrides) -> Iterator:
        """Yields records (decoded values with codec="json") of every shard until stop();
        see Consumer for the options."""
        options = dict(self._consumer_options)
        options.update(overrides)
        consumer = Consumer(self.client, self.name, self.application,
                            checkpointer=self._checkpointer,
                            initial_position=self._initial_position, **options)
        with self._readers_lock:
            self._readers.add(consumer)
        try:
            for record in consumer:
                yield self._decode(record) if self.codec else record
                if consumer.stop_requested:
                    break  # at once: the rest of this batch is not checkpointed, read again
        finally:
            with self._readers_lock:
                self._readers.discard(consumer)
            consumer.stop()

    def stop(self) -> None:
        """Ends every read() of this stream at its next record (within 0.1 s when it is waiting
        for records)."""
        with self._readers_lock:
            readers = list(self._readers)
        for consumer in readers:
            consumer.request_stop()

    def _encode(self, value):
        if self.codec == "json":
            return json.dumps(value).encode()
        return value

    @staticmethod
    def _decode(record):
        try:
            return json.loads(record.data)
        except ValueError as e:
            raise ValueError(f"record {record.sequence_number} of {record.shard_id} is not "
                             f"JSON: {e}") from e

    def __repr__(self):
        return f"<Stream {self.name!r}>"
