"""`spate backup DIR` (GET /v1/backup) and restore by `spated --data-dir DIR`.

Proves: a backup taken while a producer keeps writing restores exactly: the same streams,
ARNs, creation times, modes, retention, tags, registered consumers and shard lineage (after
a split), and in every shard a prefix of the source's records (same sequence numbers, keys,
data and arrival times) that holds every record acknowledged before the backup began; a
shard iterator from the source works on the restored server (the server key travels too);
the archive is a plain tar that Python's tarfile reads (a manifest first, the catalog, the
key with mode 600, segments under paths too long for ustar's name field); under --auth sigv4 an unsigned request is refused
and a signed one works; two backups run at once and a third is answered 503; and the unpacker refuses hostile or broken archives (a path out of
its folder, a bad checksum, an archive cut short) keeping nothing, and never writes over an
existing folder.
"""

from __future__ import annotations

import http.server
import io
import json
import os
import socket
import subprocess
import tarfile
import threading

import pytest

from spate_harness import (
    build_dir,
    http_get,
    list_all_shards,
    read_shard,
    wait_active,
    wait_until,
    write_credentials,
)


def spate(endpoint: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(build_dir() / "bin" / "spate"), "--endpoint", endpoint, *args],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def describe(kinesis, name: str) -> dict:
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    consumers = kinesis.list_stream_consumers(StreamARN=summary["StreamARN"])["Consumers"]
    return {
        "summary": summary,
        "shards": list_all_shards(kinesis, name),
        "tags": kinesis.list_tags_for_stream(StreamName=name)["Tags"],
        "consumers": sorted(consumers, key=lambda c: c["ConsumerName"]),
    }


def records(kinesis, name: str) -> dict[str, list[tuple]]:
    out = {}
    for shard in list_all_shards(kinesis, name):
        got, _ = read_shard(kinesis, name, shard["ShardId"], limit=10_000)
        out[shard["ShardId"]] = [(r["SequenceNumber"], r["PartitionKey"], r["Data"],
                                  r["ApproximateArrivalTimestamp"]) for r in got]
    return out


class Writer(threading.Thread):
    """PutRecords in a loop; remembers every acknowledged record's sequence number."""

    def __init__(self, kinesis, stream: str) -> None:
        super().__init__(daemon=True)
        self.kinesis, self.stream = kinesis, stream
        self.acked: list[str] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.failure: Exception | None = None

    def run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                batch = [{"Data": f"w-{n + i}".encode(), "PartitionKey": f"k{(n + i) % 13}"}
                         for i in range(50)]
                n += 50
                answer = self.kinesis.put_records(StreamName=self.stream, Records=batch)
                with self.lock:
                    self.acked += [r["SequenceNumber"] for r in answer["Records"]
                                   if "SequenceNumber" in r]
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.failure = e

    def acknowledged(self) -> set[str]:
        with self.lock:
            return set(self.acked)


def test_backup_under_writes_restores_exactly(spated_factory, tmp_path):
    source = spated_factory(fsync="batch")
    kinesis = source.client()
    kinesis.create_stream(StreamName="main", ShardCount=2)
    kinesis.create_stream(StreamName="ondemand", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    wait_active(kinesis, "main")
    wait_active(kinesis, "ondemand")
    kinesis.add_tags_to_stream(StreamName="main", Tags={"team": "billing", "tier": "gold"})
    kinesis.increase_stream_retention_period(StreamName="main", RetentionPeriodHours=48)
    arn = kinesis.describe_stream_summary(StreamName="main")["StreamDescriptionSummary"]["StreamARN"]
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="fanout")
    kinesis.put_records(StreamName="main", Records=[
        {"Data": f"early-{i}".encode(), "PartitionKey": f"p{i}"} for i in range(300)])
    kinesis.split_shard(StreamName="main", ShardToSplit="shardId-000000000000",
                        NewStartingHashKey=str(2**126))
    wait_active(kinesis, "main")
    kinesis.put_record(StreamName="ondemand", Data=b"od", PartitionKey="x")
    iterator = kinesis.get_shard_iterator(StreamName="main", ShardId="shardId-000000000001",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]

    writer = Writer(source.client(), "main")
    writer.start()
    wait_until(lambda: len(writer.acknowledged()) >= 500 or writer.failure, 60,
               "the writer to get going")
    acked_before = writer.acknowledged()
    restored = spated_factory(start=False)
    os.rmdir(restored.data_dir)
    done = spate(source.endpoint, "backup", str(restored.data_dir))
    assert done.returncode == 0, done.stderr
    assert "backed up" in done.stderr and done.stdout == ""
    wait_until(lambda: len(writer.acknowledged()) >= len(acked_before) + 500 or writer.failure,
               60, "writes after the backup")
    writer.stop.set()
    writer.join(30)
    assert writer.failure is None, writer.failure

    restored.start()
    copy = restored.client()
    for name in ("main", "ondemand"):
        assert describe(copy, name) == describe(kinesis, name), name
    assert copy.list_streams()["StreamNames"] == ["main", "ondemand"]

    original, restored_records = records(kinesis, "main"), records(copy, "main")
    assert set(restored_records) == set(original) and len(original) == 4
    restored_sequences = set()
    for shard, got in restored_records.items():
        assert got == original[shard][:len(got)], f"{shard}: not a prefix of the source's"
        restored_sequences.update(seq for seq, *_ in got)
    assert acked_before <= restored_sequences, "records acknowledged before the backup lost"
    assert len(restored_sequences) < sum(map(len, original.values())), \
        "the source took writes after the backup"
    assert records(copy, "ondemand") == records(kinesis, "ondemand")
    # The server key came along: an iterator of the source reads on the copy.
    page = copy.get_records(ShardIterator=iterator, Limit=5)
    assert len(page["Records"]) == 5


