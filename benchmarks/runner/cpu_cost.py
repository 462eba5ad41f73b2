"""Part 3a: what a record costs the server in CPU. The server's user + system CPU time over the
measured window, divided by the records it acknowledged (or returned, or delivered), with the
load generator in a separate process: spated beside kinesalite and kinesis-mock in the same run,
then the targets, each PASS or FAIL.

Throughput is measured apart from CPU: the CPU runs keep 8 connections with one PutRecords in
flight each, a closed loop that under --fsync batch waits on every commit round and so measures
latency; the throughput runs offer 32 (docs/performance.md, "Throughput").

The fan-out producer puts its 10,000 records/s as 100 PutRecords/s of 100 records, as a
batching producer does (spate's own waits up to 20 ms for a fuller batch). The same rate in
1,000 PutRecords/s of 10 is run once too and printed without a verdict: there most of the cost
is taking in the small requests, not delivering them (docs/performance.md, "Fan-out"). So is
the fan-out under --fsync never, three times: its p99 without the commit's wait for the disk."""

from __future__ import annotations

from .context import histogram_buckets

PUT = ["--mode", "put-records", "--shards", 4, "--batch", 500, "--record-size", 100,
       "--concurrency", 8]
THROUGHPUT = PUT[:-1] + [32]
FAN_OUT_REQUESTS_PER_S = 100  # PutRecords/s carrying the fan-out's 10,000 records/s
SMALL_PUTS_PER_S = 1000
GET = ["--mode", "get-records", "--shards", 1, "--concurrency", 1, "--record-size", 100,
       "--limit", 10000]
SERVERS = ["spated-never", "spated-batch", "kinesalite", "kinesis-mock"]
REPEAT = 3  # runs of each spated workload; the median is reported


def run_tool(ctx, kind: str, argv: list, label: str, metrics: bool = False) -> dict | None:
    print(f"  {label:<40} {kind:<13} ", end="", flush=True)
    return ctx.run_tool(kind, argv, f"{label}|{kind}", "cpu.stderr", metrics)


def over_limit(runs: list, series: str, limit_s: float) -> tuple[int, int]:
    """Of the durations the histogram `series` (from each run's /metrics) counted in `runs`, how
    many there were and how many took longer than `limit_s`, a bucket bound."""
    total = over = 0
    for r in runs:
        m = r.get("server_metrics", {})
        count = m.get(f"{series}_count", 0)
        within = m.get(f'{series}_bucket{{le="{limit_s:g}"}}', count)
        total += int(count)
        over += int(count - within)
    return total, over


def bucket_quantile(runs: list, series: str, q: float) -> float | None:
    """The upper bound, in seconds, of the bucket of the histogram `series` that holds its `q`
    quantile over all of `runs` (Prometheus buckets: the quantile is at most this); None when
    nothing was counted."""
    cumulative: dict[float, float] = {}
    for r in runs:
        for bound, count in histogram_buckets(r.get("server_metrics", {}), series):
            cumulative[bound] = cumulative.get(bound, 0) + count
    total = cumulative.get(float("inf"), 0)
    if not total:
        return None
    return next(bound for bound in sorted(cumulative) if cumulative[bound] >= q * total)


def print_push_delay(fan: dict) -> None:
    """spated's own share of a fan-out's latency, from its spate_push_delay_seconds."""
    messages, slow = fan["pushed_messages"], fan["pushed_messages_over_5ms"]
    p99 = fan["push_delay_p99_at_most_ms"]
    if messages and p99 is not None:
        print(f"    spated's own push delay in those runs (spate_push_delay_seconds: from new "
              f"records waking a subscriber to the write of its message): p99 at most "
              f"{p99:g} ms (a bucket bound); {slow:,} of {messages:,} messages "
              f"({100 * slow / messages:.2f}%) over 5 ms")


def bench(ctx, kind: str, label: str, args: list, repeat: int = 1,
          key: str = "server_cpu_us_per_record") -> dict | None:
    """The run with the median `key` (CPU per record, or records_per_s) of `repeat` runs, each
    on a fresh server (on this VM one run differs from the next by up to 20%); every run's
    figures are kept."""
    runs = []
    for _ in range(repeat):
        r = run_tool(ctx, kind, [ctx.tool("spate-bench"), "--duration", ctx.seconds, "--warmup",
                                 ctx.warmup, *args], label)
        if r is None or "failed" in r:
            return r
        errors = r["failed_requests"] + r["failed_records"]
        print("%12.0f records/s  %9.3f us/record%s" % (
            r["records_per_s"], r.get("server_cpu_us_per_record", float("nan")),
            f"  ({errors} errors: {r['first_error']})" if errors else ""))
        runs.append(r)
    median = median_run(runs, key)
    median["records_per_s_runs"] = [r["records_per_s"] for r in runs]
    return median


