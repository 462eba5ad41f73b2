"""Stream: one stream by name, the short way in - put, put_batch, read, stop.

    stream = spate.Stream("orders")                  # Client() from AWS_* variables
    stream.put("customer-42", b"...")                # one PutRecord, returns PutResult
    stream.put_batch([("k1", b"a"), ("k2", b"b")])   # PutRecords, failed entries retried
    for record in stream.read():                     # every shard, until stop()
        ...

read() runs a Consumer (a group named after the stream unless `application` is given, an
in-memory checkpointer unless one is given) and yields its records; stop() ends it within
0.1 s, from any thread or from inside the loop.
"""

import time
from typing import Iterable, Iterator, List, Optional, Tuple

from . import _core
from .consumer import Consumer
from .errors import Throttled, InternalFailure
from .producer import PutResult


class Stream:
    def __init__(self, name: str, client=None, *, application: Optional[str] = None,
                 checkpointer=None, initial_position="TRIM_HORIZON", **consumer_options):
        self.name = name
        self.client = client if client is not None else _core.Client()
        self.application = application or f"spate-stream-{name}"
        self._checkpointer = checkpointer
        self._initial_position = initial_position
        self._consumer_options = consumer_options
        self._consumer = None
        self._stopped = False

    def put(self, partition_key: str, data: bytes, *,
            explicit_hash_key: Optional[str] = None) -> PutResult:
        """One PutRecord; raises spate.Error subclasses on failure."""
        r = self.client.put_record(stream_name=self.name, partition_key=partition_key,
                                   data=data, explicit_hash_key=explicit_hash_key or "")
        return PutResult(r["shard_id"], r["sequence_number"], 0, 1)

    def put_batch(self, records: Iterable[Tuple[str, bytes]], *, max_attempts: int = 8
                  ) -> List[PutResult]:
        """PutRecords in calls of up to 500; entries a call did not store (throttled,
        internal failure) are sent again, alone, with backoff. Returns results in input
        order; raises the last entry error if some never got stored."""
        entries = [{"partition_key": k, "data": d} for k, d in records]
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
                    cls = Throttled if code.startswith("Provisioned") else InternalFailure
                    raise cls(f"{len(failed)} records not stored after {attempt} attempts: "
                              f"{message}", code=code)
                todo = [i for i, _ in failed]
                if todo:
                    time.sleep(min(0.025 * (2 ** attempt), 2.0))
        return results

    def read(self, **overrides) -> Iterator:
        """Yields records of every shard until stop(); see Consumer for the options."""
        options = dict(self._consumer_options)
        options.update(overrides)
        self._stopped = False
        self._consumer = Consumer(self.client, self.name, self.application,
                                  checkpointer=self._checkpointer,
                                  initial_position=self._initial_position, **options)
        try:
            for record in self._consumer:
                yield record
                if self._stopped:
                    break
        finally:
            consumer, self._consumer = self._consumer, None
            consumer.stop()

    def stop(self) -> None:
        """Ends read() within 0.1 s."""
        self._stopped = True
        consumer = self._consumer
        if consumer is not None:
            consumer._stop_requested = True

    def __repr__(self):
        return f"<Stream {self.name!r}>"
