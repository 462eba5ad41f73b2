#!/usr/bin/env bash
# Starts spated from a build folder on its embedded default: 127.0.0.1:4567, data in
# ./spate-data, fsync=batch. Extra arguments go to spated.
set -euo pipefail
build_dir="${1:-build}"
shift || true
server="$build_dir/bin/spated"
if [ ! -x "$server" ]; then
  echo "run: $server is not built yet. The Kinesis API server arrives with the next milestone;"
  echo "run: once it exists this will start: $server --host 127.0.0.1 --port 4567 --data-dir ./spate-data --fsync batch"
  echo "run: what works today: 'make test' (storage engine and catalog) and 'make bench'."
  exit 0
fi
exec "$server" --host 127.0.0.1 --port 4567 --data-dir ./spate-data --fsync batch "$@"
