"""Part 2d: producers beside stalled subscribers - PutRecords time per batch with a WebSocket and
a SubscribeToShard subscriber that never read (and one that reads) against nobody subscribed,
on a fresh spated (benchmarks/push/slow_subscribers.py, which prints its own table)."""

from __future__ import annotations

import subprocess
import sys

from .context import REPO


def run(ctx) -> dict:
    print("== producers beside stalled subscribers (benchmarks/push/slow_subscribers.py): "
          "fsync batch, loopback", flush=True)
    code = subprocess.call([sys.executable, str(REPO / "benchmarks" / "push" / "slow_subscribers.py"),
                            "--spated", str(ctx.tool("spated")), "--workdir", str(ctx.work)])
    if code != 0:
        print("slow_subscribers.py failed")
    print()
    return {"exit_status": code}
