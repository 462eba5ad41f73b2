#!/usr/bin/env python3
"""storm.py: memory and overload storms against a real `spated`, with the server's RSS, CPU
time and /healthz latency measured while each one runs.

Each scenario starts a fresh spated on a free loopback port with a temporary --data-dir
(--fsync batch), runs its load, and kills the server by PID at the end, whatever happened.
While the load runs:
- a sampler thread reads VmRSS (and VmHWM) from /proc/PID/status every ~50 ms, and the
  server's CPU time (utime + stime) from /proc/PID/stat;
- a separate probe process (so the load's Python work cannot delay it) opens a fresh
  connection every ~100 ms for GET /healthz and records its latency or failure, and reads
  /metrics once a second (open connections, subscribers);
- a guard kills the server if its RSS passes --rss-limit-mb, to protect the machine.

Scenarios (sizes are flags, so each can be scaled down):
  h1_bodies              HTTP/1.1 PutRecords headers with Content-Length 16000000, 15 MB of
                         body, then a stall; once per count in --h1-conns (default 100,250)
  h2_bodies              h2c connections, several streams each sending large bodies as far as
                         flow control lets them, never ending
  unauth_bodies          as h1_bodies against --auth sigv4, without Authorization
  big_producers          concurrent producers, one 5 MB PutRecords each (5 records of 1 MB)
  never_read_getrecords  readers pipelining GetRecords (Limit 10000) on full shards with a
                         tiny receive buffer, never reading
  never_read_ws          WebSocket subscribers that never read while producers put
  decode_bombs           a 16.7 MB CBOR array of nulls / a JSON array of 8 M zeros in an
                         unknown field: one at a time and several at once
  healthz_under_load     producers in a closed loop of PutRecords (500 x 100 B)
  idle_connections       --idle-conns idle TCP connections, then /healthz probes
  bursts                 h1_bodies bursts, closed each time: RSS after each settles

Only 127.0.0.1 is ever contacted. Output: one line per scenario as it finishes (JSON with
--json), then a table. Example:

  python3 benchmarks/attack/storm.py --spated build/bin/spated --scenario all --json \\
      --out /tmp/storm.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import http.client
import json
import os
import random
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

CLK_TCK = os.sysconf("SC_CLK_TCK")
JSON_CT = "application/x-amz-json-1.1"
CBOR_CT = "application/x-amz-cbor-1.1"
TARGET = "Kinesis_20131202"
HOST = "127.0.0.1"
MB = 1_000_000
MiB = 1 << 20

# Every server this process started, so a signal or an exception cannot leave one behind.
_SERVERS: list["Server"] = []


# ------------------------------------------------------------------------------------------
# /proc readings
# ------------------------------------------------------------------------------------------


def proc_memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KiB; (0, 0) once the process is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return rss, hwm


def proc_cpu_s(pid: int) -> float:
    """utime + stime of the process, in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_open_files_limit(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/limits") as f:
            for line in f:
                if line.startswith("Max open files"):
                    return " ".join(line.split()[3:5])
    except OSError:
        pass
    return "?"



def kill_by_pid(proc: subprocess.Popen, wait_s: float) -> None:
    """SIGKILL `proc` by its PID (if it still runs) and reap it, waiting at most `wait_s`."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(wait_s)
    except subprocess.TimeoutExpired:
        pass

class Sampler(threading.Thread):
    """VmRSS every `interval` seconds; kills the server past `limit_kb` (0: no limit)."""

    def __init__(self, pid: int, interval: float, limit_kb: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.limit_kb = limit_kb
        self.samples: list[tuple[float, int]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.killed_for_rss = False

    def run(self) -> None:
        while not self.stopping.is_set():
            rss, _ = proc_memory_kb(self.pid)
            now = time.monotonic()
            with self.lock:
                self.samples.append((now, rss))
            if self.limit_kb and rss > self.limit_kb and not self.killed_for_rss:
                self.killed_for_rss = True
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)

    def peak_kb(self, t0: float = 0.0, t1: float = float("inf")) -> int:
        with self.lock:
            return max((r for t, r in self.samples if t0 <= t <= t1), default=0)

    def last_kb(self) -> int:
        with self.lock:
            return self.samples[-1][1] if self.samples else 0


# ------------------------------------------------------------------------------------------
# The /healthz probe (a child process of its own)
# ------------------------------------------------------------------------------------------


def _probe_once(port: int, timeout: float) -> tuple[bool, str]:
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
                if b"\r\n\r\n" in data and data.endswith(b"ok\n"):
                    break
    except socket.timeout:
        return False, "timeout"
    except OSError as e:
        return False, type(e).__name__
    if not data:
        return False, "closed"
    if not data.startswith(b"HTTP/1.1 200"):
        return False, data.split(b"\r\n", 1)[0].decode("latin-1")[:40]
    return True, ""


def _metrics_once(port: int, timeout: float) -> dict:
    wanted = ("spate_open_connections", 'spate_subscribers{kind="websocket"}',
              'spate_subscribers{kind="event_stream"}', "spate_slow_subscribers_closed_total",
              'spate_requests_total{action="GetRecords"}',
              'spate_requests_total{action="PutRecords"}')
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", "/metrics")
        resp = conn.getresponse()
        text = resp.read().decode()
    finally:
        conn.close()
    values = {}
    for line in text.splitlines():
        for name in wanted:
            if line.startswith(name + " "):
                values[name] = float(line.split()[-1])
    return values


def probe_child(port: int, out_path: str, interval: float, timeout: float,
                metrics_every: float) -> None:
    """Runs until killed: one /healthz probe per `interval` on a fresh connection, /metrics
    every `metrics_every` seconds, a JSON line per result (line-buffered, so a kill loses
    nothing but the probe in flight)."""
    out = open(out_path, "a", buffering=1)
    lock = threading.Lock()

    def write(obj):
        with lock:
            out.write(json.dumps(obj) + "\n")

    def metrics_loop():
        while True:
            t0 = time.monotonic()
            try:
                write({"m": t0, "v": _metrics_once(port, timeout)})
            except Exception as e:  # noqa: BLE001 - recorded, the loop goes on
                write({"m": t0, "err": type(e).__name__})
            time.sleep(max(0.0, metrics_every - (time.monotonic() - t0)))

    if metrics_every > 0:
        threading.Thread(target=metrics_loop, daemon=True).start()
    while True:
        t0 = time.monotonic()
        ok, err = _probe_once(port, timeout)
        write({"t": t0, "lat": time.monotonic() - t0, "ok": ok, "err": err})
        time.sleep(max(0.0, interval - (time.monotonic() - t0)))


class Prober:
    def __init__(self, port: int, workdir: str, interval: float, timeout: float,
                 metrics_every: float):
        self.path = os.path.join(workdir, "probes.jsonl")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--_probe", str(port), self.path,
             str(interval), str(timeout), str(metrics_every)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    def stop(self) -> None:
        kill_by_pid(self.proc, 10)

    def results(self) -> tuple[list[dict], list[dict]]:
        probes, metrics = [], []
        try:
            with open(self.path) as f:
                for line in f:
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        continue  # a line cut by the kill
                    (probes if "t" in obj else metrics).append(obj)
        except OSError:
            pass
        return probes, metrics


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))
    return values[k]


def probe_summary(probes: list[dict], t0: float, t1: float) -> dict:
    window = [p for p in probes if t0 <= p["t"] <= t1]
    ok = [p["lat"] * 1000 for p in window if p["ok"]]
    fails = collections.Counter(p["err"] for p in window if not p["ok"])
    all_lat = [p["lat"] * 1000 for p in window]
    return {
        "n": len(window),
        "ok": len(ok),
        "fail": sum(fails.values()),
        "fail_kinds": dict(fails),
        "p50_ms": _r(percentile(ok, 0.50)),
        "p99_ms": _r(percentile(ok, 0.99)),
        "max_ms": _r(max(all_lat) if all_lat else None),
    }


def _r(x, digits=1):
    return None if x is None else round(x, digits)


# ------------------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary: str, workdir: str, extra_args: list[str], log_level: str):
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.data_dir = os.path.join(workdir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.log_path = os.path.join(workdir, "spated.log")
        self.args = [binary, "--host", HOST, "--port", str(self.port), "--data-dir",
                     self.data_dir, "--fsync", "batch", "--log-level", log_level, *extra_args]
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 20.0) -> None:
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        _SERVERS.append(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"spated exited with {self.proc.returncode}: {self.log_tail()}")
            if _probe_once(self.port, 1.0)[0]:
                return
            time.sleep(0.05)
        raise RuntimeError(f"spated did not answer /healthz within {timeout}s: {self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is not None:
            kill_by_pid(self.proc, 15)

    def log_tail(self, limit: int = 1500) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-limit:].decode("utf-8", "replace")
        except OSError:
            return ""


def _kill_all_servers(*_args) -> None:
    for server in _SERVERS:
        server.kill()


# ------------------------------------------------------------------------------------------
# Small HTTP/1.1 pieces: blocking (setup) and asyncio over raw sockets (load)
# ------------------------------------------------------------------------------------------


def request_head(action: str, length: int, content_type: str = JSON_CT,
                 extra: str = "") -> bytes:
    return (f"POST / HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: {content_type}\r\n"
            f"X-Amz-Target: {TARGET}.{action}\r\nContent-Length: {length}\r\n{extra}\r\n").encode()


def request(action: str, params: dict) -> bytes:
    body = json.dumps(params).encode()
    return request_head(action, len(body)) + body


def call(port: int, action: str, params: dict, timeout: float = 30.0) -> tuple[int, dict]:
    """One unsigned JSON request (the server runs with --auth none unless a scenario says
    otherwise)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("POST", "/", body=json.dumps(params).encode(),
                     headers={"Content-Type": JSON_CT, "X-Amz-Target": f"{TARGET}.{action}"})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data) if data else {})
    finally:
        conn.close()


