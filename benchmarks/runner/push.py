"""Part 2: push latency over loopback. spate-push-bench puts records into spated at fixed rates
and measures how long they take to reach subscribers over a WebSocket subscription,
SubscribeToShard event streams and GetRecords polling, one fresh spated per workload."""

from __future__ import annotations

from .context import run_json

WORKLOADS = [(transport, 1, rate) for rate in (1000, 10000, 100000)
             for transport in ("websocket", "event-stream", "poll")] + [("websocket", 100, 10000)]


def kept_up(r: dict) -> bool:
    # Every record arrived, and the subscribers took them in as fast as they were put.
    return r["missing_records"] == 0 and r["delivered_per_s"] >= 0.9 * r["sent_per_s"] * r["subscribers"]


def problems(r: dict) -> list[str]:
    out = []
    if r["missing_records"]:
        out.append(f"{r['missing_records']:,} records missing after the drain")
    for key, what in (("extra_records", "extra"), ("out_of_order_records", "out of order"),
                      ("unstamped_records", "without a stamp")):
        if r[key]:
            out.append(f"{r[key]:,} {what}")
    for who in ("producer_errors", "subscriber_errors"):
        if r[who]["count"]:
            out.append(f"{who.replace('_', ' ')} {r[who]['count']}: {r[who]['first']}")
    if r["producer_hung"]:
        out.append("producer hung")
    return out


def measure(ctx, transport: str, subscribers: int, rate: int) -> dict:
    print(f"  {transport:<13} {subscribers:>3} subscriber(s) {rate:>7} records/s  ", end="", flush=True)
    label = f"{transport}|{subscribers}|{rate}"
    try:
        server = ctx.spated("batch")
    except Exception as e:  # noqa: BLE001 - reported in the table
        print("spated did not start")
        return {"label": label, "failed": f"spated did not start: {e}"}
    try:
        # Exit status 4 (records missing, errors) still prints the JSON line, which says so.
        r, why = run_json([ctx.tool("spate-push-bench"), "--endpoint", server.endpoint,
                           "--server-pid", server.pid, "--json", "--transport", transport,
                           "--subscribers", subscribers, "--rate", rate, "--duration",
                           ctx.seconds, "--warmup", ctx.warmup, "--label", label],
                          ctx.work / "push.stderr")
        if r is None:
            print(f"spate-push-bench failed: {why}")
            return {"label": label, "failed": f"spate-push-bench: {why}"}
        note = "" if r["ok"] else "  (%d records missing, %d errors)" % (
            r["missing_records"], r["producer_errors"]["count"] + r["subscriber_errors"]["count"])
        print("p99 %9.3f ms  %10.0f delivered/s%s" % (r["latency_ms"]["p99"], r["delivered_per_s"], note))
        if not server.running():
            print("    the server died during the run; its log ends with:\n" + server.log_tail(400))
        return r
    finally:
        ctx.drop(server)


def run(ctx) -> dict:
    print("== push latency (spate-push-bench): put to subscriber, spated --fsync batch, loopback")
    print(f"each workload: a fresh spated, subscribers at LATEST, {ctx.warmup} s warm-up, "
          f"{ctx.seconds} s measured")
    runs = {(t, s, r): measure(ctx, t, s, r) for t, s, r in WORKLOADS}
    print()
    report(runs, ctx.fdatasync)
    return {"runs": list(runs.values())}


