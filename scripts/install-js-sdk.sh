#!/usr/bin/env bash
# Installs the AWS SDK for JavaScript v3's Kinesis client from the npm registry into
# .cache/js-sdk/ (ignored by git), for the tests that run it unchanged against spated
# (tests/js/), and esbuild, which the browser test bundles it with for a page in headless
# Chromium (tests/integration/test_dashboard_browser.py: CORS as a browser SDK meets it). The version is pinned per Node.js major version, so a test run is repeatable
# and the client supports the installed Node: releases from 3.968.0 on require Node 20, and
# Debian 12's own nodejs is 18.x. No package.json or lock file is written. Idempotent: an
# installed copy of the chosen version is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
extra=()
if [ "$node_major" -ge 20 ]; then
  version=3.1143.0
elif [ "$node_major" -ge 18 ]; then
  version=3.967.0  # the last release whose engines field accepts Node 18
  # Its dependency range (^3.0.0) would pull a release of this one that requires Node 20.
  extra=(@aws-sdk/util-locate-window@3.965.0)
else
  echo "install-js-sdk: Node.js 18 or newer is needed (found: $(node --version 2>&1 || true))" >&2
  exit 1
fi
esbuild_version=0.24.2
dir=.cache/js-sdk
manifest="$dir/node_modules/@aws-sdk/client-kinesis/package.json"
esbuild_manifest="$dir/node_modules/esbuild/package.json"

if [ -f "$manifest" ] && grep -q "\"version\": \"$version\"" "$manifest" &&
   [ -f "$esbuild_manifest" ] && grep -q "\"version\": \"$esbuild_version\"" "$esbuild_manifest"; then
  echo "install-js-sdk: @aws-sdk/client-kinesis $version and esbuild present (Node $node_major)"
  exit 0
fi
echo "install-js-sdk: installing @aws-sdk/client-kinesis $version into $dir (Node $node_major)"
# Into a fresh folder first: a failed install (offline, refused) leaves the old copy in place.
mkdir -p .cache
staging=$(mktemp -d .cache/js-sdk.XXXXXX)
trap 'rm -rf "$staging"' EXIT
npm install --prefix "$staging" --no-save --no-package-lock --no-audit --no-fund \
  --loglevel=error --engine-strict "@aws-sdk/client-kinesis@$version" \
  "esbuild@$esbuild_version" "${extra[@]}"
rm -rf "$dir"
mv "$staging" "$dir"
