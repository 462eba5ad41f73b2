#!/usr/bin/env bash
# Runs Spate's benchmarks from a build folder and prints the figures with the machine they
# were measured on. Benchmarks write to $TMPDIR (default /tmp) and clean up after themselves.
#
# Parts:
#   1. the storage engine micro-benchmarks (spate-storage-bench), on real files, and the wire
#      codecs' cost per record, JSON against CBOR (spate-codec-bench);
#   2. push latency over loopback: spate-push-bench puts records into spated at fixed rates
#      and measures how long they take to reach subscribers over a WebSocket subscription,
#      SubscribeToShard event streams and GetRecords polling, one fresh spated per workload;
#   2b. the client library's consumer (no-op handler, checkpoints every second) against raw
#      GetRecords through the same client, on one spated (spate-consumer-bench);
#   2c. PutRecords over HTTP/2 against HTTP/1.1 on spated, same requests, same load tool
#      (h2load from nghttp2-client, which speaks both): HTTP/2 on one connection with many
#      streams and on many connections, HTTP/1.1 on as many connections;
#   2d. producers beside stalled subscribers (benchmarks/push/slow_subscribers.py): PutRecords
#      time per batch with a WebSocket and a SubscribeToShard subscriber that never read (and
#      one that reads) against nobody subscribed, on a fresh spated;
#   3. end to end over HTTP/1.1 on loopback: spate-bench drives spated and kinesalite (the
#      Kinesis emulator most people use, installed from npm into a temporary folder) with the
#      same workloads, one fresh server per workload, and a table sets the two side by side;
#   4. overload: the sustainable PutRecords rate (spate-bench, closed loop), then an open-loop
#      load (spate-overload-bench) at that rate and at ten times it: goodput, the latency of
#      what succeeds, and the server's RSS against its memory budgets;
#   5. attack storms (benchmarks/attack/storm.py): memory, CPU and /healthz under the storms of
#      benchmarks/attack/BEFORE.md, each on a fresh spated;
#   6. soak: a steady PutRecords load for SPATE_BENCH_SOAK_MINUTES (30): RSS sampled every 5 s
#      must stay flat within 5% after the warm-up, with no error.
#
# Environment: SPATE_BENCH_SECONDS (measured seconds per workload, default 8),
# SPATE_BENCH_WARMUP (default 2), SPATE_BENCH_FILL (records read back by GetRecords, default
# 200000), SPATE_BENCH_SKIP_STORAGE=1, SPATE_BENCH_SKIP_PUSH=1, SPATE_BENCH_SKIP_CONSUMER=1,
# SPATE_BENCH_SKIP_HTTP2=1, SPATE_BENCH_SKIP_SLOW_SUBSCRIBERS=1, SPATE_BENCH_SKIP_KINESALITE=1,
# SPATE_BENCH_SKIP_OVERLOAD=1, SPATE_BENCH_SKIP_STORMS=1, SPATE_BENCH_SKIP_SOAK=1 (skip part 1,
# 2, 2b, 2c, 2d, 3, 4, 5 or 6);
# SPATE_BENCH_CONSUMER_RECORDS (2000000); SPATE_BENCH_SOAK_MINUTES (30);
# SPATE_BENCH_SOAK_RATE (records/s of the soak, 20000).
set -euo pipefail
build_dir="${1:-build}"
seconds="${SPATE_BENCH_SECONDS:-8}"
warmup="${SPATE_BENCH_WARMUP:-2}"
fill="${SPATE_BENCH_FILL:-200000}"

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB; disk: $(df -h "${TMPDIR:-/tmp}" | awk 'NR==2 {print $1}')"
echo "kernel: $(uname -r); node: $(node --version 2>/dev/null || echo none)"
echo

if [ "${SPATE_BENCH_SKIP_STORAGE:-0}" != 1 ]; then
  echo "== storage engine (one shard, 100-byte records, real files)"
  "$build_dir/bin/spate-storage-bench" --benchmark_counters_tabular=true
  echo
  echo "== wire codecs: JSON 1.1 against CBOR 1.1 per record (500 records of 100 bytes)"
  "$build_dir/bin/spate-codec-bench" --benchmark_counters_tabular=true
  echo
