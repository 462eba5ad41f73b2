# Spate: the two commands of the README, and the steps they are made of.
#   make run   install dependencies, build, start spated on the embedded default
#   make test  install dependencies (and the JS SDK the tests run), build, run every test
#   make bench install dependencies, build, run the benchmarks
#   make fuzz  build the libFuzzer targets (clang, build-fuzz/) and run each FUZZ_SECONDS
#   make fuzz-check  the same unoptimised (build-fuzz-check/): seeds replayed, 5 s each (make test)
#   make test-sanitize  the C++ unit tests built with ASan and UBSan (g++, build-sanitize/)
#   make install  spated, spate, the client library, its headers, CMake package, pkg-config file
#                 and man pages under PREFIX (default /usr/local; DESTDIR honoured)
#   make package  a Debian package in $(BUILD_DIR)/ (CPack: binaries, library, man pages,
#                 systemd unit, /etc/spate/spated.conf, the spate user, /var/lib/spate)

BUILD_DIR ?= build
BUILD_TYPE ?= Release
PREFIX ?= /usr/local
JOBS ?= $(shell nproc)
PYTHON ?= /usr/bin/python3
FUZZ_DIR ?= build-fuzz
# make test's fuzz check builds unoptimised (-O0) in a folder of its own: about 15% less compile
# work than make fuzz's -O1 build, and its 5 s per target is a check, not a search.
FUZZ_CHECK_DIR ?= build-fuzz-check
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 5
SANITIZE_DIR ?= build-sanitize
# pytest-xdist workers: most suites wait on servers and sockets, so more workers than cores pay.
PYTEST_WORKERS ?= 4
# The load tools and micro-benchmarks are built for make bench only (their unit tests are
# built always): compiling them would add a minute to make test.
BENCHMARKS ?= OFF
# Every ctest binary, and spated, which the client tests start.
UNIT_TEST_TARGETS = common_tests storage_tests metadata_tests engine_tests api_tests server_tests \
                    bench_tests client_tests client_api_tests conformance_tests spated

.PHONY: all deps test-deps configure build install package test unit-test py-test py-package \
        py-package-test run bench clean format \
        fuzz-build fuzz-check-build fuzz fuzz-check test-sanitize

all: build

deps:
	bash scripts/install-deps.sh

# What only the tests need on top: the AWS SDK for JavaScript v3, from npm.
test-deps: deps
	bash scripts/install-js-sdk.sh

configure:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DSPATE_BUILD_BENCHMARKS=$(BENCHMARKS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# cmake --install reads DESTDIR from the environment, so `make install DESTDIR=/tmp/root` stages.
# Installed for real (no DESTDIR) by root, the loader's cache learns of libspate-client.so, so
# a program built with one pkg-config line runs without LD_LIBRARY_PATH.
install: build
	cmake --install $(BUILD_DIR) --prefix $(PREFIX)
	@if [ -z "$$DESTDIR" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

# CPack writes the .deb next to the build; packaging/ and cmake/package.cmake say what is in it.
package: build
	cd $(BUILD_DIR) && cpack -G DEB

unit-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure --no-tests=error -j $(JOBS)

# No suite found is a failure: a renamed folder must not make the Python tests vanish quietly.
py-test: build
	@ls tests/compat/test_*.py tests/integration/test_*.py >/dev/null 2>&1 || \
	  { echo "py-test: no test_*.py under tests/compat or tests/integration" >&2; exit 1; }
	SPATE_BUILD_DIR=$(abspath $(BUILD_DIR)) $(PYTHON) -m pytest -q -n $(PYTEST_WORKERS) \
	  --dist loadfile --durations=10 tests

# The Python package (python/), installed with pip into a venv that also sees Debian's Python
# packages, from this build's extension module (SPATE_BUILD_DIR: no second C++ build).
PY_VENV = $(BUILD_DIR)/venv
py-package: build
	test -x $(PY_VENV)/bin/python || $(PYTHON) -m venv --system-site-packages $(PY_VENV)
	SPATE_BUILD_DIR=$(abspath $(BUILD_DIR)) $(PY_VENV)/bin/pip install --no-index --no-deps -q \
	  ./python

# Its tests: against the in-process fake, a real spated, a real redis-server, Django's test
# runner, asyncio, and Ctrl-C and exit in child interpreters. Run from python/tests, so the
# package imported is the installed one, not the source folder.
py-package-test: py-package
	cd python/tests && SPATE_BUILD_DIR=$(abspath $(BUILD_DIR)) \
	  $(abspath $(PY_VENV))/bin/python -m pytest -q -p no:cacheprovider -n 2 .

# The fuzz targets and only the libraries they need, instrumented (clang; see fuzz/).
fuzz-build: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DSPATE_FUZZ=ON -DSPATE_FUZZ_OPTIMIZE=1
	cmake --build $(FUZZ_DIR) -j $(JOBS)

fuzz-check-build: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_CHECK_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DSPATE_FUZZ=ON -DSPATE_FUZZ_OPTIMIZE=0
	cmake --build $(FUZZ_CHECK_DIR) -j $(JOBS)

# Each target for FUZZ_SECONDS on its seeds; new inputs are kept in $(FUZZ_DIR)/fuzz-corpus/.
fuzz: fuzz-build
	bash scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# Every seed replayed, then each target for FUZZ_CHECK_SECONDS: what make test runs.
fuzz-check: fuzz-check-build
	bash scripts/fuzz.sh $(FUZZ_CHECK_DIR) $(FUZZ_CHECK_SECONDS) replay

# The C++ unit tests under AddressSanitizer and UBSan (any undefined behaviour fails a test).
test-sanitize: deps
	cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPATE_SANITIZE=ON
	cmake --build $(SANITIZE_DIR) -j $(JOBS) --target $(UNIT_TEST_TARGETS)
	cd $(SANITIZE_DIR) && UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure --no-tests=error -j $(JOBS)

# pytest first, so ctest's summary line closes the output CI reads; the fuzz check between.
test: test-deps
	$(MAKE) py-test
	$(MAKE) py-package-test
	$(MAKE) fuzz-check
	$(MAKE) unit-test

run: deps build py-package
	bash scripts/run-server.sh $(BUILD_DIR)

bench: BENCHMARKS = ON
bench: deps build py-package
	/usr/bin/python3 benchmarks/run.py $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD_DIR)
