"""Where a consumer group keeps each shard's lease and checkpoint.

The store offers two operations, list(group) and compare_and_set(group, lease,
expected_version), plus clear(group); the consumer builds leases, checkpoints and handover on
them identically for every store. A lease is a dict: shard_id, parent_shard_ids, checkpoint,
owner, pending_owner, renewed_ms, version (bumped by every write; 0 = no entry).

    MemoryCheckpointer()          one process, no durability (C++)
    SQLiteCheckpointer(path)      one file (WAL), shared by the processes of one machine (C++)
    RedisCheckpointer(url)        redis://host:port[/db], workers on several machines (C++)
    spate.django.DjangoCheckpointer(...)   a Django model
    Checkpointer                  subclass it to keep leases in your own store (Python)
    PynesisCheckpointer           adapts a pynesis-style checkpoint/get_checkpoint store

Python stores are called on the thread that runs the consumer, never on a C++ thread.
"""

import threading
import time
from typing import List, Optional
from urllib.parse import urlparse

from . import _core


class _Native:
    """A C++ store. `native` is what the Consumer takes."""

    def __init__(self, uri):
        self.native = _core.Checkpointer(uri)
        self.uri = uri

    def list(self, group: str) -> List[dict]:
        return self.native.list(group)

    def compare_and_set(self, group: str, lease: dict, expected_version: int) -> bool:
        return self.native.compare_and_set(group, lease, expected_version)

    def clear(self, group: str) -> None:
        self.native.clear(group)

    def __repr__(self):
        return f"<{type(self).__name__} {self.uri}>"


class MemoryCheckpointer(_Native):
    def __init__(self):
        super().__init__("memory:")


class SQLiteCheckpointer(_Native):
    def __init__(self, path: str):
        super().__init__("sqlite:" + str(path))


class RedisCheckpointer(_Native):
    def __init__(self, url: str = "redis://127.0.0.1:6379/0"):
        parsed = urlparse(url)
        if parsed.scheme != "redis" or not parsed.hostname:
            raise ValueError("RedisCheckpointer: url must be redis://host:port[/db]")
        super().__init__(url)


class Checkpointer:
    """Base class of a store written in Python: implement list, compare_and_set and clear.

    compare_and_set must store `lease` (keyed by lease["shard_id"]) only if the stored
    version equals expected_version (0: no entry yet), storing version expected_version + 1,
    and return whether it did, atomically against other workers.
    """

    def list(self, group: str) -> List[dict]:
        raise NotImplementedError

    def compare_and_set(self, group: str, lease: dict, expected_version: int) -> bool:
        raise NotImplementedError

    def clear(self, group: str) -> None:
        raise NotImplementedError


class PynesisCheckpointer(Checkpointer):
    """Adapts a pynesis-shaped store - checkpoint(shard_id, sequence_number),
    get_checkpoint(shard_id), get_all_checkpoints() - to a Checkpointer.

    Such a store keeps only sequence numbers, so leases live in this process: use it with a
    single worker (several workers need a store with compare-and-set). Checkpoints are
    written through to the store and read from it when a shard is first seen.
    """

    def __init__(self, store):
        for method in ("checkpoint", "get_checkpoint", "get_all_checkpoints"):
            if not callable(getattr(store, method, None)):
                raise TypeError(f"store has no method {method}()")
        self.store = store
        self._leases = {}
        self._lock = threading.Lock()

    def list(self, group):
        with self._lock:
            return [dict(v) for k, v in sorted(self._leases.items()) if k[0] == group]

    def compare_and_set(self, group, lease, expected_version):
        key = (group, lease["shard_id"])
        with self._lock:
            current = self._leases.get(key)
            version = current["version"] if current else 0
            if version != expected_version:
                return False
            stored = dict(lease)
            if current is None and not _is_position(stored.get("checkpoint") or ""):
                # First sight of the shard in this process: the store's position, if it has
                # one, wins over the start marker the consumer proposes.
                saved = self.store.get_checkpoint(lease["shard_id"])
                if saved:
                    stored["checkpoint"] = saved
            stored["version"] = expected_version + 1
            stored["renewed_ms"] = int(time.time() * 1000)
            checkpoint = stored.get("checkpoint") or ""
            if _is_position(checkpoint) and checkpoint != (current or {}).get("checkpoint"):
                self.store.checkpoint(lease["shard_id"], checkpoint)
            self._leases[key] = stored
            return True

    def clear(self, group):
        with self._lock:
            for key in [k for k in self._leases if k[0] == group]:
                del self._leases[key]


def _is_position(checkpoint):
    """A sequence number or SHARD_END: what a pynesis store keeps (not the start markers)."""
    return checkpoint.isdigit() or checkpoint == "SHARD_END"


def open_checkpointer(uri: Optional[str]):
    """A store from a URI: memory:, sqlite:PATH (or a bare path), redis://host:port[/db]."""
    if uri is None or uri == "memory:":
        return MemoryCheckpointer()
    if uri.startswith("redis://"):
        return RedisCheckpointer(uri)
    if uri.startswith("sqlite:"):
        return SQLiteCheckpointer(uri[len("sqlite:"):])
    return SQLiteCheckpointer(uri)
