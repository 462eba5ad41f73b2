"""The AWS CLI (v2, /usr/bin/aws) works against spated unchanged.

Proves: `aws --endpoint-url http://127.0.0.1:PORT kinesis ...` create-stream, `wait
stream-exists`, describe-stream, describe-stream-summary (also by --stream-arn), list-streams,
list-shards, put-record (base64 and raw-in-base64-out), put-records, get-shard-iterator,
get-records, delete-stream and `wait stream-not-exists` all succeed and print the JSON AWS
prints; a service error exits non-zero with the AWS error code on stderr; the consumer
commands and delete-stream --enforce-consumer-deletion work too.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess

import pytest

from spate_harness import stream_arn

AWS = "/usr/bin/aws"


@pytest.fixture
def aws(server, tmp_path):
    """Runs the CLI against `server`; returns parsed JSON (or None for empty output)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),  # no user config or credentials leak in
        "AWS_ACCESS_KEY_ID": "spate",
        "AWS_SECRET_ACCESS_KEY": "spate",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
        "AWS_EC2_METADATA_DISABLED": "true",
    }

    def run(*args, check=True):
        cmd = [AWS, "--endpoint-url", server.endpoint, "--region", "us-east-1",
               "--no-cli-pager", "--output", "json", "kinesis", *args]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        if not check:
            return proc
        assert proc.returncode == 0, (
            f"{' '.join(args)} exited {proc.returncode}\nstdout: {proc.stdout}\n"
            f"stderr: {proc.stderr}")
        out = proc.stdout.strip()
        return json.loads(out) if out else None

    return run


def test_cli_end_to_end(aws):
    name = "cli-stream"
    assert aws("create-stream", "--stream-name", name, "--shard-count", "2") is None
    assert aws("wait", "stream-exists", "--stream-name", name) is None

    desc = aws("describe-stream", "--stream-name", name)["StreamDescription"]
    assert desc["StreamName"] == name
    assert desc["StreamStatus"] == "ACTIVE"
    assert desc["StreamARN"] == stream_arn(name)
    assert [s["ShardId"] for s in desc["Shards"]] == ["shardId-000000000000",
                                                      "shardId-000000000001"]

    assert name in aws("list-streams")["StreamNames"]
    shards = aws("list-shards", "--stream-name", name)["Shards"]
    assert len(shards) == 2

    summary = aws("describe-stream-summary", "--stream-arn", stream_arn(name))
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 2

    # CLI v2 takes blob arguments as base64 by default.
    payload = bytes(range(256))
    put = aws("put-record", "--stream-name", name, "--partition-key", "pk-1",
              "--data", base64.b64encode(payload).decode())
    assert put["ShardId"].startswith("shardId-") and put["SequenceNumber"].isdigit()
    raw = aws("put-record", "--stream-name", name, "--partition-key", "pk-1",
              "--cli-binary-format", "raw-in-base64-out", "--data", "hello from the cli")
    assert raw["ShardId"] == put["ShardId"]
    assert int(raw["SequenceNumber"]) > int(put["SequenceNumber"])

    batch = aws("put-records", "--stream-name", name, "--records", json.dumps([
        {"Data": base64.b64encode(b"r1").decode(), "PartitionKey": "pk-1"},
        {"Data": base64.b64encode(b"r2").decode(), "PartitionKey": "pk-1"},
    ]))
    assert batch["FailedRecordCount"] == 0 and len(batch["Records"]) == 2

    it = aws("get-shard-iterator", "--stream-name", name, "--shard-id", put["ShardId"],
             "--shard-iterator-type", "TRIM_HORIZON")["ShardIterator"]
    got = aws("get-records", "--shard-iterator", it)
    datas = [base64.b64decode(r["Data"]) for r in got["Records"]]
    assert datas == [payload, b"hello from the cli", b"r1", b"r2"]
    assert [r["PartitionKey"] for r in got["Records"]] == ["pk-1"] * 4
    assert got["MillisBehindLatest"] == 0
    assert got["NextShardIterator"]

    it = aws("get-shard-iterator", "--stream-name", name, "--shard-id", put["ShardId"],
             "--shard-iterator-type", "AFTER_SEQUENCE_NUMBER",
             "--starting-sequence-number", put["SequenceNumber"])["ShardIterator"]
    got = aws("get-records", "--shard-iterator", it, "--limit", "1")
    assert [base64.b64decode(r["Data"]) for r in got["Records"]] == [b"hello from the cli"]

    assert aws("delete-stream", "--stream-name", name) is None
    assert aws("wait", "stream-not-exists", "--stream-name", name) is None
    assert name not in aws("list-streams")["StreamNames"]


def test_cli_service_error(aws):
    proc = aws("describe-stream", "--stream-name", "no-such-cli-stream", check=False)
    assert proc.returncode != 0
    assert "ResourceNotFoundException" in proc.stderr, proc.stderr
    assert "no-such-cli-stream" in proc.stderr


def test_cli_tags_and_retention(aws):
    name = "cli-tags"
    aws("create-stream", "--stream-name", name, "--shard-count", "1")
    aws("wait", "stream-exists", "--stream-name", name)
    aws("add-tags-to-stream", "--stream-name", name, "--tags", "team=data,env=ci")
    tags = aws("list-tags-for-stream", "--stream-name", name)
    assert tags["Tags"] == [{"Key": "env", "Value": "ci"}, {"Key": "team", "Value": "data"}]
    aws("increase-stream-retention-period", "--stream-name", name,
        "--retention-period-hours", "48")
    summary = aws("describe-stream-summary", "--stream-name", name)
    assert summary["StreamDescriptionSummary"]["RetentionPeriodHours"] == 48
    aws("delete-stream", "--stream-name", name)


def test_cli_consumers(aws):
    """register/describe/list/deregister-stream-consumer, and delete-stream with consumers."""
    name = "cli-consumers"
    aws("create-stream", "--stream-name", name, "--shard-count", "1")
    aws("wait", "stream-exists", "--stream-name", name)
    consumer = aws("register-stream-consumer", "--stream-arn", stream_arn(name),
                   "--consumer-name", "cli-app")["Consumer"]
    assert consumer["ConsumerStatus"] == "CREATING"
    assert consumer["ConsumerARN"].startswith(stream_arn(name) + "/consumer/cli-app:")
    described = aws("describe-stream-consumer", "--consumer-arn",
                    consumer["ConsumerARN"])["ConsumerDescription"]
    assert described["ConsumerStatus"] == "ACTIVE"
    listed = aws("list-stream-consumers", "--stream-arn", stream_arn(name))["Consumers"]
    assert [c["ConsumerName"] for c in listed] == ["cli-app"]
    refused = aws("delete-stream", "--stream-name", name, check=False)
    assert refused.returncode != 0 and "ResourceInUseException" in refused.stderr
    aws("deregister-stream-consumer", "--stream-arn", stream_arn(name),
        "--consumer-name", "cli-app")
    assert aws("list-stream-consumers", "--stream-arn", stream_arn(name))["Consumers"] == []
    aws("register-stream-consumer", "--stream-arn", stream_arn(name), "--consumer-name", "again")
    aws("delete-stream", "--stream-name", name, "--enforce-consumer-deletion")
    aws("wait", "stream-not-exists", "--stream-name", name)
