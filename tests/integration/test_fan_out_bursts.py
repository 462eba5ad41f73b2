"""scripts/fan_out_bursts.py: a put's burst, as `perf sched timehist` recorded it.

The analysis runs on hand-written timehist text, in the format perf prints: bursts start at
the producer's send, end at the subscribers' last read, and count each side's CPU time and
the time a thread was ready while another CPU sat idle. The same text through the script as a
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


def two_puts() -> str:
    """Put 1 at 10.000 s: spated runs 1 ms on CPU 1 while CPU 0 idles; spate-io-1 waits 0.5 ms
    for CPU 1 with CPU 0 idle the whole time; subscribers read on both CPUs, the last read
    ending at 10.004. Put 2 at 10.010 (ends the first burst), then put 3 at 10.020."""
    return "\n".join([
        HEADER,
        line(10.000100, 1, "producer[101/100]", 9.0, 0.010, 0.100),
        line(10.001100, 1, "spated[200]", 8.0, 0.020, 1.000),
        line(10.002000, 0, "<idle>", 0.0, 0.0, 2.000),
        line(10.002100, 1, "spate-io-1[201/200]", 7.0, 0.500, 1.000),
        "  10.001150 [0001]  spated[200]    awakened: spate-io-1[201/200]",
        line(10.003000, 0, "subscribers-0[102/100]", 6.0, 0.000, 1.000),
        line(10.004000, 1, "subscribers-1[103/100]", 6.0, 0.100, 1.500),
        line(10.005000, 0, "gnome-shell[555]", 1.0, 0.0, 0.500),
        line(10.010100, 1, "producer[101/100]", 9.9, 0.010, 0.100),
        line(10.011000, 1, "spated[200]", 9.0, 0.010, 0.800),
        line(10.012000, 0, "subscribers-0[102/100]", 8.0, 0.000, 0.900),
        line(10.020100, 1, "producer[101/100]", 9.9, 0.010, 0.100),
        line(10.020200, 1, "producer[101/100]", 0.05, 0.005, 0.050),  # its answer, not a send
    ])


def test_a_burst_runs_from_the_send_to_the_last_read_and_sums_each_side(bursts_module):
    found = bursts_module.bursts(bursts_module.parse(two_puts()))
    assert len(found) == 2, "two complete bursts: the third put has no next send to end it"
    first, second = found
    assert first.ms == pytest.approx(4.0)
    assert first.cpu_ms["server"] == pytest.approx(2.0)
    assert first.cpu_ms["subscribers"] == pytest.approx(2.5)
    assert first.cpu_ms["producer"] == pytest.approx(0.1)
    assert first.runs == {"producer": 1, "server": 2, "subscribers": 2}
    assert "gnome-shell" not in str(first.cpu_ms), "other processes are not counted"
    # CPU 0 idled from 10.000 to 10.002: spated was ready 0.02 ms in that time and spate-io-1
    # 0.5 ms (10.0006 to 10.0011); subscribers-1's 0.1 ms (10.0024 to 10.0025) came after.
    assert first.waited_beside_idle_ms == pytest.approx(0.52)
    assert second.ms == pytest.approx(2.0)
    assert second.waited_beside_idle_ms == 0


def test_the_script_prints_the_middle_and_the_slowest_bursts(tmp_path):
    text = tmp_path / "timehist.txt"
    text.write_text(two_puts())
    out = subprocess.run([sys.executable, str(SCRIPT), "--timehist", str(text)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "2 puts' bursts" in out.stdout
    slowest = next(l for l in out.stdout.splitlines() if l.startswith("slowest 5% (1)"))
    assert slowest.split()[3:6] == ["4.00", "2.00", "2.50"], slowest
    assert "longest 4.00 ms" in out.stdout


def test_without_a_named_producer_it_says_so(tmp_path):
    text = tmp_path / "timehist.txt"
    text.write_text(two_puts().replace("producer[", "spate-push-benc["))
    out = subprocess.run([sys.executable, str(SCRIPT), "--timehist", str(text)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "no complete burst" in out.stdout