fi

# --- servers for parts 2 and 3: a fresh one per workload, on a free loopback port ----------
spated="$build_dir/bin/spated"
work="$(mktemp -d "${TMPDIR:-/tmp}/spate-bench.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then stop_server "$server_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PID PORT: until something accepts on 127.0.0.1:PORT (10 s), or PID has died.
wait_port() {
  local _
  for _ in $(seq 200); do
    if ! kill -0 "$1" 2>/dev/null; then return 1; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

# stop_server PID: SIGTERM, then SIGKILL after 5 s.
stop_server() {
  local _
  kill "$1" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$1" 2>/dev/null || break
    sleep 0.05
  done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  server_pid=""
}

# start_server KIND: starts a fresh server of KIND (spated-batch, spated-never, kinesalite) on a
# free loopback port; sets server_pid and endpoint.
start_server() {
  local port
  port="$(free_port)"
  case "$1" in
    spated-batch | spated-never)
      local data="$work/data-$1-$port"
      mkdir -p "$data"
      "$spated" --host 127.0.0.1 --port "$port" --data-dir "$data" --fsync "${1#spated-}" \
        >"$work/$1.log" 2>&1 &
      ;;
    kinesalite)
      # Through its module rather than cli.js, to listen on loopback only (cli.js binds every
      # interface). Stream state changes are immediate, as with spated.
      node -e "require('$kinesalite_dir/node_modules/kinesalite')({createStreamMs: 0,
        deleteStreamMs: 0, updateStreamMs: 0}).listen($port, '127.0.0.1')" \
        >"$work/$1.log" 2>&1 &
      ;;
  esac
  server_pid=$!
  endpoint="http://127.0.0.1:$port"
  if ! wait_port "$server_pid" "$port"; then
    echo "$1 did not start:" >&2
    tail -5 "$work/$1.log" >&2 || true
    stop_server "$server_pid"
    return 1
  fi
}

# fdatasync latency of the disk under the data folders: the yardstick of the fsync=batch
# latency targets, PutRecord's and push delivery's (spated pushes records once they are
# durable). A 200-byte append and fdatasync, 2000 times, 1 ms apart.
fdatasync_json="$(python3 - "$work/fdatasync.test" <<'EOF'
import json, os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
lat = []
for _ in range(2000):
    os.write(fd, b"x" * 200)
    t = time.perf_counter()
    os.fdatasync(fd)
    lat.append(time.perf_counter() - t)
    time.sleep(0.001)
os.close(fd)
os.unlink(sys.argv[1])
lat.sort()
q = lambda f: round(lat[min(len(lat) - 1, int(f * len(lat)))] * 1e6, 1)
print(json.dumps({"label": "fdatasync|disk", "p50": q(0.5), "p99": q(0.99), "p999": q(0.999)}))
EOF
)"