def test_any_tar_reads_the_archive(spated_factory):
    server = spated_factory()
    kinesis = server.client()
    long_name = "L" * 120  # the path needs ustar's prefix field
    kinesis.create_stream(StreamName=long_name, ShardCount=1)
    wait_active(kinesis, long_name)
    kinesis.put_record(StreamName=long_name, Data=b"in a long path", PartitionKey="k")
    status, body = http_get(server.endpoint, "/v1/backup")
    assert status == 200
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:") as archive:
        members = {m.name: m for m in archive.getmembers()}
        assert list(members)[:3] == ["spate-backup.json", "catalog.db", "server.key"]
        manifest = json.loads(archive.extractfile("spate-backup.json").read())
        assert manifest["format"] == 1 and manifest["files"] == len(members) - 1
        assert archive.extractfile("catalog.db").read(16) == b"SQLite format 3\x00"
        assert members["server.key"].mode == 0o600 and members["server.key"].size == 32
        segments = [n for n in members if n.endswith(".seg")]
        assert len(segments) == 1 and segments[0].startswith(f"streams/{long_name}-")
        assert b"in a long path" in archive.extractfile(segments[0]).read()


def test_the_archive_is_plain_tar_and_signed_when_auth_is_on(spated_factory, tmp_path):
    credentials = write_credentials(tmp_path / "keys", [("AKIDBACKUP", "backup-secret")],
                                    mode=0o600)
    server = spated_factory(extra_args=["--auth", "sigv4", "--credentials", str(credentials)])
    env = {"AWS_ACCESS_KEY_ID": "AKIDBACKUP", "AWS_SECRET_ACCESS_KEY": "backup-secret"}
    kinesis = server.client(key="AKIDBACKUP", secret="backup-secret")
    kinesis.create_stream(StreamName="signed", ShardCount=1)
    wait_active(kinesis, "signed")
    kinesis.put_record(StreamName="signed", Data=b"x", PartitionKey="k")

    status, body = http_get(server.endpoint, "/v1/backup")
    assert status in (400, 403) and b"__type" in body, (status, body[:200])
    wrong = spate(server.endpoint, "backup", str(tmp_path / "wrong"),
                  env={"AWS_ACCESS_KEY_ID": "AKIDBACKUP", "AWS_SECRET_ACCESS_KEY": "nope"})
    assert wrong.returncode == 1 and not (tmp_path / "wrong").exists(), wrong.stderr
    assert not (tmp_path / "wrong.partial").exists()

    done = spate(server.endpoint, "backup", str(tmp_path / "copy"), env=env)
    assert done.returncode == 0, done.stderr
    names = sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*")
                   if p.is_file())
    assert names[:3] == ["catalog.db", "server.key", "spate-backup.json"], names
    assert any(n.startswith("streams/signed-") and n.endswith(".seg") for n in names), names
    assert ((tmp_path / "copy" / "server.key").stat().st_mode & 0o777) == 0o600

    again = spate(server.endpoint, "backup", str(tmp_path / "copy"), env=env)
    assert again.returncode == 1 and "exists" in again.stderr


def test_backups_at_once_are_bounded(spated_factory):
    """Each backup holds every log file open: two run at once, a third is answered 503, and a
    slot comes back when a reader goes away."""
    server = spated_factory()
    kinesis = server.client()
    kinesis.create_stream(StreamName="big", ShardCount=1)
    wait_active(kinesis, "big")
    blob = b"x" * 100_000
    for _ in range(6):  # 24 MB: more than loopback's socket buffers hold for a reader asleep
        kinesis.put_records(StreamName="big", Records=[
            {"Data": blob, "PartitionKey": f"k{i}"} for i in range(40)])
    stalled = []
    for _ in range(2):
        s = socket.create_connection(("127.0.0.1", server.port))
        s.sendall(b"GET /v1/backup HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert s.recv(12) == b"HTTP/1.1 200"
        stalled.append(s)
    try:
        status, body = http_get(server.endpoint, "/v1/backup")
        assert status == 503 and b"ServiceUnavailable" in body, (status, body[:200])
    finally:
        for s in stalled:
            s.close()
    wait_until(lambda: http_get(server.endpoint, "/v1/backup")[0] == 200, 30,
               "a backup slot to come back once its reader went away")


class ArchiveServer(http.server.ThreadingHTTPServer):
    """Answers GET /v1/backup with fixed bytes: a stand-in for a broken or hostile server."""

    def __init__(self, payload: bytes) -> None:
        payload_bytes = payload

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "application/x-tar")
                self.send_header("Content-Length", str(len(payload_bytes)))
                self.end_headers()
                self.wfile.write(payload_bytes)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


def tar_of(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.mark.parametrize("payload, says", [
    (tar_of({"catalog.db": b"x", "../escaped": b"evil"}), "outside its folder"),
    (tar_of({"/etc/evil": b"evil"}), "outside its folder"),
    (tar_of({"a/./b": b"x"}), "outside its folder"),
    (tar_of({"catalog.db": b"x" * 5000})[:3000], "cut short"),
    (b"\x01" * 1024, "damaged"),
], ids=["dot-dot", "absolute", "dot", "cut-short", "garbage"])
def test_hostile_or_broken_archives_are_refused_and_nothing_is_kept(tmp_path, payload, says):
    fake = ArchiveServer(payload)
    try:
        done = spate(fake.endpoint, "backup", str(tmp_path / "copy"))
    finally:
        fake.shutdown()
        fake.server_close()
    assert done.returncode == 1 and says in done.stderr, done.stderr
    assert sorted(os.listdir(tmp_path)) == [], "a refused archive leaves nothing behind"
    assert not (tmp_path.parent / "escaped").exists()
