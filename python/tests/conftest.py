"""Fixtures of the Python package's tests: a real spated per test module (shared, one stream
name per test), a redis-server, and the package's own fixtures (fake_stream, spated_server)
from the `spate` pytest plugin."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

import spate
from spate.testing import SpatedServer

# The repository's test harness (tests/spate_harness.py), for its helpers.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from spate_harness import wait_until  # noqa: E402


def wait_for(condition, timeout=20.0):
    """The harness's wait_until (tests/spate_harness.py) with this suite's default timeout."""
    return wait_until(condition, timeout, "the condition", interval=0.01)


@pytest.fixture(scope="module")
def server():
    s = SpatedServer()
    yield s
    s.stop()


@pytest.fixture
def client(server):
    return spate.Client(server.endpoint, "us-east-1", ("AKIDTEST", "secret", ""))


@pytest.fixture
def stream(client):
    """A fresh ACTIVE stream with 2 shards on the module's spated; its name."""
    name = "py-" + uuid.uuid4().hex[:12]
    client.create_stream(stream_name=name, shard_count=2)
    wait_for(lambda: client.describe_stream_summary(stream_name=name)["summary"]["status"]
             == "ACTIVE")
    return name


@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (make deps installs it)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="spate-redis-")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def listening():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            return False

    try:
        wait_for(listening)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
