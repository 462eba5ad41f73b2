"""The conformance scenarios (tests/conformance in C++) from Python: each runs against the
in-process FakeStream and against a real spated through spate.Client, and every assertion
holds for both - so a unit test written against spate.testing.FakeStream behaves the same
against the server. Sequence numbers and timestamps differ legitimately and are compared by
the properties Kinesis promises (order, parents ending before children start)."""

import hashlib
import uuid

import pytest

import spate
from spate.testing import FakeStream

from conftest import wait_for

ACCOUNT = "000000000000"
MAX = (1 << 128) - 1


def split_evenly(n):
    step = (1 << 128) // n
    return [(i * step, MAX if i == n - 1 else (i + 1) * step - 1) for i in range(n)]


def shard_id(i):
    return f"shardId-{i:012d}"


class Backend:
    def __init__(self, api):
        self.api = api

    def stream(self, shards):
        name = "conf-" + uuid.uuid4().hex[:10]
        self.api.create_stream(stream_name=name, shard_count=shards)
        wait_for(lambda: self.api.describe_stream_summary(stream_name=name)["summary"]["status"]
                 == "ACTIVE")
        return name

    @staticmethod
    def arn(name):
        return f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/{name}"

    def shards(self, name):
        return self.api.describe_stream_all(stream_name=name)["shards"]

    def open_shards(self, name):
        return [s for s in self.shards(name) if not s["ending_sequence_number"]]

    def put(self, name, key, data, hash_key=""):
        return self.api.put_record(stream_name=name, partition_key=key, data=data,
                                   explicit_hash_key=hash_key)

    def iterator(self, name, shard, position):
        return self.api.get_shard_iterator(stream_name=name, shard_id=shard,
                                           position=position)["shard_iterator"]

    def read(self, name, shard, position):
        """Every record from `position` to the shard's end (or its tip), and the last page."""
        it, records, page = self.iterator(name, shard, position), [], None
        while it:
            page = self.api.get_records(shard_iterator=it)
            records += page["records"]
            if not page["records"] and page["next_shard_iterator"]:
                break
            it = page["next_shard_iterator"]
        return records, page

    @staticmethod
    def expect_error(call, cls, code, message):
        with pytest.raises(cls) as info:
            call()
        assert info.value.code == code
        assert info.value.message == message
        assert info.value.http_status == 400


@pytest.fixture(params=["fake_stream", "spated"])
def k(request):
    if request.param == "fake_stream":
        return Backend(FakeStream())
    return Backend(request.getfixturevalue("client"))


def key_shard(open_shards, key):
    h = int.from_bytes(hashlib.md5(key.encode()).digest(), "big")
    return next(s["shard_id"] for s in open_shards
                if int(s["hash_range"]["starting_hash_key"]) <= h
                <= int(s["hash_range"]["ending_hash_key"]))


def seq_less(a, b):
    return int(a) < int(b)


def test_create_gives_even_shards_and_the_aws_shape(k):
    name = k.stream(3)
    d = k.api.describe_stream(stream_name=name)["description"]
    assert (d["stream_name"], d["stream_arn"], d["status"], d["mode"]) == (
        name, k.arn(name), "ACTIVE", "PROVISIONED")
    assert (d["retention_period_hours"], d["encryption"], d["has_more_shards"]) == (
        24, "NONE", False)
    for i, (s, (lo, hi)) in enumerate(zip(d["shards"], split_evenly(3))):
        assert s["shard_id"] == shard_id(i)
        assert (s["hash_range"]["starting_hash_key"], s["hash_range"]["ending_hash_key"]) == (
            str(lo), str(hi))
        assert s["parent_shard_id"] == s["adjacent_parent_shard_id"] == ""
        assert s["ending_sequence_number"] == ""
    assert k.api.describe_stream_summary(stream_name=name)["summary"]["open_shard_count"] == 3
    assert k.api.describe_stream(stream_arn=k.arn(name))["description"]["stream_name"] == name


