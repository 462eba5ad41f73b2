"""spated --config FILE (TOML) and --print-config.

Proves: every key is a long flag without its dashes and takes effect (the server listens on
the file's port, keeps its data in the file's directory, enforces the file's shard limit);
a flag on the command line wins over the file; an unknown key, a value of the wrong type and
a TOML syntax error each stop spated before it listens, with a message naming the file, the
line and the key; --print-config writes the effective configuration as TOML that --config
reads back to the same configuration.
"""

from __future__ import annotations

import subprocess

import pytest
from botocore.exceptions import ClientError

from spate_harness import free_port, spated_binary


def run_spated(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(spated_binary()), *args], capture_output=True, text=True,
                          timeout=30)


def configured(spated_factory, tmp_path, text: str, *flags: str):
    """A spated whose only settings are the file's (and `flags`), started."""
    server = spated_factory(start=False)
    config = tmp_path / "spated.conf"
    config.write_text(text.format(port=server.port, data_dir=server.data_dir))
    server.args = ["--config", str(config), *flags]
    return server.start()


FILE = """# a comment
host = "127.0.0.1"
port = {port}
data-dir = "{data_dir}"
fsync = "always"
shard-limit = 3
log-level = "warn"
allow-origin = ["https://a.example", "https://b.example"]
"""


def test_the_file_configures_the_server(spated_factory, tmp_path):
    server = configured(spated_factory, tmp_path, FILE)
    kinesis = server.client()
    kinesis.create_stream(StreamName="three", ShardCount=3)
    with pytest.raises(ClientError) as refused:
        kinesis.create_stream(StreamName="one-more", ShardCount=1)
    assert refused.value.response["Error"]["Code"] == "LimitExceededException"
    assert any(server.data_dir.iterdir()), "the file's data-dir holds the catalog"


def test_flags_win_over_the_file(spated_factory, tmp_path):
    server = configured(spated_factory, tmp_path, FILE, "--shard-limit", "5")
    kinesis = server.client()
    kinesis.create_stream(StreamName="four", ShardCount=4)
    assert kinesis.describe_stream_summary(StreamName="four")[
        "StreamDescriptionSummary"]["OpenShardCount"] == 4


@pytest.mark.parametrize("text, line, key, says", [
    ("port = {port}\n\nshards = 4\n", 3, "shards", "unknown key"),
    ("port = {port}\nport-number = 1\n", 2, "port-number", "unknown key"),
    ("port = {port}\nversion = true\n", 2, "version", "unknown key"),
    ('fsync = "batch"\nport = "http"\n', 2, "port", "--port"),
    ("port = {port}\nmetrics-auth = 1\n", 2, "metrics-auth", "true or false"),
    ('port = {port}\nhost = ["127.0.0.1"]\n', 2, "host", "one value"),
    ("port = {port}\n[server]\nthreads = 2\n", 2, "server", "unknown key"),
])
def test_a_bad_key_stops_spated_naming_file_line_and_key(tmp_path, text, line, key, says):
    port = free_port()
    config = tmp_path / "bad.conf"
    config.write_text(text.format(port=port))
    done = run_spated("--config", str(config), "--data-dir", str(tmp_path / "data"))
    assert done.returncode != 0
    assert f"{config}:{line}: key '{key}'" in done.stderr, done.stderr
    assert says in done.stderr, done.stderr
    assert not (tmp_path / "data").exists(), "nothing starts on a bad file"


def test_a_toml_syntax_error_names_the_line(tmp_path):
    config = tmp_path / "broken.conf"
    config.write_text('port = 4567\nhost = "127.0.0.1\n')
    done = run_spated("--config", str(config))
    assert done.returncode != 0
    assert f"{config}:2:" in done.stderr, done.stderr
    done = run_spated("--config", str(tmp_path / "missing.conf"))
    assert done.returncode != 0 and "missing.conf" in done.stderr, done.stderr


def test_print_config_shows_the_effective_values_and_reads_back(tmp_path):
    config = tmp_path / "spated.conf"
    config.write_text(FILE.format(port=4999, data_dir=tmp_path / "d"))
    done = run_spated("--config", str(config), "--port", "5001", "--print-config")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for expected in ("port = 5001", f'data-dir = "{tmp_path / "d"}"', 'fsync = "always"',
                     "shard-limit = 3", "metrics-auth = false", 'dashboard = "on"',
                     'allow-origin = ["https://a.example", "https://b.example"]',
                     "iterator-ttl-ms = 300000"):
        assert expected in lines, (expected, done.stdout)
    assert not (tmp_path / "d").exists(), "--print-config starts nothing"
    again = tmp_path / "printed.conf"
    again.write_text(done.stdout)
    reread = run_spated("--config", str(again), "--print-config")
    assert reread.returncode == 0, reread.stderr
    assert reread.stdout == done.stdout
