"""Builds the `spate` package: the Python modules in spate/ and the extension module
spate._core, which CMake builds from this repository (python/src/ and the C++ client library).

Offline and with Debian's setuptools only: there is deliberately no pyproject.toml, so pip
builds in this tree with the setuptools already installed instead of fetching one from PyPI.

    pip install ./python                 # configures and builds its own CMake tree
    SPATE_BUILD_DIR=build pip install ./python   # reuses a configured build (make test does)
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def read_version():
    for line in (ROOT / "CMakeLists.txt").read_text().splitlines():
        if line.startswith("project(spate VERSION"):
            return line.split("VERSION")[1].split()[0].strip(")")
    raise RuntimeError("no project version in CMakeLists.txt")


class CMakeBuild(build_ext):
    """Builds spate._core with CMake and copies it, with libspate-client.so.0, into the
    package."""

    def build_extension(self, ext):
        if not (ROOT / "CMakeLists.txt").exists():
            raise RuntimeError(f"{ROOT} is not the Spate source tree: install from a checkout")
        build_dir = os.environ.get("SPATE_BUILD_DIR")
        if build_dir:
            build_dir = Path(build_dir).resolve()
        else:
            build_dir = Path(self.build_temp).resolve() / "cmake"
            subprocess.run(
                ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-G", "Ninja",
                 "-DCMAKE_BUILD_TYPE=Release", "-DSPATE_BUILD_TESTS=OFF",
                 "-DSPATE_BUILD_BENCHMARKS=OFF", f"-DPython3_EXECUTABLE={sys.executable}"],
                check=True)
        subprocess.run(["cmake", "--build", str(build_dir), "--target", "spate_python"],
                       check=True)
        built = build_dir / "python"
        modules = sorted(built.glob("_core*.so"))
        if not modules:
            raise RuntimeError(f"no _core module in {built}")
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(modules[0], target)
        for lib in built.glob("libspate-client.so*"):
            shutil.copyfile(lib, target.parent / lib.name)


setup(
    name="spate",
    version=read_version(),
    description="Spate: Kinesis Data Streams producer, consumer and client (C++ core)",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    packages=find_packages(include=["spate", "spate.*"]),
    package_data={"spate": ["py.typed", "*.pyi"],
                  "spate.django": ["migrations/*.py"]},
    ext_modules=[Extension("spate._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    entry_points={"pytest11": ["spate = spate.testing"]},
    zip_safe=False,
)
