"""Part 1: the storage engine's micro-benchmarks (one shard, 100-byte records, real files) and
the wire codecs' cost per record, JSON against CBOR (Google Benchmark programs)."""

from __future__ import annotations


def run(ctx) -> dict:
    results = {}
    for name, title in (("spate-storage-bench", "storage engine (one shard, 100-byte records, real files)"),
                        ("spate-codec-bench", "wire codecs: JSON 1.1 against CBOR 1.1 per record "
                                              "(500 records of 100 bytes)")):
        print(f"== {title}", flush=True)
        report = ctx.google_benchmark(name, ["--benchmark_counters_tabular=true"])
        print(flush=True)
        if isinstance(report, str):
            results[name] = {"failed": report}
            continue
        results[name] = [{k: b[k] for k in b if k not in ("run_name", "run_type", "repetitions",
                                                          "repetition_index", "threads",
                                                          "family_index",
                                                          "per_family_instance_index")}
                         for b in report]
    return results