# --- part 2: push latency ---------------------------------------------------------------------
if [ "${SPATE_BENCH_SKIP_PUSH:-0}" != 1 ]; then
  echo "== push latency (spate-push-bench): put to subscriber, spated --fsync batch, loopback"
  push_tool="$build_dir/bin/spate-push-bench"
  if [ ! -x "$push_tool" ] || [ ! -x "$spated" ]; then
    echo "spate-push-bench or spated is not built ($push_tool, $spated); no push figures."
  else
    push_results="$work/push.jsonl"
    : >"$push_results"

    # push_run TRANSPORT SUBSCRIBERS RATE: one fresh spated, one spate-push-bench run, one JSON
    # line.
    push_run() {
      local transport="$1" subscribers="$2" rate="$3" label line why
      label="$transport|$subscribers|$rate"
      printf '  %-13s %3s subscriber(s) %7s records/s  ' "$transport" "$subscribers" "$rate"
      if ! start_server spated-batch; then
        echo "{\"label\":\"$label\",\"failed\":\"spated did not start\"}" >>"$push_results"
        echo "spated did not start"
        return 0
      fi
      # Exit status 4 (records missing, errors) still prints the JSON line, which says so.
      line="$("$push_tool" --endpoint "$endpoint" --server-pid "$server_pid" --json \
        --transport "$transport" --subscribers "$subscribers" --rate "$rate" \
        --duration "$seconds" --warmup "$warmup" --label "$label" 2>"$work/stderr")" || true
      if [ -n "$line" ] && python3 -c 'import json, sys
r = json.loads(sys.argv[1])
print("p99 %9.3f ms  %10.0f delivered/s%s" % (r["latency_ms"]["p99"], r["delivered_per_s"],
      "" if r["ok"] else "  (%d records missing, %d errors)" % (r["missing_records"],
      r["producer_errors"]["count"] + r["subscriber_errors"]["count"])))' "$line"; then
        echo "$line" >>"$push_results"
      else
        why="$(tail -1 "$work/stderr" | tr -d "\"\\\\")"
        echo "{\"label\":\"$label\",\"failed\":\"spate-push-bench: $why\"}" >>"$push_results"
        echo "spate-push-bench failed: $why"
      fi
      if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "    the server died during the run; its log ends with:"
        tail -5 "$work/spated-batch.log" | sed 's/^/    /'
      fi
      stop_server "$server_pid"
      rm -rf "$work"/data-*
    }

    echo "each workload: a fresh spated, subscribers at LATEST, ${warmup} s warm-up, ${seconds} s measured"
    for rate in 1000 10000 100000; do
      push_run websocket 1 "$rate"
      push_run event-stream 1 "$rate"
      push_run poll 1 "$rate"
    done
    push_run websocket 100 10000
    echo

    python3 - "$push_results" "$fdatasync_json" <<'EOF'
import json, sys

runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    transport, subscribers, rate = r["label"].split("|")
    runs[(transport, int(subscribers), int(rate))] = r
fsync = json.loads(sys.argv[2])

def kept_up(r):
    # Every record arrived, and the subscribers took them in as fast as they were put.
    return r["missing_records"] == 0 and r["delivered_per_s"] >= 0.9 * r["sent_per_s"] * r["subscribers"]

def problems(r):
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
if one is None or many is None:
    print(f"  FAIL  100 WebSocket subscribers < 2x the server CPU per delivered record of one: "
          f"{why_one or why_many}")
else:
    a, b = one.get("server_cpu_us_per_record", -1), many.get("server_cpu_us_per_record", -1)
    if a <= 0 or b < 0:
        print("  FAIL  100 WebSocket subscribers < 2x the server CPU per delivered record of one: "
              "no server CPU figures")
    else:
        print(f"  {'PASS' if b < 2 * a else 'FAIL'}  100 WebSocket subscribers < 2x the server CPU per "
              f"delivered record of one (10,000 records/s): {b:.2f} vs {a:.2f} us = {b / a:.2f}x")
        # Both figures include taking the records in, which the 100 subscribers share; what
        # each extra subscriber adds shows how delivery alone scales.
        extra = (many["server_cpu_s"] - one["server_cpu_s"]) / max(
            1, many["delivered_records"] - one["delivered_records"]) * 1e6
        print(f"        delivery alone: each of the 99 extra subscribers cost {extra:.2f} us of server CPU "
              f"per record it received")
EOF
  fi
  echo
fi

# --- part 2b: the client library's consumer against raw GetRecords ----------------------------
if [ "${SPATE_BENCH_SKIP_CONSUMER:-0}" != 1 ]; then
  echo "== consumer throughput (spate-consumer-bench): spated --fsync batch, loopback"
  consumer_tool="$build_dir/bin/spate-consumer-bench"
  if [ ! -x "$consumer_tool" ] || [ ! -x "$spated" ]; then
    echo "spate-consumer-bench or spated is not built; no consumer figures."
  elif start_server spated-batch; then
    "$consumer_tool" --endpoint "$endpoint" --shards 4 --records "${SPATE_BENCH_CONSUMER_RECORDS:-2000000}" \
      || echo "spate-consumer-bench failed"
    stop_server "$server_pid"
  fi
  echo "Raw GetRecords: one thread per shard, Limit 10,000, the typed client's decoding only."
  echo "Consumer: leases, de-aggregation check, a no-op handler, SQLite checkpoints every second."
  echo
