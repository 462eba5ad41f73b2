"""Enhanced fan-out consumers behave as AWS Kinesis's do.

Proves: RegisterStreamConsumer answers CREATING with an ARN of AWS's shape
(<stream ARN>/consumer/<name>:<epoch seconds>) and the consumer becomes ACTIVE;
DescribeStreamConsumer finds it by ARN, by stream ARN + name, or by all three when they agree;
ListStreamConsumers pages with MaxResults / NextToken; DescribeStreamSummary counts consumers;
names are unique per stream, 20 per stream and 5 CREATING at once are the limits; deregistering
passes through DELETING; DeleteStream refuses a stream with consumers unless
EnforceConsumerDeletion; consumers survive a restart, and one caught CREATING comes back
ACTIVE; bad input gets AWS's error types.
"""

from __future__ import annotations

import re
import time

import pytest
from botocore.exceptions import ClientError

from spate_harness import ACCOUNT_ID, api, expect_error, stream_arn, unique_stream_name, wait_active

CONSUMER_ARN_RE = re.compile(
    rf"arn:aws:kinesis:us-east-1:{ACCOUNT_ID}:stream/(?P<stream>[a-zA-Z0-9_.-]+)"
    r"/consumer/(?P<name>[a-zA-Z0-9_.-]+):(?P<seconds>[0-9]+)"
)


def _error(excinfo) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err.get("Message", "")


def test_register_describe_list(kinesis, stream):
    name = stream(shards=1)
    arn = stream_arn(name)
    before = time.time()
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app-1")["Consumer"]
    assert consumer["ConsumerName"] == "app-1"
    assert consumer["ConsumerStatus"] == "CREATING"
    match = CONSUMER_ARN_RE.fullmatch(consumer["ConsumerARN"])
    assert match and match["stream"] == name and match["name"] == "app-1"
    created = consumer["ConsumerCreationTimestamp"].timestamp()
    assert before - 1 <= created <= time.time() + 1
    assert int(match["seconds"]) == int(created)

    by_arn = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
    description = by_arn["ConsumerDescription"]
    assert description["ConsumerStatus"] == "ACTIVE"
    assert description["StreamARN"] == arn
    assert description["ConsumerARN"] == consumer["ConsumerARN"]
    by_name = kinesis.describe_stream_consumer(StreamARN=arn, ConsumerName="app-1")
    assert by_name["ConsumerDescription"] == description
    all_three = kinesis.describe_stream_consumer(
        StreamARN=arn, ConsumerName="app-1", ConsumerARN=consumer["ConsumerARN"]
    )
    assert all_three["ConsumerDescription"] == description

    listed = kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]
    assert [c["ConsumerARN"] for c in listed] == [consumer["ConsumerARN"]]
    assert listed[0]["ConsumerStatus"] == "ACTIVE"
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["ConsumerCount"] == 1


def test_names_are_unique_per_stream_but_not_across_streams(kinesis, stream):
    first, second = stream(shards=1), stream(shards=1)
    kinesis.register_stream_consumer(StreamARN=stream_arn(first), ConsumerName="same")
    with pytest.raises(ClientError) as e:
        kinesis.register_stream_consumer(StreamARN=stream_arn(first), ConsumerName="same")
    code, message = _error(e)
    assert code == "ResourceInUseException" and "same" in message
    other = kinesis.register_stream_consumer(StreamARN=stream_arn(second), ConsumerName="same")
    assert f"stream/{second}/consumer/same:" in other["Consumer"]["ConsumerARN"]


def test_twenty_consumers_per_stream(kinesis, stream):
    name = stream(shards=1)
    for i in range(20):
        kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName=f"c{i}")
    with pytest.raises(ClientError) as e:
        kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="c20")
    assert _error(e)[0] == "LimitExceededException"
    assert len(_list_all(kinesis, name)) == 20


def _list_all(kinesis, name, page=None):
    consumers, token = [], None
    while True:
        args = {"StreamARN": stream_arn(name)}
        if page:
            args["MaxResults"] = page
        if token:
            args["NextToken"] = token
        out = kinesis.list_stream_consumers(**args)
        consumers += out["Consumers"]
        token = out.get("NextToken")
        if not token:
            return consumers


