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
and run. A server that is down fails a command at once with one line naming the endpoint,
while --retries N waits for it; put takes files as whole records and splits stdin at
--delimiter or NUL; tail -n prints the first records by arrival across shards; create says on
a terminal, and only there, what it waits for.
"""

from __future__ import annotations

import itertools
import json
import os
import pty
import signal
import subprocess
import threading
import time

import pytest

from spate_harness import build_dir, unique_stream_name, wait_until


def spate_bin() -> str:
    return str(build_dir() / "bin" / "spate")


class Follower:
    """`spate --endpoint ENDPOINT tail -f ARGS...` in the background; a thread collects the
    lines it prints."""

    def __init__(self, endpoint: str, *args: str) -> None:
        self.proc = subprocess.Popen([spate_bin(), "--endpoint", endpoint, "tail", "-f", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._lock:
                self._lines.append(line.rstrip("\n"))

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def wait_for(self, predicate, timeout: float, what: str) -> list[str]:
        """Waits until `predicate(lines printed so far)` holds and returns those lines; fails at
        once, with the follower's error, if it exits first."""
        def check():
            if predicate(self.lines()):
                return True
            if self.proc.poll() is not None:
                self._reader.join(5)  # what it printed before exiting counts
                if predicate(self.lines()):
                    return True
                raise AssertionError(
                    f"spate tail -f exited with {self.proc.returncode} while waiting for {what}; "
                    f"stderr {self.proc.stderr.read()!r}, last lines {self.lines()[-5:]}")
            return False

        wait_until(check, timeout, lambda: f"{what}; last lines printed {self.lines()[-5:]}")
        return self.lines()

    def go_live(self, put_marker, shards: list[str], timeout: float = 30.0) -> None:
        """Puts marker records until the follower has printed one from each of `shards`:
        `put_marker(shard, n)` puts `marker-<shard>-<n>` where that shard holds it. A follower
        that started at LATEST may take its position after some markers, so a new one goes in
        every half second. Once a shard's marker is printed, the follower reads that shard at
        its tip: whatever is put there next, it prints."""
        for shard in shards:
            prefix = f"marker-{shard}-"
            markers = itertools.count()
            next_put = 0.0

            def printed(lines: list[str]) -> bool:
                nonlocal next_put
                if any(line.startswith(prefix) for line in lines):
                    return True
                if time.monotonic() >= next_put:
                    put_marker(shard, next(markers))
                    next_put = time.monotonic() + 0.5
                return False

            self.wait_for(printed, timeout, f"a marker record from {shard}")

    def failed_with_one_line(self, timeout: float) -> str:
        """Waits for the follower to exit, asserts it failed (status 1) with exactly one line on
        stderr, and returns that line."""
        code = self.proc.wait(timeout=timeout)
        err = self.proc.stderr.read()
        assert code == 1, err
        assert err.count("\n") == 1, err
        return err

    def stop(self) -> int:
        """SIGINT, as a person would press Ctrl-C; returns the exit status."""
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=15)
        self._reader.join(5)
        return code

    def kill_if_running(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def follow():
    """`follow(endpoint, *tail_args)` -> a started Follower; killed by PID at teardown."""
    started: list[Follower] = []

    def start(endpoint: str, *args: str) -> Follower:
        started.append(Follower(endpoint, *args))
        return started[-1]

    yield start
    for follower in started:
        follower.kill_if_running()


def _marker_putter(kinesis, stream: str):
    """put_marker for Follower.go_live: shard-0000... of a 1- or 2-shard stream by explicit
    hash key (CreateStream splits the key space evenly, so 2**127 starts shard 1)."""
    first_key = {"shardId-000000000000": 0, "shardId-000000000001": 2**127}

    def put(shard: str, n: int) -> None:
        kinesis.put_record(StreamName=stream, PartitionKey="marker",
                           ExplicitHashKey=str(first_key[shard]),
                           Data=f"marker-{shard}-{n}".encode())

    return put


def _without_markers(lines: list[str]) -> list[str]:
    return [l for l in lines if not l.startswith("marker-")]


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


def test_tail_follow_across_a_split(spate, endpoint, kinesis, follow):
    name = unique_stream_name()
    spate("streams", "create", name, "--shards", "1")
    follower = follow(endpoint, name, "--from", "latest")
    follower.go_live(_marker_putter(kinesis, name), ["shardId-000000000000"])
    spate("put", name, "before-split", "-k", "k")
    split = spate("reshard", "split", name, "shardId-000000000000").stdout
    assert split.count("shardId-") == 2
    after = [f"after-{i}" for i in range(20)]
    spate("put", name, *after)
    lines = follower.wait_for(lambda lines: len(_without_markers(lines)) >= 21, 30,
                              "the 21 records put after the marker")
    got = _without_markers(lines)
    assert sorted(got) == sorted(["before-split"] + after)
    assert got[0] == "before-split", "a child shard's records came before its parent's"
    assert lines[:len(lines) - len(got)] == [l for l in lines if l.startswith("marker-")], (
        "a marker came after the records put once the follower was live")
    assert follower.stop() == 0


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


def test_put_at_a_terminal_says_it_reads_stdin(endpoint, spate):
    """At a terminal `spate put STREAM` says what it waits for; piped, it says nothing."""
    name = unique_stream_name()
    spate("streams", "create", name)
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen([spate_bin(), "--endpoint", endpoint, "put", name], stdin=secondary,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.close(secondary)
        os.write(primary, b"typed-by-hand\n\x04")  # a line, then Ctrl-D
        out, err = proc.communicate(timeout=60)
    finally:
        os.close(primary)
    assert proc.returncode == 0, err
    assert "reading records from stdin, one per line; end with Ctrl-D" in err
    assert "put 1 of 1 records" in err + out
    piped = spate("put", name, stdin="x\n")
    assert "reading records" not in piped.stderr


def test_listing_no_streams_says_so_on_stderr_only(spated_factory):
    empty = spated_factory()
    proc = subprocess.run([spate_bin(), "--endpoint", empty.endpoint, "streams", "list"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == "spate: no streams\n"


@pytest.mark.parametrize("program", ["spate-example-producer", "spate-example-consumer"])
def test_examples_take_help_as_help(program):
    for flag in ("--help", "-h"):
        proc = subprocess.run([str(build_dir() / "bin" / program), flag], capture_output=True,
                              text=True, timeout=30)
        assert proc.returncode == 0 and proc.stdout.startswith("usage: "), proc
    proc = subprocess.run([str(build_dir() / "bin" / program), "--stream"], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2 and proc.stderr.startswith("usage: "), proc


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


@pytest.mark.parametrize("args", [["streams", "list"], ["put", "s", "x"], ["put", "s"],
                                  ["streams", "create", "s"], ["tail", "s"]])
def test_unreachable_endpoint_fails_at_once_with_a_clear_error(args):
    """A server that is down: one retry, then one line naming the endpoint and what to do, in
    about a second at most (it took 20 s and 28 attempts for put before)."""
    started = time.monotonic()
    proc = subprocess.run([spate_bin(), "--endpoint", "http://127.0.0.1:1", *args],
                          input="x\n", capture_output=True, text=True, timeout=60)
    took = time.monotonic() - started
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("spate: ConnectionError"), proc.stderr
    assert "is spated running at http://127.0.0.1:1?" in proc.stderr
    assert took < 10, f"{args} took {took:.1f} s to give up"


def test_retries_wait_for_a_server_that_comes_up(spated_factory):
    """--retries N rides out a server that is not up yet (full-jitter backoff, capped at 2 s
    a try)."""
    server = spated_factory(start=False)
    proc = subprocess.Popen([spate_bin(), "--endpoint", server.endpoint, "--retries", "30",
                             "streams", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        server.start()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert err == "spate: no streams\n"


def test_put_files_and_delimiters_keep_every_byte(spate, endpoint, tmp_path):
    name = unique_stream_name()
    spate("streams", "create", name)
    binary = bytes(range(256)) * 3  # newlines, NULs and every other byte
    (tmp_path / "a.bin").write_bytes(binary)
    (tmp_path / "b.bin").write_bytes(b"second\nfile\n")
    spate("put", name, "--file", str(tmp_path / "a.bin"), "--file", str(tmp_path / "b.bin"))
    nul = subprocess.run([spate_bin(), "--endpoint", endpoint, "put", name, "--null"],
                         input=b"one\ntwo\x00three\x00", capture_output=True, timeout=60)
    assert nul.returncode == 0 and b"put 2 of 2 records" in nul.stderr, nul.stderr
    tabbed = subprocess.run([spate_bin(), "--endpoint", endpoint, "put", name, "--delimiter",
                             "\\t"], input=b"four\tfive", capture_output=True, timeout=60)
    assert tabbed.returncode == 0 and b"put 2 of 2 records" in tabbed.stderr, tabbed.stderr
    hexed = spate("tail", name, "--format", "hex", "--idle", "500").stdout.splitlines()
    assert [bytes.fromhex(line.split(" ")[3]) for line in hexed] == [
        binary, b"second\nfile\n", b"one\ntwo", b"three", b"four", b"five"]
    bad = spate("put", name, "--delimiter", "ab", stdin="x", check=False)
    assert bad.returncode == 1 and "--delimiter must be one character" in bad.stderr
    assert "split at newlines" in spate("put", "--help").stdout


def test_tail_n_prints_the_first_records_by_arrival_across_shards(spate, kinesis):
    name = unique_stream_name()
    spate("streams", "create", name, "--shards", "4")
    # One record at a time, each arriving after the last, to shards in turn.
    for i in range(12):
        kinesis.put_record(StreamName=name, Data=f"r{i}".encode(),
                           ExplicitHashKey=str((i % 4) * 2**126), PartitionKey="k")
        # Arrival times are milliseconds: the next record arrives in a later one.
        answered_ms = int(time.time() * 1000)
        wait_until(lambda: int(time.time() * 1000) > answered_ms, 5, "the next millisecond")
    assert spate("tail", name, "-n", "5", "--idle", "500").stdout.splitlines() == [
        "r0", "r1", "r2", "r3", "r4"]


def test_create_shows_what_it_waits_for_on_a_terminal_only(spated_factory):
    slow = spated_factory(create_stream_ms=1500)
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen([spate_bin(), "--endpoint", slow.endpoint, "streams", "create",
                                 "slow"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=secondary)
        os.close(secondary)
        out, _ = proc.communicate(timeout=60)
        shown = b""
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(primary)
    assert proc.returncode == 0 and out == b"created slow\n"
    assert b"waiting for slow to be ACTIVE (" in shown, shown
    assert shown.endswith(b"\r\x1b[K"), "the line is erased at the end"
    piped = subprocess.run([spate_bin(), "--endpoint", slow.endpoint, "streams", "create",
                            "piped"], capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0 and piped.stderr == ""


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


def test_tail_follow_exits_when_the_stream_is_deleted(spate, endpoint, kinesis, follow):
    name = unique_stream_name()
    spate("streams", "create", name, "--shards", "2")
    follower = follow(endpoint, name)
    # Following: both shards are being read.
    follower.go_live(_marker_putter(kinesis, name), ["shardId-000000000000", "shardId-000000000001"])
    deleted_at = time.monotonic()
    spate("streams", "delete", name)
    err = follower.failed_with_one_line(timeout=10)
    took = time.monotonic() - deleted_at
    assert err.startswith("spate: ResourceNotFoundException"), err
    assert took < 5, f"took {took:.1f} s to notice the deletion"


def test_tail_follow_exits_when_the_endpoint_is_unreachable(spated_factory, follow):
    server = spated_factory()
    name = unique_stream_name()
    created = subprocess.run([spate_bin(), "--endpoint", server.endpoint, "streams", "create", name,
                              "--shards", "1"], capture_output=True, text=True, timeout=30)
    assert created.returncode == 0, created.stderr
    follower = follow(server.endpoint, name)
    follower.go_live(_marker_putter(server.client(), name), ["shardId-000000000000"])
    stopping_at = time.monotonic()
    server.stop()
    stopped_at = time.monotonic()
    err = follower.failed_with_one_line(timeout=30)
    exited_at = time.monotonic()
    assert err.startswith("spate: ConnectionError"), err
    assert "no answer from the endpoint" in err, err
    # It had answers until the server began to stop, and gives up after 5 s without one.
    assert exited_at - stopping_at >= 4, f"gave up {exited_at - stopping_at:.1f} s after the stop began"
    assert exited_at - stopped_at < 15, f"gave up {exited_at - stopped_at:.1f} s after the server exited"


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
