"""`make package`: the Debian package, installed into a throwaway root, and its systemd unit.

Proves: `make package` writes spate_VERSION_ARCH.deb with the version of CMakeLists.txt; its
Depends name only packages this machine has (so the binaries it carries run here); it holds
the programs, the client library, headers, CMake and pkg-config files, man pages, the unit and
/etc/spate/spated.conf (a conffile); `dpkg --root` installs it into an empty root, running its
maintainer scripts there (the spate system user, /var/lib/spate owned by it, mode 750);
`systemd-analyze verify` accepts the installed unit, which is Type=notify, restarts on
failure, has room for max-connections descriptors and the asked-for hardening; and the
installed spated, started with the installed config file, tells systemd it is ready only once
it answers, serves boto3, and says it is stopping on SIGTERM before exiting 0.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from spate_harness import build_dir, free_port, http_get, kinesis_client
from test_install import make_in_build
from test_version import project_version

WAIT_S = 30


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{cmd} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def package() -> Path:
    for old in build_dir().glob("spate_*.deb"):
        old.unlink()
    make_in_build("package")
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    deb = build_dir() / f"spate_{project_version()}_{arch}.deb"
    assert deb.is_file(), list(build_dir().glob("*.deb"))
    return deb


@pytest.fixture(scope="module")
def root(package, tmp_path_factory) -> Path:
    """An empty root with just what dpkg and useradd need, and the package installed in it."""
    root = tmp_path_factory.mktemp("root")
    for folder in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"):
        (root / folder).mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text("")
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc/group").write_text("root:x:0:\n")
    (root / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n")
    (root / "etc/gshadow").write_text("root:*::\n")
    shutil.copy("/etc/login.defs", root / "etc/login.defs")
    # Dependencies are this machine's (checked below), not the empty root's.
    run(["dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends",
         "--log=/dev/null", "-i", str(package)])
    return root


def fields(package: Path) -> dict[str, str]:
    text = run(["dpkg-deb", "-f", str(package)]).stdout
    return dict(re.findall(r"^([\w-]+): (.*)$", text, re.MULTILINE))


def test_the_package_names_its_version_and_dependencies_this_machine_has(package):
    control = fields(package)
    assert control["Package"] == "spate"
    assert control["Version"] == project_version()
    depends = [d.split("(")[0].strip() for d in control["Depends"].split(",")]
    assert {"libc6", "libssl3", "libsqlite3-0", "libsystemd0", "passwd"} <= set(depends)
    # Installed here under that name, or provided by an installed package.
    here = set()
    for line in run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}|${Package}|${Provides}\n"]
                    ).stdout.splitlines():
        status, name, provides = line.split("|")
        if status.startswith("ii"):
            here.add(name)
            here.update(p.split("(")[0].strip() for p in provides.split(",") if p.strip())
    assert set(depends) <= here, set(depends) - here
    conffiles = run(["dpkg-deb", "-I", str(package), "conffiles"]).stdout.split()
    assert conffiles == ["/etc/spate/spated.conf"]
    listing = run(["dpkg-deb", "-c", str(package)]).stdout
    for path in ("./usr/bin/spated", "./usr/bin/spate", "./usr/lib/libspate-client.so",
                 "./usr/include/spate/client/client.h", "./usr/lib/pkgconfig/spate-client.pc",
                 "./usr/lib/cmake/spate/spateConfig.cmake", "./usr/share/man/man1/spated.1",
                 "./usr/share/man/man1/spate.1", "./lib/systemd/system/spated.service",
                 "./etc/spate/spated.conf", "./usr/share/doc/spate/copyright"):
        assert re.search(rf" {re.escape(path)}( |$)", listing, re.MULTILINE), path


def test_dpkg_installs_it_with_the_spate_user_and_data_directory(root):
    status = run(["dpkg", f"--root={root}", "-s", "spate"]).stdout
    assert "Status: install ok installed" in status
    assert "Conffiles:\n /etc/spate/spated.conf " in status
    users = dict(line.split(":", 1) for line in (root / "etc/passwd").read_text().splitlines())
    assert "spate" in users
    uid, gid, _, home, shell = users["spate"].split(":")[1:]
    assert int(uid) < 1000 and home == "/var/lib/spate" and shell == "/usr/sbin/nologin"
    data = (root / "var/lib/spate").stat()
    assert (data.st_uid, data.st_gid) == (int(uid), int(gid))
    assert data.st_mode & 0o777 == 0o750
    assert os.access(root / "usr/bin/spated", os.X_OK)


def unit(root: Path) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (root / "lib/systemd/system/spated.service").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def test_systemd_accepts_the_unit_and_it_is_hardened(root):
    # The units the service's default dependencies name (sysinit.target, ...) come from this
    # machine's systemd; the man page systemd-analyze looks up is the installed one.
    units = root / "lib/systemd/system"
    for source in Path("/lib/systemd/system").iterdir():
        if not (units / source.name).exists():
            if source.is_dir() and not source.is_symlink():
                shutil.copytree(source, units / source.name, symlinks=True)
            else:
                shutil.copy(source, units / source.name, follow_symlinks=False)
    done = subprocess.run(["systemd-analyze", "verify", f"--root={root}",
                           "/lib/systemd/system/spated.service"], capture_output=True, text=True,
                          env={**os.environ, "MANPATH": str(root / "usr/share/man")})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    settings = unit(root)
    assert settings["Type"] == ["notify"]
    assert settings["Restart"] == ["on-failure"]
    assert settings["User"] == ["spate"]
    assert settings["ExecStart"] == ["/usr/bin/spated --config /etc/spate/spated.conf"]
    for key, value in {"ProtectSystem": "strict", "ReadWritePaths": "/var/lib/spate",
                       "NoNewPrivileges": "yes", "PrivateTmp": "yes"}.items():
        assert settings[key] == [value], key
    config = (root / "etc/spate/spated.conf").read_text()
    max_connections = int(re.search(r"^max-connections = (\d+)$", config, re.MULTILINE)[1])
    assert int(settings["LimitNOFILE"][0]) >= max_connections + 1024


def test_the_installed_spated_notifies_systemd_serves_and_stops(root, tmp_path):
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify_path = tmp_path / "notify"
    notify.bind(str(notify_path))
    notify.settimeout(WAIT_S)
    port = free_port()
    env = {**os.environ, "NOTIFY_SOCKET": str(notify_path)}
    log = open(tmp_path / "spated.log", "wb")
    proc = subprocess.Popen(
        [str(root / "usr/bin/spated"), "--config", str(root / "etc/spate/spated.conf"),
         "--port", str(port), "--data-dir", str(tmp_path / "data")],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        ready = notify.recv(4096).decode()
        assert "READY=1" in ready.splitlines(), ready
        assert f"MAINPID={proc.pid}" in ready.splitlines(), ready
        # Ready means serving: no wait between the message and the first request.
        assert http_get(f"http://127.0.0.1:{port}", "/healthz") == (200, b"ok\n")
        kinesis = kinesis_client(f"http://127.0.0.1:{port}")
        kinesis.create_stream(StreamName="packaged", ShardCount=1)
        kinesis.get_waiter("stream_exists").wait(StreamName="packaged",
                                                 WaiterConfig={"Delay": 0.1})
        put = kinesis.put_record(StreamName="packaged", Data=b"from the .deb", PartitionKey="k")
        assert put["ShardId"] == "shardId-000000000000"
        proc.send_signal(signal.SIGTERM)
        stopping = notify.recv(4096).decode()
        assert "STOPPING=1" in stopping.splitlines(), stopping
        assert proc.wait(WAIT_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        notify.close()
        log.close()
    assert "fsync batch" in (tmp_path / "spated.log").read_text()
