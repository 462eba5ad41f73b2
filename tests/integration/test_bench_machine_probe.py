"""make bench part 3a's machine probe: the line that says how fast the machine was.

`machine_line` prints each reading taken both before and after the runs, in its own unit, and
leaves out a reading that is missing on either side (a program that failed or was not built),
so the rest of the part's report still prints. The readings themselves come from
spate-codec-bench and spate-kernel-bench, which only make bench builds.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from runner.cpu_cost import machine_line  # noqa: E402


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
