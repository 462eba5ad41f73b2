#!/usr/bin/python3
"""Where a fan-out put's time goes, one put at a time, from the scheduler's own record.

    /usr/bin/python3 scripts/fan_out_bursts.py --build-dir build [--fsync never]

starts `spated` (loopback, a free port, a temporary data directory, `--dashboard off`) and
`spate-push-bench` against it (100 WebSocket subscribers read on two threads, 10,000 records/s
in 100 puts/s of 100 records: the fan-out of `make bench` part 3a), records the scheduler for
`--seconds` in the middle of the run (`perf sched record`, which needs root or
perf_event_paranoid <= 1), stops both by PID, and prints the bench's figures and, from `perf
sched timehist`, what happened in each put's burst. With `--timehist FILE` it reads text
`perf sched timehist` printed instead (the threads are told apart by name, so the file should
come from a run of these two programs only).

A burst starts when the bench's `producer` thread wakes to send a put (its timer, every 10
ms) and ends with the last run of a `subscribers-N` thread before the next put. For each burst it sums the CPU time
spated's threads (`spated`, `spate-*`) and the subscriber threads ran, and the time one of
them waited, ready to run, while a CPU sat idle (`<idle>` on another CPU): time lost to the
scheduler keeping threads together on one CPU rather than to work. The table shows the
median burst, the 90th percentile and the slowest 5%: if the slow bursts did the same work
in more CPU time, the extra time is not spated's or the subscribers' code, which ran the same
messages, but the machine under them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# `perf sched timehist` line: time, [cpu], task name[tid/pid] (or [pid]), then wait time,
# scheduling delay and run time in ms. Names may hold spaces; lines with a note after the
# figures (wake-ups, migrations with -w/-M) do not match and are skipped.
LINE = re.compile(r"^\s*(?P<time>\d+\.\d+)\s+\[(?P<cpu>\d+)\]\s+(?P<task>.+?)\s+"
                  r"(?P<wait>\d+\.\d+)\s+(?P<delay>\d+\.\d+)\s+(?P<run>\d+\.\d+)\s*$")
TASK = re.compile(r"^(?P<name>.*)\[(?:(?P<tid>\d+)/)?(?P<pid>\d+)\]$")
PERIOD_MS = 10.0  # spate-push-bench --requests-per-second 100: a put every 10 ms, by a timer


@dataclass
class Run:
    """One stretch a task ran on a CPU, in seconds since boot; `delay` is how long it had been
    ready to run before (ms, as perf prints it)."""
    start: float
    end: float
    cpu: int
    name: str
    wait_ms: float
    delay_ms: float

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1e3


def parse(text: str) -> list[Run]:
    runs = []
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        task = m["task"].strip()
        t = TASK.match(task)
        name = t["name"] if t else task
        end = float(m["time"])
        runs.append(Run(end - float(m["run"]) / 1e3, end, int(m["cpu"]), name,
                        float(m["wait"]), float(m["delay"])))
    return runs


def kind(name: str) -> str | None:
    if name == "spated" or name.startswith("spate-"):
        return "server"
    if name.startswith("subscribers-"):
        return "subscribers"
    if name == "producer":
        return "producer"
    if name == "<idle>":
        return "idle"
    return None


@dataclass
class Burst:
    start: float
    end: float = 0.0
    cpu_ms: dict[str, float] = field(default_factory=dict)
    runs: dict[str, int] = field(default_factory=dict)  # times each kind was switched in
    waited_beside_idle_ms: float = 0.0

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1e3


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def sends(runs: list[Run], period_ms: float) -> list[float]:
    """When the producer sent each put: the starts of its runs that a timer woke. It also runs
    when a put's answer comes, a commit round after the send, so its wake-ups are told apart
    by phase: the timer fires every `period_ms` at one phase, and the phase most wake-ups
    share, to a quarter of a millisecond, is the timer's."""
    period = period_ms / 1e3
    producer = [r for r in runs if kind(r.name) == "producer"]
    if not producer:
        return []

    def phase(r: Run) -> float:  # when it became ready to run, in the period
        return ((r.start - r.delay_ms / 1e3) % period) / period

    bins: dict[int, int] = {}
    for r in producer:
        quarter_ms = int(phase(r) * period_ms * 4)
        bins[quarter_ms] = bins.get(quarter_ms, 0) + 1
    timer = (max(bins, key=bins.get) + 0.5) / (period_ms * 4)
    near = 0.05  # of the period: half a millisecond at 10 ms

    def on_timer(r: Run) -> bool:
        d = abs(phase(r) - timer)
        return min(d, 1 - d) <= near

    out = []
    for r in sorted(producer, key=lambda r: r.start):
        if on_timer(r) and (not out or r.start - out[-1] > period / 2):
            out.append(r.start)
    return out


def bursts(runs: list[Run], period_ms: float = PERIOD_MS) -> list[Burst]:
    """Each complete burst in `runs`: from one put's send to the next one's."""
    runs = sorted(runs, key=lambda r: r.start)
    sends_at = sends(runs, period_ms)
    idle = [r for r in runs if kind(r.name) == "idle"]
    out = []
    for start, stop in zip(sends_at, sends_at[1:]):
        b = Burst(start)
        for r in runs:
            if r.start < start or r.start >= stop:
                continue
            k = kind(r.name)
            if k in ("server", "subscribers", "producer"):
                b.cpu_ms[k] = b.cpu_ms.get(k, 0.0) + r.ms
                b.runs[k] = b.runs.get(k, 0) + 1
            if k == "subscribers":
                b.end = max(b.end, r.end)
            if k in ("server", "subscribers") and r.delay_ms > 0:
                # With more than two CPUs several may idle at once: count the time once.
                ready = r.start - r.delay_ms / 1e3
                beside_idle = sum(overlap(ready, r.start, i.start, i.end)
                                  for i in idle if i.cpu != r.cpu)
                b.waited_beside_idle_ms += 1e3 * min(beside_idle, r.delay_ms / 1e3)
        if b.end > b.start:
            out.append(b)
    return out


