#!/usr/bin/env python3
"""slow_subscribers.py: how much do subscribers that stop reading slow producers down?

One fresh spated (loopback, a free port, a temporary --data-dir, --fsync batch,
--subscriber-buffer-bytes 1 MiB, --subscriber-lag-ms 500) and one stream of 2 shards. A
producer puts batches of 500 records of 1 KB with PutRecords over one keep-alive HTTP/1.1
connection (every request body encoded beforehand, so that the producer's own work is small)
and times each batch, in four runs of --batches batches:

  before   nobody subscribed
  reading  one WebSocket subscriber that reads everything, in a process of its own (so that
           it does not take the producer's turn at Python's interpreter lock)
  loaded   the same, plus a WebSocket subscriber and a SubscribeToShard subscriber that never
           read (spated closes the WebSocket one with 1008 after 500 ms a full buffer behind)
  after    nobody subscribed again (the stalled ones are closed)

It prints the time per batch of each run (median, mean, p90); the ratio loaded/baseline of the
mean and of the median time per batch, where the baseline is the mean of `before` and `after`
(so that drift over the run counts neither for nor against); loaded/reading, the stalled
subscribers' share alone (on 2 cores, serving and running the reading subscriber takes CPU the
producer and the server would otherwise have); whether the reading subscriber got every
record; whether the stalled WebSocket subscriber was closed for being slow; and how much the
server's RSS grew over the loaded run.

Target (2-core machine): loaded/baseline mean time per batch < 2.0 (the bound the integration
test used to assert; it now lives here, where timing is what is measured).

Only 127.0.0.1 is contacted. Exit status 0 once the runs are done, whether or not the target
is met; 1 if they could not be done (the server did not start, a request failed, ...).

  /usr/bin/python3 benchmarks/push/slow_subscribers.py --spated build/bin/spated
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The test harness's server, waits and stalled subscribers (tests/spate_harness.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from spate_harness import (  # noqa: E402
    Spated,
    stalled_event_stream,
    stalled_websocket,
    wait_until,
)

HOST = "127.0.0.1"
JSON_CT = "application/x-amz-json-1.1"
TARGET = "Kinesis_20131202"
BUFFER_BYTES = 1 << 20
LAG_MS = 500
RECORDS_PER_BATCH = 500
RECORD_BYTES = 1000
STREAM = "busy"
GOAL = 2.0


# ------------------------------------------------------------------------------------------
# Requests to the server
# ------------------------------------------------------------------------------------------


def kill_by_pid(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)


def start_server(spated: str, workdir: str) -> Spated:
    """spated (the binary given) on a free loopback port, --fsync batch, small subscriber
    buffers, a data directory under `workdir`."""
    os.environ["SPATE_BUILD_DIR"] = str(Path(spated).resolve().parents[1])  # <build>/bin/spated
    server = Spated(Path(workdir), extra_args=[
        "--subscriber-buffer-bytes", str(BUFFER_BYTES), "--subscriber-lag-ms", str(LAG_MS)])
    return server.start()


class Kinesis:
    """Unsigned JSON 1.1 requests (spated's default --auth none) on one keep-alive connection."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def call(self, action: str, body: bytes | dict) -> dict:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.conn.request("POST", "/", body=payload, headers={
            "Content-Type": JSON_CT, "X-Amz-Target": f"{TARGET}.{action}"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{action}: HTTP {resp.status} {data[:300]!r}")
        return json.loads(data) if data else {}

    def close(self) -> None:
        self.conn.close()


# ------------------------------------------------------------------------------------------
# The reading subscriber
# ------------------------------------------------------------------------------------------


async def read_subscription(url: str, count: int, timeout: float) -> int:
    """The reading subscriber (run with --read): prints `ready` once subscribed, then `done N`,
    or `closed CODE REASON after N` / `timeout after N` if it could not get `count` records."""
    import websockets

    async with websockets.connect(url, max_size=None) as ws:
        print("ready", flush=True)
        got = 0
        deadline = time.monotonic() + timeout
        while got < count:
            try:
                raw = await asyncio.wait_for(ws.recv(), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                print(f"timeout after {got}", flush=True)
                return 1
            except websockets.ConnectionClosed as e:
                print(f"closed {e.code} {e.reason!r} after {got}", flush=True)
                return 1
            got += len(json.loads(raw)["records"])
        print(f"done {got}", flush=True)
        return 0


# ------------------------------------------------------------------------------------------
# The runs
# ------------------------------------------------------------------------------------------


def batch_bodies(count: int, first: int) -> list[bytes]:
    data = base64.b64encode(b"x" * RECORD_BYTES).decode()
    return [json.dumps({"StreamName": STREAM, "Records": [
        {"PartitionKey": f"p{b}-{i}", "Data": data} for i in range(RECORDS_PER_BATCH)]}).encode()
        for b in range(first, first + count)]


def produce(producer: Kinesis, bodies: list[bytes]) -> list[float]:
    """Puts each body; returns the seconds each PutRecords took."""
    took = []
    for body in bodies:
        started = time.perf_counter()
        out = producer.call("PutRecords", body)
        took.append(time.perf_counter() - started)
        if out.get("FailedRecordCount"):
            raise RuntimeError(f"PutRecords failed {out['FailedRecordCount']} records")
    return took


def summary(took: list[float]) -> dict[str, float]:
    ordered = sorted(took)
    return {"median_ms": statistics.median(ordered) * 1e3, "mean_ms": statistics.fmean(ordered) * 1e3,
            "p90_ms": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))] * 1e3}


