"""PutResourcePolicy / GetResourcePolicy / DeleteResourcePolicy answer as AWS Kinesis does.

Proves: a policy (a JSON document string) can be attached to a stream and to a consumer, each
by its ARN, read back unchanged, replaced and deleted; GetResourcePolicy answers "{}" when none
is attached; policies survive a restart; deleting the stream or deregistering the consumer drops
the policy (a stream or consumer created again under the name has none); a Policy that is not
JSON is InvalidArgumentException; a missing or malformed ResourceARN is ValidationException;
ARNs of unknown streams or consumers are ResourceNotFoundException, and so is deleting a policy
that is not there.
"""

from __future__ import annotations

import json

from spate_harness import api, expect_error, stream_arn, unique_stream_name

POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "read",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": ["kinesis:GetRecords", "kinesis:GetShardIterator"],
        "Resource": "*",
    }],
})


def _policy(endpoint, arn):
    return api(endpoint, "GetResourcePolicy", ResourceARN=arn)["Policy"]


def test_stream_policy_lifecycle(endpoint, stream):
    arn = stream_arn(stream(shards=1))
    assert _policy(endpoint, arn) == "{}"
    assert api(endpoint, "PutResourcePolicy", ResourceARN=arn, Policy=POLICY) == {}
    assert _policy(endpoint, arn) == POLICY
    replaced = json.dumps({"Version": "2012-10-17", "Statement": []})
    api(endpoint, "PutResourcePolicy", ResourceARN=arn, Policy=replaced)
    assert _policy(endpoint, arn) == replaced
    assert api(endpoint, "DeleteResourcePolicy", ResourceARN=arn) == {}
    assert _policy(endpoint, arn) == "{}"
    expect_error(endpoint, "DeleteResourcePolicy", {"ResourceARN": arn},
                 "ResourceNotFoundException")


def test_consumer_policy_is_its_own(endpoint, stream):
    name = stream(shards=1)
    consumer = api(endpoint, "RegisterStreamConsumer", StreamARN=stream_arn(name),
                   ConsumerName="c1")["Consumer"]["ConsumerARN"]
    api(endpoint, "PutResourcePolicy", ResourceARN=consumer, Policy=POLICY)
    assert _policy(endpoint, consumer) == POLICY
    assert _policy(endpoint, stream_arn(name)) == "{}"  # the stream's is separate
    api(endpoint, "DeregisterStreamConsumer", ConsumerARN=consumer)
    expect_error(endpoint, "GetResourcePolicy", {"ResourceARN": consumer},
                 "ResourceNotFoundException")
    again = api(endpoint, "RegisterStreamConsumer", StreamARN=stream_arn(name),
                ConsumerName="c1")["Consumer"]["ConsumerARN"]
    assert _policy(endpoint, again) == "{}"


def test_deleting_the_stream_drops_its_policy(endpoint):
    name = unique_stream_name("pol")
    api(endpoint, "CreateStream", StreamName=name, ShardCount=1)
    api(endpoint, "PutResourcePolicy", ResourceARN=stream_arn(name), Policy=POLICY)
    api(endpoint, "DeleteStream", StreamName=name)
    expect_error(endpoint, "GetResourcePolicy", {"ResourceARN": stream_arn(name)},
                 "ResourceNotFoundException")
    api(endpoint, "CreateStream", StreamName=name, ShardCount=1)
    try:
        assert _policy(endpoint, stream_arn(name)) == "{}"
    finally:
        api(endpoint, "DeleteStream", StreamName=name)


def test_policies_survive_restart(fresh_server):
    endpoint = fresh_server.endpoint
    name = unique_stream_name("pol")
    api(endpoint, "CreateStream", StreamName=name, ShardCount=1)
    consumer = api(endpoint, "RegisterStreamConsumer", StreamARN=stream_arn(name),
                   ConsumerName="c")["Consumer"]["ConsumerARN"]
    api(endpoint, "PutResourcePolicy", ResourceARN=stream_arn(name), Policy=POLICY)
    api(endpoint, "PutResourcePolicy", ResourceARN=consumer, Policy='{"Statement": []}')
    fresh_server.restart()
    assert _policy(endpoint, stream_arn(name)) == POLICY
    assert _policy(endpoint, consumer) == '{"Statement": []}'


def test_policy_must_be_json(endpoint, stream):
    arn = stream_arn(stream(shards=1))
    for bad in ("not json", "{\"Version\": ", "[1, 2]", "42"):
        expect_error(endpoint, "PutResourcePolicy", {"ResourceARN": arn, "Policy": bad},
                     "InvalidArgumentException")
    assert _policy(endpoint, arn) == "{}"


def test_validation(endpoint):
    msg = expect_error(endpoint, "PutResourcePolicy", {"Policy": POLICY}, "ValidationException")
    assert "resourceARN" in msg and "Member must not be null" in msg
    msg = expect_error(endpoint, "PutResourcePolicy", {"ResourceARN": stream_arn("s")},
                       "ValidationException")
    assert "policy" in msg and "Member must not be null" in msg
    msg = expect_error(endpoint, "GetResourcePolicy", {"ResourceARN": "not-an-arn"},
                       "ValidationException")
    assert "Member must satisfy regular expression pattern" in msg


def test_unknown_resources(endpoint, stream):
    expect_error(endpoint, "PutResourcePolicy",
                 {"ResourceARN": stream_arn("no-such-stream"), "Policy": POLICY},
                 "ResourceNotFoundException")
    expect_error(endpoint, "GetResourcePolicy", {"ResourceARN": stream_arn("no-such-stream")},
                 "ResourceNotFoundException")
    name = stream(shards=1)
    ghost = stream_arn(name) + "/consumer/ghost:1700000000"
    expect_error(endpoint, "PutResourcePolicy", {"ResourceARN": ghost, "Policy": POLICY},
                 "ResourceNotFoundException")
    expect_error(endpoint, "DeleteResourcePolicy", {"ResourceARN": ghost},
                 "ResourceNotFoundException")