def describe(found: list[Burst]) -> str:
    if not found:
        return "no complete burst: was the producer thread named `producer` in the record?"
    found = sorted(found, key=lambda b: b.ms)
    n = len(found)

    def row(label: str, group: list[Burst]) -> str:
        def mean(f):
            return statistics.fmean(f(b) for b in group)
        return (f"{label:<22} {mean(lambda b: b.ms):>8.2f} {mean(lambda b: b.cpu_ms.get('server', 0)):>11.2f} "
                f"{mean(lambda b: b.cpu_ms.get('subscribers', 0)):>13.2f} "
                f"{mean(lambda b: b.cpu_ms.get('producer', 0)):>9.2f} "
                f"{mean(lambda b: b.waited_beside_idle_ms):>18.2f} "
                f"{mean(lambda b: b.runs.get('server', 0)):>6.1f} "
                f"{mean(lambda b: b.runs.get('subscribers', 0)):>6.1f}")

    middle = found[n // 4: max(n // 4 + 1, 3 * n // 4)]
    tail = found[max(0, n - max(1, n // 20)):]
    lines = [f"{n} puts' bursts (send to the subscribers' last read); mean ms per burst:",
             f"{'':<22} {'length':>8} {'spated CPU':>11} {'subscribers':>13} {'producer':>9} "
             f"{'ready, a CPU idle':>18} {'runs: spated':>6} {'subscribers':>6}",
             row("middle half", middle),
             row(f"slowest 5% ({len(tail)})", tail),
             f"burst length: median {found[n // 2].ms:.2f} ms, p90 "
             f"{found[min(n - 1, n * 9 // 10)].ms:.2f} ms, longest {found[-1].ms:.2f} ms"]
    return "\n".join(lines)


# --- a run of its own ---------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_health(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"spated exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit("spated did not answer /healthz in 30 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


def record(args, work: Path) -> tuple[str, dict]:
    bin_dir = Path(args.build_dir) / "bin"
    port = free_port()
    data = work / "data"
    data.mkdir()
    server = subprocess.Popen([str(bin_dir / "spated"), "--host", "127.0.0.1", "--port", str(port),
                               "--data-dir", str(data), "--fsync", args.fsync, "--dashboard",
                               "off", "--log-level", "warn"],
                              stdout=subprocess.DEVNULL, stderr=open(work / "spated.log", "w"))
    bench = None
    try:
        wait_for_health(port, server)
        warmup, duration = 2, int(args.seconds) + 6
        bench = subprocess.Popen([str(bin_dir / "spate-push-bench"), "--endpoint",
                                  f"http://127.0.0.1:{port}", "--server-pid", str(server.pid),
                                  "--json", "--transport", "websocket", "--subscribers",
                                  str(args.subscribers), "--rate", "10000",
                                  "--requests-per-second", "100", "--threads", "2",
                                  "--duration", str(duration), "--warmup", str(warmup)],
                                 stdout=subprocess.PIPE, stderr=open(work / "bench.log", "w"),
                                 text=True)
        time.sleep(warmup + 3)  # subscriptions set up and warmed; the window is a run's middle
        trace = work / "sched.data"
        recorded = subprocess.run(["perf", "sched", "record", "-o", str(trace), "--", "sleep",
                                   str(args.seconds)], capture_output=True, text=True)
        if recorded.returncode != 0:
            sys.exit(f"perf sched record failed: {recorded.stderr.strip()[-400:]}")
        out, _ = bench.communicate(timeout=duration + 60)
        report = json.loads(out.strip().splitlines()[-1])
    finally:
        if bench is not None and bench.poll() is None:
            bench.kill()
            bench.wait()
        stop(server)
    text = subprocess.run(["perf", "sched", "timehist", "-i", str(trace)], capture_output=True,
                          text=True).stdout
    return text, report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-dir", default="build", help="where bin/spated and bin/spate-push-bench are")
    ap.add_argument("--fsync", default="never", choices=["never", "batch", "always"])
    ap.add_argument("--subscribers", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=2, help="how long to record the scheduler")
    ap.add_argument("--timehist", help="read this `perf sched timehist` text instead of running")
    ap.add_argument("--period-ms", type=float, default=PERIOD_MS,
                    help="with --timehist: the time between puts (1000 / --requests-per-second)")
    args = ap.parse_args()
    if args.timehist:
        print(describe(bursts(parse(Path(args.timehist).read_text()), args.period_ms)))
        return 0
    if not shutil.which("perf"):
        sys.exit("perf is not installed (Debian 12: apt-get install linux-perf)")
    with tempfile.TemporaryDirectory(prefix="fan-out-bursts.") as work:
        text, report = record(args, Path(work))
    lat = report.get("latency_ms", {})
    print(f"spate-push-bench, --fsync {args.fsync}, {args.subscribers} subscribers: "
          f"{report.get('server_cpu_us_per_record', float('nan')):.3f} us of spated's CPU per "
          f"delivered record; put to subscriber p50 {lat.get('p50', float('nan')):.2f} ms, p90 "
          f"{lat.get('p90', float('nan')):.2f} ms, p99 {lat.get('p99', float('nan')):.2f} ms; "
          f"every record delivered: {bool(report.get('ok'))}")
    print(describe(bursts(parse(text))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