def test_list_pages_in_registration_order(kinesis, stream, endpoint):
    name = stream(shards=1)
    for i in range(5):
        kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName=f"p{i}")
    first = kinesis.list_stream_consumers(StreamARN=stream_arn(name), MaxResults=2)
    assert [c["ConsumerName"] for c in first["Consumers"]] == ["p0", "p1"]
    assert first["NextToken"]
    assert [c["ConsumerName"] for c in _list_all(kinesis, name, page=2)] == [
        f"p{i}" for i in range(5)
    ]
    # NextToken names the stream already: with StreamCreationTimestamp it is refused.
    created = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "StreamCreationTimestamp"
    ]
    expect_error(
        endpoint,
        "ListStreamConsumers",
        {
            "StreamARN": stream_arn(name),
            "NextToken": first["NextToken"],
            "StreamCreationTimestamp": created.timestamp(),
        },
        "InvalidArgumentException",
    )
    # The creation timestamp of the stream itself selects it; another one does not exist.
    same = kinesis.list_stream_consumers(StreamARN=stream_arn(name), StreamCreationTimestamp=created)
    assert len(same["Consumers"]) == 5
    expect_error(
        endpoint,
        "ListStreamConsumers",
        {"StreamARN": stream_arn(name), "StreamCreationTimestamp": created.timestamp() - 100},
        "ResourceNotFoundException",
    )
    expect_error(endpoint, "ListStreamConsumers", {"StreamARN": stream_arn(name), "NextToken": "x"},
                 "InvalidArgumentException")
    expect_error(endpoint, "ListStreamConsumers", {"StreamARN": stream_arn(name), "MaxResults": 0},
                 "ValidationException")


def test_deregister_by_arn_and_by_name(kinesis, stream):
    name = stream(shards=1)
    arn = stream_arn(name)
    a = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="a")["Consumer"]
    kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="b")
    kinesis.deregister_stream_consumer(ConsumerARN=a["ConsumerARN"])
    kinesis.deregister_stream_consumer(StreamARN=arn, ConsumerName="b")
    assert kinesis.list_stream_consumers(StreamARN=arn)["Consumers"] == []
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream_consumer(ConsumerARN=a["ConsumerARN"])
    assert _error(e)[0] == "ResourceNotFoundException"
    # Registered again, the consumer has a new ARN unless the second is the same.
    again = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="a")["Consumer"]
    assert again["ConsumerName"] == "a"


def test_finding_a_consumer_needs_an_arn_or_stream_and_name(endpoint, kinesis, stream):
    name = stream(shards=1)
    arn = stream_arn(name)
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="x")["Consumer"]
    for action in ("DescribeStreamConsumer", "DeregisterStreamConsumer"):
        message = expect_error(endpoint, action, {}, "InvalidArgumentException")
        assert "ConsumerName" in message and "StreamARN" in message
        expect_error(endpoint, action, {"ConsumerName": "x"}, "InvalidArgumentException")
        expect_error(endpoint, action, {"StreamARN": arn}, "InvalidArgumentException")
        expect_error(endpoint, action,
                     {"ConsumerARN": consumer["ConsumerARN"], "ConsumerName": "other"},
                     "InvalidArgumentException")
        expect_error(endpoint, action,
                     {"ConsumerARN": consumer["ConsumerARN"], "StreamARN": stream_arn("elsewhere")},
                     "InvalidArgumentException")
        expect_error(endpoint, action, {"StreamARN": arn, "ConsumerName": "missing"},
                     "ResourceNotFoundException")
        expect_error(endpoint, action,
                     {"ConsumerARN": consumer["ConsumerARN"].rsplit(":", 1)[0] + ":1"},
                     "ResourceNotFoundException")
    expect_error(endpoint, "RegisterStreamConsumer",
                 {"StreamARN": stream_arn("no-such-stream"), "ConsumerName": "x"},
                 "ResourceNotFoundException")


def test_validation(endpoint, stream):
    name = stream(shards=1)
    message = expect_error(endpoint, "RegisterStreamConsumer",
                           {"StreamARN": stream_arn(name), "ConsumerName": "bad name!"},
                           "ValidationException")
    assert "consumerName" in message
    expect_error(endpoint, "RegisterStreamConsumer", {"StreamARN": stream_arn(name)},
                 "ValidationException")
    expect_error(endpoint, "RegisterStreamConsumer",
                 {"StreamARN": stream_arn(name), "ConsumerName": "c" * 129}, "ValidationException")
    message = expect_error(endpoint, "DescribeStreamConsumer",
                           {"ConsumerARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s"},
                           "ValidationException")
    assert "consumerARN" in message


