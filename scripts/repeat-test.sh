#!/usr/bin/env bash
# Runs `make test` repeatedly in one fresh clone of this repository, to find tests that pass
# or fail by timing: RUNS times alone (the first run builds everything), then BESIDE times
# while a `make build JOBS=2` of a second fresh clone loops beside it. One summary line per
# run goes to stdout; each run's full output to $OUT/run-N.log.
#   usage: scripts/repeat-test.sh [RUNS] [BESIDE]      (defaults: 5 2)
set -uo pipefail
runs=${1:-5}
beside=${2:-2}
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d /tmp/spate-repeat.XXXXXX)
clone="$out/clone"
git clone -q "$repo" "$clone"
echo "repeat-test: $(git -C "$clone" rev-parse --short HEAD), logs in $out"
side_pid=""
# The side build runs in a process group of its own, so that stopping it stops make, cmake and
# ninja with it, also when this script is interrupted.
stop_side() {
  if [ -n "$side_pid" ]; then
    kill -TERM -- "-$side_pid" 2>/dev/null
    wait "$side_pid" 2>/dev/null
    side_pid=""
  fi
}
trap 'stop_side' EXIT
trap 'stop_side; exit 130' INT TERM
for ((i = 1; i <= runs + beside; i++)); do
  if ((i > runs)); then
    [ -d "$out/side" ] || git clone -q "$repo" "$out/side"
    setsid bash -c 'cd "$1" && while true; do rm -rf build; make build JOBS=2 >/dev/null 2>&1; done' \
      side "$out/side" &
    side_pid=$!
  fi
  start=$(date +%s)
  (cd "$clone" && make test >"$out/run-$i.log" 2>&1)
  rc=$?
  took=$(($(date +%s) - start))
  stop_side
  pytest=$(grep -E "(passed|failed).* in [0-9.]+s" "$out/run-$i.log" | tail -1)
  ctest=$(grep -E "tests (passed|failed)" "$out/run-$i.log" | tail -1)
  echo "run $i$( ((i > runs)) && echo ' (beside a build)'): exit $rc in ${took}s | pytest: ${pytest:-?} | ctest: ${ctest:-?}"
done
