#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of Spate from Debian 12's archive.
# Idempotent: packages already present are skipped, and apt is not touched at all when
# nothing is missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # libraries
  libboost1.81-dev libsimdjson-dev libssl-dev libsqlite3-dev libhiredis-dev
  libcli11-dev libspdlog-dev libfmt-dev libnghttp2-dev zlib1g-dev
  # spated --config FILE (TOML), and readiness for systemd's Type=notify
  libtomlplusplus-dev libsystemd-dev
  # make install's man pages (from --help), make package's checks (systemd-analyze verify)
  help2man groff-base systemd
  # the dashboard's charts: Chart.js, embedded into spated at build time
  libjs-chart.js
  # the Python package (python/): its extension module, and what its Django app and Redis
  # checkpointer tests use
  pybind11-dev python3-dev python3-setuptools python3-wheel python3-venv python3-pip
  python3-django python3-redis
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-pytest python3-boto3 python3-websockets awscli redis-server
  python3-h2 nghttp2-client curl python3-cbor2 python3-pytest-xdist python3-pytest-timeout
  # the dashboard's browser tests: headless Chromium driven through Selenium
  chromium chromium-driver python3-selenium
  # fuzzing: clang with libFuzzer and the sanitizer runtimes (make fuzz, make fuzz-check)
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
# The benchmark's peer (kinesalite) installs from npm; a machine without Node gets Debian's.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
