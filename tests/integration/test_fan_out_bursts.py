"""scripts/fan_out_bursts.py: a put's burst, as `perf sched timehist` recorded it.

The analysis runs on hand-written timehist text, in the format perf prints: bursts start at
the ticks of the producer's timer (found from its wake-ups, even where one is missing), end at
the subscribers' last read, and count each side's CPU time (spated's by its process, not the
bench's threads) and the time a thread was ready while another CPU sat idle. The same text through the script as a
process (`--timehist FILE`) prints the table docs/performance.md quotes.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fan_out_bursts.py"


@pytest.fixture(scope="module")
def bursts_module():
    spec = importlib.util.spec_from_file_location("fan_out_bursts", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def line(end: float, cpu: int, task: str, wait_ms: float, delay_ms: float, run_ms: float) -> str:
    """One timehist line: the run ends at `end` (seconds) after `run_ms` on `cpu`."""
    return f"{end:15.6f} [{cpu:04d}]  {task:<30}  {wait_ms:9.3f}  {delay_ms:9.3f}  {run_ms:9.3f}"


HEADER = """           time    cpu  task name                       wait time  sch delay   run time
                        [tid/pid]                          (msec)     (msec)     (msec)
--------------- ------  ------------------------------  ---------  ---------  ---------"""


T0, T1, T2, T3 = 10.0005, 10.0105, 10.0205, 10.0305  # the producer's timer ticks, 10 ms apart


def three_puts() -> str:
    """Three puts' bursts and the start of a fourth. Burst 1: spated's main thread runs 1 ms on
    CPU 1 while CPU 0 idles; spate-io-1 waits 0.5 ms for CPU 1 with CPU 0 still idle; the
    subscribers read on both CPUs until T0 + 3.5 ms; the producer also runs for a put's answer,
    and the bench's own main thread (spate-push-benc) and another program run too. Burst 2 is
    2 ms long. In burst 3 the producer's timer wake-up is missing (it was already running)."""
    ms = 1e-3
    return "\n".join([
        HEADER,
        line(T0 + 0.11 * ms, 1, "producer[101/100]", 9.0, 0.010, 0.100),
        line(T0 + 1.1 * ms, 1, "spated[200]", 8.0, 0.020, 1.000),
        line(T0 + 1.5 * ms, 0, "<idle>", 0.0, 0.0, 2.000),
        line(T0 + 2.1 * ms, 1, "spate-io-1[201/200]", 7.0, 0.500, 1.000),
        f"{T0 + 1.15 * ms:15.6f} [0001]  spated[200]    awakened: spate-io-1[201/200]",
        line(T0 + 2.5 * ms, 0, "subscribers-0[102/100]", 6.0, 0.000, 1.000),
        line(T0 + 2.7 * ms, 0, "spate-push-benc[100]", 90.0, 0.000, 0.200),
        line(T0 + 2.75 * ms, 0, "producer[101/100]", 2.5, 0.005, 0.050),  # an answer
        line(T0 + 3.0 * ms, 0, "gnome-shell[555]", 1.0, 0.0, 0.250),
        line(T0 + 3.5 * ms, 1, "subscribers-1[103/100]", 6.0, 0.100, 1.400),
        line(T1 + 0.11 * ms, 1, "producer[101/100]", 9.9, 0.010, 0.100),
        line(T1 + 1.0 * ms, 1, "spated[200]", 9.0, 0.010, 0.800),
        line(T1 + 2.0 * ms, 0, "subscribers-0[102/100]", 8.0, 0.000, 0.900),
        line(T2 + 1.0 * ms, 1, "spated[200]", 9.0, 0.010, 0.700),
        line(T2 + 3.0 * ms, 0, "subscribers-1[103/100]", 8.0, 0.000, 2.000),
        line(T3 + 0.11 * ms, 1, "producer[101/100]", 9.9, 0.010, 0.100),
    ])


def test_a_burst_runs_from_a_tick_to_the_last_read_and_sums_each_side(bursts_module):
    found = bursts_module.bursts(bursts_module.parse(three_puts()))
    assert [round(b.start, 6) for b in found] == [T0, T1, T2], \
        "a tick without its wake-up still starts a burst; the last tick has no next"
    first, second, third = found
    assert first.ms == pytest.approx(3.5)
    assert first.cpu_ms["server"] == pytest.approx(2.0), "not the bench's own main thread"
    assert first.cpu_ms["subscribers"] == pytest.approx(2.4)
    assert first.cpu_ms["producer"] == pytest.approx(0.15)
    assert first.runs == {"producer": 2, "server": 2, "subscribers": 2}
    # CPU 0 idled from T0 - 0.5 to T0 + 1.5 ms: spated was ready 0.02 ms in that time and
    # spate-io-1 0.5 ms (T0 + 0.6 to T0 + 1.1); subscribers-1's 0.1 ms came after.
    assert first.waited_beside_idle_ms == pytest.approx(0.52)
    assert second.ms == pytest.approx(2.0)
    assert second.waited_beside_idle_ms == 0
    assert third.ms == pytest.approx(3.0)
    assert "producer" not in third.cpu_ms


def test_idle_cpus_at_once_count_once(bursts_module):
    """Two other CPUs idle over the same stretch of a wait: the wait counts once."""
    m = bursts_module
    idle = [m.Run(0.0, 1.0, 1, "<idle>", None, 0, 0), m.Run(0.2, 0.8, 2, "<idle>", None, 0, 0)]
    by_cpu = {1: [idle[0]], 2: [idle[1]]}
    ends = {1: [1.0], 2: [0.8]}
    assert m.idle_overlap(0.5, 0.9, 0, by_cpu, ends) == pytest.approx(0.4)
    assert m.idle_overlap(0.5, 0.9, 1, by_cpu, ends) == pytest.approx(0.3), "not its own CPU"


def test_the_script_prints_the_middle_and_the_slowest_bursts(tmp_path):
    text = tmp_path / "timehist.txt"
    text.write_text(three_puts())
    out = subprocess.run([sys.executable, str(SCRIPT), "--timehist", str(text)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "3 puts' bursts" in out.stdout
    slowest = next(l for l in out.stdout.splitlines() if l.startswith("slowest 5% (1)"))
    assert slowest.split()[3:6] == ["3.50", "2.00", "2.40"], slowest
    assert "median 3.00 ms" in out.stdout and "longest 3.50 ms" in out.stdout


def test_without_named_threads_it_says_so(tmp_path):
    text = tmp_path / "timehist.txt"
    text.write_text(three_puts().replace("producer[", "spate-push-benc["))
    out = subprocess.run([sys.executable, str(SCRIPT), "--timehist", str(text)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "no complete burst" in out.stdout
