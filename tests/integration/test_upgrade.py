"""A data directory from a newer spated is refused, untouched (docs/operations.md, Upgrade).

Proves: spated started on a data directory whose catalog schema is newer than it knows exits
1 before serving, with a message that names the versions it reads and what to do, and leaves
the directory as it found it: set back to this build's schema, the directory serves its
stream and records again.
"""

from __future__ import annotations

import sqlite3
import subprocess

from spate_harness import read_shard, spated_binary, wait_active


def schema_version(data_dir) -> int:
    with sqlite3.connect(data_dir / "catalog.db") as db:
        return db.execute("SELECT version FROM schema_version").fetchone()[0]


def set_schema_version(data_dir, version: int) -> None:
    with sqlite3.connect(data_dir / "catalog.db") as db:
        db.execute("UPDATE schema_version SET version = ?", (version,))


def test_a_newer_catalog_is_refused_and_left_alone(spated_factory):
    server = spated_factory()
    kinesis = server.client()
    kinesis.create_stream(StreamName="kept", ShardCount=1)
    wait_active(kinesis, "kept")
    kinesis.put_record(StreamName="kept", Data=b"before", PartitionKey="k")
    server.stop()
    current = schema_version(server.data_dir)

    set_schema_version(server.data_dir, current + 1)
    done = subprocess.run([str(spated_binary()), *server.args], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1
    assert "written by a newer spated" in done.stderr, done.stderr
    assert f"reads catalog schemas 1 to {current}" in done.stderr, done.stderr
    assert "nothing was changed" in done.stderr
    assert schema_version(server.data_dir) == current + 1

    set_schema_version(server.data_dir, current)
    server.start()
    records, _ = read_shard(server.client(), "kept", "shardId-000000000000")
    assert [r["Data"] for r in records] == [b"before"]