fi

# --- part 2c: HTTP/2 against HTTP/1.1 -----------------------------------------------------------
if [ "${SPATE_BENCH_SKIP_HTTP2:-0}" != 1 ]; then
  echo "== PutRecords over HTTP/2 and HTTP/1.1 (h2load): batches of 500 x 100 bytes, 4 shards, fsync batch"
  if ! command -v h2load >/dev/null; then
    echo "h2load (nghttp2-client) is missing; no HTTP/2 figures."
  else
    body="$work/put-records.json"
    python3 - "$body" <<'EOF'
import base64, json, os, sys
records = [{"PartitionKey": f"key-{i}", "Data": base64.b64encode(os.urandom(100)).decode()}
           for i in range(500)]
open(sys.argv[1], "w").write(json.dumps({"StreamName": "h2-bench", "Records": records}))
EOF
    http2_json="$work/http2.jsonl"
    : >"$http2_json"
    # label|h2load flags; every workload keeps 16 requests in flight.
    for workload in "HTTP/1.1, 16 connections|--h1 -c 16" \
                    "HTTP/2, 1 connection x 16 streams|-c 1 -m 16" \
                    "HTTP/2, 16 connections|-c 16 -m 1" \
                    "HTTP/2, 4 connections x 4 streams|-c 4 -m 4"; do
      label="${workload%%|*}"
      flags="${workload#*|}"
      start_server spated-batch || continue
      curl -sS -o /dev/null -X POST -H 'X-Amz-Target: Kinesis_20131202.CreateStream' \
        -H 'Content-Type: application/x-amz-json-1.1' \
        -d '{"StreamName":"h2-bench","ShardCount":4}' "$endpoint/"
      # shellcheck disable=SC2086
      h2load $flags -D "$seconds" --warm-up-time "$warmup" -d "$body" \
        -H 'x-amz-target: Kinesis_20131202.PutRecords' \
        -H 'content-type: application/x-amz-json-1.1' "$endpoint/" >"$work/h2load.out" 2>&1 || true
      rss_kib="$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)"
      stop_server "$server_pid"
      # Each workload writes about a gigabyte: drop it before the next one starts, so that the
      # kernel's writeback of one workload's log does not slow the next one's fsyncs.
      rm -rf "$work"/data-spated-batch-*
      sync
      python3 - "$label" "$rss_kib" "$work/h2load.out" >>"$http2_json" <<'EOF'
import json, re, sys
label, rss_kib, out = sys.argv[1], int(sys.argv[2] or 0), open(sys.argv[3]).read()
rate = re.search(r"finished in [^,]+, ([0-9.]+) req/s", out)
codes = re.search(r"status codes: (\d+) 2xx, \d+ 3xx, (\d+) 4xx, (\d+) 5xx", out)
mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", out)
ok = bool(rate and codes and codes.group(2) == "0" and codes.group(3) == "0")
print(json.dumps({"label": label, "ok": ok, "req_s": float(rate.group(1)) if rate else 0.0,
                  "mean": mean.group(1) if mean else "?", "rss_mib": rss_kib / 1024,
                  "tail": "" if ok else out[-400:]}))
EOF
    done
    python3 - "$http2_json" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
print(f"{'workload':<36} {'records/s':>12} {'mean latency':>13} {'peak RSS':>12}")
for r in rows:
    if not r["ok"]:
        print(f"{r['label']:<36} FAILED: {r['tail']}")
        continue
    print(f"{r['label']:<36} {r['req_s'] * 500:>12,.0f} {r['mean']:>13} {r['rss_mib']:>8.1f} MiB")
