"""`spate mirror`: a stream copied to another Kinesis endpoint, in order per key, resumable.

Proves, between two real spated servers (the target with --auth sigv4, so every call of the
mirror to it is signed): the target stream is created with the source's shard count; every
record arrives, each partition key's records in the source's order, across a split of the
source; a second run copies only what was written since (it resumes from its checkpoint file,
no duplicates after a clean stop); and a target that refuses the credentials fails the run at
once with one error line.
"""

from __future__ import annotations

import os
import subprocess

from spate_harness import build_dir, list_all_shards, read_shard, wait_active, write_credentials

KEY, SECRET = "AKIDMIRROR", "mirror-secret"


def mirror(source, target, *args: str, key: str = KEY, secret: str = SECRET):
    return subprocess.run(
        [str(build_dir() / "bin" / "spate"), "--endpoint", source.endpoint, "mirror", *args,
         "--to-endpoint", target.endpoint, "--idle", "1000"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret})


def put(kinesis, stream: str, first: int, count: int) -> None:
    """Records "KEY:N" for 25 keys, N rising per key, in PutRecords of 100."""
    records = [{"Data": f"k{i % 25}:{i}".encode(), "PartitionKey": f"k{i % 25}"}
               for i in range(first, first + count)]
    for at in range(0, len(records), 100):
        answer = kinesis.put_records(StreamName=stream, Records=records[at:at + 100])
        assert answer["FailedRecordCount"] == 0


def by_key(kinesis, stream: str) -> dict[str, list[int]]:
    """Each key's record numbers in the order the stream holds them (parents first)."""
    keys: dict[str, list[int]] = {}
    shards = list_all_shards(kinesis, stream)
    order = sorted(shards, key=lambda s: int(s["ShardId"].split("-")[1]))  # parents are older
    for shard in order:
        records, _ = read_shard(kinesis, stream, shard["ShardId"], limit=10_000)
        for r in records:
            key, number = r["Data"].decode().split(":")
            keys.setdefault(key, []).append(int(number))
    return keys


def test_mirror_copies_in_order_per_key_and_resumes(spated_factory, tmp_path):
    source = spated_factory()
    credentials = write_credentials(tmp_path / "keys", [(KEY, SECRET)], mode=0o600)
    target = spated_factory(extra_args=["--auth", "sigv4", "--credentials", str(credentials)])
    src = source.client()
    dst = target.client(key=KEY, secret=SECRET)
    src.create_stream(StreamName="orders", ShardCount=2)
    wait_active(src, "orders")
    put(src, "orders", 0, 1000)
    src.split_shard(StreamName="orders", ShardToSplit="shardId-000000000000",
                    NewStartingHashKey=str(2**126))
    wait_active(src, "orders")
    put(src, "orders", 1000, 500)
    checkpoint = tmp_path / "mirror.db"

    first = mirror(source, target, "orders", "--checkpoint", str(checkpoint))
    assert first.returncode == 0, first.stderr
    assert "created orders" in first.stderr and "mirrored 1,500 records" in first.stderr
    summary = dst.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 3  # the source's open shards after its split
    expected = {f"k{k}": list(range(k, 1500, 25)) for k in range(25)}
    assert by_key(dst, "orders") == expected

    put(src, "orders", 1500, 250)
    second = mirror(source, target, "orders", "--checkpoint", str(checkpoint))
    assert second.returncode == 0, second.stderr
    assert "mirrored 250 records" in second.stderr, second.stderr
    expected = {f"k{k}": list(range(k, 1750, 25)) for k in range(25)}
    assert by_key(dst, "orders") == expected


def test_a_target_that_refuses_fails_the_run_and_copies_nothing(spated_factory, tmp_path):
    source = spated_factory()
    credentials = write_credentials(tmp_path / "keys", [(KEY, SECRET)], mode=0o600)
    target = spated_factory(extra_args=["--auth", "sigv4", "--credentials", str(credentials)])
    src = source.client()
    src.create_stream(StreamName="refused", ShardCount=1)
    wait_active(src, "refused")
    put(src, "refused", 0, 50)
    done = mirror(source, target, "refused", "--checkpoint", str(tmp_path / "m.db"),
                  secret="wrong-secret")
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("spate: "), done.stderr
    assert "target" in done.stderr