def create_stream(port: int, name: str, shards: int, timeout: float = 30.0) -> list[dict]:
    status, body = call(port, "CreateStream", {"StreamName": name, "ShardCount": shards})
    assert status == 200, body
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = call(port, "DescribeStream", {"StreamName": name})
        if status == 200 and body["StreamDescription"]["StreamStatus"] == "ACTIVE":
            return body["StreamDescription"]["Shards"]
        time.sleep(0.05)
    raise RuntimeError(f"stream {name} not ACTIVE after {timeout}s")


class AsyncConn:
    """A raw non-blocking socket with a response reader, on the running loop."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()
        self.loop = asyncio.get_running_loop()

    @classmethod
    async def open(cls, ctx: "Context", port: int, timeout: float = 10.0,
                   rcvbuf: int | None = None) -> "AsyncConn":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ctx.socks.append(sock)
        sock.setblocking(False)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (HOST, port)),
                               timeout)
        return cls(sock)

    async def send(self, data, timeout: float) -> None:
        await asyncio.wait_for(self.loop.sock_sendall(self.sock, data), timeout)

    async def _fill(self, timeout: float) -> None:
        chunk = await asyncio.wait_for(self.loop.sock_recv(self.sock, 1 << 16), timeout)
        if not chunk:
            raise ConnectionError("closed by the server")
        self.buf += chunk

    async def response(self, timeout: float) -> tuple[int, bytes]:
        """One response with a Content-Length body: (status, body)."""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            await self._fill(max(0.01, deadline - time.monotonic()))
        end = self.buf.index(b"\r\n\r\n")
        head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        length = 0
        for line in head[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "content-length":
                length = int(v.strip())
        while len(self.buf) < end + 4 + length:
            await self._fill(max(0.01, deadline - time.monotonic()))
        body = bytes(self.buf[end + 4:end + 4 + length])
        del self.buf[:end + 4 + length]
        return status, body

    def state(self) -> str:
        """Without blocking: 'open' (nothing to read), 'closed' (EOF or reset) or
        'answered <first line>'."""
        try:
            data = self.sock.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return "open"
        except OSError:
            return "closed"
        if not data:
            return "closed"
        return "answered " + data.split(b"\r\n", 1)[0].decode("latin-1")[9:12]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# ------------------------------------------------------------------------------------------
# A scenario's context: server, sampler, prober, load window
# ------------------------------------------------------------------------------------------


class Context:
    def __init__(self, args, server: Server, sampler: Sampler):
        self.args = args
        self.server = server
        self.port = server.port
        self.sampler = sampler
        self.socks: list[socket.socket] = []
        self.t_load0 = time.monotonic()
        self.t_load1: float | None = None
        self.cpu0 = proc_cpu_s(server.pid)
        self.cpu1: float | None = None
        self.rss0_kb = proc_memory_kb(server.pid)[0]
        self.extra: dict = {}

    def load_start(self) -> None:
        """The measured window begins (after any setup such as filling shards)."""
        self.t_load0 = time.monotonic()
        self.cpu0 = proc_cpu_s(self.server.pid)
        self.rss0_kb = proc_memory_kb(self.server.pid)[0]

    def load_end(self) -> None:
        if self.t_load1 is None:
            self.t_load1 = time.monotonic()
            self.cpu1 = proc_cpu_s(self.server.pid)

    def rss_mb(self) -> float:
        return proc_memory_kb(self.server.pid)[0] / 1024

    async def settle(self, max_s: float, quiet_s: float = 3.0) -> None:
        """Waits until the RSS has made no new peak (by more than 1%) for `quiet_s`, at most
        `max_s`: the storm has done what it can."""
        start = time.monotonic()
        best = self.sampler.last_kb()
        best_at = start
        while time.monotonic() - start < max_s and self.server.alive():
            await asyncio.sleep(0.2)
            now_kb = self.sampler.last_kb()
            if now_kb > best * 1.01:
                best, best_at = now_kb, time.monotonic()
            if time.monotonic() - best_at >= quiet_s:
                return

    def close_socks(self) -> None:
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass
        self.socks.clear()


async def gather_bounded(coros, timeout: float) -> list:
    """Runs the coroutines together for at most `timeout` seconds; the unfinished are
    cancelled and reported as asyncio.TimeoutError."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    if tasks:
        await asyncio.wait(tasks, timeout=timeout)
    for t in tasks:
        if not t.done():
            t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    # Read the outcome only now: a task cancelled just as its last wait ended may still have
    # finished normally (asyncio.wait_for can swallow the cancellation).
    return [asyncio.TimeoutError() if t.cancelled() else (t.exception() or t.result())
            for t in tasks]


