"""One server per data directory, secrets that cannot be redirected, and failures the operator
sees.

Proves, with real spated processes:
- a second spated on a data directory in use exits at once (exit 1) naming the directory and
  the PID holding it, and writes nothing there; after the holder is killed with SIGKILL a new
  server starts on it and serves what the old one acknowledged;
- a spated that cannot listen (its port is taken) exits without creating its data directory;
- the server key and the self-signed TLS key are written through fresh files, never through a
  planted '<name>.tmp' symlink (the link's target stays untouched), and are mode 0600; an
  existing key others can read is tightened to 0600;
- a --credentials file others can read is warned about;
- on a full disk (a small tmpfs), failed PutRecords are counted in spate_incidents_total and
  logged; a restart on the full disk refuses to start because the catalog cannot be written.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from spate_harness import Spated, spated_binary, wait_active


def run_spated(args: list[str], timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run([str(spated_binary()), *args], capture_output=True, text=True,
                          timeout=timeout)


def wait_for(condition, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_a_second_server_on_the_same_directory_exits_naming_the_holder(tmp_path):
    first = Spated(tmp_path / "first")
    first.start()
    try:
        kinesis = first.client()
        kinesis.create_stream(StreamName="kept", ShardCount=1)
        wait_active(kinesis, "kept")
        kinesis.put_record(StreamName="kept", PartitionKey="k", Data=b"acknowledged")
        before = sorted(p.name for p in first.data_dir.iterdir())

        second = run_spated(["--port", "0", "--data-dir", str(first.data_dir)])
        assert second.returncode == 1
        assert str(first.data_dir) in second.stderr
        assert f"PID {first.pid}" in second.stderr
        assert sorted(p.name for p in first.data_dir.iterdir()) == before

        first.kill()  # SIGKILL: the kernel drops the lock with the process
        third = Spated(tmp_path / "first", port=first.port)
        third.start()
        try:
            kinesis = third.client()
            shard = kinesis.list_shards(StreamName="kept")["Shards"][0]["ShardId"]
            it = kinesis.get_shard_iterator(StreamName="kept", ShardId=shard,
                                            ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            records = kinesis.get_records(ShardIterator=it)["Records"]
            assert [r["Data"] for r in records] == [b"acknowledged"]
        finally:
            third.kill_if_running()
    finally:
        first.kill_if_running()


def test_a_server_that_cannot_listen_leaves_no_data_directory(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    data = tmp_path / "never-made"
    try:
        result = run_spated(["--port", str(taken.getsockname()[1]), "--data-dir", str(data)])
    finally:
        taken.close()
    assert result.returncode == 1
    assert "cannot listen" in result.stderr
    assert not data.exists()


def test_secret_keys_never_follow_planted_links_and_are_private(tmp_path):
    data = tmp_path / "data"
    (data / "tls").mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    for planted in (data / "server.key.tmp", data / "tls" / "self-signed.key.tmp"):
        planted.symlink_to(victim)
    server = Spated(tmp_path, extra_args=["--tls-self-signed"])
    server.start()
    try:
        assert victim.read_text() == "precious\n"
        for key in (data / "server.key", data / "tls" / "self-signed.key"):
            st = key.lstat()
            assert stat.S_ISREG(st.st_mode), f"{key} is not a regular file"
            assert stat.S_IMODE(st.st_mode) == 0o600, f"{key} is {oct(st.st_mode)}"
    finally:
        server.kill_if_running()


def test_a_readable_server_key_is_tightened(tmp_path):
    server = Spated(tmp_path)
    server.start()
    server.stop()
    key = server.data_dir / "server.key"
    key.chmod(0o644)
    server.start()
    try:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    finally:
        server.kill_if_running()


def test_credentials_readable_by_others_are_warned_about(tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("AKIDTEST secret\n")
    keys.chmod(0o644)
    server = Spated(tmp_path, extra_args=["--auth", "sigv4", "--credentials", str(keys)])
    server.start()
    try:
        wait_for(lambda: "chmod 600" in server.log_tail(), what="the warning")
        assert str(keys) in server.log_tail()
    finally:
        server.kill_if_running()


@pytest.fixture
def small_disk(tmp_path):
    """A 16 MiB tmpfs, unmounted afterwards; skipped where mounting is not permitted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(disk: Path) -> None:
    """Takes every free block of `disk`."""
    with open(disk / "filler", "wb", buffering=0) as f:  # unbuffered: nothing left to flush
        for size in (1 << 20, 4096):  # then the last few pages
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass


def test_a_full_disk_is_counted_logged_and_refused_at_start(small_disk, tmp_path):
    # The data directory on the small disk; the server's log stays off it.
    work = tmp_path / "work"
    work.mkdir()
    (small_disk / "data").mkdir()
    (work / "data").symlink_to(small_disk / "data")
    server = Spated(work, extra_args=["--segment-size", str(1 << 20)])
    server.start()
    try:
        kinesis = server.client()
        kinesis.create_stream(StreamName="full", ShardCount=1)
        wait_active(kinesis, "full")
        assert server.metrics()['spate_incidents_total{kind="disk_full"}'] == 0
        fill(small_disk)
        failed = 0
        for _ in range(20):
            answer = kinesis.put_records(StreamName="full", Records=[
                {"PartitionKey": "k", "Data": b"x" * 50_000} for _ in range(20)])
            failed += answer["FailedRecordCount"]
            if failed:
                break
        assert failed > 0
        wait_for(lambda: server.metrics()['spate_incidents_total{kind="disk_full"}'] >= 1,
                 what="the disk_full incident")
        assert "disk_full" in server.log_tail()
        server.stop()
        # Room again for a clean start and stop (the catalog's write-ahead log is folded back
        # and removed), then a disk full while the server is down: the catalog cannot take a
        # write, and the server refuses to start instead of serving and failing every
        # CreateStream.
        (small_disk / "filler").unlink()
        server.start()
        server.stop()
        fill(small_disk)
        result = run_spated(["--port", "0", "--data-dir", str(small_disk / "data")])
        assert result.returncode == 1
        assert "cannot open data directory" in result.stderr
        assert "writing the catalog failed (catalog_write_failed)" in result.stderr
    finally:
        server.kill_if_running()
