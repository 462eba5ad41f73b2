#!/usr/bin/python3
"""Where a fan-out put's time goes, one put at a time, from the scheduler's own record.

    /usr/bin/python3 scripts/fan_out_bursts.py --build-dir build [--fsync never]

starts `spated` (loopback, a free port, a temporary data directory, `--dashboard off`) and
`spate-push-bench` against it (100 WebSocket subscribers read on two threads, 10,000 records/s
in 100 puts/s of 100 records: the fan-out of `make bench` part 3a), records the scheduler for
`--seconds` in the middle of the run (`perf sched record`, which needs root or
perf_event_paranoid <= 1), stops both by PID, and prints the bench's figures and, from `perf
sched timehist`, what happened in each put's burst. With `--timehist FILE` it reads text
`perf sched timehist` printed instead; the threads are told apart by name, so the file should
come from a run of these two programs.

The bench's producer sends a put every 10 ms by an absolute timer, so the puts' sends lie on
a grid: its phase is the one most of the `producer` thread's wake-ups share (the others are
put answers). A burst runs from one tick of the grid to the end of the last `subscribers-N`
run that starts before the next tick. For each burst it sums the CPU time of spated's threads
(the process whose threads are `spated` and `spate-io-N`, `spate-commit`, ...), of the
subscriber threads and of the producer, counts how often each was switched in, and adds up
the time spated's and the subscribers' threads waited, ready to run, while another CPU sat
idle (`<idle>`): time lost to where the scheduler placed threads rather than to work. The
table compares the middle half of the bursts with the slowest 5%. Every burst carries the
same messages, so a slow one that took more CPU time with its threads switched in as often
did no more work: it did the same work more slowly.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# `perf sched timehist` line: time, [cpu], task name[tid/pid] (or [pid]), then wait time,
# scheduling delay and run time in ms. Names may hold spaces; lines with a note after the
# figures (wake-ups, migrations with -w/-M) do not match and are skipped.
LINE = re.compile(r"^\s*(?P<time>\d+\.\d+)\s+\[(?P<cpu>\d+)\]\s+(?P<task>.+?)\s+"
                  r"(?P<wait>\d+\.\d+)\s+(?P<delay>\d+\.\d+)\s+(?P<run>\d+\.\d+)\s*$")
TASK = re.compile(r"^(?P<name>.*)\[(?:(?P<tid>\d+)/)?(?P<pid>\d+)\]$")
# Threads only spated has: the main thread is `spated`, the others name themselves.
SPATED_THREAD = re.compile(r"^(spated|spate-io-\d+|spate-control|spate-maint|spate-stats|"
                           r"spate-commit)$")
PERIOD_MS = 10.0  # spate-push-bench --requests-per-second 100: a put every 10 ms, by a timer


@dataclass
class Run:
    """One stretch a task ran on a CPU, in seconds since boot; `delay_ms` is how long it had
    been ready to run before, `wait_ms` how long it had slept before that (as perf prints
    them). `pid` is its process, None for `<idle>`."""
    start: float
    end: float
    cpu: int
    name: str
    pid: int | None
    wait_ms: float
    delay_ms: float

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1e3

    @property
    def ready(self) -> float:
        return self.start - self.delay_ms / 1e3


def parse(text: str) -> list[Run]:
    runs = []
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        task = m["task"].strip()
        t = TASK.match(task)
        end = float(m["time"])
        runs.append(Run(end - float(m["run"]) / 1e3, end, int(m["cpu"]),
                        t["name"] if t else task, int(t["pid"]) if t else None,
                        float(m["wait"]), float(m["delay"])))
    return runs


def classify(runs: list[Run]) -> dict[int, str]:
    """Each run's kind by its index: "server", "subscribers", "producer" or "idle"; other
    processes' runs are left out."""
    server = {r.pid for r in runs if r.pid is not None and SPATED_THREAD.match(r.name)}
    kinds = {}
    for i, r in enumerate(runs):
        if r.name == "<idle>":
            kinds[i] = "idle"
        elif r.pid in server:
            kinds[i] = "server"
        elif r.name.startswith("subscribers-"):
            kinds[i] = "subscribers"
        elif r.name == "producer":
            kinds[i] = "producer"
    return kinds


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


def ticks(runs: list[Run], kinds: dict[int, str], period_ms: float) -> list[float]:
    """The producer's timer ticks across the record: the grid of `period_ms` whose phase most
    of the producer's wake-ups share (to a quarter of a millisecond; then their median)."""
    period = period_ms / 1e3
    woken = [runs[i].ready for i, k in kinds.items() if k == "producer"]
    if not woken:
        return []
    quarters = max(1, round(period_ms * 4))
    bins: dict[int, list[float]] = {}
    for t in woken:
        bins.setdefault(int((t % period) / period * quarters) % quarters, []).append(t % period)
    busiest = max(bins, key=lambda b: len(bins[b]))
    phase = statistics.median(bins[busiest])
    first, last = min(r.start for r in runs), max(r.end for r in runs)
    k = math.ceil((first - phase) / period)
    out = []
    while phase + k * period <= last:
        out.append(phase + k * period)
        k += 1
    return out


