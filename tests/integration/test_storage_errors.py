"""A full disk seen from the Kinesis API, on a real spated whose data directory is a small
tmpfs (mounted by the test; it needs root, as `make test` has on Debian 12).

Proves: when the disk fills, PutRecord is answered 500 InternalFailure naming the shard and
"No space left on device", and PutRecords fails those records in a 200 answer (per-record
InternalFailure with AWS's "Internal Service Failure", exact FailedRecordCount); the server
stays up and serves every record it acknowledged; once there is room again, writes succeed
with sequence numbers after every earlier one; and a restart serves exactly the acknowledged
records. (EIO on write and fsync, which no
tmpfs produces, is tested at the engine level: src/engine/engine_storage_test.cc.)
"""

from __future__ import annotations

import errno
import os
import subprocess

import pytest
from botocore.exceptions import ClientError

from spate_harness import http_get, read_shard, shard_id, wait_active


@pytest.fixture
def server_on_small_disk(spated_factory):
    """A spated (not started) whose data directory is a 3 MiB tmpfs; yields (server,
    resize(size))."""
    server = spated_factory(start=False)
    mount_point = server.data_dir
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        if os.geteuid() != 0 or "permission denied" in result.stderr.lower():
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        raise AssertionError(f"mount failed: {result.stderr}")

    def resize(size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(mount_point)], check=True)

    try:
        yield server, resize
    finally:
        server.kill_if_running()
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def stored(kinesis) -> list[tuple[str, bytes]]:
    """(sequence number, data) of every record of the stream "full", in order."""
    records, _ = read_shard(kinesis, "full", shard_id(0))
    return [(r["SequenceNumber"], r["Data"]) for r in records]


def test_a_full_disk_fails_writes_cleanly_and_recovers(server_on_small_disk):
    server, resize = server_on_small_disk
    server.start()
    kinesis = server.client()
    kinesis.create_stream(StreamName="full", ShardCount=1)
    wait_active(kinesis, "full")

    acked = []
    payload = os.urandom(50_000)
    failure = None
    for i in range(200):  # 10 MB: far more than fits
        try:
            r = kinesis.put_record(StreamName="full", Data=payload, PartitionKey=f"k{i}")
        except ClientError as e:
            failure = e
            break
        acked.append((r["SequenceNumber"], payload))
    assert failure is not None, "3 MiB of disk took 10 MB of records"
    assert acked, "the disk was full before the first record"
    error = failure.response["Error"]
    assert failure.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert error["Code"] == "InternalFailure"
    assert "shardId-000000000000" in error["Message"], error
    assert os.strerror(errno.ENOSPC) in error["Message"], error

    batch = kinesis.put_records(
        StreamName="full",
        Records=[{"Data": payload, "PartitionKey": f"b{i}"} for i in range(5)],
    )
    assert batch["FailedRecordCount"] == 5
    for entry in batch["Records"]:
        # The message AWS documents for InternalFailure entries (PutRecordsResultEntry).
        assert entry["ErrorCode"] == "InternalFailure", entry
        assert entry["ErrorMessage"] == "Internal Service Failure", entry
        assert "SequenceNumber" not in entry and "ShardId" not in entry

    assert http_get(server.endpoint, "/healthz")[0] == 200
    assert stored(kinesis) == acked

    resize("64m")
    after = kinesis.put_record(StreamName="full", Data=b"room again", PartitionKey="k")
    assert int(after["SequenceNumber"]) > int(acked[-1][0])
    expected = acked + [(after["SequenceNumber"], b"room again")]
    assert stored(kinesis) == expected

    server.restart()
    assert stored(server.client()) == expected
