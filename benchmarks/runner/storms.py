"""Part 5: attack storms - memory, CPU and /healthz under the storms of
benchmarks/attack/BEFORE.md, each on a fresh spated (benchmarks/attack/storm.py)."""

from __future__ import annotations

import json
import subprocess
import sys

from .context import REPO


def run(ctx) -> dict:
    print("\n== attack storms (benchmarks/attack/storm.py; before the hardening: "
          "benchmarks/attack/BEFORE.md)", flush=True)
    storm = REPO / "benchmarks" / "attack" / "storm.py"
    out = ctx.work / "storms.jsonl"
    code = subprocess.call([sys.executable, str(storm), "--spated", str(ctx.tool("spated")),
                            "--scenario", "all", "--workdir", str(ctx.work), "--json", "--out",
                            str(out)], stdout=subprocess.DEVNULL)
    if code != 0:
        print("storm.py failed")
    subprocess.call([sys.executable, str(storm), "--report", str(out)])
    runs = [json.loads(l) for l in out.read_text().splitlines() if l.strip()] if out.exists() else []
    return {"exit_status": code, "runs": runs}
