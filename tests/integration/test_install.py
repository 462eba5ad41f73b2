"""`make install`, and outside programs built against what it installed.

Proves: `make install PREFIX=/opt/spate DESTDIR=STAGE` puts spated, spate, the client library,
its headers, the CMake package and spate-client.pc under STAGE/opt/spate (PREFIX and DESTDIR
both honoured); the installed `spate` runs from there (it finds the installed library, not the
build tree's); a CMake project using `find_package(spate)` and `spate::client`, and a program
compiled with `pkg-config --cflags --libs spate-client` alone, both build against the staged
install, link its library, and create, put to, read from and delete a stream on a real spated.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from spate_harness import REPO_ROOT, build_dir, unique_stream_name

PREFIX = "/opt/spate"
OUTSIDE_PROGRAM = REPO_ROOT / "tests" / "outside_program"


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=240, **kwargs)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def cached(name: str, default: str) -> str:
    """A setting of the build folder's CMake cache, or `default` if it has none."""
    cache = (build_dir() / "CMakeCache.txt").read_text()
    found = re.search(rf"^{name}:\w+=(\w*)$", cache, re.MULTILINE)
    return found.group(1) if found and found.group(1) else default


def make_in_build(target: str, *variables: str) -> None:
    """`make TARGET` on the build folder the tests use, one at a time: make install and make
    package (test_package.py) both run the build step, and two builds in one folder collide.
    The build type and the benchmarks setting are the folder's own, so that make's configure
    step leaves it as it is: a folder configured otherwise (make bench's BENCHMARKS=ON) was
    reconfigured and rebuilt, replacing spated under the tests running beside this one."""
    with open(build_dir() / ".tests-make.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run(["make", "--no-print-directory", target, f"BUILD_DIR={build_dir()}",
             f"BUILD_TYPE={cached('CMAKE_BUILD_TYPE', 'Release')}",
             f"BENCHMARKS={cached('SPATE_BUILD_BENCHMARKS', 'OFF')}", *variables], cwd=REPO_ROOT)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """`make install` into a staging root; returns the installed prefix inside it."""
    stage = tmp_path_factory.mktemp("stage")
    make_in_build("install", f"PREFIX={PREFIX}", f"DESTDIR={stage}")
    return stage / PREFIX.lstrip("/")


def library_dir(prefix: Path) -> Path:
    found = sorted(prefix.glob("lib*/**/libspate-client.so"))
    assert found, f"no libspate-client.so under {prefix}"
    return found[0].parent


def outside_env(endpoint: str) -> dict[str, str]:
    return {**os.environ, "AWS_ENDPOINT_URL": endpoint}


def linked_client_library(binary: Path) -> Path:
    """Where the dynamic loader finds libspate-client for `binary` (ldd, paths resolved)."""
    linked = run(["ldd", str(binary)]).stdout
    found = re.search(r"libspate-client\.so\S* => (\S+)", linked)
    assert found, f"{binary} does not link libspate-client: {linked}"
    return Path(found.group(1)).resolve()


def check_outside_program(binary: Path, prefix: Path, endpoint: str) -> None:
    """The program links the installed library and does its round trip against spated."""
    assert linked_client_library(binary).parent == library_dir(prefix).resolve()
    stream = unique_stream_name("outside")
    done = run([str(binary), stream], env=outside_env(endpoint))
    shard, sequence, data = done.stdout.strip().split(" ", 2)
    assert shard == "shardId-000000000000"
    assert re.fullmatch(r"[1-9][0-9]*", sequence)
    assert data == "hello from outside"


def test_make_install_puts_every_part_under_destdir_and_prefix(installed):
    for part in ["bin/spated", "bin/spate", "share/man/man1/spated.1", "share/man/man1/spate.1",
                 "include/spate/client/client.h",
                 "include/spate/client/producer.h", "include/spate/client/consumer.h"]:
        assert (installed / part).is_file(), part
    lib = library_dir(installed)
    assert (lib / "cmake" / "spate" / "spateConfig.cmake").is_file()
    assert (lib / "cmake" / "spate" / "spateConfigVersion.cmake").is_file()
    assert (lib / "pkgconfig" / "spate-client.pc").is_file()


def long_flags(help_text: str) -> set[str]:
    return set(re.findall(r"--[a-z][a-z0-9-]+", help_text))


def man_text(page: Path) -> str:
    """The page's text with roff's escaped dashes plain (help2man writes \\- for -), after
    checking that groff reads it without a warning."""
    checked = run(["groff", "-man", "-ww", "-z", str(page)])
    assert checked.stderr == "", checked.stderr
    return page.read_text().replace("\\-", "-")


def test_man_pages_are_the_programs_help(installed):
    pages = installed / "share" / "man" / "man1"
    spated_help = run([str(build_dir() / "bin" / "spated"), "--help"]).stdout
    page = man_text(pages / "spated.1")
    assert "spated - a Kinesis Data Streams compatible server" in page, page[:300]
    missing = long_flags(spated_help) - long_flags(page)
    assert not missing and len(long_flags(spated_help)) > 40, missing

    spate = build_dir() / "bin" / "spate"
    page = man_text(pages / "spate.1")
    for command in (["streams", "create"], ["streams", "list"], ["put"], ["tail"],
                    ["reshard", "split"], ["reshard", "scale"], ["checkpoints"]):
        assert "spate " + " ".join(command) in page, command
        missing = long_flags(run([str(spate), *command, "--help"]).stdout) - long_flags(page)
        assert not missing, (command, missing)


def test_installed_cli_runs_on_the_installed_library(installed, endpoint):
    spate = installed / "bin" / "spate"
    assert linked_client_library(spate).parent == library_dir(installed).resolve()
    stream = unique_stream_name("installed-cli")
    run([str(spate), "--endpoint", endpoint, "streams", "create", stream, "--shards", "1"])
    listed = run([str(spate), "--endpoint", endpoint, "streams", "list"]).stdout
    assert stream in listed.split()
    run([str(spate), "--endpoint", endpoint, "streams", "delete", stream])


def test_cmake_find_package_program(installed, endpoint, tmp_path):
    build = tmp_path / "build"
    run(["cmake", "-S", str(OUTSIDE_PROGRAM), "-B", str(build), "-G", "Ninja",
         f"-DCMAKE_PREFIX_PATH={installed}"])
    run(["cmake", "--build", str(build)])
    check_outside_program(build / "outside_program", installed, endpoint)


def test_pkg_config_program(installed, endpoint, tmp_path):
    env = {**os.environ, "PKG_CONFIG_PATH": str(library_dir(installed) / "pkgconfig")}
    flags = run(["pkg-config", "--cflags", "--libs", "spate-client"], env=env).stdout.split()
    libdir = run(["pkg-config", "--variable=libdir", "spate-client"], env=env).stdout.strip()
    assert Path(libdir).resolve() == library_dir(installed).resolve()
    binary = tmp_path / "outside_program"
    compiler = shutil.which("c++") or "g++"
    run([compiler, "-std=c++20", "-O1", str(OUTSIDE_PROGRAM / "main.cc"), "-o", str(binary),
         *flags, f"-Wl,-rpath,{Path(libdir).resolve()}"])
    check_outside_program(binary, installed, endpoint)
