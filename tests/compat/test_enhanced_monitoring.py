"""EnableEnhancedMonitoring / DisableEnhancedMonitoring answer as AWS Kinesis does, and the
metrics they name appear in /metrics per shard.

Proves: the answer has StreamName, StreamARN, CurrentShardLevelMetrics (before) and
DesiredShardLevelMetrics (after), in AWS's order; "ALL" means all seven; DescribeStream's and
DescribeStreamSummary's EnhancedMonitoring follow; disabling removes only the named metrics;
the setting survives a restart; /metrics shows spate_shard_* series only for the enabled
metrics of monitored streams, per shard, with values that count the puts and reads; an unknown
metric or an empty list is ValidationException; unknown streams are ResourceNotFoundException.
"""

from __future__ import annotations

from spate_harness import api, b64, expect_error, shard_id, stream_arn, unique_stream_name

ALL = [
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
]


def _monitored(endpoint, name):
    desc = api(endpoint, "DescribeStream", StreamName=name)["StreamDescription"]
    summary = api(endpoint, "DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]
    assert desc["EnhancedMonitoring"] == summary["EnhancedMonitoring"]
    [entry] = desc["EnhancedMonitoring"]
    return entry["ShardLevelMetrics"]


def test_enable_and_disable(endpoint, stream):
    name = stream(shards=1)
    assert _monitored(endpoint, name) == []
    resp = api(endpoint, "EnableEnhancedMonitoring", StreamName=name,
               ShardLevelMetrics=["OutgoingBytes", "IncomingBytes"])
    assert resp == {
        "StreamName": name,
        "StreamARN": stream_arn(name),
        "CurrentShardLevelMetrics": [],
        "DesiredShardLevelMetrics": ["IncomingBytes", "OutgoingBytes"],
    }
    assert _monitored(endpoint, name) == ["IncomingBytes", "OutgoingBytes"]
    resp = api(endpoint, "EnableEnhancedMonitoring", StreamARN=stream_arn(name),
               ShardLevelMetrics=["ALL"])
    assert resp["CurrentShardLevelMetrics"] == ["IncomingBytes", "OutgoingBytes"]
    assert resp["DesiredShardLevelMetrics"] == ALL
    resp = api(endpoint, "DisableEnhancedMonitoring", StreamName=name,
               ShardLevelMetrics=["IteratorAgeMilliseconds", "IncomingBytes"])
    assert resp["CurrentShardLevelMetrics"] == ALL
    assert resp["DesiredShardLevelMetrics"] == [m for m in ALL if m not in
                                                ("IteratorAgeMilliseconds", "IncomingBytes")]
    resp = api(endpoint, "DisableEnhancedMonitoring", StreamName=name, ShardLevelMetrics=["ALL"])
    assert resp["DesiredShardLevelMetrics"] == []
    assert _monitored(endpoint, name) == []


def test_metrics_per_shard(server, stream):
    endpoint = server.endpoint
    name = stream(shards=2)
    api(endpoint, "PutRecord", StreamName=name, PartitionKey="before", Data=b64(b"x"))
    before = server.metrics()
    assert not any(name in k for k in before if k.startswith("spate_shard_"))

    api(endpoint, "EnableEnhancedMonitoring", StreamName=name,
        ShardLevelMetrics=["IncomingBytes", "IncomingRecords", "OutgoingRecords",
                           "IteratorAgeMilliseconds"])
    start = {}
    for i in range(2):
        key = f'spate_shard_incoming_records_total{{stream="{name}",shard="{shard_id(i)}"}}'
        start[i] = server.metrics()[key]
    resp = api(endpoint, "PutRecords", StreamName=name, Records=[
        {"PartitionKey": "p", "Data": b64(b"12345"), "ExplicitHashKey": "0"},
        {"PartitionKey": "q", "Data": b64(b"678"), "ExplicitHashKey": "0"},
    ])
    assert resp["FailedRecordCount"] == 0
    it = api(endpoint, "GetShardIterator", StreamName=name, ShardId=shard_id(0),
             ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    got = api(endpoint, "GetRecords", ShardIterator=it)["Records"]
    m = server.metrics()
    label = f'{{stream="{name}",shard="{shard_id(0)}"}}'
    assert m["spate_shard_incoming_records_total" + label] == start[0] + 2
    assert m["spate_shard_incoming_bytes_total" + label] >= 5 + 1 + 3 + 1
    assert m["spate_shard_outgoing_records_total" + label] == len(got)
    assert "spate_shard_iterator_age_milliseconds" + label in m
    other = f'{{stream="{name}",shard="{shard_id(1)}"}}'
    assert m["spate_shard_incoming_records_total" + other] == start[1]
    # Only the enabled metrics are rendered.
    assert "spate_shard_outgoing_bytes_total" + label not in m
    assert "spate_shard_write_provisioned_throughput_exceeded_total" + label not in m

    api(endpoint, "DisableEnhancedMonitoring", StreamName=name, ShardLevelMetrics=["ALL"])
    assert not any(name in k for k in server.metrics() if k.startswith("spate_shard_"))


def test_survives_restart(fresh_server):
    name = unique_stream_name("mon")
    api(fresh_server.endpoint, "CreateStream", StreamName=name, ShardCount=1)
    api(fresh_server.endpoint, "EnableEnhancedMonitoring", StreamName=name,
        ShardLevelMetrics=["WriteProvisionedThroughputExceeded"])
    fresh_server.restart()
    assert _monitored(fresh_server.endpoint, name) == ["WriteProvisionedThroughputExceeded"]
    m = fresh_server.metrics()
    assert (f'spate_shard_write_provisioned_throughput_exceeded_total'
            f'{{stream="{name}",shard="{shard_id(0)}"}}') in m


def test_validation(endpoint, stream):
    name = stream(shards=1)
    msg = expect_error(endpoint, "EnableEnhancedMonitoring",
                       {"StreamName": name, "ShardLevelMetrics": ["IncomingBytes", "Bogus"]},
                       "ValidationException")
    assert "shardLevelMetrics" in msg and "enum value set" in msg and "ALL" in msg
    msg = expect_error(endpoint, "DisableEnhancedMonitoring",
                       {"StreamName": name, "ShardLevelMetrics": []}, "ValidationException")
    assert "Member must have length greater than or equal to 1" in msg
    msg = expect_error(endpoint, "EnableEnhancedMonitoring", {"StreamName": name},
                       "ValidationException")
    assert "Member must not be null" in msg
    assert _monitored(endpoint, name) == []


def test_unknown_stream(endpoint):
    for action in ("EnableEnhancedMonitoring", "DisableEnhancedMonitoring"):
        expect_error(endpoint, action,
                     {"StreamName": "no-such-stream", "ShardLevelMetrics": ["ALL"]},
                     "ResourceNotFoundException")