def count_states(conns: list[AsyncConn | None]) -> dict:
    counter = collections.Counter(c.state() if c else "never connected" for c in conns)
    return dict(counter)


# ------------------------------------------------------------------------------------------
# Scenarios
# ------------------------------------------------------------------------------------------


def stall_body(args) -> memoryview:
    head = b'{"StreamName":"storm","Records":[{"PartitionKey":"k","Data":"'
    return memoryview(head + b"A" * (int(args.body_mb * MB) - len(head)))


async def h1_stall_wave(ctx: Context, conns: int) -> tuple[list, dict]:
    """`conns` connections each send a PutRecords header (Content-Length --content-length) and
    --body-mb of body, then stall. Returns (connections, summary)."""
    args = ctx.args
    body = stall_body(args)
    head = request_head("PutRecords", args.content_length)
    chunk = MiB
    opened: list[AsyncConn | None] = [None] * conns
    sent = [0] * conns
    connect_gate = asyncio.Semaphore(256)

    async def one(i: int) -> str:
        async with connect_gate:
            c = await AsyncConn.open(ctx, ctx.port)
        opened[i] = c
        await c.send(head, 10)
        for off in range(0, len(body), chunk):
            part = body[off:off + chunk]
            await c.send(part, args.send_timeout_s)
            sent[i] += len(part)
        return "sent"

    started = time.monotonic()
    results = await gather_bounded([one(i) for i in range(conns)], args.send_timeout_s)
    outcome = collections.Counter(
        r if isinstance(r, str) else type(r).__name__ for r in results)
    summary = {
        "conns": conns,
        "send_outcome": dict(outcome),
        "body_mb_sent": round(sum(sent) / MB, 1),
        "send_s": round(time.monotonic() - started, 2),
    }
    return opened, summary


async def scenario_h1_bodies(ctx: Context, conns: int) -> dict:
    ctx.load_start()
    opened, summary = await h1_stall_wave(ctx, conns)
    await ctx.settle(ctx.args.hold_s * 4, ctx.args.hold_s)
    summary["states_at_end"] = count_states(opened)
    ctx.load_end()
    return summary


async def scenario_unauth_bodies(ctx: Context) -> dict:
    return await scenario_h1_bodies(ctx, ctx.args.unauth_conns)


