#!/usr/bin/env bash
# Runs the libFuzzer targets built in BUILD_DIR/fuzz/ on their seed corpora (fuzz/corpus/<t>/).
#
#   scripts/fuzz.sh BUILD_DIR SECONDS [replay] [TARGET...]
#
# With `replay`, every seed file is first run once on its own (make fuzz-check). Then each
# target fuzzes for SECONDS (make fuzz, make fuzz-check): new inputs go to
# BUILD_DIR/fuzz-corpus/<t>/ (kept between runs, never into the repository), crashes, leaks and
# timeouts to BUILD_DIR/fuzz-artifacts/<t>/, the full output to BUILD_DIR/fuzz-logs/<t>.log.
# Targets run side by side, one per core. Every target runs even after one fails; the exit
# status is 1 if any failed, and each failure prints the sanitizer's report and the
# reproducer's path with the command that replays it.
set -uo pipefail

build_dir=$1
seconds=$2
shift 2
replay=0
if [ "${1:-}" = replay ]; then
  replay=1
  shift
fi

root=$(cd "$(dirname "$0")/.." && pwd)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(json_decode json_fast_path cbor_codec cbor_fast_path event_stream base64_decode sigv4_request
           dashboard_request websocket_query http2_session segment_recovery)
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()

# report TARGET LOG REPRODUCER: the end of the sanitizer's output and how to replay it.
report() {
  local target=$1 log=$2 reproducer=$3
  echo "fuzz: $target FAILED; the report (all of it in $log):"
  # From the first line of the report: a sanitizer's, a target's own check, a timeout, an OOM.
  sed -n -E "/^==[0-9]+==ERROR|runtime error|^$target: |ALARM|out-of-memory/,\$p" "$log" |
    grep -v -E '^INFO|^MS: |^(stat::|artifact_prefix)' | cut -c1-200 | head -30 | sed 's/^/  /'
  echo "fuzz: $target reproducer: $reproducer"
  echo "fuzz: replay with: $build_dir/fuzz/$target $reproducer"
  failed+=("$target")
}

# run_target TARGET: replays its seeds (with `replay`), then fuzzes it; 0 when all went well.
run_target() {
  local target=$1 bin seeds scratch artifacts log bad count started before runs corpus reproducer
  bin="$build_dir/fuzz/$target"
  seeds="$root/fuzz/corpus/$target"
  scratch="$build_dir/fuzz-corpus/$target"
  artifacts="$build_dir/fuzz-artifacts/$target"
  log="$build_dir/fuzz-logs/$target.log"
  mkdir -p "$scratch" "$artifacts" "$(dirname "$log")"
  : >"$log"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is not built" >&2
    return 1
  fi

  if [ $replay -eq 1 ]; then
    bad=""
    count=0
    for seed in "$seeds"/*; do
      [ -f "$seed" ] || continue
      count=$((count + 1))
      if ! "$bin" -artifact_prefix="$artifacts/" "$seed" >>"$log" 2>&1; then
        bad=$seed
        break
      fi
    done
    if [ -n "$bad" ]; then
      report "$target" "$log" "$bad"
      return 1
    fi
    echo "fuzz: $target: $count seeds replayed"
  fi

  started=$(date +%s)
  before=$(ls "$artifacts" | wc -l)
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$scratch" "$seeds" >>"$log" 2>&1; then
    runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1)
    corpus=$(ls "$scratch" | wc -l)
    echo "fuzz: $target: ${runs:-?} runs in $(($(date +%s) - started)) s, $corpus new inputs kept, ok"
  else
    reproducer=$(ls -t "$artifacts" | head -1)
    if [ "$(ls "$artifacts" | wc -l)" -gt "$before" ] && [ -n "$reproducer" ]; then
      report "$target" "$log" "$artifacts/$reproducer"
    else
      report "$target" "$log" "(none written; see the log)"
    fi
    return 1
  fi
}

# The targets run side by side, as many at once as there are cores (FUZZ_JOBS); each one's
# lines are printed together, in the targets' order, once all have ended.
jobs_max=${FUZZ_JOBS:-$(nproc)}
summaries=$(mktemp -d)
trap 'rm -rf "$summaries"' EXIT
for target in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  (
    run_target "$target" >"$summaries/$target" 2>&1
    echo $? >"$summaries/$target.status"
  ) &
done
wait
for target in "${targets[@]}"; do
  cat "$summaries/$target"
  [ "$(cat "$summaries/$target.status" 2>/dev/null)" = 0 ] || failed+=("$target")
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ok"
