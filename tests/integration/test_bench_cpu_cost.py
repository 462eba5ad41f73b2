"""make bench part 3a (benchmarks/runner/cpu_cost.py): the figures it reads off spated's
histograms, and the line that says how fast the machine was.

`over_limit` and `bucket_quantile` read Prometheus histograms (spate_commit_sync_seconds,
spate_push_delay_seconds) summed over several runs: how many durations lay above a bucket
bound, and the bound of the bucket holding a quantile. `machine_line` prints each probe reading
taken both before and after the runs, in its own unit, and leaves out a reading that is missing
on either side (a program that failed), so the rest of the part's report still prints. The readings themselves come from spate-codec-bench and spate-kernel-bench, which only
make bench builds.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from runner.cpu_cost import bucket_quantile, machine_line, over_limit  # noqa: E402


def test_every_reading_is_printed_with_its_unit():
    before = {"base64_ns": 312.6, "system_call_ns": 1040.2, "switch_round_trip_ns": 9870.0}
    after = {"base64_ns": 517.0, "system_call_ns": 995.4, "switch_round_trip_ns": 15630.0}
    line = machine_line(before, after)
    assert line.startswith("the machine, before these runs and after")
    assert line.endswith("plain base64 of 1 KiB 313 and 517 ns; a system call 1040 and 995 ns; "
                         "a switch round trip between two threads on one CPU 9.9 and 15.6 us")


def test_a_reading_missing_on_either_side_is_left_out():
    before = {"base64_ns": 300.0, "system_call_ns": None, "switch_round_trip_ns": 8000.0}
    after = {"base64_ns": 310.0, "system_call_ns": 1000.0}
    line = machine_line(before, after)
    assert line.endswith(": plain base64 of 1 KiB 300 and 310 ns")
    assert "system call" not in line and "switch" not in line


def test_no_line_without_a_reading():
    assert machine_line({"base64_ns": None}, {"base64_ns": 300.0}) is None
    assert machine_line({}, {}) is None


def histogram_run(series: str, cumulative: dict[str, int]) -> dict:
    """A run as fan_out() keeps it: /metrics samples of one histogram, cumulative by bound."""
    metrics = {f'{series}_bucket{{le="{le}"}}': n for le, n in cumulative.items()}
    metrics[f"{series}_count"] = cumulative["+Inf"]
    return {"server_metrics": metrics}


SERIES = "spate_push_delay_seconds"
RUNS = [histogram_run(SERIES, {"0.001": 50, "0.0025": 90, "0.005": 98, "0.01": 100, "+Inf": 100}),
        histogram_run(SERIES, {"0.001": 10, "0.0025": 60, "0.005": 99, "0.01": 99, "+Inf": 100})]


def test_over_limit_sums_the_runs_above_a_bucket_bound():
    assert over_limit(RUNS, SERIES, 0.005) == (200, 3)
    assert over_limit(RUNS, SERIES, 0.001) == (200, 140)
    assert over_limit([{"server_metrics": {}}], SERIES, 0.005) == (0, 0)


def test_bucket_quantile_is_the_bound_of_the_bucket_that_holds_it():
    # 60 of 200 within 1 ms, 150 within 2.5 ms, 197 within 5 ms, 199 within 10 ms.
    assert bucket_quantile(RUNS, SERIES, 0.5) == 0.0025
    assert bucket_quantile(RUNS, SERIES, 0.98) == 0.005
    assert bucket_quantile(RUNS, SERIES, 0.99) == 0.01
    assert bucket_quantile(RUNS, SERIES, 1.0) == float("inf")
    assert bucket_quantile([{"server_metrics": {}}], SERIES, 0.99) is None
