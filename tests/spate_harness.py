"""Shared machinery for the Python suites: run `spated`, talk to it, check Kinesis shapes.

What lives here (conftest.py turns the first items into pytest fixtures):

- `Spated`: one server process on a free loopback port with its own data directory. It starts,
  waits for `GET /healthz`, stops with SIGTERM (asserting exit code 0), is SIGKILLed by PID, and
  restarts on the same port and data directory. Every started process is remembered so that
  teardown (and an atexit hook, as a last resort) kills it by PID whatever happened.
- `kinesis_client(endpoint)`: a boto3 client with fake credentials and no retries.
- `write_credentials(path, pairs)`: a `spated --credentials` file.
- `raw_call(...)`: one raw HTTP POST (http.client), for malformed-input tests; SigV4-signed over
  the exact bytes sent unless `sign=False`.
- `signed_call(...)` / `api(...)`: SigV4-signed JSON requests built by hand, for parameters
  Debian's botocore 1.29 does not know (StreamARN, ListStreams NextToken, TagResource, ...).
- `cbor_call(...)` / `cbor_api(...)` / `expect_cbor_error(...)`: the same in CBOR 1.1, as the
  AWS SDK for Java v2 sends it (Debian's python3-cbor2; timestamps are tag 1 + epoch
  milliseconds both ways, `cbor_loads` reads them so).
- Kinesis helpers: stream ARNs, MD5 hash keys, hash-range coverage checks, reading a shard to
  its end, the AWS validation-message format.
- `wait_until(predicate, timeout, what)`: waits for a condition instead of sleeping, failing
  with a message that names what never happened.

Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import atexit
import base64
import datetime
import hashlib
import http.client
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterable

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "000000000000"
REGION = "us-east-1"
ACCESS_KEY = "spate"
SECRET_KEY = "spate"
TARGET_PREFIX = "Kinesis_20131202"
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
CBOR_CONTENT_TYPE = "application/x-amz-cbor-1.1"
MAX_HASH_KEY = 2**128 - 1
HEALTH_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 20.0

# AWS's patterns for the values the server returns.
SEQUENCE_NUMBER_RE = re.compile(r"0|[1-9][0-9]{0,128}")
SHARD_ID_RE = re.compile(r"shardId-[0-9]{12}")
HASH_KEY_RE = re.compile(r"0|[1-9][0-9]{0,38}")

# The fake credentials must also be in the environment: boto3 and the AWS CLI look there.
os.environ.setdefault("AWS_ACCESS_KEY_ID", ACCESS_KEY)
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
os.environ.pop("AWS_PROFILE", None)


# --------------------------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------------------------


def build_dir() -> Path:
    """The build folder: $SPATE_BUILD_DIR (relative paths are taken from the repo root)."""
    raw = os.environ.get("SPATE_BUILD_DIR") or "build"
    path = Path(raw)
    return path if path.is_absolute() else REPO_ROOT / path


def spated_binary() -> Path:
    return build_dir() / "bin" / "spated"


# Ports for servers come from a block of its own per pytest-xdist worker, below Linux's
# ephemeral range (32768-60999) where clients' ports come from, and are handed out in turn, so
# two workers never pick the same port and a port is not reused while an old server on it may
# still be stopping (a client would otherwise reach another test's server).
_PORT_BLOCK = 1400
_PORT_BASE = 21000
_port_lock = threading.Lock()
_port_next: int | None = None


def _worker_index() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    digits = worker[2:] if worker.startswith("gw") else ""
    return int(digits) % 8 if digits.isdigit() else 0


def free_port() -> int:
    """A loopback port free now, from this worker's block (see _PORT_BLOCK)."""
    global _port_next
    first = _PORT_BASE + _worker_index() * _PORT_BLOCK
    with _port_lock:
        if _port_next is None:
            # A different start per process, so consecutive runs do not meet each other's
            # sockets in TIME_WAIT.
            _port_next = (os.getpid() * 7) % _PORT_BLOCK
        for _ in range(_PORT_BLOCK):
            port = first + _port_next
            _port_next = (_port_next + 1) % _PORT_BLOCK
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    raise OSError(f"no free loopback port in {first}..{first + _PORT_BLOCK - 1}")