base = next((r for r in rows if r["label"].startswith("HTTP/1.1") and r["ok"]), None)
for r in rows:
    if base and r["ok"] and r is not base:
        ratio = r["req_s"] / base["req_s"]
        verdict = "PASS" if ratio >= 0.9 else "FAIL"
        print(f"{r['label']} / HTTP/1.1: {ratio:.2f}x (target >= 0.90: {verdict})")
EOF
  fi
  echo
fi

# --- part 2d: producers beside stalled subscribers ---------------------------------------------
if [ "${SPATE_BENCH_SKIP_SLOW_SUBSCRIBERS:-0}" != 1 ]; then
  echo "== producers beside stalled subscribers (benchmarks/push/slow_subscribers.py): fsync batch, loopback"
  if [ ! -x "$spated" ]; then
    echo "spated is not built ($spated); no figures."
  else
    # Debian's Python: it sees python3-websockets (a python3 earlier on PATH may not).
    /usr/bin/python3 "$(dirname "$0")/../benchmarks/push/slow_subscribers.py" --spated "$spated" \
      --workdir "$work" || echo "slow_subscribers.py failed"
  fi
  echo
fi

# --- part 3: spated and kinesalite side by side ------------------------------------------------
# (a function, so that a run without it still goes on to the parts after)
end_to_end() {

echo "== end to end: spated and kinesalite, same workloads, same run (spate-bench, HTTP/1.1 on loopback)"
bench_tool="$build_dir/bin/spate-bench"
if [ ! -x "$bench_tool" ]; then
  echo "spate-bench is not built ($bench_tool); no end-to-end figures."
  return 0
fi
have_spated=1
if [ ! -x "$spated" ]; then
  have_spated=0
  echo "spated is not built yet ($spated): kinesalite figures only, no ratios."
fi

# kinesalite from npm, into the temporary folder; without it the table has spated alone.
kinesalite_dir="$work/kinesalite"
have_kinesalite=0
kinesalite_version="?"
if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 &&
  npm install --prefix "$kinesalite_dir" --no-audit --no-fund --loglevel=error kinesalite \
    >"$work/npm.log" 2>&1; then
  have_kinesalite=1
  kinesalite_version="$(node -p "require('$kinesalite_dir/node_modules/kinesalite/package.json').version")"
else
  echo "kinesalite could not be installed from npm (see below); no ratios."
  tail -5 "$work/npm.log" 2>/dev/null || true
fi

results="$work/results.jsonl"
: >"$results"

# run WORKLOAD KIND spate-bench-args...: one fresh server, one spate-bench run, one JSON line.
run() {
  local workload="$1" kind="$2" line
  shift 2
  case "$kind" in
    spated-*) [ "$have_spated" = 1 ] || return 0 ;;
    kinesalite) [ "$have_kinesalite" = 1 ] || return 0 ;;
  esac
  printf '  %-34s %-13s ' "$workload" "$kind"
  if ! start_server "$kind"; then
    echo "{\"label\":\"$workload|$kind\",\"failed\":\"server did not start\"}" >>"$results"
    echo "server did not start"
    return 0
  fi
  # Exit status 3 (workers hung) still prints the JSON line, which says so.
  line="$("$bench_tool" --endpoint "$endpoint" --server-pid "$server_pid" --json \
    --duration "$seconds" --warmup "$warmup" --label "$workload|$kind" "$@" 2>"$work/stderr")" ||
    true
  if [ -n "$line" ]; then
    if python3 -c 'import json, sys