def test_delete_stream_with_consumers_needs_enforce(kinesis, endpoint):
    name = unique_stream_name("enforce")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    wait_active(kinesis, name)
    consumer = kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="c")
    message = expect_error(endpoint, "DeleteStream", {"StreamName": name},
                           "ResourceInUseException")
    assert message == (
        f"DeleteStream can't delete {ACCOUNT_ID}:{name} because there are consumers associated "
        f"with this data stream. To delete {name} anyway, set the EnforceConsumerDeletion "
        "parameter to true to force the deletion of all the consumers that are associated with it."
    )
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    with pytest.raises(ClientError) as e:
        kinesis.describe_stream_consumer(ConsumerARN=consumer["Consumer"]["ConsumerARN"])
    assert _error(e)[0] == "ResourceNotFoundException"
    # A stream created again under the name starts without consumers.
    kinesis.create_stream(StreamName=name, ShardCount=1)
    wait_active(kinesis, name)
    assert kinesis.list_stream_consumers(StreamARN=stream_arn(name))["Consumers"] == []
    kinesis.delete_stream(StreamName=name)


def test_states_take_time_and_creating_is_limited_to_five(spated_factory):
    server = spated_factory(extra_args=["--consumer-ms", "1500"])
    kinesis = server.client()
    kinesis.create_stream(StreamName="s", ShardCount=1)
    wait_active(kinesis, "s")
    arns = []
    for i in range(5):
        arns.append(kinesis.register_stream_consumer(StreamARN=stream_arn("s"),
                                                     ConsumerName=f"c{i}")["Consumer"]["ConsumerARN"])
    with pytest.raises(ClientError) as e:
        kinesis.register_stream_consumer(StreamARN=stream_arn("s"), ConsumerName="c5")
    assert _error(e)[0] == "LimitExceededException"
    assert kinesis.describe_stream_consumer(ConsumerARN=arns[0])["ConsumerDescription"][
        "ConsumerStatus"] == "CREATING"
    deadline = time.time() + 10
    while kinesis.describe_stream_consumer(ConsumerARN=arns[0])["ConsumerDescription"][
            "ConsumerStatus"] != "ACTIVE":
        assert time.time() < deadline, "the consumer never became ACTIVE"
        time.sleep(0.1)
    kinesis.register_stream_consumer(StreamARN=stream_arn("s"), ConsumerName="c5")
    kinesis.deregister_stream_consumer(ConsumerARN=arns[1])
    statuses = {c["ConsumerARN"]: c["ConsumerStatus"]
                for c in kinesis.list_stream_consumers(StreamARN=stream_arn("s"))["Consumers"]}
    assert statuses[arns[1]] == "DELETING"
    deadline = time.time() + 10
    while True:
        try:
            kinesis.describe_stream_consumer(ConsumerARN=arns[1])
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ResourceNotFoundException"
            break
        assert time.time() < deadline, "the consumer was never removed"
        time.sleep(0.1)


def test_consumers_survive_a_restart(spated_factory):
    server = spated_factory(extra_args=["--consumer-ms", "60000"])
    kinesis = server.client()
    kinesis.create_stream(StreamName="s", ShardCount=1)
    wait_active(kinesis, "s")
    pending = kinesis.register_stream_consumer(StreamARN=stream_arn("s"), ConsumerName="pending")
    arn = pending["Consumer"]["ConsumerARN"]
    server.stop()
    server.start()
    kinesis = server.client()
    description = kinesis.describe_stream_consumer(ConsumerARN=arn)["ConsumerDescription"]
    # The transition that was pending when the server stopped is complete after the restart.
    assert description["ConsumerStatus"] == "ACTIVE"
    assert description["ConsumerCreationTimestamp"] == pending["Consumer"]["ConsumerCreationTimestamp"]
    server.kill()
    server.start()
    assert server.client().list_stream_consumers(StreamARN=stream_arn("s"))["Consumers"][0][
        "ConsumerARN"] == arn
