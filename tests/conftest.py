"""pytest fixtures for the spated suites (tests/compat, tests/integration).

Fixtures:
- `server`: one spated per test module (fsync=batch), stopped with SIGTERM at the end of the
  module, which also asserts a graceful exit with code 0.
- `kinesis`: a boto3 Kinesis client for `server`, no retries.
- `endpoint`: `server`'s http://127.0.0.1:PORT.
- `fresh_server`: a spated of its own for one test.
- `spated_factory`: makes servers with custom flags (`--shard-limit`, `--iterator-ttl-ms`, ...)
  for one test; each is killed by PID at teardown.
- `stream`: a factory, `stream(shards=1)` -> name of a new ACTIVE stream on `server`, deleted
  at teardown.

The helpers (Spated, raw_call, signed_call, api, ...) live in spate_harness.py; they are
re-exported here. When a test fails, the tail of the log of every spated it used is attached
to the report.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from spate_harness import (  # noqa: E402,F401  (re-exported for tests and readers)
    ACCOUNT_ID,
    REGION,
    KinesisError,
    Spated,
    all_servers,
    api,
    expect_error,
    kinesis_client,
    raw_call,
    signed_call,
    stream_arn,
    unique_stream_name,
    wait_active,
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the log tail of every server that ran during this test."""
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        used = getattr(item, "_spated_used", None)
        servers = used if used else [s for s in all_servers() if s.running()]
        for server in servers:
            report.sections.append((f"spated log (port {server.port})", server.log_tail()))


def _note_use(request, server: Spated) -> None:
    node = request.node
    used = getattr(node, "_spated_used", None)
    if used is None:
        used = []
        node._spated_used = used
    if server not in used:
        used.append(server)


@pytest.fixture(scope="module")
def _module_server(tmp_path_factory, request):
    """A module may set SPATED_FLAGS (a list of extra spated arguments) for its shared server."""
    flags = list(getattr(request.module, "SPATED_FLAGS", ()))
    server = Spated(tmp_path_factory.mktemp("spated"), extra_args=flags)
    try:
        server.start()
        yield server
        if server.running():
            server.stop()  # asserts exit code 0
    finally:
        server.kill_if_running()


@pytest.fixture
def server(_module_server, request) -> Spated:
    """The spated shared by every test of this module."""
    _note_use(request, _module_server)
    assert _module_server.running(), (
        "the module's spated is no longer running\n" + _module_server.log_tail()
    )
    return _module_server


@pytest.fixture
def endpoint(server) -> str:
    return server.endpoint


@pytest.fixture
def kinesis(server):
    return server.client()


@pytest.fixture
def spated_factory(tmp_path, request):
    """`spated_factory(**flags)` -> a started Spated with its own data dir, for this test."""
    made: list[Spated] = []

    def make(start: bool = True, **flags) -> Spated:
        server = Spated(tmp_path / f"spated-{len(made)}", **flags)
        made.append(server)
        _note_use(request, server)
        if start:
            server.start()
        return server

    try:
        yield make
    finally:
        for server in made:
            server.kill_if_running()


@pytest.fixture
def fresh_server(spated_factory) -> Spated:
    """A spated of this test's own (default flags)."""
    return spated_factory()


@pytest.fixture
def stream(kinesis, request):
    """Factory: `stream(shards=1, mode=None, name=None)` creates a stream on `server`, waits
    for ACTIVE with boto3's waiter and returns its name. Streams are deleted at teardown."""
    created: list[str] = []

    def make(shards: int | None = 1, mode: str | None = None, name: str | None = None) -> str:
        name = name or unique_stream_name(request.node.name)
        args: dict = {"StreamName": name}
        if shards is not None:
            args["ShardCount"] = shards
        if mode is not None:
            args["StreamModeDetails"] = {"StreamMode": mode}
        kinesis.create_stream(**args)
        created.append(name)
        wait_active(kinesis, name)
        return name

    yield make
    for name in created:
        try:
            kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
        except Exception:  # already deleted by the test, or the server is gone
            pass
