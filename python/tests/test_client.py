"""spate.Client and FakeStream: every action reachable, dict shapes, errors as classes,
argument checking before sending, AWS_* variables."""

import os
import subprocess
import sys

import pytest

import spate
from spate import errors
from spate.testing import FakeStream

ACTIONS = [
    "add_tags_to_stream", "create_stream", "decrease_stream_retention_period",
    "delete_resource_policy", "delete_stream", "deregister_stream_consumer",
    "describe_account_settings", "describe_limits", "describe_stream",
    "describe_stream_consumer", "describe_stream_summary", "disable_enhanced_monitoring",
    "enable_enhanced_monitoring", "get_records", "get_resource_policy", "get_shard_iterator",
    "increase_stream_retention_period", "list_shards", "list_stream_consumers", "list_streams",
    "list_tags_for_resource", "list_tags_for_stream", "merge_shards", "put_record",
    "put_records", "put_resource_policy", "register_stream_consumer", "remove_tags_from_stream",
    "split_shard", "start_stream_encryption", "stop_stream_encryption", "subscribe_to_shard",
    "tag_resource", "untag_resource", "update_account_settings", "update_max_record_size",
    "update_shard_count", "update_stream_mode", "update_stream_warm_throughput",
]


def test_the_client_has_a_method_for_each_of_the_39_actions():
    assert len(ACTIONS) == 39
    for name in ACTIONS:
        assert callable(getattr(spate.Client, name)), name
        assert getattr(spate.Client, name).__doc__, name


@pytest.fixture(params=["fake", "spated"])
def api(request):
    if request.param == "fake":
        return FakeStream()
    return request.getfixturevalue("client")


def test_put_get_roundtrip_keeps_bytes_exactly(api):
    api.create_stream(stream_name="rt", shard_count=1)
    payload = bytes(range(256)) * 4
    put = api.put_record(stream_name="rt", partition_key="k", data=payload)
    assert put["shard_id"] == "shardId-000000000000"
    it = api.get_shard_iterator(stream_name="rt", shard_id=put["shard_id"],
                                position={"type": "AT_SEQUENCE_NUMBER",
                                          "sequence_number": put["sequence_number"]})
    got = api.get_records(shard_iterator=it["shard_iterator"])
    assert [r["data"] for r in got["records"]] == [payload]
    assert got["records"][0]["partition_key"] == "k"
    assert got["records"][0]["arrival_ms"] > 0
    api.delete_stream(stream_name="rt")


def test_put_records_reports_each_entry(api):
    api.create_stream(stream_name="batch", shard_count=2)
    out = api.put_records(stream_name="batch", records=[
        {"partition_key": f"k{i}", "data": b"x"} for i in range(10)])
    assert out["failed_record_count"] == 0
    assert len(out["records"]) == 10
    assert all(r["sequence_number"] for r in out["records"])
    api.delete_stream(stream_name="batch")


def test_service_errors_are_classes_with_code_message_and_status(api):
    with pytest.raises(spate.ResourceNotFound) as info:
        api.describe_stream_summary(stream_name="missing")
    e = info.value
    assert isinstance(e, spate.ServiceError) and isinstance(e, spate.Error)
    assert e.code == "ResourceNotFoundException"
    assert "missing" in e.message
    assert e.http_status == 400
    api.create_stream(stream_name="dup", shard_count=1)
    with pytest.raises(spate.ResourceInUse):
        api.create_stream(stream_name="dup", shard_count=1)
    with pytest.raises(spate.InvalidArgument):
        api.get_records(shard_iterator="not-an-iterator")


def test_a_service_error_from_spated_carries_the_request_id(client):
    with pytest.raises(spate.ResourceNotFound) as info:
        client.describe_stream_summary(stream_name="missing")
    assert len(info.value.request_id) == 36  # a UUID


