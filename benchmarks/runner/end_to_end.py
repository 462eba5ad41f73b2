"""Part 3: end to end over HTTP/1.1 on loopback. spate-bench drives spated and kinesalite (the
Kinesis emulator most people use, installed from npm into the temporary folder) with the same
workloads, one fresh server per workload, and a table sets the two side by side."""

from __future__ import annotations

METRICS = ["records/s", "MB/s", "p50 ms", "p99 ms", "p99.9 ms", "peak RSS MiB", "server CPU cores",
           "bench CPU cores", "errors"]


def workloads(ctx) -> list[tuple[str, str, list]]:
    put_batches = ["--mode", "put-records", "--shards", 4, "--batch", 500, "--record-size", 100]
    put_single = ["--mode", "put-record", "--shards", 1, "--record-size", 100, "--rate", 1000,
                  "--concurrency", 4]
    get_one = ["--mode", "get-records", "--shards", 1, "--concurrency", 1, "--record-size", 100,
               "--fill", ctx.fill]
    return [
        ("PutRecords 500x100B, 4 conns", "spated-batch", put_batches + ["--concurrency", 4]),
        ("PutRecords 500x100B, 4 conns", "kinesalite", put_batches + ["--concurrency", 4]),
        ("PutRecords 500x100B, 16 conns", "spated-batch", put_batches + ["--concurrency", 16]),
        ("PutRecords 500x100B, 16 conns", "kinesalite", put_batches + ["--concurrency", 16]),
        ("PutRecord 100B at 1000/s", "spated-batch", put_single),
        ("PutRecord 100B at 1000/s", "spated-never", put_single),
        ("PutRecord 100B at 1000/s", "kinesalite", put_single),
        ("GetRecords 1 shard, Limit 10000", "spated-batch", get_one),
        ("GetRecords 1 shard, Limit 10000", "kinesalite", get_one),
    ]


def measure(ctx, workload: str, kind: str, args: list) -> dict | None:
    print(f"  {workload:<34} {kind:<13} ", end="", flush=True)
    r = ctx.run_tool(kind, [ctx.tool("spate-bench"), "--duration", ctx.seconds, "--warmup",
                            ctx.warmup, *args], f"{workload}|{kind}", "bench.stderr")
    if r is not None and "failed" not in r:
        print("%12.0f records/s  p99 %8.3f ms  errors %d" % (
            r["records_per_s"], r["latency_us"]["p99"] / 1e3, r["failed_requests"] + r["failed_records"]))
    return r


def cell(r: dict | None, metric: str):
    if r is None:
        return None, "-"
    if "failed" in r:
        return None, "FAILED"
    if metric == "records/s":
        v = r["records_per_s"]
        return v, f"{v:,.0f}"
    if metric == "MB/s":
        v = r["mb_per_s"]
        return v, f"{v:,.2f}"
    if metric in ("p50 ms", "p99 ms", "p99.9 ms"):
        v = r["latency_us"][{"p50 ms": "p50", "p99 ms": "p99", "p99.9 ms": "p999"}[metric]] / 1e3
        return v, f"{v:,.3f}"
    if metric == "peak RSS MiB":
        v = r.get("server_peak_rss_mib")
        return v, "-" if v is None else f"{v:,.1f}"
    if metric == "server CPU cores":
        v = r.get("server_cpu_cores")
        return v, "-" if v is None else f"{v:.2f}"
    if metric == "bench CPU cores":
        v = r["client_cpu_cores"]
        return v, f"{v:.2f}"
    v = r["failed_requests"] + r["failed_records"] + r.get("hung_workers", 0)  # errors
    return v, str(v)


def run(ctx) -> dict:
    print("== end to end: spated and kinesalite, same workloads, same run (spate-bench, HTTP/1.1 on loopback)")
    print(f"each workload: a fresh server, {ctx.warmup} s warm-up, {ctx.seconds} s measured")
    runs: dict[tuple[str, str], dict] = {}
    for workload, kind, args in workloads(ctx):
        r = measure(ctx, workload, kind, args)
        if r is not None:
            runs[(workload, kind)] = r
    print()
    report(ctx, runs)
    return {"kinesalite_version": ctx.kinesalite_version,
            "runs": [dict(r, workload=w, server=k) for (w, k), r in runs.items()]}