def report(runs: dict, fsync: dict) -> None:
    print(f"{'transport':13} {'subscribers':>11} {'rate/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'p99.9 ms':>9} "
          f"{'delivered/s':>12} {'server CPU us/rec':>18} {'RSS MiB':>8}  notes")
    print("-" * 121)
    for (transport, subscribers, rate), r in runs.items():
        head = f"{transport:13} {subscribers:>11} {rate:>9,}"
        if "failed" in r:
            print(f"{head} {'FAILED':>9}  {r['failed']}")
            continue
        notes = []
        lat = r["latency_ms"]
        cells = [f"{lat['p50']:9.3f}", f"{lat['p99']:9.3f}", f"{lat['p999']:9.3f}"]
        if not kept_up(r):
            notes.append(f"fell behind: {r['delivered_per_s'] / r['subscribers']:,.0f} of "
                         f"{r['sent_per_s']:,.0f} records/s per subscriber")
            if transport == "poll":
                cells = [f"{'behind':>9}"] * 3  # its latency only grows with the run's length
        if r["sent_per_s"] < 0.95 * rate:
            notes.append(f"producer reached {r['sent_per_s']:,.0f}/s")
        found = problems(r)
        if transport == "poll" and not kept_up(r):
            found = [p for p in found if "missing" not in p]  # not lost: not read yet
        notes += found
        cpu = r.get("server_cpu_us_per_record")
        cpu_text = "-" if cpu is None or cpu < 0 else f"{cpu:.2f}"
        rss = r.get("server_peak_rss_mib")
        rss_text = "-" if rss is None else f"{rss:.1f}"
        print(f"{head} {' '.join(cells)} {r['delivered_per_s']:>12,.0f} {cpu_text:>18} {rss_text:>8}  "
              f"{'; '.join(notes)}")
    print()
    print("Latency runs from the producer taking the send time (just before it builds the PutRecords")
    print("request) to the subscriber's read that brought the record, for records sent in the measured")
    print("window; spated pushes a record once the group commit has made it durable, so the disk's")
    print(f"fdatasync is part of it (this disk: p50 {fsync['p50'] / 1e3:.3f} ms, p99 {fsync['p99'] / 1e3:.3f} ms, "
          f"p99.9 {fsync['p999'] / 1e3:.3f} ms).")
    print("delivered/s counts every subscriber's records; server CPU per delivered record includes")
    print("taking the records in (PutRecords); RSS is the server's peak (VmHWM). Producer: about")
    print("1,000 PutRecords/s over 8 connections, in the same process as the subscribers.")
    print("poll: one GetRecords (Limit 10,000) per shard, then 200 ms asleep, as AWS's 5 calls/s per")
    print("shard allow: at most ~50,000 records/s per shard, so at 100,000 records/s it falls behind and")
    print("only its delivery rate is shown.")
    print()
    print("targets (2-core machine)")

    def run_of(transport, subscribers, rate):
        r = runs.get((transport, subscribers, rate))
        if r is None:
            return None, "not run"
        if "failed" in r:
            return None, r["failed"]
        if problems(r):
            return None, "; ".join(problems(r))
        return r, ""

    for transport in ("websocket", "event-stream"):
        r, why = run_of(transport, 1, 10000)
        if r is None:
            print(f"  FAIL  p99 < 2 ms at 10,000 records/s, {transport}, 1 subscriber: {why}")
        else:
            p99 = r["latency_ms"]["p99"]
            print(f"  {'PASS' if p99 < 2 else 'FAIL'}  p99 < 2 ms at 10,000 records/s, {transport}, "
                  f"1 subscriber: {p99:.3f} ms")
    one, why_one = run_of("websocket", 1, 10000)
    many, why_many = run_of("websocket", 100, 10000)
    title = "100 WebSocket subscribers < 2x the server CPU per delivered record of one"
    if one is None or many is None:
        print(f"  FAIL  {title}: {why_one or why_many}")
        return
    a, b = one.get("server_cpu_us_per_record", -1), many.get("server_cpu_us_per_record", -1)
    if a <= 0 or b < 0:
        print(f"  FAIL  {title}: no server CPU figures")
        return
    print(f"  {'PASS' if b < 2 * a else 'FAIL'}  {title} (10,000 records/s): {b:.2f} vs {a:.2f} us "
          f"= {b / a:.2f}x")
    # Both include taking the records in, which the 100 subscribers share; what each extra
    # subscriber adds shows how delivery alone scales.
    extra = (many["server_cpu_s"] - one["server_cpu_s"]) / max(
        1, many["delivered_records"] - one["delivered_records"]) * 1e6
    print(f"        delivery alone: each of the 99 extra subscribers cost {extra:.2f} us of server CPU "
          f"per record it received")