# Every Spated object that ever started a process; the atexit hook and the failure report use it.
_ALL_SERVERS: list["Spated"] = []
_ALL_SERVERS_LOCK = threading.Lock()


def all_servers() -> list["Spated"]:
    with _ALL_SERVERS_LOCK:
        return list(_ALL_SERVERS)


@atexit.register
def _kill_leftovers() -> None:
    for server in all_servers():
        server.kill_if_running()


class ServerError(AssertionError):
    """spated did not start, did not answer /healthz, or did not stop cleanly."""


class Spated:
    """One spated process: a port, a data directory and a log file, restartable.

    The port and the data directory stay the same across stop()/kill() and start(), so a
    restart is a restart of "the same server" as far as clients are concerned.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        fsync: str = "batch",
        shard_limit: int | None = None,
        iterator_ttl_ms: int | None = None,
        create_stream_ms: int | None = None,
        delete_stream_ms: int | None = None,
        update_stream_ms: int | None = None,
        log_level: str = "warn",
        extra_args: Iterable[str] = (),
        port: int | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir(exist_ok=True)
        self.log_path = self.workdir / "spated.log"
        self.port = port or free_port()
        self.fsync = fsync
        self.args: list[str] = [
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--data-dir", str(self.data_dir),
            "--fsync", fsync,
            "--log-level", log_level,
        ]
        optional = {
            "--shard-limit": shard_limit,
            "--iterator-ttl-ms": iterator_ttl_ms,
            "--create-stream-ms": create_stream_ms,
            "--delete-stream-ms": delete_stream_ms,
            "--update-stream-ms": update_stream_ms,
        }
        for flag, value in optional.items():
            if value is not None:
                self.args += [flag, str(value)]
        self.args += list(extra_args)
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self._log_file = None

    # -- addresses ---------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def client(self, **config: Any):
        """A boto3 Kinesis client for this server (no retries)."""
        return kinesis_client(self.endpoint, **config)

    # -- lifecycle ---------------------------------------------------------------------------

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = HEALTH_TIMEOUT_S) -> "Spated":
        """Starts the process and returns once /healthz answers 200."""
        assert not self.running(), "spated is already running"
        binary = spated_binary()
        if not binary.exists():
            raise ServerError(
                f"spated is not built: {binary} does not exist "
                f"(set SPATE_BUILD_DIR or run `make build`)"
            )
        self.starts += 1
        self._log_file = open(self.log_path, "ab", buffering=0)
        self._log_file.write(
            f"\n===== start #{self.starts}: {binary} {' '.join(self.args)}\n".encode()
        )
        self.proc = subprocess.Popen(
            [str(binary), *self.args],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            cwd=str(self.workdir),
        )
        with _ALL_SERVERS_LOCK:
            if self not in _ALL_SERVERS:
                _ALL_SERVERS.append(self)
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = HEALTH_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                code = self.proc.returncode if self.proc else None
                raise ServerError(
                    f"spated exited with code {code} before /healthz answered\n{self.log_tail()}"
                )
            try:
                status, body = http_get(self.endpoint, "/healthz", timeout=1.0)
                if status == 200:
                    return
                last = f"HTTP {status}: {body[:200]!r}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.05)
        self.kill_if_running()
        raise ServerError(
            f"spated did not answer /healthz with 200 within {timeout}s ({last})\n{self.log_tail()}"
        )

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> int:
        """SIGTERM, wait, and assert a graceful exit with code 0."""
        assert self.proc is not None, "spated was never started"
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill_if_running()
                raise ServerError(
                    f"spated did not exit within {timeout}s of SIGTERM\n{self.log_tail()}"
                )
        code = self.proc.returncode
        self._close_log()
        if code != 0:
            raise ServerError(f"spated exited with code {code} after SIGTERM\n{self.log_tail()}")
        return code

    def kill(self) -> None:
        """SIGKILL by PID (a crash: nothing is flushed by the server) and reap the process."""
        assert self.proc is not None, "spated was never started"
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._close_log()

    def restart(self, timeout: float = HEALTH_TIMEOUT_S) -> "Spated":
        self.stop()
        return self.start(timeout)

    def kill_if_running(self) -> None:
        """Teardown: SIGKILL by PID if the process still runs; never raises."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            try:
                self._log_file.close()
            except OSError:
                pass
            self._log_file = None

    def log_tail(self, limit: int = 6000) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return f"(no log at {self.log_path})"
        text = data[-limit:].decode("utf-8", "replace")
        return f"----- {self.log_path} (last {min(limit, len(data))} bytes) -----\n{text}"

    def metrics(self) -> dict[str, float]:
        """GET /metrics parsed into {sample name with labels: value}."""
        status, body = http_get(self.endpoint, "/metrics")
        assert status == 200, f"/metrics answered {status}: {body[:300]!r}"
        return parse_prometheus(body.decode())


