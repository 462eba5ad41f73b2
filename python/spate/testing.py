"""Testing helpers: the in-process fake stream, a DummyStream of fixed values, and pytest
fixtures (registered as the `spate` pytest plugin when the package is installed).

    def test_my_handler(fake_stream):             # a FakeStream with stream "test" (2 shards)
        producer = spate.Producer(fake_stream, "test")
        ...

    def test_against_server(spated_server):       # a real spated on a free loopback port
        client = spate.Client(spated_server.endpoint)

FakeStream is the C++ library's fake_stream: the same rules, limits and error messages as
spated (tests/conformance runs one set of scenarios against both), no network, no disk.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

import pytest

from ._core import FakeStream
from .dummy import DummyStream

__all__ = ["DummyStream", "FakeStream", "SpatedServer", "fake_stream", "spated_server",
           "find_spated"]


def find_spated() -> Optional[str]:
    """The spated binary: $SPATED, $SPATE_BUILD_DIR/bin/spated, or spated on PATH."""
    explicit = os.environ.get("SPATED")
    if explicit:
        return explicit
    build = os.environ.get("SPATE_BUILD_DIR")
    if build and (Path(build) / "bin" / "spated").exists():
        return str(Path(build) / "bin" / "spated")
    return shutil.which("spated")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SpatedServer:
    """A spated process on a free loopback port with its own data directory; stopped (by
    PID) and cleaned up by stop()."""

    def __init__(self, binary: Optional[str] = None, *, args=()):
        self.binary = binary or find_spated()
        if not self.binary:
            raise RuntimeError("spated not found: set SPATED or SPATE_BUILD_DIR")
        self.data_dir = tempfile.mkdtemp(prefix="spate-test-")
        self.port = _free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [self.binary, "--host", "127.0.0.1", "--port", str(self.port), "--data-dir",
             self.data_dir, "--fsync", "never", "--log-level", "warn", "--create-stream-ms",
             "0", "--delete-stream-ms", "0", "--update-stream-ms", "0", *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("spated exited: " + self.process.stderr.read().decode())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError("spated did not start listening")

    def stop(self):
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture
def fake_stream():
    """A FakeStream holding an ACTIVE stream named "test" with 2 shards."""
    fake = FakeStream()
    fake.create_stream(stream_name="test", shard_count=2)
    return fake


@pytest.fixture
def spated_server():
    """A real spated on a free loopback port (SpatedServer), stopped after the test."""
    server = SpatedServer()
    try:
        yield server
    finally:
        server.stop()