def run(args) -> dict:
    workdir = tempfile.mkdtemp(prefix="spate-slow-subscribers.", dir=args.workdir)
    server = reader = None
    stalled: list[socket.socket] = []
    try:
        server = start_server(args.spated, workdir)
        control, producer = Kinesis(server.port), Kinesis(server.port)
        control.call("CreateStream", {"StreamName": STREAM, "ShardCount": 2})

        def active_summary() -> dict | None:
            summary = control.call("DescribeStreamSummary", {"StreamName": STREAM})[
                "StreamDescriptionSummary"]
            return summary if summary["StreamStatus"] == "ACTIVE" else None

        def subscribers(kind: str) -> float:
            return server.metrics().get(f'spate_subscribers{{kind="{kind}"}}', 0)

        arn = wait_until(active_summary, 30, "the stream to be ACTIVE")["StreamARN"]
        consumer = control.call("RegisterStreamConsumer", {
            "StreamARN": arn, "ConsumerName": "lazy"})["Consumer"]["ConsumerARN"]
        wait_until(lambda: control.call("DescribeStreamConsumer", {"ConsumerARN": consumer})[
            "ConsumerDescription"]["ConsumerStatus"] == "ACTIVE", 30, "the consumer to be ACTIVE")

        n = args.batches
        bodies = batch_bodies(args.warmup + 4 * n, 0)
        runs = iter(bodies[args.warmup + i * n:args.warmup + (i + 1) * n] for i in range(4))
        produce(producer, bodies[:args.warmup])  # the server's buffers for this load exist
        before = produce(producer, next(runs))

        reader = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--read",
             f"ws://{HOST}:{server.port}/v1/subscribe?stream={STREAM}",
             str(2 * n * RECORDS_PER_BATCH), "--read-timeout", str(args.read_timeout)],
            stdout=subprocess.PIPE, text=True)
        line = reader.stdout.readline().strip()  # ends at "ready", or at EOF if it failed
        if line != "ready":
            raise RuntimeError(f"the reading subscriber did not subscribe: {line!r}")
        reading = produce(producer, next(runs))

        rss_before = server.metrics()["spate_resident_memory_bytes"]
        stalled.append(stalled_websocket(server.port, f"/v1/subscribe?stream={STREAM}"))
        stalled.append(stalled_event_stream(server.port, consumer))
        # Every subscription has taken its position (LATEST) before the first loaded batch.
        wait_until(lambda: subscribers("websocket") == 2 and subscribers("event_stream") == 1,
                   20, "the three subscriptions in /metrics")
        loaded = produce(producer, next(runs))
        rss_after = server.metrics()["spate_resident_memory_bytes"]
        try:
            out, _ = reader.communicate(timeout=args.read_timeout + 10)
        except subprocess.TimeoutExpired:
            kill_by_pid(reader)
            out = "(still reading)"
        reader_result = (out.strip().splitlines() or ["(no answer)"])[-1]
        try:
            wait_until(lambda: server.metrics().get("spate_slow_subscribers_closed_total", 0) >= 1,
                       LAG_MS / 1000 + 10, "the stalled WebSocket subscriber to be closed")
        except AssertionError:
            pass  # reported below from the count
        closed_slow = server.metrics().get("spate_slow_subscribers_closed_total", 0)
        for sock in stalled:
            sock.close()
        stalled.clear()
        wait_until(lambda: subscribers("websocket") == 0 and subscribers("event_stream") == 0,
                   20, "the subscriptions to end")
        after = produce(producer, next(runs))
        control.close()
        producer.close()
        server.stop()
        return {"batches": n, "records_per_batch": RECORDS_PER_BATCH,
                "record_bytes": RECORD_BYTES, "before": summary(before),
                "reading": summary(reading), "loaded": summary(loaded), "after": summary(after),
                "reader": reader_result, "reader_expected": 2 * n * RECORDS_PER_BATCH,
                "slow_subscribers_closed": closed_slow,
                "rss_growth_mib": (rss_after - rss_before) / 2**20}
    finally:
        for sock in stalled:
            sock.close()
        kill_by_pid(reader)
        if server is not None:
            server.kill_if_running()
        shutil.rmtree(workdir, ignore_errors=True)


