"""DummyStream: a stream of fixed fake records for code that only reads, with no pytest or
server behind it (spate.testing re-exports it; spate.django serves pynesis's DummyBackend
with it)."""

import time
from typing import Iterator

from ._core import Record


class DummyStream:
    """pynesis's DummyStream, done properly: a stream of fixed fake records for code that
    only reads. DummyStream(records=None, loop=False, count=10): `records` are
    (partition_key, data) pairs (default: count records "key-i" / b"data-i"); read() yields
    Records with increasing sequence numbers on "shardId-000000000000", repeating forever
    when loop=True, until stop()."""

    def __init__(self, records=None, *, loop: bool = False, count: int = 10):
        if records is None:
            records = [(f"key-{i}", f"data-{i}".encode()) for i in range(count)]
        self._records = list(records)
        self._loop = loop
        self._stopped = False
        self.put_records = []

    def put(self, partition_key: str, data: bytes, **_):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("data must be bytes")
        self.put_records.append((partition_key, bytes(data)))

    def read(self) -> Iterator[Record]:
        self._stopped = False
        sequence = 0
        start_ms = int(time.time() * 1000)
        while not self._stopped:
            for key, data in self._records:
                if self._stopped:
                    return
                sequence += 1
                yield Record(sequence_number=str(sequence), partition_key=key, data=data,
                             arrival_ms=start_ms + sequence, shard_id="shardId-000000000000")
            if not self._loop:
                return

    def stop(self):
        self._stopped = True