async def scenario_h2_bodies(ctx: Context) -> dict:
    import h2.config
    import h2.connection
    import h2.events
    import h2.exceptions

    args = ctx.args
    body_len = int(args.body_mb * MB)
    payload = b"A" * 16384
    loop = asyncio.get_running_loop()
    totals = collections.Counter()

    async def one(i: int) -> str:
        c = await AsyncConn.open(ctx, ctx.port)
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        await c.send(conn.data_to_send(), 10)
        state = {"terminated": False}
        reset: set[int] = set()

        async def read_some(timeout: float) -> bool:
            try:
                data = await asyncio.wait_for(loop.sock_recv(c.sock, 1 << 16), timeout)
            except asyncio.TimeoutError:
                return False
            if not data:
                state["terminated"] = True
                return False
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.StreamReset):
                    reset.add(event.stream_id)
                elif isinstance(event, (h2.events.ResponseReceived, h2.events.StreamEnded)):
                    totals["responses"] += 1
                    reset.add(event.stream_id)  # answered early: nothing more to send there
                elif isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length,
                                                   event.stream_id)
                elif isinstance(event, h2.events.ConnectionTerminated):
                    state["terminated"] = True
            out = conn.data_to_send()
            if out:
                await c.send(out, 10)
            return True

        await read_some(2.0)  # the server's SETTINGS
        sids = []
        for _ in range(args.h2_streams):
            sid = conn.get_next_available_stream_id()
            conn.send_headers(sid, [
                (":method", "POST"), (":path", "/"), (":scheme", "http"),
                (":authority", f"{HOST}:{ctx.port}"), ("content-type", JSON_CT),
                ("x-amz-target", f"{TARGET}.PutRecords"),
                ("content-length", str(args.content_length))])
            sids.append(sid)
        await c.send(conn.data_to_send(), 10)
        sent = dict.fromkeys(sids, 0)
        last_progress = time.monotonic()
        while not state["terminated"]:
            progressed = False
            for sid in sids:
                if sid in reset or sent[sid] >= body_len:
                    continue
                try:
                    window = min(conn.local_flow_control_window(sid), body_len - sent[sid])
                    while window > 0:
                        n = min(window, conn.max_outbound_frame_size, len(payload))
                        conn.send_data(sid, payload[:n])
                        sent[sid] += n
                        window -= n
                        progressed = True
                except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
                    reset.add(sid)
            out = conn.data_to_send()
            if out:
                await c.send(out, args.send_timeout_s)
            if all(sid in reset or sent[sid] >= body_len for sid in sids):
                break
            if progressed:
                last_progress = time.monotonic()
            elif time.monotonic() - last_progress > args.hold_s:
                break  # the windows stay shut: the server takes no more
            await read_some(0.05 if progressed else 0.5)
        totals["bytes"] += sum(sent.values())
        totals["streams_reset"] += len(reset)
        totals["terminated"] += int(state["terminated"])
        return "done"

    ctx.load_start()
    started = time.monotonic()
    results = await gather_bounded([one(i) for i in range(args.h2_conns)],
                                   args.send_timeout_s)
    outcome = collections.Counter(r if isinstance(r, str) else type(r).__name__
                                  for r in results)
    send_s = time.monotonic() - started
    await ctx.settle(args.hold_s * 4, args.hold_s)
    ctx.load_end()
    return {"conns": args.h2_conns, "streams_per_conn": args.h2_streams,
            "outcome": dict(outcome), "body_mb_sent": round(totals["bytes"] / MB, 1),
            "streams_reset_or_answered": totals["streams_reset"],
            "conns_terminated": totals["terminated"], "send_s": round(send_s, 2)}


async def scenario_big_producers(ctx: Context) -> dict:
    args = ctx.args
    await asyncio.to_thread(create_stream, ctx.port, "storm", args.producer_shards)
    data = base64.b64encode(os.urandom(args.producer_record_bytes)).decode()
    body = json.dumps({"StreamName": "storm", "Records": [
        {"PartitionKey": f"pk-{i}", "Data": data} for i in range(args.producer_records)]}).encode()
    raw = memoryview(request_head("PutRecords", len(body)) + body)
    done_at: list[float] = []
    statuses = collections.Counter()
    connect_gate = asyncio.Semaphore(256)

    async def one(i: int) -> str:
        async with connect_gate:
            c = await AsyncConn.open(ctx, ctx.port, timeout=args.producer_cap_s)
        await c.send(raw, args.producer_cap_s)
        status, answer = await c.response(args.producer_cap_s)
        statuses[status] += 1
        if status == 200 and b'"FailedRecordCount":0' in answer:
            done_at.append(time.monotonic())
            return "ok"
        return f"HTTP {status}"

    ctx.load_start()
    t0 = time.monotonic()
    results = await gather_bounded([one(i) for i in range(args.producers)], args.producer_cap_s)
    ctx.load_end()
    outcome = collections.Counter(r if isinstance(r, str) else type(r).__name__
                                  for r in results)
    done_at.sort()
    return {"producers": args.producers, "request_mb": round(len(raw) / MB, 2),
            "completed_ok": len(done_at), "outcome": dict(outcome), "statuses": dict(statuses),
            "first_done_s": _r(done_at[0] - t0, 2) if done_at else None,
            "last_done_s": _r(done_at[-1] - t0, 2) if done_at else None,
            "cap_s": args.producer_cap_s}