r = json.loads(sys.argv[1])
print("%12.0f records/s  p99 %8.3f ms  errors %d" % (r["records_per_s"],
      r["latency_us"]["p99"] / 1e3, r["failed_requests"] + r["failed_records"]))' "$line"; then
      echo "$line" >>"$results"
    else
      echo "{\"label\":\"$workload|$kind\",\"failed\":\"spate-bench printed no JSON\"}" >>"$results"
    fi
  else
    local why
    why="$(tail -1 "$work/stderr" | tr -d "\"\\\\")"
    echo "{\"label\":\"$workload|$kind\",\"failed\":\"spate-bench: $why\"}" >>"$results"
    echo "spate-bench failed: $why"
  fi
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "    the server died during the run; its log ends with:"
    tail -5 "$work/$kind.log" | sed 's/^/    /'
  fi
  stop_server "$server_pid"
  rm -rf "$work"/data-*  # a PutRecords run leaves up to a GiB of segments
}

put_batches="--mode put-records --shards 4 --batch 500 --record-size 100"
put_single="--mode put-record --shards 1 --record-size 100 --rate 1000 --concurrency 4"
get_one="--mode get-records --shards 1 --concurrency 1 --record-size 100 --fill $fill"

echo "$fdatasync_json" >>"$results"

echo "each workload: a fresh server, ${warmup} s warm-up, ${seconds} s measured"
# shellcheck disable=SC2086
{
  run "PutRecords 500x100B, 4 conns" spated-batch $put_batches --concurrency 4
  run "PutRecords 500x100B, 4 conns" kinesalite $put_batches --concurrency 4
  run "PutRecords 500x100B, 16 conns" spated-batch $put_batches --concurrency 16
  run "PutRecords 500x100B, 16 conns" kinesalite $put_batches --concurrency 16
  run "PutRecord 100B at 1000/s" spated-batch $put_single
  run "PutRecord 100B at 1000/s" spated-never $put_single
  run "PutRecord 100B at 1000/s" kinesalite $put_single
  run "GetRecords 1 shard, Limit 10000" spated-batch $get_one
  run "GetRecords 1 shard, Limit 10000" kinesalite $get_one
}
echo

python3 - "$results" "$have_spated" "$have_kinesalite" "$kinesalite_version" <<'EOF'
import json, sys

path, have_spated, have_kinesalite, kversion = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1", sys.argv[4]
runs = {}
fsync = None
for line in open(path):
    r = json.loads(line)
    workload, kind = r["label"].split("|")
    if kind == "disk":
        fsync = r
        continue
    runs[(workload, kind)] = r
workloads = []
for workload, _ in runs:
    if workload not in workloads:
        workloads.append(workload)

def cell(r, metric):
    if r is None:
        return None, "-"
    if "failed" in r:
        return None, "FAILED"
    if metric == "records/s":
        v = r["records_per_s"]; return v, f"{v:,.0f}"
    if metric == "MB/s":
        v = r["mb_per_s"]; return v, f"{v:,.2f}"
    if metric in ("p50 ms", "p99 ms", "p99.9 ms"):
        key = {"p50 ms": "p50", "p99 ms": "p99", "p99.9 ms": "p999"}[metric]
        v = r["latency_us"][key] / 1e3; return v, f"{v:,.3f}"
    if metric == "peak RSS MiB":
        v = r.get("server_peak_rss_mib"); return v, "-" if v is None else f"{v:,.1f}"
    if metric == "server CPU cores":
        v = r.get("server_cpu_cores"); return v, "-" if v is None else f"{v:.2f}"
    if metric == "bench CPU cores":
        v = r["client_cpu_cores"]; return v, f"{v:.2f}"
    if metric == "errors":
        v = r["failed_requests"] + r["failed_records"] + r.get("hung_workers", 0)
        return v, str(v)

metrics = ["records/s", "MB/s", "p50 ms", "p99 ms", "p99.9 ms", "peak RSS MiB", "server CPU cores",
           "bench CPU cores", "errors"]
