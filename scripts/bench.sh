#!/usr/bin/env bash
# Runs Spate's benchmarks from a build folder and prints the figures with the machine they
# were measured on. Benchmarks write to $TMPDIR (default /tmp) and clean up after themselves.
set -euo pipefail
build_dir="${1:-build}"

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB; disk: $(df -h "${TMPDIR:-/tmp}" | awk 'NR==2 {print $1}')"
echo

echo "== storage engine (one shard, 100-byte records, real files)"
"$build_dir/bin/spate-storage-bench" --benchmark_counters_tabular=true
echo
echo "Peer comparison: kinesalite has no storage engine to set beside this one; the end-to-end"
echo "ratios against kinesalite arrive with the API server and its load tool (spate-bench)."
