"""Spate's benchmark runner: `make bench` runs `benchmarks/run.py`, which runs each part below.

Each part is one module with `run(ctx) -> dict`: it starts the servers it needs (a fresh one per
workload, through the test harness's `Spated` for spated), drives them with the C++ load tools
from the build folder, prints its human table and returns its figures, which run.py gathers
into one JSON result file.
"""