def _fill_requests(shards: list[dict], args) -> list[bytes]:
    """PutRecords requests (500 records of --gr-record-bytes) pinned to each shard by an
    ExplicitHashKey, --gr-fill-mb per shard."""
    data = base64.b64encode(os.urandom(args.gr_record_bytes)).decode()
    per_request = 500
    requests_per_shard = max(1, int(args.gr_fill_mb * MB) // (per_request * args.gr_record_bytes))
    out = []
    for shard in shards:
        key = str(int(shard["HashKeyRange"]["StartingHashKey"]) + 1)
        body = {"StreamName": "storm", "Records": [
            {"PartitionKey": "p", "ExplicitHashKey": key, "Data": data}
            for _ in range(per_request)]}
        out += [request("PutRecords", body)] * requests_per_shard
    return out


async def put_all(ctx: Context, raws: list[bytes], workers: int, timeout: float) -> int:
    queue = list(raws)
    ok = 0

    async def worker():
        nonlocal ok
        c = await AsyncConn.open(ctx, ctx.port)
        while queue:
            raw = queue.pop()
            await c.send(raw, timeout)
            status, _ = await c.response(timeout)
            ok += status == 200
        c.close()

    await gather_bounded([worker() for _ in range(workers)], timeout)
    return ok


async def scenario_never_read_getrecords(ctx: Context) -> dict:
    args = ctx.args
    shards = await asyncio.to_thread(create_stream, ctx.port, "storm", args.gr_shards)
    fill = _fill_requests(shards, args)
    t_fill = time.monotonic()
    ok = await put_all(ctx, fill, 4, 600)
    fill_s = time.monotonic() - t_fill
    iterators = []
    for shard in shards:
        status, body = await asyncio.to_thread(call, ctx.port, "GetShardIterator", {
            "StreamName": "storm", "ShardId": shard["ShardId"],
            "ShardIteratorType": "TRIM_HORIZON"})
        assert status == 200, body
        iterators.append(body["ShardIterator"])
    opened: list[AsyncConn | None] = [None] * args.gr_readers

    async def one(i: int) -> str:
        c = await AsyncConn.open(ctx, ctx.port, rcvbuf=4096)
        opened[i] = c
        raw = b"".join(request("GetRecords", {"ShardIterator": iterators[(i + j) % len(iterators)],
                                              "Limit": args.gr_limit})
                       for j in range(args.gr_pipeline))
        await c.send(raw, 10)
        return "sent"

    ctx.load_start()
    results = await gather_bounded([one(i) for i in range(args.gr_readers)], 60)
    await ctx.settle(args.gr_hold_s, 5.0)
    ctx.load_end()
    outcome = collections.Counter(r if isinstance(r, str) else type(r).__name__
                                  for r in results)
    return {"readers": args.gr_readers, "pipelined_each": args.gr_pipeline,
            "filled_mb": round(ok * 500 * args.gr_record_bytes / MB, 1),
            "fill_s": round(fill_s, 1), "outcome": dict(outcome),
            "states_at_end": count_states(opened)}


async def scenario_never_read_ws(ctx: Context) -> dict:
    args = ctx.args
    await asyncio.to_thread(create_stream, ctx.port, "storm", args.ws_shards)
    upgrade = (f"GET /v1/subscribe?stream=storm&from=TRIM_HORIZON HTTP/1.1\r\nHost: {HOST}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               "\r\n").encode()
    opened: list[AsyncConn | None] = [None] * args.ws_subscribers
    gate = asyncio.Semaphore(128)

    async def subscribe(i: int) -> str:
        async with gate:
            c = await AsyncConn.open(ctx, ctx.port, rcvbuf=4096)
        opened[i] = c
        await c.send(upgrade, 10)
        return "sent"

    data = base64.b64encode(os.urandom(args.ws_record_bytes)).decode()
    put = request("PutRecords", {"StreamName": "storm", "Records": [
        {"PartitionKey": f"k{i}", "Data": data} for i in range(500)]})
    stop = asyncio.Event()
    put_ok = 0

    async def producer() -> str:
        nonlocal put_ok
        c = await AsyncConn.open(ctx, ctx.port)
        while not stop.is_set():
            await c.send(put, 30)
            status, _ = await c.response(30)
            put_ok += status == 200
        return "stopped"

    ctx.load_start()
    results = await gather_bounded([subscribe(i) for i in range(args.ws_subscribers)], 60)
    # Wait (bounded) until the server counts the subscribers.
    subscribed = 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        m = await asyncio.to_thread(_metrics_safe, ctx.port)
        subscribed = int(m.get('spate_subscribers{kind="websocket"}', 0))
        if subscribed >= args.ws_subscribers:
            break
        await asyncio.sleep(0.2)
    t_put = time.monotonic()
    producers = [asyncio.ensure_future(producer()) for _ in range(args.ws_producers)]
    timeline = []
    while time.monotonic() - t_put < args.ws_seconds:
        await asyncio.sleep(1.0)
        m = await asyncio.to_thread(_metrics_safe, ctx.port)
        timeline.append((round(time.monotonic() - t_put, 1),
                         int(m.get('spate_subscribers{kind="websocket"}', -1)),
                         round(ctx.rss_mb())))
        if timeline[-1][1] == 0:
            break
    stop.set()
    await gather_bounded(producers, 35)
    ctx.load_end()
    m = await asyncio.to_thread(_metrics_safe, ctx.port)
    first_cut = next((t for t, n, _ in timeline if 0 <= n < subscribed), None)
    all_cut = next((t for t, n, _ in timeline if n == 0), None)
    outcome = collections.Counter(r if isinstance(r, str) else type(r).__name__
                                  for r in results)
    return {"subscribers": args.ws_subscribers, "subscribed": subscribed,
            "outcome": dict(outcome),
            "put_mb": round(put_ok * 500 * args.ws_record_bytes / MB, 1),
            "first_cut_s": first_cut, "all_cut_s": all_cut,
            "left_at_end": int(m.get('spate_subscribers{kind="websocket"}', -1)),
            "slow_closed_total": int(m.get("spate_slow_subscribers_closed_total", -1)),
            "timeline_s_subs_rssmb": timeline[:: max(1, len(timeline) // 15)]}


def _metrics_safe(port: int) -> dict:
    try:
        return _metrics_once(port, 5.0)
    except Exception:  # noqa: BLE001 - a missing reading is shown as -1
        return {}


def cbor_bomb(count: int) -> bytes:
    """A CBOR map {"Junk": [null x count]} (array length in a 4-byte head)."""
    return b"\xa1\x64Junk\x9a" + struct.pack(">I", count) + b"\xf6" * count


def json_bomb(count: int) -> bytes:
    return b'{"Junk":[' + b"0," * (count - 1) + b"0]}"


async def scenario_decode_bomb(ctx: Context, kind: str, parallel: int) -> dict:
    args = ctx.args
    if kind == "cbor":
        body, ctype = cbor_bomb(args.bomb_cbor_count), CBOR_CT
    else:
        body, ctype = json_bomb(args.bomb_json_count), JSON_CT
    raw = memoryview(request_head("ListStreams", len(body), content_type=ctype) + body)
    answers = []

    async def one() -> str:
        c = await AsyncConn.open(ctx, ctx.port)
        t0 = time.monotonic()
        await c.send(raw, 60)
        status, answer = await c.response(args.bomb_timeout_s)
        answers.append((status, round(time.monotonic() - t0, 2)))
        return f"HTTP {status}"

    ctx.load_start()
    results = await gather_bounded([one() for _ in range(parallel)], args.bomb_timeout_s)
    await ctx.settle(5, 1.0)
    ctx.load_end()
    outcome = collections.Counter(r if isinstance(r, str) else type(r).__name__
                                  for r in results)
    return {"kind": kind, "parallel": parallel, "body_mb": round(len(body) / MB, 2),
            "outcome": dict(outcome), "status_and_s": sorted(answers)}


async def scenario_healthz_under_load(ctx: Context) -> dict:
    args = ctx.args
    await asyncio.to_thread(create_stream, ctx.port, "storm", args.load_shards)
    rng = random.Random(7)
    data = base64.b64encode(os.urandom(args.load_record_bytes)).decode()
    raw = request("PutRecords", {"StreamName": "storm", "Records": [
        {"PartitionKey": f"{rng.getrandbits(64):x}", "Data": data}
        for _ in range(args.load_records)]})
    counts = collections.Counter()
    lat: list[float] = []
    deadline = [0.0]

    async def producer() -> str:
        c = await AsyncConn.open(ctx, ctx.port)
        while time.monotonic() < deadline[0]:
            t0 = time.monotonic()
            await c.send(raw, 30)
            status, answer = await c.response(30)
            lat.append(time.monotonic() - t0)
            counts["ok" if status == 200 and b'"FailedRecordCount":0' in answer
                   else f"HTTP {status}"] += 1
        return "done"

    ctx.load_start()
    deadline[0] = time.monotonic() + args.load_seconds
    results = await gather_bounded([producer() for _ in range(args.load_producers)],
                                   args.load_seconds + 40)
    ctx.load_end()
    elapsed = ctx.t_load1 - ctx.t_load0
    outcome = collections.Counter(r if isinstance(r, str) else type(r).__name__
                                  for r in results)
    lat_ms = [x * 1000 for x in lat]
    return {"producers": args.load_producers, "requests": dict(counts),
            "outcome": dict(outcome),
            "records_per_s": round(counts["ok"] * args.load_records / elapsed),
            "put_p50_ms": _r(percentile(lat_ms, 0.5)), "put_p99_ms": _r(percentile(lat_ms, 0.99))}


async def scenario_idle_connections(ctx: Context) -> dict:
    args = ctx.args
    opened: list[AsyncConn | None] = [None] * args.idle_conns
    gate = asyncio.Semaphore(512)

    async def one(i: int) -> str:
        async with gate:
            opened[i] = await AsyncConn.open(ctx, ctx.port)
        return "connected"

    ctx.load_start()
    t0 = time.monotonic()
    results = await gather_bounded([one(i) for i in range(args.idle_conns)], 120)
    connect_s = time.monotonic() - t0
    probe_t0 = time.monotonic()
    await asyncio.sleep(args.idle_probe_s)
    ctx.extra["probe_window"] = (probe_t0, time.monotonic())
    states = count_states(opened)
    ctx.load_end()
    outcome = collections.Counter(r if isinstance(r, str) else type(r).__name__
                                  for r in results)
    return {"idle_conns": args.idle_conns, "connect_s": round(connect_s, 1),
            "outcome": dict(outcome), "states_at_end": states,
            "server_nofile": proc_open_files_limit(ctx.server.pid)}


async def scenario_bursts(ctx: Context) -> dict:
    args = ctx.args
    ctx.load_start()
    peaks, settled, outcomes, open_after = [], [], [], []
    for _ in range(args.bursts):
        t0 = time.monotonic()
        opened, summary = await h1_stall_wave(ctx, args.burst_conns)
        await ctx.settle(args.hold_s * 4, args.hold_s)
        peaks.append(round(ctx.sampler.peak_kb(t0) / 1024))
        outcomes.append(summary["send_outcome"])
        for c in opened:
            if c:
                c.close()
        ctx.close_socks()
        await asyncio.sleep(args.burst_settle_s)  # the measurement: RSS once things settle
        settled.append(round(ctx.rss_mb()))
        m = await asyncio.to_thread(_metrics_safe, ctx.port)
        open_after.append(int(m.get("spate_open_connections", -1)))
    ctx.load_end()
    return {"bursts": args.bursts, "conns": args.burst_conns, "burst_settle_s": args.burst_settle_s,
            "peak_mb_each": peaks,
            "settled_mb_after_each": settled, "open_connections_when_settled": open_after,
            "send_outcomes": outcomes}


# ------------------------------------------------------------------------------------------
# Running and reporting
# ------------------------------------------------------------------------------------------


def scenario_plan(args) -> list[tuple[str, object, list[str]]]:
    """(label, coroutine factory, extra server args) in the order they run."""
    plan = []
    names = (["h1_bodies", "h2_bodies", "unauth_bodies", "big_producers",
              "never_read_getrecords", "never_read_ws", "decode_bombs", "healthz_under_load",
              "idle_connections", "bursts"]
             if args.scenario == "all" else args.scenario.split(","))
    for name in names:
        if name == "h1_bodies":
            for n in [int(x) for x in str(args.h1_conns).split(",")]:
                plan.append((f"h1_bodies[{n}]", lambda ctx, n=n: scenario_h1_bodies(ctx, n), []))
        elif name == "h2_bodies":
            plan.append((f"h2_bodies[{args.h2_conns}x{args.h2_streams}]", scenario_h2_bodies, []))
        elif name == "unauth_bodies":
            plan.append((f"unauth_bodies[{args.unauth_conns}]", scenario_unauth_bodies,
                         ["--auth", "sigv4", "--credentials", "@CREDENTIALS"]))
        elif name == "big_producers":
            plan.append((f"big_producers[{args.producers}]", scenario_big_producers, []))
        elif name == "never_read_getrecords":
            plan.append((f"never_read_getrecords[{args.gr_readers}x{args.gr_pipeline}]",
                         scenario_never_read_getrecords, []))
        elif name == "never_read_ws":
            plan.append((f"never_read_ws[{args.ws_subscribers}]", scenario_never_read_ws, []))
        elif name == "decode_bombs":
            for kind in ("cbor", "json"):
                for parallel in sorted({1, args.bomb_parallel}):
                    plan.append((f"decode_bombs[{kind}x{parallel}]",
                                 lambda ctx, k=kind, p=parallel: scenario_decode_bomb(ctx, k, p),
                                 []))
        elif name == "healthz_under_load":
            plan.append((f"healthz_under_load[{args.load_producers}]",
                         scenario_healthz_under_load, []))
        elif name == "idle_connections":
            plan.append((f"idle_connections[{args.idle_conns}]", scenario_idle_connections, []))
        elif name == "bursts":
            plan.append((f"bursts[{args.bursts}x{args.burst_conns}]", scenario_bursts, []))
        else:
            raise SystemExit(f"unknown scenario {name!r}")
    return plan


def run_one(args, label: str, factory, extra_args: list[str]) -> dict:
    workdir = tempfile.mkdtemp(prefix="storm-", dir=args.workdir)
    result: dict = {"scenario": label, "loadavg_at_start": round(os.getloadavg()[0], 2)}
    server = sampler = prober = ctx = None
    try:
        if "@CREDENTIALS" in extra_args:
            creds = os.path.join(workdir, "credentials")
            with open(creds, "w") as f:
                f.write("spate spate\n")
            extra_args = [creds if a == "@CREDENTIALS" else a for a in extra_args]
        server = Server(args.spated, workdir, extra_args, args.server_log_level)
        server.start()
        result["server_args"] = " ".join(server.args[1:]).replace(workdir, "$TMP")
        sampler = Sampler(server.pid, 0.05, int(args.rss_limit_mb * 1024))
        sampler.start()
        prober = Prober(server.port, workdir, args.probe_interval_ms / 1000, args.probe_timeout_s,
                        1.0)
        ctx = Context(args, server, sampler)
        result["rss_idle_mb"] = round(ctx.rss0_kb / 1024, 1)

        async def main():
            try:
                return await asyncio.wait_for(factory(ctx), args.scenario_timeout_s)
            finally:
                ctx.load_end()
                ctx.close_socks()

        result.update(asyncio.run(main()))
    except Exception as e:  # noqa: BLE001 - reported in the row, the next scenario runs
        result["error"] = f"{type(e).__name__}: {e}"[:400]
        if args.verbose:
            traceback.print_exc()
    finally:
        if ctx is not None:
            ctx.close_socks()
        if prober is not None:
            prober.stop()
        if sampler is not None:
            sampler.stop()
        if server is not None:
            alive = server.alive()
            result["server_alive_at_end"] = alive
            if server.proc is not None:
                _, hwm = proc_memory_kb(server.pid)
                result["vmhwm_mb"] = round(hwm / 1024, 1) if alive else None
            if not alive and server.proc is not None:
                result["server_exit"] = server.proc.returncode
                result["server_log_tail"] = server.log_tail(400)
            server.kill()
        if ctx is not None and sampler is not None:
            t1 = ctx.t_load1 or time.monotonic()
            result["rss_start_mb"] = round(ctx.rss0_kb / 1024, 1)
            result["rss_peak_mb"] = round(sampler.peak_kb(ctx.t_load0, t1) / 1024, 1)
            result["cpu_s"] = round((ctx.cpu1 or ctx.cpu0) - ctx.cpu0, 2)
            result["load_s"] = round(t1 - ctx.t_load0, 1)
            if sampler.killed_for_rss:
                result["killed_at_rss_limit_mb"] = args.rss_limit_mb
            if prober is not None:
                probes, metrics = prober.results()
                w0, w1 = ctx.extra.get("probe_window", (ctx.t_load0, t1))
                result["healthz"] = probe_summary(probes, w0, w1)
                open_conns = [m["v"].get("spate_open_connections") for m in metrics
                              if "v" in m and ctx.t_load0 <= m["m"] <= t1]
                open_conns = [x for x in open_conns if x is not None]
                if open_conns:
                    result["open_connections_max"] = int(max(open_conns))
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


NOTES = {
    "h1_bodies": lambda r: f"sent {r.get('body_mb_sent')} MB in {r.get('send_s')}s; "
                           f"{r.get('send_outcome')}; end {r.get('states_at_end')}",
    "unauth_bodies": lambda r: f"sent {r.get('body_mb_sent')} MB; {r.get('send_outcome')}; "
                               f"end {r.get('states_at_end')}",
    "h2_bodies": lambda r: f"sent {r.get('body_mb_sent')} MB; reset/answered "
                           f"{r.get('streams_reset_or_answered')}; goaway "
                           f"{r.get('conns_terminated')}; {r.get('outcome')}",
    "big_producers": lambda r: f"ok {r.get('completed_ok')}/{r.get('producers')}; first "
                               f"{r.get('first_done_s')}s last {r.get('last_done_s')}s; "
                               f"{r.get('outcome')}",
    "never_read_getrecords": lambda r: f"filled {r.get('filled_mb')} MB; end "
                                       f"{r.get('states_at_end')}",
    "never_read_ws": lambda r: f"subscribed {r.get('subscribed')}; put {r.get('put_mb')} MB; "
                               f"first cut at {_secs(r.get('first_cut_s'))}, all cut at "
                               f"{_secs(r.get('all_cut_s'))}; left {r.get('left_at_end')}",
    "decode_bombs": lambda r: f"{r.get('body_mb')} MB; {r.get('status_and_s')}",
    "healthz_under_load": lambda r: f"{r.get('records_per_s')} rec/s; put p50/p99 "
                                    f"{r.get('put_p50_ms')}/{r.get('put_p99_ms')} ms; "
                                    f"{r.get('requests')}",
    "idle_connections": lambda r: f"connect {r.get('connect_s')}s; {r.get('outcome')}; end "
                                  f"{r.get('states_at_end')}; server nofile "
                                  f"{r.get('server_nofile')}",
    "bursts": lambda r: f"peaks {r.get('peak_mb_each')} MB; settled "
                        f"{r.get('settled_mb_after_each')} MB {r.get('burst_settle_s')}s after "
                        f"closing (open connections then: "
                        f"{r.get('open_connections_when_settled')})",
}


def _secs(x) -> str:
    return "never" if x is None else f"{x}s"


def table(results: list[dict]) -> str:
    rows = [("scenario", "RSS start MB", "RSS peak MB", "VmHWM MB", "CPU s",
             "healthz p50/p99/max ms", "healthz fail/n", "notes")]
    for r in results:
        h = r.get("healthz") or {}
        base = r["scenario"].split("[")[0]
        note = r["error"] if "error" in r else NOTES.get(base, lambda _: "")(r)
        if r.get("killed_at_rss_limit_mb"):
            note = f"KILLED at RSS limit {r['killed_at_rss_limit_mb']} MB; " + note
        elif r.get("server_alive_at_end") is False:
            note = f"SERVER DIED (exit {r.get('server_exit')}); " + note
        rows.append((
            r["scenario"], str(r.get("rss_start_mb", "")), str(r.get("rss_peak_mb", "")),
            str(r.get("vmhwm_mb", "")), str(r.get("cpu_s", "")),
            "/".join("-" if h.get(k) is None else str(h[k])
                     for k in ("p50_ms", "p99_ms", "max_ms")) if h else "",
            f"{h.get('fail')}/{h.get('n')}" if h else "", note))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for i, row in enumerate(rows):
        cells = [row[j].ljust(widths[j]) for j in range(len(widths))] + [row[-1]]
        lines.append("| " + " | ".join(cells) + " |")
        if i == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|---|")
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--spated", default="build/bin/spated", help="the server binary")
    p.add_argument("--scenario", default="all",
                   help="all, or comma-separated names: h1_bodies, h2_bodies, unauth_bodies, "
                        "big_producers, never_read_getrecords, never_read_ws, decode_bombs, "
                        "healthz_under_load, idle_connections, bursts")
    p.add_argument("--json", action="store_true", help="print one JSON line per scenario")
    p.add_argument("--out", help="also append the JSON lines to this file")
    p.add_argument("--report", nargs="+", metavar="JSONL",
                   help="run nothing: print the table of JSON lines saved by earlier runs")
    p.add_argument("--workdir", default=None, help="where temporary data dirs go (default /tmp)")
    p.add_argument("--keep", action="store_true", help="keep data dirs and server logs")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--server-log-level", default="warn")
    p.add_argument("--rss-limit-mb", type=float, default=18000,
                   help="kill the server past this RSS (protects the machine; 0: none)")
    p.add_argument("--probe-interval-ms", type=float, default=100)
    p.add_argument("--probe-timeout-s", type=float, default=10)
    p.add_argument("--scenario-timeout-s", type=float, default=400)
    g = p.add_argument_group("HTTP/1.1 and HTTP/2 bodies")
    g.add_argument("--h1-conns", default="100,250", help="one h1_bodies run per count")
    g.add_argument("--body-mb", type=float, default=15, help="body bytes sent per request (MB)")
    g.add_argument("--content-length", type=int, default=16_000_000)
    g.add_argument("--send-timeout-s", type=float, default=45,
                   help="bound on sending (below the server's 60 s read timeout)")
    g.add_argument("--hold-s", type=float, default=3,
                   help="stalled phase: RSS must make no new peak for this long")
    g.add_argument("--h2-conns", type=int, default=40)
    g.add_argument("--h2-streams", type=int, default=8, help="streams opened per connection")
    g.add_argument("--unauth-conns", type=int, default=150)
    g = p.add_argument_group("producers")
    g.add_argument("--producers", type=int, default=1000)
    g.add_argument("--producer-records", type=int, default=5)
    g.add_argument("--producer-record-bytes", type=int, default=1_000_000)
    g.add_argument("--producer-shards", type=int, default=4)
    g.add_argument("--producer-cap-s", type=float, default=60)
    g = p.add_argument_group("never-reading readers")
    g.add_argument("--gr-readers", type=int, default=200)
    g.add_argument("--gr-shards", type=int, default=4)
    g.add_argument("--gr-fill-mb", type=float, default=40, help="data per shard")
    g.add_argument("--gr-record-bytes", type=int, default=1000)
    g.add_argument("--gr-pipeline", type=int, default=4, help="GetRecords pipelined per reader")
    g.add_argument("--gr-limit", type=int, default=10000)
    g.add_argument("--gr-hold-s", type=float, default=60,
                   help="at most this long for RSS to settle")
    g.add_argument("--ws-subscribers", type=int, default=500)
    g.add_argument("--ws-shards", type=int, default=4)
    g.add_argument("--ws-producers", type=int, default=4)
    g.add_argument("--ws-record-bytes", type=int, default=1000)
    g.add_argument("--ws-seconds", type=float, default=40, help="at most this long putting")
    g = p.add_argument_group("decode bombs")
    g.add_argument("--bomb-cbor-count", type=int, default=16_700_000)
    g.add_argument("--bomb-json-count", type=int, default=8_000_000)
    g.add_argument("--bomb-parallel", type=int, default=4)
    g.add_argument("--bomb-timeout-s", type=float, default=120)
    g = p.add_argument_group("healthz under load, idle connections, bursts")
    g.add_argument("--load-producers", type=int, default=200)
    g.add_argument("--load-seconds", type=float, default=20)
    g.add_argument("--load-records", type=int, default=500)
    g.add_argument("--load-record-bytes", type=int, default=100)
    g.add_argument("--load-shards", type=int, default=4)
    g.add_argument("--idle-conns", type=int, default=10_000)
    g.add_argument("--idle-probe-s", type=float, default=10)
    g.add_argument("--bursts", type=int, default=3)
    g.add_argument("--burst-conns", type=int, default=250)
    g.add_argument("--burst-settle-s", type=float, default=5)
    return p.parse_args(argv)


def main(argv=None) -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--_probe":
        port, path, interval, timeout, metrics_every = sys.argv[2:7]
        probe_child(int(port), path, float(interval), float(timeout), float(metrics_every))
        return 0
    args = parse_args(argv)
    if args.report:
        saved = []
        for path in args.report:
            with open(path) as f:
                saved += [json.loads(line) for line in f if line.strip()]
        print(table(saved))
        return 0
    if not os.access(args.spated, os.X_OK):
        raise SystemExit(f"no executable spated at {args.spated}")
    # Idle-connection storms need more descriptors than the usual 1024, here and in the
    # server (which inherits the limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    signal.signal(signal.SIGTERM, lambda *_: (_kill_all_servers(), sys.exit(143)))
    results = []
    try:
        for label, factory, extra in scenario_plan(args):
            result = run_one(args, label, factory, extra)
            results.append(result)
            line = json.dumps(result)
            if args.out:
                with open(args.out, "a") as f:
                    f.write(line + "\n")
            if args.json:
                print(line, flush=True)
            else:
                h = result.get("healthz") or {}
                print(f"{label}: RSS {result.get('rss_start_mb')} -> peak "
                      f"{result.get('rss_peak_mb')} MB, CPU {result.get('cpu_s')} s, healthz "
                      f"p99 {h.get('p99_ms')} ms fail {h.get('fail')}/{h.get('n')}"
                      + (f", error {result['error']}" if "error" in result else ""), flush=True)
    finally:
        _kill_all_servers()
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