def http_get(endpoint: str, path: str, timeout: float = 10.0) -> tuple[int, bytes]:
    host, port = _host_port(endpoint)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def histogram_buckets(samples: dict[str, float], name: str) -> list[tuple[float, float]]:
    """The cumulative buckets of the histogram `name` among parse_prometheus() samples, as
    (upper bound, count) in bound order, +Inf last; empty if it has none."""
    return sorted((float(k.split('le="')[1].split('"')[0]), v) for k, v in samples.items()
                  if k.startswith(f"{name}_bucket"))


def prometheus_histogram(samples: dict[str, float],
                         name: str) -> tuple[list[tuple[float, float]], float, float]:
    """The histogram `name` among parse_prometheus() samples: its cumulative buckets
    (histogram_buckets), then its count and its sum."""
    return histogram_buckets(samples, name), samples[f"{name}_count"], samples[f"{name}_sum"]


def parse_prometheus(text: str) -> dict[str, float]:
    samples: dict[str, float] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        # "name{labels} value [timestamp]" or "name value [timestamp]".
        if "}" in line:
            name = line[: line.index("}") + 1]
            parts = line[line.index("}") + 1 :].split()
        else:
            parts = line.split()
            name = parts[0]
            parts = parts[1:]
        samples[name] = float(parts[0])
    return samples


