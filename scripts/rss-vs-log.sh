#!/usr/bin/env bash
# rss-vs-log.sh: how much resident memory spated keeps per byte of log it retains.
#
# Starts spated (--fsync never) on a free loopback port with a fresh data directory, warms it
# with a 2 s spate-bench run, then drives one unthrottled run of SECONDS (default 30) and
# compares RSS and the data directory's size before and after (RSS read 6 s after the run,
# once the server has settled). Prints the growth of each and what an in-memory sparse index
# of 24 bytes per 4 KiB of log would have cost, the figure the soak's growth was checked
# against. Usage: scripts/rss-vs-log.sh [build-dir] [seconds] (spate-bench is built by
# make bench, or make build BENCHMARKS=ON)
set -euo pipefail
build_dir="${1:-build}"
seconds="${2:-30}"
bin="$build_dir/bin"
work="$(mktemp -d)"
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
endpoint="http://127.0.0.1:$port"

"$bin/spated" --host 127.0.0.1 --port "$port" --data-dir "$work/data" --fsync never \
  --log-level warn >"$work/log" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 100); do
  curl -sf "$endpoint/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$server/status"; }
log_bytes() { du -sb "$work/data" | cut -f1; }
load() {
  "$bin/spate-bench" --endpoint "$endpoint" --shards 4 --concurrency 8 --warmup 0 --keep \
    --duration "$1" --json
}

load 2 >/dev/null
sleep 6
rss0=$(rss_kb); log0=$(log_bytes)
rate=$(load "$seconds" | /usr/bin/python3 -c 'import json, sys; print(format(json.load(sys.stdin)["records_per_s"], ",.0f"))')
sleep 6
rss1=$(rss_kb); log1=$(log_bytes)
echo "load: $rate records/s for $seconds s"
echo "log retained: +$(( (log1 - log0) / 1000000 )) MB"
echo "RSS: $rss0 kB -> $rss1 kB (+$(( rss1 - rss0 )) kB)"
echo "an in-memory index of 24 B per 4 KiB of that log would be: +$(( (log1 - log0) / 4096 * 24 / 1024 )) kB"