print(f"{'workload':34} {'metric':17} {'spated':>14} {'kinesalite':>14} {'spated/kinesalite':>18}")
print("-" * 101)
for workload in workloads:
    kinds = ["spated-batch"] + (["spated-never"] if (workload, "spated-never") in runs else [])
    for kind in kinds:
        s, k = runs.get((workload, kind)), runs.get((workload, "kinesalite"))
        name = workload if kind == "spated-batch" else "  same, spated --fsync never"
        for metric in metrics:
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
print(f"kinesalite {kversion} keeps every record in memory (LevelDB API on memdown, no disk writes),")
print("with CreateStream/DeleteStream made immediate; spated writes every record to disk and, with")
print("--fsync batch, acknowledges only after the group commit's fdatasync.")
for (workload, kind), r in runs.items():
    if "failed" in r:
        print(f"! {workload} on {kind}: {r['failed']}")
    elif r["failed_requests"] or r["failed_records"] or r.get("hung_workers"):
        print(f"! {workload} on {kind}: {r['failed_requests']} failed requests, {r['failed_records']} "
              f"failed records, {r.get('hung_workers', 0)} hung; {r['errors']}; first: {r['first_error']}")

if have_spated:
    def val(workload, kind, f):
        r = runs.get((workload, kind))
        return None if r is None or "failed" in r else f(r)
    rps = lambda r: r["records_per_s"]
    p99 = lambda r: r["latency_us"]["p99"] / 1e3
    print()
    print("targets (2-core machine)")
    def check(text, ok):
        print(f"  {'met    ' if ok else 'NOT MET' if ok is not None else 'n/a    '} {text}")
    best_put = max([v for v in (val(w, "spated-batch", rps) for w in workloads if w.startswith("PutRecords")) if v] or [0])
    best_kput = max([v for v in (val(w, "kinesalite", rps) for w in workloads if w.startswith("PutRecords")) if v] or [0])
    check(f"PutRecords ingest >= 500,000 records/s (fsync batch): {best_put:,.0f}", best_put >= 500_000)
    if best_kput:
        check(f"PutRecords ingest >= 50x kinesalite: {best_put / best_kput:,.1f}x", best_put / best_kput >= 50)
    get = val("GetRecords 1 shard, Limit 10000", "spated-batch", rps)
    check(f"GetRecords >= 1,000,000 records/s from one shard: {get or 0:,.0f}", None if get is None else get >= 1_000_000)
    never = val("PutRecord 100B at 1000/s", "spated-never", p99)
    check(f"PutRecord p99 < 1 ms at low load (fsync never): {never if never is not None else float('nan'):.3f} ms",
          None if never is None else never < 1.0)
    batch = val("PutRecord 100B at 1000/s", "spated-batch", p99)
    if fsync:
        sync99 = fsync["p99"] / 1e3
        check(f"PutRecord p99 < fdatasync p99 + 1 ms at low load (fsync batch): "
              f"{batch if batch is not None else float('nan'):.3f} ms vs {sync99 + 1:.3f} ms",
              None if batch is None else batch < sync99 + 1)
if fsync:
    print(f"fdatasync on this disk (200-byte appends, 1 ms apart): p50 {fsync['p50'] / 1e3:.3f} ms, "
          f"p99 {fsync['p99'] / 1e3:.3f} ms, p99.9 {fsync['p999'] / 1e3:.3f} ms")
EOF
}
if [ "${SPATE_BENCH_SKIP_KINESALITE:-0}" != 1 ]; then end_to_end; fi

# --- part 4: overload ---------------------------------------------------------------------------
if [ "${SPATE_BENCH_SKIP_OVERLOAD:-0}" != 1 ]; then
  echo
  echo "== overload: PutRecords (500 x 100 B, 4 shards, fsync batch) at the sustainable rate and at 10x it"
  overload_tool="$build_dir/bin/spate-overload-bench"
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  peak_json="$work/overload-peak.json"
  echo '{}' >"$peak_json"
  if start_server spated-batch; then
    "$build_dir/bin/spate-bench" --endpoint "$endpoint" --shards 4 --concurrency 16 \
      --duration "$seconds" --warmup "$warmup" --json >"$peak_json" || echo '{}' >"$peak_json"
    stop_server "$server_pid"
  fi
  peak_rps="$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1])).get("requests_per_s", 0)))' "$peak_json")"
  : >"$work/overload.jsonl"
  for factor in 1 10; do
    if [ "$peak_rps" -gt 0 ] && start_server spated-batch; then
      "$overload_tool" --endpoint "$endpoint" --rate $((peak_rps * factor)) --connections 1000 \
        --timeout-ms 2000 --duration "$seconds" --warmup "$warmup" --server-pid "$server_pid" \
        --label "${factor}x" --json >>"$work/overload.jsonl" || echo "spate-overload-bench failed"
      stop_server "$server_pid"
    fi
  done
  python3 - "$peak_json" "$work/overload.jsonl" <<'EOF'
