#!/usr/bin/env bash
# Installs the AWS SDK for JavaScript v3's Kinesis client from the npm registry into
# .cache/js-sdk/ (ignored by git), for the tests that run it unchanged against spated
# (tests/js/). The version is pinned so a test run is repeatable; no package.json or lock file
# is written. Idempotent: an installed copy of the pinned version is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

version=3.1143.0
dir=.cache/js-sdk
manifest="$dir/node_modules/@aws-sdk/client-kinesis/package.json"

if [ -f "$manifest" ] && grep -q "\"version\": \"$version\"" "$manifest"; then
  echo "install-js-sdk: @aws-sdk/client-kinesis $version present"
  exit 0
fi
echo "install-js-sdk: installing @aws-sdk/client-kinesis $version into $dir"
mkdir -p "$dir"
npm install --prefix "$dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
  "@aws-sdk/client-kinesis@$version"