def wait_until(predicate, timeout: float, what, interval: float = 0.05) -> Any:
    """Calls `predicate()` until it returns something truthy, and returns that.

    Fails with an AssertionError naming `what` (a string, or a function returning one, called
    only then so that it can describe the state at the deadline) once `timeout` seconds have
    passed. The predicate may itself raise to give up early, say when the process it watches
    has exited or the connection it reads has closed.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            text = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout:g} s waiting for {text}")
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------


def kinesis_client(endpoint: str, *, key: str = ACCESS_KEY, secret: str = SECRET_KEY,
                   region: str = REGION, verify: str | None = None, **config: Any):
    """boto3 Kinesis client for `endpoint`: fake credentials (or `key`/`secret`), us-east-1
    (or `region`), no retries; `verify`: the CA file for an https endpoint."""
    session = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, region_name=region
    )
    options = dict(
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=60,
    )
    options.update(config)
    return session.client("kinesis", endpoint_url=endpoint, verify=verify,
                          config=Config(**options))


def _host_port(endpoint: str) -> tuple[str, int]:
    m = re.fullmatch(r"http://([^:/]+):(\d+)/?", endpoint)
    assert m, f"not an http://host:port endpoint: {endpoint}"
    assert m.group(1) == "127.0.0.1", "the tests only talk to 127.0.0.1"
    return m.group(1), int(m.group(2))


def sign_headers(endpoint: str, body: bytes, headers: dict[str, str], *,
                 key: str = ACCESS_KEY, secret: str = SECRET_KEY,
                 region: str = REGION) -> dict[str, str]:
    """Headers plus X-Amz-Date and an AWS SigV4 Authorization over exactly `body`, for
    POST `endpoint`/ (signed with the fake credentials, or with `key`/`secret`/`region`)."""
    request = AWSRequest(method="POST", url=endpoint.rstrip("/") + "/", data=body, headers=headers)
    SigV4Auth(Credentials(key, secret), "kinesis", region).add_auth(request)
    return dict(request.headers.items())


def stalled_websocket(port: int, path: str) -> socket.socket:
    """A WebSocket client of `path` that completes the handshake and then never reads (a small
    receive buffer, so that the server's writes back up soon)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 10)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(b"stalled-client!!").decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
                  f"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                  f"Sec-WebSocket-Key: {key}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        byte = sock.recv(1)
        assert byte, f"the server closed the connection during the handshake: {head!r}"
        head += byte
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def stalled_event_stream(port: int, consumer_arn: str,
                         shard: str = "shardId-000000000000") -> socket.socket:
    """A SubscribeToShard client (signed, from LATEST) that sends its request and never reads
    the answer (a small receive buffer, as stalled_websocket)."""
    body = json.dumps({"ConsumerARN": consumer_arn, "ShardId": shard,
                       "StartingPosition": {"Type": "LATEST"}}).encode()
    headers = sign_headers(f"http://127.0.0.1:{port}", body, {
        "X-Amz-Target": f"{TARGET_PREFIX}.SubscribeToShard", "Content-Type": JSON_CONTENT_TYPE})
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 10)
    sock.connect(("127.0.0.1", port))
    lines = ["POST / HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("host", "content-length")]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return sock


def write_credentials(path: Path, pairs: Iterable[tuple[str, str]],
                      mode: int | None = None) -> Path:
    """Writes a `spated --credentials` file, one `ACCESS_KEY SECRET` line per pair (and
    chmods it to `mode`, if given); returns `path`."""
    path.write_text("".join(f"{key} {secret}\n" for key, secret in pairs))
    if mode is not None:
        path.chmod(mode)
    return path


def parse_body(data: bytes) -> Any:
    """JSON if the body is JSON, else the text (or bytes if not UTF-8)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    try:
        return json.loads(text) if text else text
    except ValueError:
        return text


_NO_TARGET = object()


def raw_exchange(
    endpoint: str,
    action: str | None,
    body: bytes | str | dict | list | None,
    content_type: str | None = JSON_CONTENT_TYPE,
    target: Any = None,
    headers: dict[str, str] | None = None,
    sign: bool = True,
    timeout: float = 30.0,
) -> tuple[int, dict[str, str], bytes]:
    """Sends one POST / and returns (HTTP status, response headers, body bytes).

    - `body`: bytes/str are sent as they are; dicts and lists are JSON-encoded.
    - `target`: the X-Amz-Target header; by default `Kinesis_20131202.<action>`. Pass
      `target=""` for an empty header and `action=None, target=None` to send none at all.
    - `content_type=None` sends no Content-Type.
    - `sign`: add SigV4 headers computed over the exact bytes (a server may insist on them;
      the malformed-input tests are about the body, not about authentication).
    """
    if isinstance(body, (dict, list)):
        payload = json.dumps(body).encode()
    elif isinstance(body, str):
        payload = body.encode("utf-8")
    elif body is None:
        payload = b""
    else:
        payload = bytes(body)
    hdrs: dict[str, str] = {}
    if content_type is not None:
        hdrs["Content-Type"] = content_type
    if target is None and action is not None:
        target = f"{TARGET_PREFIX}.{action}"
    if target is not None:
        hdrs["X-Amz-Target"] = target
    if headers:
        hdrs.update(headers)
    if sign:
        hdrs = sign_headers(endpoint, payload, hdrs)
    host, port = _host_port(endpoint)
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("POST", "/", body=payload, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def raw_call(
    endpoint: str,
    action: str | None,
    body: bytes | str | dict | list | None,
    content_type: str | None = JSON_CONTENT_TYPE,
    **kw: Any,
) -> tuple[int, Any]:
    """Sends one POST / (as raw_exchange) and returns (HTTP status, parsed JSON or text)."""
    status, _, data = raw_exchange(endpoint, action, body, content_type, **kw)
    return status, parse_body(data)


def signed_call(endpoint: str, action: str, params: dict | None = None, **kw: Any) -> tuple[int, Any]:
    """A well-formed SigV4-signed JSON 1.1 request; returns (HTTP status, parsed body)."""
    return raw_call(endpoint, action, params if params is not None else {}, **kw)


class KinesisError(Exception):
    """An error answer: HTTP status, AWS error type (no namespace prefix) and message."""

    def __init__(self, status: int, type_: str, message: str | None, body: Any) -> None:
        super().__init__(f"HTTP {status} {type_}: {message!r}")
        self.status = status
        self.type = type_
        self.message = message
        self.body = body


def error_type(body: Any) -> str | None:
    """The `__type` of an error body without a `namespace#` prefix (botocore strips it too)."""
    if not isinstance(body, dict):
        return None
    t = body.get("__type")
    if not isinstance(t, str):
        return None
    return t.rsplit("#", 1)[-1]


def error_message(body: Any) -> str | None:
    """The message of an error body; AWS spells the key `message` (some services `Message`)."""
    if not isinstance(body, dict):
        return None
    return body.get("message", body.get("Message"))


def api(endpoint: str, action: str, **params: Any) -> dict:
    """A signed raw call that returns the JSON result or raises KinesisError."""
    status, body = signed_call(endpoint, action, params)
    if status == 200:
        if body == "":
            return {}  # actions without output may answer with an empty body
        assert isinstance(body, dict), f"{action}: 200 with a non-JSON-object body {body!r}"
        return body
    raise KinesisError(status, error_type(body) or "?", error_message(body), body)


def expect_error(endpoint: str, action: str, params: Any, type_: str, status: int = 400) -> str:
    """Sends `params` and asserts an error of `type_` with HTTP `status`; returns its message."""
    st, body = signed_call(endpoint, action, params)
    assert error_type(body) == type_, (
        f"{action} {json.dumps(params)[:300]}: expected {type_}, got HTTP {st} {body!r}"[:2000]
    )
    assert st == status, f"{action}: {type_} came with HTTP {st}, expected {status}"
    msg = error_message(body)
    return msg if msg is not None else ""


# --------------------------------------------------------------------------------------------
# CBOR 1.1 (the AWS SDK for Java v2 and the KCL)
# --------------------------------------------------------------------------------------------

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_AWS_CBOR = None


def _aws_cbor_decoder():
    """cbor2's pure-Python decoder with tag 1 left to a tag hook (it would read seconds and
    fail on AWS's milliseconds with "year ... is out of range"). Only the pure-Python module's
    table is changed; cbor2.loads (the C decoder) is untouched."""
    global _AWS_CBOR
    if _AWS_CBOR is None:
        import cbor2.decoder as pure

        pure.semantic_decoders.pop(1, None)
        _AWS_CBOR = pure
    return _AWS_CBOR


def _aws_tag_hook(decoder, tag):
    if tag.tag == 1:
        assert isinstance(tag.value, int) and not isinstance(tag.value, bool), (
            f"tag 1 must hold integer epoch milliseconds, got {tag.value!r}"
        )
        return _EPOCH + datetime.timedelta(milliseconds=tag.value)
    return tag


def cbor_loads(data: bytes) -> Any:
    """Decodes a CBOR document; tag 1 (AWS: integer epoch milliseconds) becomes an aware UTC
    datetime, byte strings stay bytes."""
    return _aws_cbor_decoder().loads(data, tag_hook=_aws_tag_hook)


def cbor_dumps(value: Any) -> bytes:
    import cbor2

    return cbor2.dumps(value)


def cbor_timestamp(when: datetime.datetime | float | int) -> Any:
    """A timestamp as the Java SDK v2 writes it: tag 1 around integer epoch milliseconds
    (`when`: an aware datetime, or epoch seconds)."""
    import cbor2

    if isinstance(when, datetime.datetime):
        ms = (when - _EPOCH) // datetime.timedelta(milliseconds=1)
    else:
        ms = round(when * 1000)
    return cbor2.CBORTag(1, int(ms))


def cbor_call(
    endpoint: str, action: str, params: Any = None, *, body: bytes | None = None, **kw: Any
) -> tuple[int, Any, str]:
    """A SigV4-signed CBOR 1.1 request (`params` encoded with cbor2, or the raw `body`);
    returns (HTTP status, decoded body, response Content-Type). A CBOR answer is decoded
    (an empty body is None); anything else is returned as bytes."""
    payload = body if body is not None else cbor_dumps(params if params is not None else {})
    kw.setdefault("content_type", CBOR_CONTENT_TYPE)
    status, headers, data = raw_exchange(endpoint, action, payload, **kw)
    ctype = headers.get("Content-Type", "")
    if ctype == CBOR_CONTENT_TYPE:
        return status, (cbor_loads(data) if data else None), ctype
    return status, data, ctype


def cbor_api(endpoint: str, action: str, **params: Any) -> dict:
    """A CBOR call that returns the decoded result or raises KinesisError."""
    status, body, ctype = cbor_call(endpoint, action, params)
    assert ctype == CBOR_CONTENT_TYPE, f"{action}: answered {ctype!r} to a CBOR request"
    if status == 200:
        assert isinstance(body, dict), f"{action}: 200 with a non-map body {body!r}"
        return body
    raise KinesisError(status, error_type(body) or "?", error_message(body), body)


def expect_cbor_error(endpoint: str, action: str, params: Any, type_: str, status: int = 400,
                      **kw: Any) -> str:
    """Sends `params` in CBOR and asserts a CBOR error map of `type_` with HTTP `status`."""
    st, body, ctype = cbor_call(endpoint, action, params, **kw)
    assert ctype == CBOR_CONTENT_TYPE, f"{action}: error answered as {ctype!r}: {body!r}"
    assert error_type(body) == type_, f"{action}: expected {type_}, got HTTP {st} {body!r}"[:2000]
    assert st == status, f"{action}: {type_} came with HTTP {st}, expected {status}"
    msg = error_message(body)
    return msg if msg is not None else ""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------------------------
# Kinesis knowledge
# --------------------------------------------------------------------------------------------


def stream_arn(name: str) -> str:
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT_ID}:stream/{name}"


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


def hash_key(partition_key: str | bytes) -> int:
    """MD5 of the partition key's UTF-8 bytes, read as a big-endian unsigned integer."""
    if isinstance(partition_key, str):
        partition_key = partition_key.encode("utf-8")
    return int.from_bytes(hashlib.md5(partition_key).digest(), "big")


def even_ranges(count: int) -> list[tuple[int, int]]:
    """CreateStream's split of [0, 2^128-1]: floor(2^128/n) keys each, the last takes the rest."""
    step = 2**128 // count
    ranges = [(i * step, (i + 1) * step - 1) for i in range(count)]
    ranges[-1] = (ranges[-1][0], MAX_HASH_KEY)
    return ranges


def shard_range(shard: dict) -> tuple[int, int]:
    r = shard["HashKeyRange"]
    return int(r["StartingHashKey"]), int(r["EndingHashKey"])


def is_open(shard: dict) -> bool:
    return "EndingSequenceNumber" not in shard["SequenceNumberRange"]


def assert_shard_shape(shard: dict) -> None:
    """One Shard object as AWS returns it."""
    assert SHARD_ID_RE.fullmatch(shard["ShardId"]), shard
    for key in ("StartingHashKey", "EndingHashKey"):
        assert HASH_KEY_RE.fullmatch(shard["HashKeyRange"][key]), shard
    lo, hi = shard_range(shard)
    assert 0 <= lo <= hi <= MAX_HASH_KEY, shard
    start = shard["SequenceNumberRange"]["StartingSequenceNumber"]
    assert SEQUENCE_NUMBER_RE.fullmatch(start), shard
    end = shard["SequenceNumberRange"].get("EndingSequenceNumber")
    if end is not None:
        assert SEQUENCE_NUMBER_RE.fullmatch(end), shard
        assert int(end) >= int(start), shard
    for key in ("ParentShardId", "AdjacentParentShardId"):
        if key in shard:
            assert SHARD_ID_RE.fullmatch(shard[key]), shard


def assert_exact_cover(shards: list[dict]) -> None:
    """The hash ranges of `shards` tile [0, 2^128-1] exactly: no gap, no overlap."""
    ranges = sorted(shard_range(s) for s in shards)
    assert ranges, "no shards"
    assert ranges[0][0] == 0, f"first range starts at {ranges[0][0]}, not 0"
    for (lo1, hi1), (lo2, hi2) in zip(ranges, ranges[1:]):
        assert lo1 <= hi1, (lo1, hi1)
        assert lo2 == hi1 + 1, f"gap or overlap between [{lo1},{hi1}] and [{lo2},{hi2}]"
    assert ranges[-1][1] == MAX_HASH_KEY, f"last range ends at {ranges[-1][1]}, not 2^128-1"


def shard_for_key(shards: list[dict], key: int) -> dict:
    """The open shard whose hash range holds `key` (exactly one must)."""
    matches = [s for s in shards if is_open(s) and shard_range(s)[0] <= key <= shard_range(s)[1]]
    assert len(matches) == 1, f"{len(matches)} open shards hold hash key {key}"
    return matches[0]


def assert_sequence_number(value: Any) -> int:
    assert isinstance(value, str) and SEQUENCE_NUMBER_RE.fullmatch(value), (
        f"not a Kinesis sequence number: {value!r}"
    )
    return int(value)


def validation_message(value: str | None, member: str, constraint: str) -> str:
    """One item of AWS's ValidationException message, e.g.
    Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater
    than or equal to 1   (value None renders as `Value null at ...`)."""
    shown = "null" if value is None else f"'{value}'"
    return f"Value {shown} at '{member}' failed to satisfy constraint: {constraint}"


def one_validation_error(value: str | None, member: str, constraint: str) -> str:
    return "1 validation error detected: " + validation_message(value, member, constraint)


def list_all_shards(kinesis, stream: str) -> list[dict]:
    """Every shard of the stream through ListShards pagination."""
    shards: list[dict] = []
    resp = kinesis.list_shards(StreamName=stream)
    shards += resp["Shards"]
    while resp.get("NextToken"):
        resp = kinesis.list_shards(NextToken=resp["NextToken"])
        shards += resp["Shards"]
    return shards


def describe_all_shards(kinesis, stream: str) -> list[dict]:
    """Every shard of the stream through DescribeStream's ExclusiveStartShardId paging."""
    shards: list[dict] = []
    kwargs: dict[str, Any] = {"StreamName": stream}
    for _ in range(10_000):
        desc = kinesis.describe_stream(**kwargs)["StreamDescription"]
        shards += desc["Shards"]
        if not desc["HasMoreShards"]:
            return shards
        assert desc["Shards"], "HasMoreShards with an empty page"
        kwargs["ExclusiveStartShardId"] = desc["Shards"][-1]["ShardId"]
    raise AssertionError("DescribeStream paging never ended")


def wait_active(kinesis, stream: str) -> None:
    kinesis.get_waiter("stream_exists").wait(
        StreamName=stream, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )


def read_shard(kinesis, stream: str, shard: str, iterator_type: str = "TRIM_HORIZON",
               limit: int | None = None, max_calls: int = 10_000, **kw: Any) -> tuple[list[dict], dict]:
    """Reads a shard from `iterator_type` until caught up (an empty page with
    MillisBehindLatest == 0) or until the end of a closed shard (no NextShardIterator).
    Returns (records, last GetRecords response)."""
    it = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType=iterator_type, **kw
    )["ShardIterator"]
    records: list[dict] = []
    for _ in range(max_calls):
        args = {"ShardIterator": it}
        if limit is not None:
            args["Limit"] = limit
        resp = kinesis.get_records(**args)
        records += resp["Records"]
        nxt = resp.get("NextShardIterator")
        if nxt is None:
            return records, resp
        if not resp["Records"] and resp.get("MillisBehindLatest", 0) == 0:
            return records, resp
        it = nxt
    raise AssertionError(f"reading {shard} did not finish in {max_calls} GetRecords calls")


_NAME_COUNTER = itertools.count(1)


def unique_stream_name(hint: str = "s") -> str:
    hint = re.sub(r"[^a-zA-Z0-9_.-]", "-", hint)[:40].strip("-") or "s"
    return f"{hint}-{next(_NAME_COUNTER)}-{uuid.uuid4().hex[:8]}"
