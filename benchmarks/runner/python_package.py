"""Part 2e: the Python package (python/) against boto3 on one spated, measured by
benchmarks/python/python_bench.py with build/venv's interpreter: producer and consumer
records/s and CPU per record (the whole Python process: the package's C++ threads included),
the consumer's RSS over SPATE_BENCH_PY_RSS_RECORDS records, and Ctrl-C's latency."""

from __future__ import annotations

import os

from .context import REPO, run_json


def run(ctx) -> dict:
    python = ctx.build_dir / "venv" / "bin" / "python"
    print("== the Python package against boto3: spated --fsync batch, loopback")
    if not python.exists():
        print("build/venv missing: make py-package first\n")
        return {"failed": "no build/venv"}
    server = ctx.spated("batch")
    try:
        r, why = run_json([python, REPO / "benchmarks" / "python" / "python_bench.py",
                           "--endpoint", server.endpoint,
                           "--records", os.environ.get("SPATE_BENCH_PY_RECORDS", "500000"),
                           "--rss-records",
                           os.environ.get("SPATE_BENCH_PY_RSS_RECORDS", "5000000"), "--json"],
                          ctx.work / "python.stderr")
    finally:
        ctx.drop(server)
    if r is None:
        print(f"python_bench.py failed: {why}\n")
        return {"failed": why}
    for side in ("producer", "consumer"):
        ours, boto = r[f"{side}_spate"], r[f"{side}_boto3"]
        print(f"{side:9} spate  {ours['records_per_s']:10.0f} records/s "
              f"{ours['cpu_us_per_record']:7.2f} us CPU/record  ({ours['records']} records)")
        print(f"{side:9} boto3  {boto['records_per_s']:10.0f} records/s "
              f"{boto['cpu_us_per_record']:7.2f} us CPU/record  ({boto['records']} records)")
        print(f"{side:9} ratio  {r[f'{side}_ratio']:.1f}x")
    rss = r["consumer_rss"]
    print(f"consumer over {rss['records']} records: {rss['records_per_s']} records/s, RSS "
          f"{rss['rss_mib_samples'][0]}..{max(rss['rss_mib_samples'])} MiB, growth over the "
          f"second half {rss['rss_growth_after_warmup_pct']}%")
    print(f"Ctrl-C to KeyboardInterrupt in a waiting consumer: median "
          f"{r['ctrl_c']['median_ms']} ms, max {r['ctrl_c']['max_ms']} ms "
          f"({r['ctrl_c']['runs']} runs)")
    print("Producer: put() per record, batches of up to 500, linger 10 ms. boto3: put_records "
          "of 500, failed entries resent. Consumer: iteration, no-op body; boto3: get_records "
          "Limit 10000 round-robin over the shards.\n")
    return r
