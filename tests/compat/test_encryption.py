"""StartStreamEncryption / StopStreamEncryption answer as AWS Kinesis does.

Proves: a stream starts unencrypted (EncryptionType NONE, no KeyId); starting encryption with a
KMS key makes DescribeStream and DescribeStreamSummary report KMS and the KeyId, stopping it
reports NONE again; with --update-stream-ms the stream is UPDATING for that long, then ACTIVE,
and a second change meanwhile is ResourceInUseException; the setting survives a restart;
StreamARN works as StreamName does; missing or invalid members are ValidationException; NONE
to StartStreamEncryption is InvalidArgumentException; unknown streams are
ResourceNotFoundException. (The actions are unknown to Debian's botocore 1.29: they are sent as
signed JSON.)
"""

from __future__ import annotations

import time

from spate_harness import api, expect_error, stream_arn, unique_stream_name

KEY = "arn:aws:kms:us-east-1:000000000000:key/12345678-1234-1234-1234-123456789012"


def _described(endpoint, name):
    desc = api(endpoint, "DescribeStream", StreamName=name)["StreamDescription"]
    summary = api(endpoint, "DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]
    assert desc["EncryptionType"] == summary["EncryptionType"]
    assert desc.get("KeyId") == summary.get("KeyId")
    return desc


def test_start_and_stop(endpoint, stream):
    name = stream(shards=1)
    desc = _described(endpoint, name)
    assert desc["EncryptionType"] == "NONE" and "KeyId" not in desc
    assert api(endpoint, "StartStreamEncryption", StreamName=name, EncryptionType="KMS",
               KeyId=KEY) == {}
    desc = _described(endpoint, name)
    assert (desc["EncryptionType"], desc["KeyId"], desc["StreamStatus"]) == ("KMS", KEY, "ACTIVE")
    assert api(endpoint, "StopStreamEncryption", StreamName=name, EncryptionType="KMS",
               KeyId=KEY) == {}
    desc = _described(endpoint, name)
    assert desc["EncryptionType"] == "NONE" and "KeyId" not in desc


def test_by_stream_arn(endpoint, stream):
    name = stream(shards=1)
    api(endpoint, "StartStreamEncryption", StreamARN=stream_arn(name), EncryptionType="KMS",
        KeyId="alias/aws/kinesis")
    assert _described(endpoint, name)["KeyId"] == "alias/aws/kinesis"
    api(endpoint, "StopStreamEncryption", StreamARN=stream_arn(name), EncryptionType="KMS",
        KeyId="alias/aws/kinesis")
    assert _described(endpoint, name)["EncryptionType"] == "NONE"


def test_updating_then_active(spated_factory):
    server = spated_factory(update_stream_ms=1500)
    name = unique_stream_name("enc")
    api(server.endpoint, "CreateStream", StreamName=name, ShardCount=1)
    api(server.endpoint, "StartStreamEncryption", StreamName=name, EncryptionType="KMS", KeyId=KEY)
    desc = _described(server.endpoint, name)
    assert (desc["StreamStatus"], desc["EncryptionType"]) == ("UPDATING", "KMS")
    expect_error(server.endpoint, "StopStreamEncryption",
                 {"StreamName": name, "EncryptionType": "KMS", "KeyId": KEY},
                 "ResourceInUseException")
    deadline = time.monotonic() + 10
    while _described(server.endpoint, name)["StreamStatus"] != "ACTIVE":
        assert time.monotonic() < deadline, "the stream stayed UPDATING"
        time.sleep(0.1)
    # Records can still be written while and after the change.
    api(server.endpoint, "PutRecord", StreamName=name, PartitionKey="k", Data="aGk=")


def test_survives_restart(fresh_server):
    name = unique_stream_name("enc")
    api(fresh_server.endpoint, "CreateStream", StreamName=name, ShardCount=1)
    api(fresh_server.endpoint, "StartStreamEncryption", StreamName=name, EncryptionType="KMS",
        KeyId=KEY)
    fresh_server.restart()
    desc = _described(fresh_server.endpoint, name)
    assert (desc["EncryptionType"], desc["KeyId"]) == ("KMS", KEY)


def test_validation(endpoint, stream):
    name = stream(shards=1)
    msg = expect_error(endpoint, "StartStreamEncryption", {"StreamName": name, "KeyId": KEY},
                       "ValidationException")
    assert "encryptionType" in msg and "Member must not be null" in msg
    msg = expect_error(endpoint, "StartStreamEncryption",
                       {"StreamName": name, "EncryptionType": "AES", "KeyId": KEY},
                       "ValidationException")
    assert "Member must satisfy enum value set: [NONE, KMS]" in msg
    msg = expect_error(endpoint, "StopStreamEncryption",
                       {"StreamName": name, "EncryptionType": "KMS", "KeyId": ""},
                       "ValidationException")
    assert "keyId" in msg
    expect_error(endpoint, "StartStreamEncryption",
                 {"StreamName": name, "EncryptionType": "NONE", "KeyId": KEY},
                 "InvalidArgumentException")
    assert _described(endpoint, name)["EncryptionType"] == "NONE"


def test_unknown_stream(endpoint):
    for action in ("StartStreamEncryption", "StopStreamEncryption"):
        msg = expect_error(endpoint, action,
                           {"StreamName": "no-such-stream", "EncryptionType": "KMS", "KeyId": KEY},
                           "ResourceNotFoundException")
        assert "no-such-stream" in msg
