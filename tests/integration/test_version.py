"""The version and the commit a build reports, from the one place each comes from, and what
spated says when it starts.

Proves: `spated --version` and `spate --version` print the version of project() in
CMakeLists.txt and the commit the tree was built at (`make test` builds first, so that is
HEAD), and exit 0; /metrics carries the same pair as spate_build_info{version,commit} 1; on
start spated logs one line per fact an operator needs: version, listen address and protocols,
data directory with its free space, fsync policy, auth mode, and the dashboard.
"""

from __future__ import annotations

import re
import subprocess

from spate_harness import REPO_ROOT, build_dir


def project_version() -> str:
    text = (REPO_ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(spate VERSION ([0-9.]+)", text).group(1)


def head_commit() -> str:
    done = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short=12", "HEAD"],
                          capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def test_both_programs_print_the_version_and_the_commit():
    expected = f"{project_version()} (commit {head_commit()})"
    for program in ("spated", "spate"):
        done = subprocess.run([str(build_dir() / "bin" / program), "--version"],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"{program} {expected}", (
            f"{done.stdout!r}: rebuilt since the last commit? (make build refreshes it)")


def test_metrics_carry_the_build_info(server):
    key = f'spate_build_info{{version="{project_version()}",commit="{head_commit()}"}}'
    assert server.metrics()[key] == 1


def test_start_up_logs_one_line_per_fact(spated_factory):
    server = spated_factory(log_level="info")
    lines = [line.split(" info ", 1)[1] for line in server.log_tail().splitlines()
             if " info " in line]
    expected = [
        f"spated {project_version()} (commit {head_commit()})",
        f"listening on 127.0.0.1:{server.port}: HTTP/1.1 and h2c; ",
        f"data directory {server.data_dir} (",
        "fsync batch",
        "auth none (unsigned requests are accepted)",
        f"dashboard (on): http://127.0.0.1:{server.port}/ open to anyone",
    ]
    for start, line in zip(expected, lines):
        assert line.startswith(start), (start, lines)
    assert len(lines) >= len(expected), lines
    assert "GiB free)" in lines[2]
