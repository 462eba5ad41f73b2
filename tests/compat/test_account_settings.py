"""DescribeAccountSettings / UpdateAccountSettings and UpdateStreamWarmThroughput answer as AWS
Kinesis does.

Proves: the minimum throughput billing commitment starts DISABLED; enabling it reports ENABLED
with StartedAt and an EarliestAllowedEndAt 24 hours later; disabling it before then reports
ENABLED_UNTIL_EARLIEST_ALLOWED_END, and enabling again cancels that; the settings survive a
restart; a missing or unknown Status is ValidationException. UpdateStreamWarmThroughput works
only on ON_DEMAND streams of an account with the commitment (InvalidArgumentException
otherwise), answers StreamName, StreamARN and WarmThroughput (TargetMiBps, CurrentMiBps),
leaves the stream UPDATING for --update-stream-ms, after which CurrentMiBps reaches the target;
DescribeStreamSummary reports WarmThroughput; the setting survives a restart; more than
10240 MiBps is LimitExceededException; a negative value is ValidationException; unknown
streams are ResourceNotFoundException. Each test has a server of its own: the settings are the
account's.
"""

from __future__ import annotations

import time

from spate_harness import api, expect_error, stream_arn, unique_stream_name

DAY_S = 24 * 3600


def _commitment(endpoint):
    return api(endpoint, "DescribeAccountSettings")["MinimumThroughputBillingCommitment"]


def _update(endpoint, status):
    return api(endpoint, "UpdateAccountSettings",
               MinimumThroughputBillingCommitment={"Status": status})[
        "MinimumThroughputBillingCommitment"]


def _summary(endpoint, name):
    return api(endpoint, "DescribeStreamSummary", StreamName=name)["StreamDescriptionSummary"]


def test_commitment_lifecycle(fresh_server):
    endpoint = fresh_server.endpoint
    assert _commitment(endpoint) == {"Status": "DISABLED"}
    before = time.time()
    enabled = _update(endpoint, "ENABLED")
    assert enabled["Status"] == "ENABLED"
    assert before - 1 <= enabled["StartedAt"] <= time.time() + 1
    assert abs(enabled["EarliestAllowedEndAt"] - enabled["StartedAt"] - DAY_S) < 1
    assert _commitment(endpoint) == enabled
    pending = _update(endpoint, "DISABLED")
    assert pending["Status"] == "ENABLED_UNTIL_EARLIEST_ALLOWED_END"
    assert pending["EarliestAllowedEndAt"] == enabled["EarliestAllowedEndAt"]
    fresh_server.restart()
    assert _commitment(endpoint) == pending
    again = _update(endpoint, "ENABLED")
    assert again["Status"] == "ENABLED"
    assert again["StartedAt"] == enabled["StartedAt"]  # the same commitment, its end cancelled


def test_update_validation(fresh_server):
    endpoint = fresh_server.endpoint
    msg = expect_error(endpoint, "UpdateAccountSettings", {}, "ValidationException")
    assert "minimumThroughputBillingCommitment" in msg and "Member must not be null" in msg
    msg = expect_error(endpoint, "UpdateAccountSettings",
                       {"MinimumThroughputBillingCommitment": {"Status": "MAYBE"}},
                       "ValidationException")
    assert "Member must satisfy enum value set: [ENABLED, DISABLED]" in msg
    assert _commitment(endpoint) == {"Status": "DISABLED"}


def test_warm_throughput_needs_on_demand_and_commitment(fresh_server):
    endpoint = fresh_server.endpoint
    od = unique_stream_name("warm")
    prov = unique_stream_name("prov")
    api(endpoint, "CreateStream", StreamName=od, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    api(endpoint, "CreateStream", StreamName=prov, ShardCount=1)
    expect_error(endpoint, "UpdateStreamWarmThroughput",
                 {"StreamName": od, "WarmThroughputMiBps": 100}, "InvalidArgumentException")
    assert "WarmThroughput" not in _summary(endpoint, od)
    _update(endpoint, "ENABLED")
    expect_error(endpoint, "UpdateStreamWarmThroughput",
                 {"StreamName": prov, "WarmThroughputMiBps": 100}, "InvalidArgumentException")
    assert "WarmThroughput" not in _summary(endpoint, prov)
    assert _summary(endpoint, od)["WarmThroughput"] == {"TargetMiBps": 0, "CurrentMiBps": 0}
    resp = api(endpoint, "UpdateStreamWarmThroughput", StreamARN=stream_arn(od),
               WarmThroughputMiBps=200)
    assert resp == {"StreamARN": stream_arn(od), "StreamName": od,
                    "WarmThroughput": {"TargetMiBps": 200, "CurrentMiBps": 200}}
    assert _summary(endpoint, od)["WarmThroughput"] == {"TargetMiBps": 200, "CurrentMiBps": 200}
    fresh_server.restart()
    assert _summary(endpoint, od)["WarmThroughput"] == {"TargetMiBps": 200, "CurrentMiBps": 200}


def test_warm_throughput_updating_then_active(spated_factory):
    server = spated_factory(update_stream_ms=1500)
    endpoint = server.endpoint
    _update(endpoint, "ENABLED")
    name = unique_stream_name("warm")
    api(endpoint, "CreateStream", StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    resp = api(endpoint, "UpdateStreamWarmThroughput", StreamName=name, WarmThroughputMiBps=300)
    assert resp["WarmThroughput"] == {"TargetMiBps": 300, "CurrentMiBps": 0}
    summary = _summary(endpoint, name)
    assert summary["StreamStatus"] == "UPDATING"
    assert summary["WarmThroughput"] == {"TargetMiBps": 300, "CurrentMiBps": 0}
    expect_error(endpoint, "UpdateStreamWarmThroughput",
                 {"StreamName": name, "WarmThroughputMiBps": 10}, "ResourceInUseException")
    deadline = time.monotonic() + 10
    while _summary(endpoint, name)["StreamStatus"] != "ACTIVE":
        assert time.monotonic() < deadline, "the stream stayed UPDATING"
        time.sleep(0.1)
    assert _summary(endpoint, name)["WarmThroughput"] == {"TargetMiBps": 300, "CurrentMiBps": 300}


def test_warm_throughput_limits(fresh_server):
    endpoint = fresh_server.endpoint
    _update(endpoint, "ENABLED")
    name = unique_stream_name("warm")
    api(endpoint, "CreateStream", StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    expect_error(endpoint, "UpdateStreamWarmThroughput",
                 {"StreamName": name, "WarmThroughputMiBps": 10241}, "LimitExceededException")
    api(endpoint, "UpdateStreamWarmThroughput", StreamName=name, WarmThroughputMiBps=10240)
    msg = expect_error(endpoint, "UpdateStreamWarmThroughput",
                       {"StreamName": name, "WarmThroughputMiBps": -1}, "ValidationException")
    assert "warmThroughputMiBps" in msg
    msg = expect_error(endpoint, "UpdateStreamWarmThroughput", {"StreamName": name},
                       "ValidationException")
    assert "Member must not be null" in msg
    expect_error(endpoint, "UpdateStreamWarmThroughput",
                 {"StreamName": "no-such-stream", "WarmThroughputMiBps": 1},
                 "ResourceNotFoundException")