def report(r: dict) -> None:
    print(f"{r['batches']} PutRecords batches per run ({r['records_per_batch']} x "
          f"{r['record_bytes']} B, 2 shards, fsync batch), one connection, one batch at a time")
    print(f"{'run':<8} {'median ms':>10} {'mean ms':>10} {'p90 ms':>10}")
    for run_name in ("before", "reading", "loaded", "after"):
        s = r[run_name]
        print(f"{run_name:<8} {s['median_ms']:>10.2f} {s['mean_ms']:>10.2f} {s['p90_ms']:>10.2f}")
    base_mean = (r["before"]["mean_ms"] + r["after"]["mean_ms"]) / 2
    base_median = (r["before"]["median_ms"] + r["after"]["median_ms"]) / 2
    ratio = r["loaded"]["mean_ms"] / base_mean
    print(f"loaded/baseline per batch: mean {ratio:.2f}x, median "
          f"{r['loaded']['median_ms'] / base_median:.2f}x "
          f"(baseline: the mean of before and after)")
    print(f"loaded/reading per batch (the stalled subscribers alone): mean "
          f"{r['loaded']['mean_ms'] / r['reading']['mean_ms']:.2f}x, median "
          f"{r['loaded']['median_ms'] / r['reading']['median_ms']:.2f}x")
    print(f"reading subscriber: {r['reader']} (of {r['reader_expected']}); "
          f"subscribers closed for being slow: {r['slow_subscribers_closed']:.0f} (expected 1, "
          f"the stalled WebSocket one); RSS growth over the loaded run: "
          f"{r['rss_growth_mib']:.1f} MiB")
    print("target (2-core machine)")
    print(f"  {'PASS' if ratio < GOAL else 'FAIL'}  with two stalled subscribers and one reading, "
          f"mean time per PutRecords batch < {GOAL:.0f}x that with nobody subscribed: {ratio:.2f}x")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--spated", default="build/bin/spated", help="the server binary")
    p.add_argument("--batches", type=int, default=300, help="PutRecords batches per run")
    p.add_argument("--warmup", type=int, default=20, help="untimed batches first")
    p.add_argument("--workdir", default=None, help="where the temporary data dir goes")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON line too")
    p.add_argument("--read", nargs=2, metavar=("URL", "COUNT"), help=argparse.SUPPRESS)
    p.add_argument("--read-timeout", type=float, default=120,
                   help="seconds the reading subscriber waits for every record")
    args = p.parse_args()
    if args.read:
        return asyncio.run(read_subscription(args.read[0], int(args.read[1]), args.read_timeout))
    try:
        result = run(args)
    except (RuntimeError, AssertionError, OSError, http.client.HTTPException) as e:
        print(f"slow_subscribers.py: {e}", file=sys.stderr)
        return 1
    report(result)
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