def report(ctx, runs: dict) -> None:
    names = []
    for workload, _ in runs:
        if workload not in names:
            names.append(workload)
    print(f"{'workload':34} {'metric':17} {'spated':>14} {'kinesalite':>14} {'spated/kinesalite':>18}")
    print("-" * 101)
    for workload in names:
        kinds = ["spated-batch"] + (["spated-never"] if (workload, "spated-never") in runs else [])
        for kind in kinds:
            s, k = runs.get((workload, kind)), runs.get((workload, "kinesalite"))
            name = workload if kind == "spated-batch" else "  same, spated --fsync never"
            for metric in METRICS:
                sv, st = cell(s, metric)
                kv, kt = cell(k, metric)
                ratio = ""
                if metric not in ("errors", "bench CPU cores") and sv is not None and kv:
                    ratio = f"{sv / kv:,.2f}x"
                print(f"{name:34} {metric:17} {st:>14} {kt:>14} {ratio:>18}")
                name = ""
        print()
    print("higher is better for records/s and MB/s; lower for latency, RSS and CPU (a ratio below 1 there")
    print("means spated is lower). MB/s counts record data (not base64, not JSON). Latency is one request's")
    print("round trip from its first byte sent to its last byte read; peak RSS is the server's VmHWM;")
    print("bench CPU is spate-bench's own (it shares the 2 cores with the server).")
    print(f"kinesalite {ctx.kinesalite_version} keeps every record in memory (LevelDB API on memdown, no "
          "disk writes),")
    print("with CreateStream/DeleteStream made immediate; spated writes every record to disk and, with")
    print("--fsync batch, acknowledges only after the group commit's fdatasync.")
    for (workload, kind), r in runs.items():
        if "failed" in r:
            print(f"! {workload} on {kind}: {r['failed']}")
        elif r["failed_requests"] or r["failed_records"] or r.get("hung_workers"):
            print(f"! {workload} on {kind}: {r['failed_requests']} failed requests, {r['failed_records']} "
                  f"failed records, {r.get('hung_workers', 0)} hung; {r['errors']}; first: {r['first_error']}")

    def val(workload, kind, f):
        r = runs.get((workload, kind))
        return None if r is None or "failed" in r else f(r)

    def rps(r):
        return r["records_per_s"]

    def p99(r):
        return r["latency_us"]["p99"] / 1e3

    def check(text, ok):
        print(f"  {'met    ' if ok else 'NOT MET' if ok is not None else 'n/a    '} {text}")

    print()
    print("targets (2-core machine)")
    puts = [w for w in names if w.startswith("PutRecords")]
    best_put = max([v for v in (val(w, "spated-batch", rps) for w in puts) if v] or [0])
    best_kput = max([v for v in (val(w, "kinesalite", rps) for w in puts) if v] or [0])
    check(f"PutRecords ingest >= 500,000 records/s (fsync batch): {best_put:,.0f}", best_put >= 500_000)
    if best_kput:
        check(f"PutRecords ingest >= 50x kinesalite: {best_put / best_kput:,.1f}x", best_put / best_kput >= 50)
    get = val("GetRecords 1 shard, Limit 10000", "spated-batch", rps)
    check(f"GetRecords >= 1,000,000 records/s from one shard: {get or 0:,.0f}",
          None if get is None else get >= 1_000_000)
    never = val("PutRecord 100B at 1000/s", "spated-never", p99)
    check(f"PutRecord p99 < 1 ms at low load (fsync never): "
          f"{never if never is not None else float('nan'):.3f} ms", None if never is None else never < 1.0)
    batch = val("PutRecord 100B at 1000/s", "spated-batch", p99)
    fsync = ctx.fdatasync
    sync99 = fsync["p99"] / 1e3
    check(f"PutRecord p99 < fdatasync p99 + 1 ms at low load (fsync batch): "
          f"{batch if batch is not None else float('nan'):.3f} ms vs {sync99 + 1:.3f} ms",
          None if batch is None else batch < sync99 + 1)
    print(f"fdatasync on this disk (200-byte appends, 1 ms apart): p50 {fsync['p50'] / 1e3:.3f} ms, "
          f"p99 {sync99:.3f} ms, p99.9 {fsync['p999'] / 1e3:.3f} ms")