def test_list_shards_pages_and_starts_after_a_shard(k):
    name = k.stream(5)
    page = k.api.list_shards(stream_name=name, max_results=2)
    ids = [s["shard_id"] for s in page["shards"]]
    assert len(ids) == 2 and page["next_token"]
    while page["next_token"]:
        page = k.api.list_shards(next_token=page["next_token"], max_results=2)
        ids += [s["shard_id"] for s in page["shards"]]
    assert ids == [shard_id(i) for i in range(5)]
    rest = k.api.list_shards(stream_name=name, exclusive_start_shard_id=shard_id(2))["shards"]
    assert [s["shard_id"] for s in rest] == [shard_id(3), shard_id(4)]


def test_puts_route_by_md5_and_by_explicit_hash_key(k):
    name = k.stream(4)
    open_shards = k.open_shards(name)
    for key in ("a", "user-17", "k", "another key"):
        assert k.put(name, key, b"x")["shard_id"] == key_shard(open_shards, key)
    assert k.put(name, "k", b"x", "0")["shard_id"] == shard_id(0)
    assert k.put(name, "k", b"x", str(MAX))["shard_id"] == shard_id(3)
    batch = [{"partition_key": f"key-{i}", "data": b"v"} for i in range(20)]
    r = k.api.put_records(stream_name=name, records=batch)
    assert r["failed_record_count"] == 0
    assert [e["shard_id"] for e in r["records"]] == [
        key_shard(open_shards, e["partition_key"]) for e in batch]


def test_every_iterator_type_starts_where_kinesis_says(k):
    name = k.stream(1)
    shard = shard_id(0)
    put = [k.put(name, "k", f"r{i}".encode()) for i in range(5)]
    assert all(seq_less(a["sequence_number"], b["sequence_number"])
               for a, b in zip(put, put[1:]))

    def data(position):
        return [r["data"].decode() for r in k.read(name, shard, position)[0]]

    assert data({"type": "TRIM_HORIZON"}) == ["r0", "r1", "r2", "r3", "r4"]
    assert data({"type": "AT_SEQUENCE_NUMBER", "sequence_number": put[2]["sequence_number"]}) \
        == ["r2", "r3", "r4"]
    assert data({"type": "AFTER_SEQUENCE_NUMBER",
                 "sequence_number": put[2]["sequence_number"]}) == ["r3", "r4"]
    assert data({"type": "AT_TIMESTAMP", "timestamp_ms": 0}) == ["r0", "r1", "r2", "r3", "r4"]
    latest = k.iterator(name, shard, {"type": "LATEST"})
    k.put(name, "k", b"r5")
    after = k.api.get_records(shard_iterator=latest)
    assert [(r["data"], r["partition_key"]) for r in after["records"]] == [(b"r5", "k")]
    assert after["next_shard_iterator"]


def test_get_records_pages_by_limit(k):
    name = k.stream(1)
    for i in range(7):
        k.put(name, "k", str(i).encode())
    it, sizes = k.iterator(name, shard_id(0), {"type": "TRIM_HORIZON"}), []
    for _ in range(4):
        page = k.api.get_records(shard_iterator=it, limit=3)
        sizes.append(len(page["records"]))
        it = page["next_shard_iterator"]
    assert sizes == [3, 3, 1, 0]


