"""spated's threads, by name.

Proves: each of spated's threads carries a name that says what it is for, as `top -H`,
`ps -L` and `perf sched` show it (/proc/PID/task/TID/comm): the main thread keeps the
process's name (so `pgrep spated` finds it), the other I/O threads are spate-io-1..N-1, and
the control, maintenance, statistics and group-commit threads are named after their jobs;
without a dashboard there is no statistics thread, and under --fsync never no committer.
"""

from __future__ import annotations

import os

import pytest

from spate_harness import wait_until


def thread_names(pid: int) -> list[str]:
    names = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as comm:
                names.append(comm.read().strip())
        except FileNotFoundError:  # the thread ended between the listing and the read
            pass
    return sorted(names)


@pytest.mark.parametrize("fsync, dashboard, expected", [
    ("batch", "on", ["spate-commit", "spate-control", "spate-io-1", "spate-io-2", "spate-maint",
                     "spate-stats", "spated"]),
    ("never", "off", ["spate-control", "spate-io-1", "spate-io-2", "spate-maint", "spated"]),
])
def test_every_thread_says_what_it_is_for(spated_factory, fsync, dashboard, expected):
    server = spated_factory(fsync=fsync, extra_args=["--threads", "3", "--dashboard", dashboard])
    # The control thread names itself when its pool starts it, which may follow /healthz.
    wait_until(lambda: thread_names(server.pid) == expected, 10,
               lambda: f"threads named {expected}, not {thread_names(server.pid)}")
    assert server.client().list_streams()["StreamNames"] == []
    assert thread_names(server.pid) == expected, "serving a request starts no unnamed thread"
