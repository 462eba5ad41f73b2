"""Part 2b: the client library's consumer (no-op handler, checkpoints every second in SQLite)
against raw GetRecords through the same typed client, on one spated (spate-consumer-bench)."""

from __future__ import annotations

from .context import run_json


def run(ctx) -> dict:
    print("== consumer throughput (spate-consumer-bench): spated --fsync batch, loopback")
    server = ctx.spated("batch")
    try:
        r, why = run_json([ctx.tool("spate-consumer-bench"), "--endpoint", server.endpoint,
                           "--shards", 4, "--records", ctx.consumer_records, "--json"],
                          ctx.work / "consumer.stderr")
    finally:
        ctx.drop(server)
    if r is None:
        print(f"spate-consumer-bench failed: {why}\n")
        return {"failed": why}
    print(f"records {r['records']} x {r['size']} bytes over {r['shards']} shards")
    print(f"producer (library, batching)        {r['producer_per_s']:12.0f} records/s")
    print(f"raw GetRecords (typed client)       {r['raw_get_records_per_s']:12.0f} records/s")
    print(f"consumer (no-op handler, 1 s ckpt)  {r['consumer_per_s']:12.0f} records/s  "
          f"({r['consumer_over_raw']:.2f}x raw, {r['checkpoints']} checkpoints)")
    print("Raw GetRecords: one thread per shard, Limit 10,000, the typed client's decoding only.")
    print("Consumer: leases, de-aggregation check, a no-op handler, SQLite checkpoints every second.")
    print()
    return r