import json, sys
peak = json.load(open(sys.argv[1]))
runs = {}
for line in open(sys.argv[2]):
    line = line.strip()
    if line:
        r = json.loads(line)
        runs[r["label"]] = r
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
EOF
fi

# --- part 5: attack storms ----------------------------------------------------------------------
if [ "${SPATE_BENCH_SKIP_STORMS:-0}" != 1 ]; then
  echo
  echo "== attack storms (benchmarks/attack/storm.py; before the hardening: benchmarks/attack/BEFORE.md)"
  storm_out="$work/storms.jsonl"
  storm="$(dirname "$0")/../benchmarks/attack/storm.py"
  # Debian's Python: it sees python3-h2, -websockets and -cbor2 (a python3 earlier on PATH may not).
  /usr/bin/python3 "$storm" --spated "$spated" --scenario all --workdir "$work" --json \
    --out "$storm_out" >/dev/null || echo "storm.py failed"
  /usr/bin/python3 "$storm" --report "$storm_out" || true
fi

# --- part 6: soak -------------------------------------------------------------------------------
if [ "${SPATE_BENCH_SKIP_SOAK:-0}" != 1 ]; then
  soak_minutes="${SPATE_BENCH_SOAK_MINUTES:-30}"
  soak_rate="${SPATE_BENCH_SOAK_RATE:-20000}"
  echo
  echo "== soak: PutRecords at $soak_rate records/s for $soak_minutes minutes (fsync batch), RSS every 5 s"
  if start_server spated-batch; then
    python3 - "$build_dir/bin/spate-bench" "$endpoint" "$server_pid" "$soak_minutes" "$soak_rate" <<'EOF'
import json, subprocess, sys, time
tool, endpoint, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
minutes, rate = float(sys.argv[4]), int(sys.argv[5])
def rss_mib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
seconds = minutes * 60
load = subprocess.Popen([tool, "--endpoint", endpoint, "--shards", "4", "--concurrency", "8",
                         "--rate", str(rate), "--warmup", "0", "--duration", str(seconds),
                         "--json"], stdout=subprocess.PIPE, text=True)
samples = []
start = time.monotonic()
while load.poll() is None:
    samples.append((time.monotonic() - start, rss_mib()))
    time.sleep(5)
result = json.loads(load.stdout.read() or "{}")
warm = [m for t, m in samples if t >= min(120, seconds * 0.1)] or [m for _, m in samples]
lo, hi = min(warm), max(warm)
by_minute = [round(m) for t, m in samples if int(t) % 60 < 5]
print(f"RSS after the warm-up: min {lo:.1f} MiB, max {hi:.1f} MiB, spread {(hi - lo) / lo:.1%}; "
      f"first sample {samples[0][1]:.1f} MiB, last {samples[-1][1]:.1f} MiB")
print(f"RSS each minute (MiB): {by_minute}")
errors = result.get("failed_requests", -1) + result.get("failed_records", 0)
print(f"load: {result.get('records_per_s', 0):,.0f} records/s acknowledged, PutRecords p99 "
      f"{result.get('latency_us', {}).get('p99', 0) / 1e3:.2f} ms, errors {errors}")
ok = (hi - lo) / lo <= 0.05 and errors == 0
print(f"  {'met    ' if ok else 'NOT MET'} RSS flat within 5% after the warm-up, no error")
EOF
    stop_server "$server_pid"
  fi
fi
