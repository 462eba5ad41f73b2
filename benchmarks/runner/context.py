"""What every benchmark part shares: settings from the environment, the build and work folders,
the machine's description, servers (spated through the test harness, kinesalite from npm) and
the disk's fdatasync latency, the yardstick of the --fsync batch targets.

Nothing here talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

# The harness; histogram_buckets is for the parts that read spated's /metrics.
from spate_harness import (REPO_ROOT, Spated, free_port, histogram_buckets,  # noqa: E402, F401
                           wait_until)

REPO = REPO_ROOT  # for the parts that run the repository's scripts


@dataclass
class Context:
    build_dir: Path
    work: Path
    seconds: int = 8
    warmup: int = 2
    fill: int = 200_000
    consumer_records: int = 2_000_000
    soak_minutes: float = 30
    soak_rate: int = 20_000
    skip: set[str] = field(default_factory=set)
    fdatasync: dict | None = None
    npm_installed: dict = field(default_factory=dict)  # name -> (folder, version) or None
    kinesalite_version: str = "?"
    kinesis_mock_version: str = "?"

    @staticmethod
    def from_environment(build_dir: str, parts: list[str]) -> "Context":
        env = os.environ.get
        build = Path(build_dir).resolve()
        os.environ["SPATE_BUILD_DIR"] = str(build)  # where the harness finds spated
        ctx = Context(build_dir=build,
                      work=Path(tempfile.mkdtemp(prefix="spate-bench.", dir=env("TMPDIR", "/tmp"))))
        ctx.seconds = int(env("SPATE_BENCH_SECONDS", "8"))
        ctx.warmup = int(env("SPATE_BENCH_WARMUP", "2"))
        ctx.fill = int(env("SPATE_BENCH_FILL", "200000"))
        ctx.consumer_records = int(env("SPATE_BENCH_CONSUMER_RECORDS", "2000000"))
        ctx.soak_minutes = float(env("SPATE_BENCH_SOAK_MINUTES", "30"))
        ctx.soak_rate = int(env("SPATE_BENCH_SOAK_RATE", "20000"))
        ctx.skip = {p for p in parts if env(f"SPATE_BENCH_SKIP_{p.upper()}", "0") == "1"}
        return ctx

    def tool(self, name: str) -> Path:
        return self.build_dir / "bin" / name

    def cleanup(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)

    # -- servers ---------------------------------------------------------------------------

    def spated(self, fsync: str = "batch") -> Spated:
        """A fresh spated on a free loopback port with its own data folder, started."""
        folder = Path(tempfile.mkdtemp(prefix=f"spated-{fsync}-", dir=self.work))
        return Spated(folder, fsync=fsync).start()

    @staticmethod
    def drop(server) -> None:
        """Stops a server and removes its data: a PutRecords run leaves up to a GiB of it."""
        if isinstance(server, Spated):
            if server.running():
                server.stop()
            shutil.rmtree(server.workdir, ignore_errors=True)
        else:
            server.stop()

    def npm_package(self, package: str) -> tuple[Path, str] | None:
        """Installs an npm package (NAME or NAME@VERSION) into the work folder once; its folder
        and installed version, or None when npm cannot install it (then there are no ratios)."""
        name = package.rsplit("@", 1)[0] if package.rfind("@") > 0 else package
        if name not in self.npm_installed:
            target = self.work / "npm" / name
            log = self.work / f"npm-{name}.log"
            ok = shutil.which("npm") and shutil.which("node")
            if ok:
                with open(log, "w") as out:
                    ok = subprocess.call(["npm", "install", "--prefix", str(target), "--no-audit",
                                          "--no-fund", "--loglevel=error", package],
                                         stdout=out, stderr=subprocess.STDOUT) == 0
            if not ok:
                print(f"{package} could not be installed from npm; no ratios against it.")
                if log.exists():
                    print("\n".join(log.read_text().splitlines()[-5:]))
                self.npm_installed[name] = None
            else:
                folder = target / "node_modules" / name
                version = json.loads((folder / "package.json").read_text())["version"]
                self.npm_installed[name] = (folder, version)
        return self.npm_installed[name]

    def kinesalite(self) -> "Kinesalite | None":
        """A fresh kinesalite, or None when npm cannot install it."""
        installed = self.npm_package("kinesalite")
        if installed is None:
            return None
        self.kinesalite_version = installed[1]
        return Kinesalite(installed[0], self.work).start()

    def kinesis_mock(self) -> "KinesisMock | None":
        """A fresh kinesis-mock (npm kinesis-local, its Node build), or None when npm cannot
        install it."""
        installed = self.npm_package(f"kinesis-local@{KinesisMock.VERSION}")
        if installed is None:
            return None
        self.kinesis_mock_version = installed[1]
        return KinesisMock(installed[0], self.work).start()

    def server(self, kind: str):
        """A fresh server of `kind` (spated-<fsync>, kinesalite or kinesis-mock), started;
        None when its npm package cannot be installed."""
        if kind == "kinesalite":
            return self.kinesalite()
        if kind == "kinesis-mock":
            return self.kinesis_mock()
        return self.spated(kind.split("-")[1])

    def run_tool(self, kind: str, argv: list, label: str, stderr_name: str,
                 metrics: bool = False) -> dict | None:
        """Runs a load tool (argv: the program, then its own arguments) against a fresh server
        of `kind`, adding --endpoint, --server-pid, --json and --label, and drops the server.
        Its JSON line; None when the server is not installed; {"label", "failed"} when the
        server did not start or the tool failed. Prints only why it has no figures. With
        `metrics`, a spated's /metrics as the run left them are added as "server_metrics"."""
        try:
            server = self.server(kind)
        except Exception as e:  # noqa: BLE001 - reported in the table
            print("server did not start")
            return {"label": label, "failed": f"server did not start: {e}"}
        if server is None:
            print("not installed")
            return None
        try:
            # Exit status 3 (workers hung) still prints the JSON line, which says so.
            r, why = run_json([argv[0], "--endpoint", server.endpoint, "--server-pid", server.pid,
                               "--json", "--label", label, *argv[1:]], self.work / stderr_name)
            if r is None:
                print(f"{Path(str(argv[0])).name} failed: {why}")
                return {"label": label, "failed": why}
            if not server.running():
                print("    the server died during the run")
            elif metrics and isinstance(server, Spated):
                r["server_metrics"] = server.metrics()
            return r
        finally:
            self.drop(server)

    def google_benchmark(self, name: str, args: list, quiet: bool = False) -> list | str:
        """Runs a Google Benchmark program (spate-codec-bench, spate-storage-bench) with `args`,
        its report written as JSON: the report's benchmarks, or why there are none. `quiet`
        hides its console table."""
        out = self.work / f"{name}.json"
        out.unlink(missing_ok=True)
        quietly = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL} if quiet else {}
        code = subprocess.call([str(self.tool(name)), *args, f"--benchmark_out={out}",
                                "--benchmark_out_format=json"], **quietly)
        if code != 0 or not out.exists():
            return f"exit status {code}"
        return json.loads(out.read_text()).get("benchmarks", [])

    # -- the disk ---------------------------------------------------------------------------

    def measure_fdatasync(self) -> dict:
        """fdatasync_latency(), kept as the run's figure for the disk, which parts compare to."""
        self.fdatasync = self.fdatasync_latency()
        return self.fdatasync

    def fdatasync_latency(self) -> dict:
        """A 200-byte append and fdatasync, 2000 times, 1 ms apart: p50, p99 and p99.9 in
        microseconds."""
        path = self.work / "fdatasync.test"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        lat = []
        for _ in range(2000):
            os.write(fd, b"x" * 200)
            t = time.perf_counter()
            os.fdatasync(fd)
            lat.append(time.perf_counter() - t)
            time.sleep(0.001)
        os.close(fd)
        path.unlink()
        lat.sort()

        def q(f: float) -> float:
            return round(lat[min(len(lat) - 1, int(f * len(lat)))] * 1e6, 1)

        return {"p50": q(0.5), "p99": q(0.99), "p999": q(0.999)}