@pytest.mark.parametrize("kwargs, exc", [
    ({"stream_name": "s", "partition_key": "k", "data": "text"}, TypeError),
    ({"stream_name": "s", "partition_key": 7, "data": b"x"}, TypeError),
    ({"stream_name": "s", "partition_key": "k", "data": b"x", "bogus": 1}, TypeError),
])
def test_wrong_types_raise_before_anything_is_sent(kwargs, exc):
    fake = FakeStream()
    fake.inject_call_failures(1, "InternalFailure")  # a call that was sent would fail
    with pytest.raises(exc):
        fake.put_record(**kwargs)
    with pytest.raises(errors.InternalFailure):  # the injected failure is still unused
        fake.list_streams()


def test_an_unknown_enumeration_value_is_a_value_error():
    with pytest.raises(ValueError, match="mode"):
        FakeStream().create_stream(stream_name="s", mode="SOMETIMES")


def test_network_failures_are_network_errors_not_service_errors():
    client = spate.Client("http://127.0.0.1:1", "us-east-1", ("a", "b", ""),
                          connect_timeout=0.5, max_attempts=1)
    with pytest.raises(spate.NetworkError) as info:
        client.list_streams()
    assert not isinstance(info.value, spate.ServiceError)
    assert info.value.http_status == 0


def test_describe_stream_all_gathers_every_page(api):
    api.create_stream(stream_name="pages", shard_count=5)
    d = api.describe_stream_all(stream_name="pages")
    assert [s["shard_id"] for s in d["shards"]] == [f"shardId-00000000000{i}" for i in range(5)]
    assert d["has_more_shards"] is False


def test_resharding_through_the_client(api):
    api.create_stream(stream_name="rs", shard_count=1)
    shard = api.list_shards(stream_name="rs")["shards"][0]
    lo, hi = int(shard["hash_range"]["starting_hash_key"]), int(
        shard["hash_range"]["ending_hash_key"])
    api.split_shard(stream_name="rs", shard_to_split=shard["shard_id"],
                    new_starting_hash_key=str((lo + hi) // 2))
    from conftest import wait_for
    wait_for(lambda: api.describe_stream_summary(stream_name="rs")["summary"]["status"]
             == "ACTIVE")
    shards = api.list_shards(stream_name="rs")["shards"]
    assert len(shards) == 3
    assert {s["parent_shard_id"] for s in shards[1:]} == {shard["shard_id"]}


def test_aws_environment_variables_choose_the_endpoint(server):
    code = ("import spate; print(spate.Client().list_streams()['has_more_streams'])")
    env = dict(os.environ, AWS_ENDPOINT_URL=server.endpoint, AWS_ACCESS_KEY_ID="AKID",
               AWS_SECRET_ACCESS_KEY="secret", AWS_REGION="eu-west-1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_subscribe_to_shard_calls_back_on_the_calling_thread(api):
    import threading
    api.create_stream(stream_name="efo", shard_count=1)
    arn = api.describe_stream_summary(stream_name="efo")["summary"]["stream_arn"]
    consumer = api.register_stream_consumer(stream_arn=arn, consumer_name="c")["consumer"]
    from conftest import wait_for
    wait_for(lambda: api.describe_stream_consumer(consumer_arn=consumer["consumer_arn"])
             ["consumer"]["status"] == "ACTIVE")
    api.put_record(stream_name="efo", partition_key="k", data=b"pushed")
    caller = threading.get_ident()
    seen = []

    def on_event(event):
        assert threading.get_ident() == caller
        seen.extend(r["data"] for r in event["records"])
        return not seen  # stop after the first event with records

    out = api.subscribe_to_shard(consumer_arn=consumer["consumer_arn"],
                                 shard_id="shardId-000000000000",
                                 starting_position={"type": "TRIM_HORIZON"}, on_event=on_event)
    assert seen == [b"pushed"]
    assert out["events"] >= 1


def test_the_type_stubs_list_every_method_of_the_client():
    import ast
    from pathlib import Path
    stub = Path(spate.__file__).with_name("_core.pyi")
    tree = ast.parse(stub.read_text())
    client = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Client")
    stubbed = {f.name for f in client.body if isinstance(f, ast.FunctionDef)}
    public = {n for n in dir(spate.Client) if not n.startswith("_")} | {"__init__"}
    assert public == stubbed
