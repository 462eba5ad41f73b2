"""Part 1: the storage engine's micro-benchmarks (one shard, 100-byte records, real files) and
the wire codecs' cost per record, JSON against CBOR (Google Benchmark programs)."""

from __future__ import annotations

import json
import subprocess


def run(ctx) -> dict:
    results = {}
    for name, title in (("spate-storage-bench", "storage engine (one shard, 100-byte records, real files)"),
                        ("spate-codec-bench", "wire codecs: JSON 1.1 against CBOR 1.1 per record "
                                              "(500 records of 100 bytes)")):
        print(f"== {title}", flush=True)
        out = ctx.work / f"{name}.json"
        code = subprocess.call([str(ctx.tool(name)), "--benchmark_counters_tabular=true",
                                f"--benchmark_out={out}", "--benchmark_out_format=json"])
        print(flush=True)
        if code != 0 or not out.exists():
            results[name] = {"failed": f"exit status {code}"}
            continue
        report = json.loads(out.read_text())
        results[name] = [{k: b[k] for k in b if k not in ("run_name", "run_type", "repetitions",
                                                          "repetition_index", "threads",
                                                          "family_index",
                                                          "per_family_instance_index")}
                         for b in report.get("benchmarks", [])]
    return results
