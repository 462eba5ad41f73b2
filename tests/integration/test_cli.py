"""The `spate` command-line tool and the example programs, run as a person would run them,
against a real spated.

Proves: streams create/list/describe/delete; put from arguments and from stdin (batched);
tail without -f prints everything and exits, in raw, JSON and hex, from TRIM_HORIZON, LATEST
and a time; tail -f follows new records across a split until interrupted; reshard split,
merge and scale; checkpoints shows a group's positions and lease owners (SQLite store), and
--clear starts it over, and it never creates a store that is not there; every error is one
line on stderr with a non-zero exit, usage errors included (exit 2, with the help to read),
while --help still prints help and exits 0; tail -f ends with one error line when its stream is
deleted or the endpoint stays unreachable; the examples/ producer and consumer programs build
and run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from spate_harness import build_dir, unique_stream_name


def spate_bin() -> str:
    return str(build_dir() / "bin" / "spate")


@pytest.fixture
def spate(endpoint):
    """Runs `spate --endpoint ENDPOINT ARGS...`; returns the CompletedProcess."""

    def run(*args: str, stdin: str | None = None, check: bool = True, timeout: float = 60):
        proc = subprocess.run([spate_bin(), "--endpoint", endpoint, *args], input=stdin,
                              capture_output=True, text=True, timeout=timeout)
        if check:
            assert proc.returncode == 0, f"spate {' '.join(args)} failed:\n{proc.stderr}"
        return proc

    return run


def test_stream_lifecycle(spate):
    name = unique_stream_name()
    assert spate("streams", "create", name, "--shards", "3").stdout == f"created {name}\n"
    assert name in spate("streams", "list").stdout.split()
    described = spate("streams", "describe", name).stdout
    assert "status     ACTIVE" in described
    assert "3 open, 3 in all" in described
    assert described.count("shardId-") == 3
    assert spate("streams", "delete", name).stdout == f"deleted {name}\n"
    assert name not in spate("streams", "list").stdout.split()


def test_put_and_tail_in_every_format(spate):
    name = unique_stream_name()
    spate("streams", "create", name, "--shards", "2")
    spate("put", name, "alpha", "beta", "-k", "same-key")
    lines = "".join(f"line-{i}\n" for i in range(1000))
    put = spate("put", name, stdin=lines)
    assert "put 1000 of 1000 records" in put.stderr

    raw = spate("tail", name, "--idle", "800").stdout.splitlines()
    assert sorted(raw) == sorted(["alpha", "beta"] + [f"line-{i}" for i in range(1000)])
    assert raw.index("alpha") < raw.index("beta"), "one key's records out of order"

    as_json = [json.loads(l) for l in spate("tail", name, "--format", "json", "-n", "5").stdout.splitlines()]
    assert len(as_json) == 5
    assert {"shardId", "sequenceNumber", "partitionKey", "arrivalMs", "data"} <= set(as_json[0])

    hexed = spate("tail", name, "--format", "hex", "--idle", "500").stdout.splitlines()
    assert f"{'alpha'.encode().hex()}" in {l.split(" ")[3] for l in hexed}

    assert spate("tail", name, "--from", "latest", "--idle", "500").stdout == ""
    future = str(int(time.time()) + 3600)
    assert spate("tail", name, "--from", future, "--idle", "500").stdout == ""
    past = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600))
    assert len(spate("tail", name, "--from", past, "--idle", "500").stdout.splitlines()) == 1002


def test_tail_follow_across_a_split(spate, endpoint, tmp_path):
    name = unique_stream_name()
    spate("streams", "create", name, "--shards", "1")
    out = open(tmp_path / "tail.out", "w+")
    follower = subprocess.Popen([spate_bin(), "--endpoint", endpoint, "tail", "-f", name, "--from", "latest"],
                                stdout=out, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # the follower has found the shard and sits at its tip
        spate("put", name, "before-split", "-k", "k")
        split = spate("reshard", "split", name, "shardId-000000000000").stdout
        assert split.count("shardId-") == 2
        spate("put", name, *[f"after-{i}" for i in range(20)])
        deadline = time.time() + 15
        while time.time() < deadline:
            out.seek(0)
            got = out.read().splitlines()
            if len(got) >= 21:
                break
            time.sleep(0.1)
        assert sorted(got) == sorted(["before-split"] + [f"after-{i}" for i in range(20)])
    finally:
        follower.send_signal(signal.SIGINT)
        assert follower.wait(timeout=15) == 0
        out.close()


def test_reshard_merge_and_scale(spate):
    name = unique_stream_name()
    spate("streams", "create", name, "--shards", "2")
    merged = spate("reshard", "merge", name, "shardId-000000000000", "shardId-000000000001").stdout
    assert merged.splitlines()[0].startswith("shardId-000000000002 0..")
    scaled = spate("reshard", "scale", name, "2").stdout  # AWS: at most double per call
    assert len(scaled.splitlines()) == 2


def test_checkpoints_show_group_positions(spate, endpoint, tmp_path):
    name = unique_stream_name()
    spate("streams", "create", name, "--shards", "2")
    spate("put", name, *[f"r{i}" for i in range(40)])  # random keys: both shards get records
    db = tmp_path / "cp.db"
    consumer = subprocess.run([str(build_dir() / "bin" / "spate-example-consumer"), name, str(db), "40"],
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "AWS_ENDPOINT_URL": endpoint})
    assert consumer.returncode == 0, consumer.stderr
    assert sorted(l.split(" ")[2] for l in consumer.stdout.splitlines()) == sorted(f"r{i}" for i in range(40))

    shown = spate("checkpoints", "example", name, "--store", f"sqlite:{db}").stdout.splitlines()
    assert shown[0].split()[:3] == ["SHARD", "CHECKPOINT", "OWNER"]
    rows = [l.split() for l in shown[1:]]
    assert [r[0] for r in rows] == ["shardId-000000000000", "shardId-000000000001"]
    assert all(r[1].isdigit() and r[2] == "-" for r in rows), shown  # checkpointed, released

    assert "cleared" in spate("checkpoints", "example", name, "--store", f"sqlite:{db}", "--clear").stdout
    missing = spate("checkpoints", "example", name, "--store", f"sqlite:{db}", check=False)
    assert missing.returncode == 1 and "no checkpoints" in missing.stderr


def test_example_producer(endpoint, spate):
    name = unique_stream_name()
    spate("streams", "create", name, "--shards", "2")
    proc = subprocess.run([str(build_dir() / "bin" / "spate-example-producer"), name, "25"],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "AWS_ENDPOINT_URL": endpoint})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 25 and all(" -> shardId-" in l for l in lines)
    assert len(spate("tail", name, "--idle", "500").stdout.splitlines()) == 25


@pytest.mark.parametrize("args, message", [
    (["streams", "describe", "no-such-stream"], "ResourceNotFoundException"),
    (["put", "no-such-stream", "x"], "ResourceNotFoundException"),
    (["tail", "no-such-stream"], "ResourceNotFoundException"),
    (["tail", "x", "--from", "yesterday"], "--from must be"),
    (["reshard", "split", "no-such-stream", "shardId-000000000000", "--at", "5"], "ResourceNotFoundException"),
    (["checkpoints", "app", "s", "--store", "ftp://nowhere"], "InvalidOption"),
])
def test_errors_are_one_line_and_exit_nonzero(spate, args, message):
    proc = spate(*args, check=False)
    assert proc.returncode != 0
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("spate: ") and message in proc.stderr, proc.stderr


def test_unreachable_endpoint_is_a_clear_error():
    proc = subprocess.run([spate_bin(), "--endpoint", "http://127.0.0.1:1", "streams", "list"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.startswith("spate: ConnectionError"), proc.stderr


# --- usage errors: CLI11's parse errors as one line, --help untouched --------------------------


@pytest.mark.parametrize("args, message, hint", [
    ([], "subcommand", "spate --help"),
    (["frobnicate"], "unknown command 'frobnicate'", "spate --help"),
    (["streams", "frobnicate"], "unknown command 'frobnicate'", "spate streams --help"),
    (["tail"], "stream", "spate tail --help"),
    (["tail", "s", "--format", "xml"], "xml", "spate tail --help"),
    (["tail", "s", "--limit", "many"], "many", "spate tail --help"),
    (["streams", "create"], "name", "spate streams create --help"),
    (["put", "s", "--no-such-flag"], "--no-such-flag", "spate put --help"),
])
def test_usage_errors_are_one_line_and_exit_nonzero(endpoint, args, message, hint):
    proc = subprocess.run([spate_bin(), "--endpoint", endpoint, *args], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2, proc
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("spate: ") and message in proc.stderr, proc.stderr
    assert proc.stderr.endswith(f"(see {hint})\n"), proc.stderr


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["tail", "--help"], ["streams", "create", "--help"]])
def test_help_is_printed_with_exit_zero(args):
    proc = subprocess.run([spate_bin(), *args], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert "Usage:" in proc.stdout or "USAGE" in proc.stdout.upper(), proc.stdout
    assert "--help" in proc.stdout


# --- tail -f ends with one clear line when it cannot go on -----------------------------------


def test_tail_follow_exits_when_the_stream_is_deleted(spate, endpoint):
    name = unique_stream_name()
    spate("streams", "create", name, "--shards", "2")
    follower = subprocess.Popen([spate_bin(), "--endpoint", endpoint, "tail", "-f", name],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # following: both shards are being read
        assert follower.poll() is None, follower.stderr.read()
        deleted_at = time.monotonic()
        spate("streams", "delete", name)
        code = follower.wait(timeout=10)
        took = time.monotonic() - deleted_at
        err = follower.stderr.read()
        assert code == 1, err
        assert err.count("\n") == 1, err
        assert err.startswith("spate: ResourceNotFoundException"), err
        assert took < 5, f"took {took:.1f} s to notice the deletion"
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()


def test_tail_follow_exits_when_the_endpoint_is_unreachable(spated_factory):
    server = spated_factory()
    name = unique_stream_name()
    created = subprocess.run([spate_bin(), "--endpoint", server.endpoint, "streams", "create", name,
                              "--shards", "1"], capture_output=True, text=True, timeout=30)
    assert created.returncode == 0, created.stderr
    follower = subprocess.Popen([spate_bin(), "--endpoint", server.endpoint, "tail", "-f", name],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert follower.poll() is None, follower.stderr.read()
        server.stop()
        gone_at = time.monotonic()
        code = follower.wait(timeout=30)
        took = time.monotonic() - gone_at
        err = follower.stderr.read()
        assert code == 1, err
        assert err.count("\n") == 1, err
        assert err.startswith("spate: ConnectionError"), err
        assert "no answer from the endpoint" in err, err
        assert 4 <= took < 15, f"gave up after {took:.1f} s (the bound is 5 s)"
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()


# --- checkpoints reads a store, never creates one -------------------------------------------


@pytest.mark.parametrize("store_args", [[], ["--store", "sqlite:missing.db"], ["--store", "other.db"]])
@pytest.mark.parametrize("clear", [False, True])
def test_checkpoints_without_a_store_fails_and_creates_nothing(endpoint, tmp_path, store_args, clear):
    args = ["checkpoints", "app", "s", *store_args] + (["--clear"] if clear else [])
    proc = subprocess.run([spate_bin(), "--endpoint", endpoint, *args], capture_output=True,
                          text=True, timeout=30, cwd=tmp_path)
    assert proc.returncode == 1, proc
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("spate: CheckpointStoreError") and "no checkpoint store" in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == [], "a store file was created"