class NodeServer:
    """A Node.js Kinesis emulator on a free loopback port, started by start_process()."""

    name = "node server"

    def __init__(self, folder: Path, work: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.log = work / f"{self.name}-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start_process(self, out) -> subprocess.Popen:
        raise NotImplementedError

    def start(self):
        with open(self.log, "wb") as out:
            self.proc = self.start_process(out)

        def listening() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-400:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                return False

        try:
            wait_until(listening, 30, f"{self.name} listening")
        except AssertionError:
            self.stop()
            raise
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class Kinesalite(NodeServer):
    """kinesalite, stream state changes immediate (as with spated)."""

    name = "kinesalite"

    def start_process(self, out) -> subprocess.Popen:
        # Through its module rather than cli.js, to listen on loopback only.
        script = (f"require('{self.folder}')({{createStreamMs: 0, "
                  f"deleteStreamMs: 0, updateStreamMs: 0}}).listen({self.port}, '127.0.0.1')")
        return subprocess.Popen(["node", "-e", script], stdout=out, stderr=subprocess.STDOUT)


class KinesisMock(NodeServer):
    """kinesis-mock (npm kinesis-local: its Node build), streams created and deleted at once.
    It has no setting for its address and listens on every interface for the run; the
    benchmark talks to it on 127.0.0.1 only. It also opens a TLS port, which goes unused."""

    name = "kinesis-mock"
    VERSION = "0.6.2"

    def start_process(self, out) -> subprocess.Popen:
        env = dict(os.environ, KINESIS_MOCK_PLAIN_PORT=str(self.port),
                   KINESIS_MOCK_TLS_PORT=str(free_port()), CREATE_STREAM_DURATION="0ms",
                   DELETE_STREAM_DURATION="0ms", LOG_LEVEL="WARN")
        # From its own folder, where it finds server.json (its TLS key and certificate).
        return subprocess.Popen(["node", "main.js"], cwd=self.folder, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def machine() -> dict:
    """The machine the figures were measured on."""
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip() \
        if shutil.which("node") else "none"
    disk = subprocess.run(["df", "-h", os.environ.get("TMPDIR", "/tmp")], capture_output=True,
                          text=True).stdout.splitlines()[-1].split()[0]
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kib / 2**20),
            "disk": disk, "kernel": os.uname().release, "node": node}


def run_json(argv: list, stderr_path: Path, timeout: float | None = None) -> tuple[dict | None, str]:
    """Runs a load tool that prints one JSON object; (the object or None, why it failed)."""
    with open(stderr_path, "w") as err:
        try:
            out = subprocess.run([str(a) for a in argv], stdout=subprocess.PIPE, stderr=err,
                                 text=True, timeout=timeout).stdout
        except subprocess.TimeoutExpired:
            return None, "timed out"
    for line in reversed(out.strip().splitlines()):
        try:
            return json.loads(line), ""
        except json.JSONDecodeError:
            continue
    tail = stderr_path.read_text().strip().splitlines()
    return None, (tail[-1] if tail else "printed no JSON")


def status_mib(pid: int, field: str) -> float:
    """A memory figure of /proc/PID/status ("VmHWM", "VmRSS") in MiB; 0 if the process is gone."""
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