def idle_overlap(ready: float, start: float, cpu: int, idle_by_cpu: dict[int, list[Run]],
                 idle_ends: dict[int, list[float]]) -> float:
    """How long, between `ready` and `start`, some CPU other than `cpu` was idle (the union
    of their idle stretches, in seconds)."""
    spans = []
    for other, idle in idle_by_cpu.items():
        if other == cpu:
            continue
        i = bisect.bisect_right(idle_ends[other], ready)  # the first idle stretch ending after
        while i < len(idle) and idle[i].start < start:
            spans.append((max(ready, idle[i].start), min(start, idle[i].end)))
            i += 1
    total, reach = 0.0, ready
    for a, b in sorted(spans):
        if b > reach:
            total += b - max(a, reach)
            reach = b
    return total


def bursts(runs: list[Run], period_ms: float = PERIOD_MS) -> list[Burst]:
    """Each complete burst in `runs`: from one tick of the producer's timer to the next."""
    runs = sorted(runs, key=lambda r: r.start)
    kinds = classify(runs)
    starts = [r.start for r in runs]
    idle_by_cpu: dict[int, list[Run]] = {}
    for i, k in kinds.items():
        if k == "idle":
            idle_by_cpu.setdefault(runs[i].cpu, []).append(runs[i])
    idle_ends = {cpu: [r.end for r in idle] for cpu, idle in idle_by_cpu.items()}
    grid = ticks(runs, kinds, period_ms)
    out = []
    for start, stop in zip(grid, grid[1:]):
        b = Burst(start)
        for i in range(bisect.bisect_left(starts, start), bisect.bisect_left(starts, stop)):
            r, k = runs[i], kinds.get(i)
            if k not in ("server", "subscribers", "producer"):
                continue
            b.cpu_ms[k] = b.cpu_ms.get(k, 0.0) + r.ms
            b.runs[k] = b.runs.get(k, 0) + 1
            if k == "subscribers":
                b.end = max(b.end, r.end)
            if k != "producer" and r.delay_ms > 0:
                b.waited_beside_idle_ms += 1e3 * idle_overlap(r.ready, r.start, r.cpu,
                                                             idle_by_cpu, idle_ends)
        if b.end > b.start:
            out.append(b)
    return out


def describe(found: list[Burst]) -> str:
    if not found:
        return "no complete burst: were the threads named `producer` and `subscribers-N`?"
    found = sorted(found, key=lambda b: b.ms)
    n = len(found)

    def row(label: str, group: list[Burst]) -> str:
        def mean(f):
            return statistics.fmean(f(b) for b in group)
        return (f"{label:<18} {mean(lambda b: b.ms):>7.2f} "
                f"{mean(lambda b: b.cpu_ms.get('server', 0)):>11.2f} "
                f"{mean(lambda b: b.cpu_ms.get('subscribers', 0)):>12.2f} "
                f"{mean(lambda b: b.cpu_ms.get('producer', 0)):>9.2f} "
                f"{mean(lambda b: b.waited_beside_idle_ms):>18.2f} "
                f"{mean(lambda b: b.runs.get('server', 0)):>14.1f} "
                f"{mean(lambda b: b.runs.get('subscribers', 0)):>19.1f}")

    middle = found[n // 4: max(n // 4 + 1, 3 * n // 4)]
    tail = found[n - max(1, n // 20):]
    p90 = found[max(0, math.ceil(0.9 * n) - 1)]  # nearest rank
    return "\n".join([
        f"{n} puts' bursts (a tick of the producer's timer to the subscribers' last read before "
        f"the next); means per burst, in ms and in times switched in:",
        f"{'':<18} {'length':>7} {'spated CPU':>11} {'subscribers':>12} {'producer':>9} "
        f"{'ready, a CPU idle':>18} {'spated threads':>14} {'subscriber threads':>19}",
        row(f"middle half ({len(middle)})", middle),
        row(f"slowest 5% ({len(tail)})", tail),
        f"burst length: median {found[n // 2].ms:.2f} ms, p90 {p90.ms:.2f} ms, longest "
        f"{found[-1].ms:.2f} ms"])


# --- a run of its own ---------------------------------------------------------------------

def record(args, work: Path) -> tuple[str, dict]:
    """Runs the fan-out against a fresh spated (the test harness's, as `make bench` starts it)
    and records the scheduler in its middle: `perf sched timehist`'s text and the bench's
    report."""
    os.environ["SPATE_BUILD_DIR"] = str(Path(args.build_dir).resolve())
    root = Path(__file__).resolve().parents[1]
    sys.path[:0] = [str(root / "tests"), str(root / "benchmarks")]
    # The harness and part 3a's arguments, found through the paths above.
    from runner.cpu_cost import FAN_OUT_REQUESTS_PER_S, fan_out_args  # noqa: E402
    from spate_harness import Spated  # noqa: E402

    server = Spated(work / "spated", fsync=args.fsync, extra_args=["--dashboard", "off"]).start()
    bench = None
    try:
        warmup, duration = 2, int(args.seconds) + 6
        argv = fan_out_args(args.subscribers, FAN_OUT_REQUESTS_PER_S, duration, warmup)
        with open(work / "bench.log", "w") as log:
            bench = subprocess.Popen([str(Path(args.build_dir) / "bin" / "spate-push-bench"),
                                      "--endpoint", server.endpoint, "--server-pid",
                                      str(server.pid), "--json", *map(str, argv)],
                                     stdout=subprocess.PIPE, stderr=log, text=True)
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
        server.stop()
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