def test_split_closes_the_parent_and_its_end_names_the_children(k):
    name = k.stream(1)
    k.put(name, "before", b"p")
    parent = k.shards(name)[0]
    lo, hi = (int(parent["hash_range"][f]) for f in ("starting_hash_key", "ending_hash_key"))
    middle = str((lo + hi) // 2)
    k.api.split_shard(stream_name=name, shard_to_split=parent["shard_id"],
                      new_starting_hash_key=middle)
    wait_for(lambda: len(k.shards(name)) == 3)
    everything = k.shards(name)
    assert everything[0]["ending_sequence_number"]
    for i in (1, 2):
        assert everything[i]["shard_id"] == shard_id(i)
        assert everything[i]["parent_shard_id"] == parent["shard_id"]
        assert everything[i]["adjacent_parent_shard_id"] == ""
        assert seq_less(everything[0]["ending_sequence_number"],
                        everything[i]["starting_sequence_number"])
    assert everything[2]["hash_range"]["starting_hash_key"] == middle
    records, last = k.read(name, parent["shard_id"], {"type": "TRIM_HORIZON"})
    assert [r["data"] for r in records] == [b"p"]
    assert last["next_shard_iterator"] == ""
    assert [(c["shard_id"], c["parent_shards"]) for c in last["child_shards"]] == [
        (shard_id(1), [parent["shard_id"]]), (shard_id(2), [parent["shard_id"]])]


def test_merge_names_both_parents_and_refuses_non_adjacent_shards(k):
    name = k.stream(3)
    k.expect_error(lambda: k.api.merge_shards(stream_name=name, shard_to_merge=shard_id(0),
                                              adjacent_shard_to_merge=shard_id(2)),
                   spate.InvalidArgument, "InvalidArgumentException",
                   f"Shards shardId-000000000000 and shardId-000000000002 in stream {name} "
                   f"under account {ACCOUNT} are not an adjacent pair of shards eligible for "
                   "merging")
    k.api.merge_shards(stream_name=name, shard_to_merge=shard_id(1),
                       adjacent_shard_to_merge=shard_id(0))
    wait_for(lambda: len(k.shards(name)) == 4)
    merged = k.shards(name)[3]
    assert (merged["shard_id"], merged["parent_shard_id"], merged["adjacent_parent_shard_id"]) \
        == (shard_id(3), shard_id(1), shard_id(0))
    assert merged["hash_range"]["starting_hash_key"] == "0"


def test_update_shard_count_builds_the_same_lineage(k):
    name = k.stream(2)
    scaled = k.api.update_shard_count(stream_name=name, target_shard_count=3)
    assert (scaled["current_shard_count"], scaled["target_shard_count"]) == (2, 3)
    wait_for(lambda: len(k.shards(name)) == 7)
    lineage = [(s["parent_shard_id"], s["adjacent_parent_shard_id"]) for s in k.shards(name)]
    assert lineage == [("", ""), ("", ""), (shard_id(0), ""), (shard_id(0), ""),
                       (shard_id(1), ""), (shard_id(1), ""), (shard_id(3), shard_id(4))]
    wait_for(lambda: k.api.describe_stream_summary(stream_name=name)["summary"]["status"]
             == "ACTIVE")
    assert [s["shard_id"] for s in k.open_shards(name)] == [shard_id(2), shard_id(5),
                                                            shard_id(6)]
    k.expect_error(lambda: k.api.update_shard_count(stream_name=name, target_shard_count=7),
                   spate.LimitExceeded, "LimitExceededException",
                   "UpdateShardCount cannot scale up over double your current open shard "
                   "count. Current open shard count: 3, Target shard count: 7")


def test_retention_moves_one_way_at_a_time_within_its_bounds(k):
    name = k.stream(1)
    k.api.increase_stream_retention_period(stream_name=name, retention_period_hours=48)
    assert k.api.describe_stream_summary(stream_name=name)["summary"][
        "retention_period_hours"] == 48
    k.expect_error(lambda: k.api.decrease_stream_retention_period(
        stream_name=name, retention_period_hours=12), spate.InvalidArgument,
        "InvalidArgumentException",
        "Minimum allowed retention period is 24 hours. Requested retention period (12 hours) "
        "is too short.")


def test_tags_add_list_remove_and_stop_at_fifty(k):
    name = k.stream(1)
    k.api.add_tags_to_stream(stream_name=name, tags={"team": "data", "env": "test"})
    k.api.remove_tags_from_stream(stream_name=name, tag_keys=["env"])
    assert k.api.list_tags_for_stream(stream_name=name)["tags"] == {"team": "data"}
    k.expect_error(lambda: k.api.add_tags_to_stream(
        stream_name=name, tags={f"k{i}": "v" for i in range(50)}), spate.InvalidArgument,
        "InvalidArgumentException",
        f"Failed to add tags to stream {name} under account {ACCOUNT} because a given stream "
        "cannot have more than 50 tags associated with it.")
    assert len(k.api.list_tags_for_stream(stream_name=name)["tags"]) == 1


def test_consumers_register_describe_list_and_deregister(k):
    name = k.stream(1)
    arn = k.arn(name)
    c = k.api.register_stream_consumer(stream_arn=arn, consumer_name="billing")["consumer"]
    assert c["status"] == "CREATING"
    assert c["consumer_arn"].startswith(arn + "/consumer/billing:")
    wait_for(lambda: k.api.describe_stream_consumer(consumer_arn=c["consumer_arn"])[
        "consumer"]["status"] == "ACTIVE")
    k.expect_error(lambda: k.api.register_stream_consumer(stream_arn=arn,
                                                          consumer_name="billing"),
                   spate.ResourceInUse, "ResourceInUseException",
                   f"Consumer billing under stream {name} already exists for account {ACCOUNT}.")
    assert [x["consumer_name"] for x in k.api.list_stream_consumers(stream_arn=arn)[
        "consumers"]] == ["billing"]
    k.api.deregister_stream_consumer(consumer_arn=c["consumer_arn"])

    def gone():
        try:
            k.api.describe_stream_consumer(stream_arn=arn, consumer_name="billing")
            return False
        except spate.ResourceNotFound as e:
            return e.message == (f"Consumer billing under stream {name} not found for account "
                                 f"{ACCOUNT}.")
    wait_for(gone)


def test_missing_things_are_not_found_with_aws_messages(k):
    ghost = "conformance-ghost"
    k.expect_error(lambda: k.api.describe_stream(stream_name=ghost), spate.ResourceNotFound,
                   "ResourceNotFoundException",
                   f"Stream {ghost} under account {ACCOUNT} not found.")
    name = k.stream(2)
    k.expect_error(lambda: k.iterator(name, shard_id(7), {"type": "LATEST"}),
                   spate.ResourceNotFound, "ResourceNotFoundException",
                   f"Shard shardId-000000000007 in stream {name} under account {ACCOUNT} does "
                   "not exist")
    k.expect_error(lambda: k.api.create_stream(stream_name=name, shard_count=1),
                   spate.ResourceInUse, "ResourceInUseException",
                   f"Stream {name} under account {ACCOUNT} already exists.")


def test_bad_records_are_refused_as_aws_refuses_them(k):
    name = k.stream(1)
    k.expect_error(lambda: k.put(name, "k", b"x", str(MAX + 1)), spate.InvalidArgument,
                   "InvalidArgumentException",
                   "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]."
                   f" Specified value was {MAX + 1}")
    k.expect_error(lambda: k.put(name, "k", b"x" * ((1 << 20) + 1)), spate.InvalidArgument,
                   "InvalidArgumentException",
                   "Record size 1048578 exceeds the maximum record size of 1024 KiB (data plus "
                   f"partition key) of stream {name} under account {ACCOUNT}.")


def test_request_checks_are_worded_as_aws_words_them(k):
    def one(value, path, what):
        return (f"1 validation error detected: Value {value} at '{path}' failed to satisfy "
                f"constraint: {what}")
    k.expect_error(lambda: k.api.create_stream(stream_name="a b", shard_count=1),
                   spate.ValidationError, "ValidationException",
                   one("'a b'", "streamName",
                       "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"))
    name = k.stream(2)
    k.expect_error(lambda: k.api.list_shards(stream_name=name, max_results=10001),
                   spate.ValidationError, "ValidationException",
                   one("'10001'", "maxResults",
                       "Member must have value less than or equal to 10000"))
    k.expect_error(lambda: k.put(name, "", b"x"), spate.ValidationError, "ValidationException",
                   one("''", "partitionKey",
                       "Member must have length greater than or equal to 1"))
