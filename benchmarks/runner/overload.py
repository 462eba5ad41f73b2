"""Part 4: overload. The sustainable PutRecords rate (spate-bench, closed loop, 16 connections),
then an open-loop load (spate-overload-bench) at that rate and at ten times it: goodput, the
latency of what succeeds, and the server's RSS against its memory budgets."""

from __future__ import annotations

import resource

from .context import run_json


def run(ctx) -> dict:
    print("\n== overload: PutRecords (500 x 100 B, 4 shards, fsync batch) at the sustainable rate "
          "and at 10x it")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 1000 connections and the server's
    server = ctx.spated("batch")
    try:
        peak, _ = run_json([ctx.tool("spate-bench"), "--endpoint", server.endpoint, "--shards", 4,
                            "--concurrency", 16, "--duration", ctx.seconds, "--warmup", ctx.warmup,
                            "--json"], ctx.work / "peak.stderr")
    finally:
        ctx.drop(server)
    peak = peak or {}
    peak_rps = int(peak.get("requests_per_s", 0))
    runs = {}
    for factor in (1, 10):
        if peak_rps <= 0:
            break
        server = ctx.spated("batch")
        try:
            r, why = run_json([ctx.tool("spate-overload-bench"), "--endpoint", server.endpoint,
                               "--rate", peak_rps * factor, "--connections", 1000, "--timeout-ms",
                               2000, "--duration", ctx.seconds, "--warmup", ctx.warmup,
                               "--server-pid", server.pid, "--label", f"{factor}x", "--json"],
                              ctx.work / "overload.stderr")
        finally:
            ctx.drop(server)
        if r is None:
            print(f"spate-overload-bench failed: {why}")
        else:
            runs[r["label"]] = r
    report(peak, runs)
    return {"closed_loop": peak, "open_loop": list(runs.values())}


def report(peak: dict, runs: dict) -> None:
    print(f"closed loop, 16 connections: {peak.get('records_per_s', 0):,.0f} records/s "
          f"({peak.get('requests_per_s', 0):,.0f} requests/s): the sustainable rate")
    print(f"{'offered':>8} {'req/s':>8} {'goodput rec/s':>14} {'ack':>7} {'503':>7} {'timeout':>8} "
          f"{'dropped':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'RSS MiB':>8} {'cores':>6}")
    for label in ("1x", "10x"):
        r = runs.get(label)
        if not r:
            print(f"{label:>8} (no run)")
            continue
        lat = r["latency_ms"]
        print(f"{label:>8} {r['offered_requests_per_s']:>8,.0f} {r['goodput_records_per_s']:>14,.0f} "
              f"{r['acknowledged']:>7} {r['unavailable']:>7} {r['timed_out']:>8} {r['dropped']:>8} "
              f"{lat['p50']:>8.1f} {lat['p99']:>8.1f} {lat['max']:>8.1f} {r['server_peak_rss_mib']:>8.1f} "
              f"{r['server_cores']:>6.2f}")
    one, ten = runs.get("1x"), runs.get("10x")
    best = max(peak.get("records_per_s", 0), one["goodput_records_per_s"] if one else 0)
    if ten and best > 0:
        ratio = ten["goodput_records_per_s"] / best
        budgets_mib = 3 * 256

        def check(text, ok):
            print(f"  {'met    ' if ok else 'NOT MET'} {text}")

        print("targets at 10x the sustainable load")
        check(f"goodput >= 80% of the peak (the better of closed loop and open loop at 1x, "
              f"{best:,.0f} records/s): {ratio:.0%}", ratio >= 0.8)
        check(f"p99 of acknowledged requests < 1 s: {ten['latency_ms']['p99']:.0f} ms",
              ten["latency_ms"]["p99"] < 1000)
        check(f"server RSS under its memory budgets ({budgets_mib} MiB by default): "
              f"{ten['server_peak_rss_mib']:.0f} MiB", ten["server_peak_rss_mib"] < budgets_mib)
    print("Open loop: requests fall due at the offered rate; one in flight per connection (1000); a")
    print("request due with no free connection is dropped (counted), one unanswered after 2 s is")
    print("given up. Latency runs from the moment a request fell due.")
