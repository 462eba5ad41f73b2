#!/usr/bin/env bash
# Starts spated from a build folder on its embedded default: 127.0.0.1:4567, data in
# ./spate-data, fsync=batch. Extra arguments go to spated (see `spated --help`).
set -euo pipefail
build_dir="${1:-build}"
shift || true
exec "$build_dir/bin/spated" --host 127.0.0.1 --port 4567 --data-dir ./spate-data --fsync batch "$@"