def median_run(runs: list, key: str) -> dict:
    """A copy of the run with the median `key`, keeping every run's CPU per record."""
    runs = sorted(runs, key=lambda r: r.get(key, 0))
    median = dict(runs[len(runs) // 2])
    median["cpu_us_per_record_runs"] = [r.get("server_cpu_us_per_record") for r in runs]
    return median


def fan_out_args(subscribers: int, requests_per_s: int, seconds, warmup) -> list:
    """spate-push-bench's arguments for part 3a's fan-out (scripts/fan_out_bursts.py runs the
    same): 10,000 records/s to `subscribers` WebSocket subscribers, read on two threads."""
    return ["--transport", "websocket", "--subscribers", subscribers, "--rate", 10000,
            "--requests-per-second", requests_per_s, "--threads", 2, "--duration", seconds,
            "--warmup", warmup]


def fan_out(ctx, subscribers: int = 100, requests_per_s: int = FAN_OUT_REQUESTS_PER_S,
            repeat: int = 1, server: str = "spated-batch") -> dict | None:
    """`repeat` runs on `server`; the one with the median CPU per delivered record, with the
    median of the runs' p99 latencies as `p99_ms` and every run's figures kept."""
    # The subscribers read on two threads: on one, 100 of them keep it busy 90% of the time, and
    # its own queueing shows in the p99 (docs/performance.md, "Fan-out").
    label = (f"fan-out: {subscribers} WebSocket subscriber{'s' if subscribers > 1 else ''}, "
             f"{requests_per_s:,} puts/s")
    runs = []
    for _ in range(repeat):
        r = run_tool(ctx, server, [ctx.tool("spate-push-bench"),
                                   *fan_out_args(subscribers, requests_per_s, ctx.seconds,
                                                 ctx.warmup)],
                     label, metrics=True)
        if r is None or "failed" in r:
            return r
        print("%12.0f delivered/s %9.3f us/record  p99 %.3f ms" % (
            r["delivered_per_s"], r["server_cpu_us_per_record"], r["latency_ms"]["p99"]))
        if not r.get("ok"):
            return r
        runs.append(r)
    median = median_run(runs, "server_cpu_us_per_record")
    p99s = sorted(r["latency_ms"]["p99"] for r in runs)
    median["p99_ms"] = p99s[len(p99s) // 2]
    median["p99_ms_runs"] = [r["latency_ms"]["p99"] for r in runs]
    # A subscriber gets a record once it is committed: the puts' own latency, their group
    # commit included, is the floor under the subscribers'.
    put_p99s = sorted(r["put_latency_ms"]["p99"] for r in runs)
    median["put_p99_ms"] = put_p99s[len(put_p99s) // 2]
    median["commit_syncs"], median["commit_syncs_over_5ms"] = over_limit(
        runs, "spate_commit_sync_seconds", 0.005)
    # spated's own share of the subscribers' latency: from new records waking each subscriber
    # to the write of its message holding them, queueing in the server included.
    median["pushed_messages"], median["pushed_messages_over_5ms"] = over_limit(
        runs, "spate_push_delay_seconds", 0.005)
    p99 = bucket_quantile(runs, "spate_push_delay_seconds", 0.99)
    median["push_delay_p99_at_most_ms"] = None if p99 is None else p99 * 1000
    median.pop("server_metrics", None)  # its figures are above; the rest is not kept
    return median


def machine_probe(ctx) -> dict:
    """How fast this machine is right now, in three readings of code no server change touches:
    `base64_ns`, the plain base64 encoder over 1 KiB (spate-codec-bench: arithmetic);
    `system_call_ns`, one system call; and `switch_round_trip_ns`, two threads on one CPU
    handing a byte back and forth through pipes, two context switches and four system calls
    (spate-kernel-bench). On a VM the whole part can run slower by a third or more in one hour
    than in another, the peers too, and the arithmetic can read fast while system calls are
    slow (run K): the fan-out pays mostly for sends and switches, PutRecords for both. Each
    reading is a median of five (CPU time; the round trip's real time, as the main thread sleeps
    through half of it); one that could not be taken is None."""
    def median_of(program, name, field="cpu_time"):
        report = ctx.google_benchmark(program, [f"--benchmark_filter=^{name}$",
                                                "--benchmark_repetitions=5",
                                                "--benchmark_report_aggregates_only=true"],
                                      quiet=True)
        medians = [b[field] for b in report if b.get("aggregate_name") == "median"] \
            if isinstance(report, list) else []
        return medians[0] if medians else None
    return {"base64_ns": median_of("spate-codec-bench", "BM_Base64Encode_Plain/1024"),
            "system_call_ns": median_of("spate-kernel-bench", "BM_SystemCall"),
            "switch_round_trip_ns": median_of("spate-kernel-bench",
                                              "BM_SwitchRoundTrip/real_time", "real_time")}


def machine_line(before: dict, after: dict) -> str | None:
    """The probe's readings before and after the part's runs, as printed (lower is faster)."""
    def pair(key, unit, scale, digits):
        a, b = before.get(key), after.get(key)
        if a is None or b is None:
            return None
        return f"{a / scale:.{digits}f} and {b / scale:.{digits}f} {unit}"
    parts = [(what, pair(key, unit, scale, digits)) for what, key, unit, scale, digits in (
        ("plain base64 of 1 KiB", "base64_ns", "ns", 1, 0),
        ("a system call", "system_call_ns", "ns", 1, 0),
        ("a switch round trip between two threads on one CPU", "switch_round_trip_ns", "us",
         1000, 1))]
    taken = [f"{what} {figures}" for what, figures in parts if figures]
    if not taken:
        return None
    return ("the machine, before these runs and after (lower is faster; docs/performance.md, "
            "\"How it is measured\", gives this machine's fast and slow hours): "
            + "; ".join(taken))


def ingest_share(one: dict | None, subscribers: int) -> float | None:
    """What taking in the fan-out's records costs per delivered record: the one-subscriber
    run's CPU spread over `subscribers` (the same puts, nearly nothing delivered)."""
    if not delivered(one):
        return None
    return one["server_cpu_us_per_record"] / subscribers


def ok(r: dict | None) -> bool:
    """A spate-bench run with figures and no failed request or record."""
    return bool(r) and "failed" not in r and not r.get("failed_requests") and \
        not r.get("failed_records")


def delivered(r: dict | None) -> bool:
    """A spate-push-bench run with figures in which every subscriber got every record."""
    return bool(r) and "failed" not in r and bool(r.get("ok"))


def run(ctx) -> dict:
    print("== CPU per record: server CPU time / records, spated beside kinesalite and kinesis-mock")
    print(f"each: a fresh server, {ctx.warmup} s warm-up, {ctx.seconds} s measured; spated's "
          f"workloads {REPEAT} times, the median reported")
    def times(kind):  # spated's runs vary more than the peers' differ from it
        return REPEAT if kind.startswith("spated") else 1

    probe_before = machine_probe(ctx)

    puts = {k: bench(ctx, k, "PutRecords JSON 500x100B, 8 conns", PUT, times(k)) for k in SERVERS}
    cbor = bench(ctx, "spated-never", "PutRecords CBOR 500x100B, 8 conns",
                 PUT + ["--codec", "cbor"], REPEAT)
    gets = {k: bench(ctx, k, "GetRecords 1 shard, Limit 10000", GET + ["--fill", ctx.fill],
                     times(k)) for k in ("spated-batch", "kinesalite")}
    flows = {k: bench(ctx, k, "PutRecords JSON 500x100B, 32 conns", THROUGHPUT, REPEAT,
                      key="records_per_s") for k in ("spated-never", "spated-batch")}
    fan = fan_out(ctx, repeat=REPEAT)
    disk = ctx.fdatasync_latency()  # in the same hour as the fan-out's p99
    # The same without the disk: subscribers still get records only once they are committed,
    # but under --fsync never that is at once.
    fan_never = fan_out(ctx, repeat=REPEAT, server="spated-never")
    small = fan_out(ctx, requests_per_s=SMALL_PUTS_PER_S)
    small_ingest = ingest_share(fan_out(ctx, subscribers=1, requests_per_s=SMALL_PUTS_PER_S), 100)
    probe_after = machine_probe(ctx)

    def us(r):
        return r.get("server_cpu_us_per_record") if ok(r) else None

    print()
    print(f"{'PutRecords 500x100B':32} {'records/s':>12} {'us CPU/record':>14} "
          f"{'vs spated never':>16}")
    base = us(puts["spated-never"])
    for kind, r in [*puts.items(), ("spated-never, CBOR", cbor)]:
        if r is None:
            continue
        cost = us(r)
        text = "FAILED" if cost is None else f"{cost:,.3f}"
        rate = f"{r['records_per_s']:,.0f}" if ok(r) else "-"
        ratio = f"{cost / base:,.1f}x" if cost and base else ""
        print(f"  {kind:30} {rate:>12} {text:>14} {ratio:>16}")
    print()

    def check(text, value, limit, fmt="{:.3f}"):
        verdict = "n/a " if value is None else "PASS" if value <= limit else "FAIL"
        shown = "-" if value is None else fmt.format(value)
        print(f"  {verdict} {text}: {shown}")
        return {"target": text, "value": value, "limit": limit, "pass": verdict == "PASS"}

    def at_least(text, value, limit):
        verdict = "n/a " if value is None else "PASS" if value >= limit else "FAIL"
        print(f"  {verdict} {text}: {'-' if value is None else f'{value:,.0f}'}")
        return {"target": text, "value": value, "limit": limit, "pass": verdict == "PASS"}

    def rate(r):
        return r["records_per_s"] if ok(r) else None

    fan_ok = fan if delivered(fan) else None
    fan_text = f"fan-out to 100 WebSocket subscribers at 10,000/s in {FAN_OUT_REQUESTS_PER_S} puts/s"
    print("targets (server CPU per record; 2-core machine, load generator on the same cores)")
    targets = [
        check("PutRecords JSON 500x100B, --fsync never, us/record <= 0.6",
              us(puts["spated-never"]), 0.6),
        check("PutRecords JSON 500x100B, --fsync batch, us/record <= 0.7",
              us(puts["spated-batch"]), 0.7),
        check(f"PutRecords CBOR, --fsync never, us/record <= JSON's ({base or float('nan'):.3f})",
              us(cbor) if base else None, base or 0),
        check("GetRecords Limit 10000, us/record returned <= 0.3", us(gets["spated-batch"]), 0.3),
        check(f"{fan_text}, us/record delivered <= 0.3",
              fan_ok and fan_ok["server_cpu_us_per_record"], 0.3),
        check(f"{fan_text}, p99 put-to-subscriber latency (ms) < 5", fan_ok and fan_ok["p99_ms"], 5),
    ]
    if fan_ok:
        print(f"    the puts' own p99 in those runs, their group commit included: "
              f"{fan_ok['put_p99_ms']:.3f} ms; this disk's fdatasync p99 (200-byte appends, "
              f"1 ms apart) right after them: {disk['p99'] / 1e3:.3f} ms")
        syncs, slow = fan_ok["commit_syncs"], fan_ok["commit_syncs_over_5ms"]
        if syncs:
            print(f"    spated's own commit syncs in those runs (spate_commit_sync_seconds): "
                  f"{slow:,} of {syncs:,} ({100 * slow / syncs:.2f}%) took longer than 5 ms")
        print_push_delay(fan_ok)
    if delivered(fan_never):
        runs = ", ".join(f"{p:.2f}" for p in fan_never["p99_ms_runs"])
        print(f"    not a target: the same under --fsync never, where nothing waits for the "
              f"disk: p99 {fan_never['p99_ms']:.3f} ms (runs {runs}), the puts' own "
              f"{fan_never['put_p99_ms']:.3f} ms")
        print_push_delay(fan_never)
    targets += [
        at_least("PutRecords ingest, --fsync never, 32 conns, records/s >= 2,000,000",
                 rate(flows["spated-never"]), 2_000_000),
        at_least("PutRecords ingest, --fsync batch, 32 conns, records/s >= 1,500,000",
                 rate(flows["spated-batch"]), 1_500_000),
    ]
    for kind in ("spated-never", "spated-batch"):
        if ok(puts[kind]):
            print(f"  not a target: {kind} ingest with 8 conns (the CPU runs), "
                  f"{puts[kind]['records_per_s']:,.0f} records/s")
    if delivered(small):
        print(f"  not a target: the same fan-out in {SMALL_PUTS_PER_S:,} puts/s of 10 records, "
              f"{small['server_cpu_us_per_record']:.3f} us/record delivered, p99 "
              f"{small['latency_ms']['p99']:.3f} ms")
    if small_ingest is not None:
        print(f"    of which {small_ingest:.3f} us is taking the records in (one subscriber's "
              f"run, spread over 100)")
    for peer in ("kinesalite", "kinesis-mock"):
        cost = us(puts[peer])
        if cost and base:
            print(f"  ratio: {peer} spends {cost / base:,.0f}x spated's CPU per record "
                  f"({cost:,.1f} us against {base:.3f} us)")
    line = machine_line(probe_before, probe_after)
    if line:
        print(f"  {line}")
    return {"kinesalite_version": ctx.kinesalite_version,
            "kinesis_mock_version": ctx.kinesis_mock_version,
            "put_records": puts, "put_records_cbor": cbor, "get_records": gets,
            "put_records_throughput": flows, "fan_out": fan, "fan_out_fdatasync_us": disk,
            "fan_out_fsync_never": fan_never,
            "fan_out_small_puts": small,
            "fan_out_small_puts_ingest_us_per_record": small_ingest,
            "machine_probe": {"before": probe_before, "after": probe_after}, "targets": targets}
