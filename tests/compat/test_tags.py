"""Stream tags answer as AWS Kinesis does, by stream name and by stream ARN.

Proves: AddTagsToStream / RemoveTagsFromStream / ListTagsForStream (sorted keys, overwrite,
empty values, Limit + ExclusiveStartTagKey + HasMoreTags, removing a missing key is a no-op);
TagResource / UntagResource / ListTagsForResource with the stream ARN see the same tags; unknown
streams and ARNs are ResourceNotFoundException; a stream created again under the same name
starts without tags.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from spate_harness import api, expect_error, stream_arn, unique_stream_name, wait_active


def _tags(kinesis, name, **kw):
    out = kinesis.list_tags_for_stream(StreamName=name, **kw)
    return {t["Key"]: t.get("Value", "") for t in out["Tags"]}, out


def test_add_list_remove(kinesis, stream):
    name = stream(shards=1)
    tags, out = _tags(kinesis, name)
    assert tags == {} and out["HasMoreTags"] is False

    kinesis.add_tags_to_stream(StreamName=name, Tags={"team": "data", "env": "ci", "empty": ""})
    tags, out = _tags(kinesis, name)
    assert tags == {"team": "data", "env": "ci", "empty": ""}
    assert [t["Key"] for t in out["Tags"]] == ["empty", "env", "team"]  # sorted by key
    assert out["HasMoreTags"] is False

    kinesis.add_tags_to_stream(StreamName=name, Tags={"env": "prod", "owner": "me"})
    assert _tags(kinesis, name)[0] == {"team": "data", "env": "prod", "empty": "", "owner": "me"}

    kinesis.remove_tags_from_stream(StreamName=name, TagKeys=["team", "not-there"])
    assert _tags(kinesis, name)[0] == {"env": "prod", "empty": "", "owner": "me"}


def test_list_tags_paging(kinesis, stream):
    name = stream(shards=1)
    keys = [f"k{i:02d}" for i in range(12)]
    kinesis.add_tags_to_stream(StreamName=name, Tags={k: f"v{k}" for k in keys[:6]})
    kinesis.add_tags_to_stream(StreamName=name, Tags={k: f"v{k}" for k in keys[6:]})

    page, out = _tags(kinesis, name, Limit=5)
    assert list(page) == keys[:5] and out["HasMoreTags"] is True
    page, out = _tags(kinesis, name, Limit=5, ExclusiveStartTagKey=keys[4])
    assert list(page) == keys[5:10] and out["HasMoreTags"] is True
    page, out = _tags(kinesis, name, Limit=5, ExclusiveStartTagKey=keys[9])
    assert list(page) == keys[10:] and out["HasMoreTags"] is False
    page, out = _tags(kinesis, name, ExclusiveStartTagKey="k055")  # not a key: position only
    assert list(page) == keys[6:]
    assert page["k11"] == "vk11"


def test_tag_resource_by_arn(kinesis, endpoint, stream):
    name = stream(shards=1)
    arn = stream_arn(name)
    assert api(endpoint, "TagResource", ResourceARN=arn, Tags={"a": "1", "b": "2"}) == {}
    body = api(endpoint, "ListTagsForResource", ResourceARN=arn)
    assert sorted((t["Key"], t["Value"]) for t in body["Tags"]) == [("a", "1"), ("b", "2")]

    # The same tags through the stream-name API, both ways.
    assert _tags(kinesis, name)[0] == {"a": "1", "b": "2"}
    kinesis.add_tags_to_stream(StreamName=name, Tags={"c": "3"})
    body = api(endpoint, "ListTagsForResource", ResourceARN=arn)
    assert {t["Key"]: t["Value"] for t in body["Tags"]} == {"a": "1", "b": "2", "c": "3"}

    api(endpoint, "UntagResource", ResourceARN=arn, TagKeys=["a", "c", "zzz"])
    body = api(endpoint, "ListTagsForResource", ResourceARN=arn)
    assert {t["Key"]: t["Value"] for t in body["Tags"]} == {"b": "2"}
    assert _tags(kinesis, name)[0] == {"b": "2"}


def test_tag_resource_unknown_arn(endpoint):
    arn = stream_arn(unique_stream_name("ghost"))
    expect_error(endpoint, "TagResource", {"ResourceARN": arn, "Tags": {"a": "1"}},
                 "ResourceNotFoundException")
    expect_error(endpoint, "UntagResource", {"ResourceARN": arn, "TagKeys": ["a"]},
                 "ResourceNotFoundException")
    expect_error(endpoint, "ListTagsForResource", {"ResourceARN": arn},
                 "ResourceNotFoundException")


def test_tag_resource_malformed_arn_is_validation_error(endpoint):
    msg = expect_error(endpoint, "ListTagsForResource", {"ResourceARN": "not-an-arn"},
                       "ValidationException")
    assert msg.startswith("1 validation error detected: Value 'not-an-arn' at 'resourceARN' "
                          "failed to satisfy constraint: Member must satisfy regular expression "
                          "pattern: ")


def test_tags_on_unknown_stream(kinesis):
    for call, kw in [
        (kinesis.add_tags_to_stream, {"Tags": {"a": "b"}}),
        (kinesis.remove_tags_from_stream, {"TagKeys": ["a"]}),
        (kinesis.list_tags_for_stream, {}),
    ]:
        with pytest.raises(ClientError) as e:
            call(StreamName="no-such-tag-stream", **kw)
        assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert e.value.response["Error"]["Message"] == (
            "Stream no-such-tag-stream under account 000000000000 not found.")


def test_recreated_stream_starts_without_tags(kinesis, stream):
    name = stream(shards=1)
    kinesis.add_tags_to_stream(StreamName=name, Tags={"old": "yes"})
    kinesis.delete_stream(StreamName=name)
    kinesis.get_waiter("stream_not_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    kinesis.create_stream(StreamName=name, ShardCount=1)
    wait_active(kinesis, name)
    assert _tags(kinesis, name)[0] == {}


def test_invalid_tag_characters(kinesis, stream):
    name = stream(shards=1)
    with pytest.raises(ClientError) as e:
        kinesis.add_tags_to_stream(StreamName=name, Tags={"bad;key": "v"})
    assert e.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert _tags(kinesis, name)[0] == {}


def test_too_many_tags(kinesis, stream):
    """A stream holds at most 50 tags (AWS's documented per-stream limit)."""
    name = stream(shards=1)
    kinesis.add_tags_to_stream(StreamName=name, Tags={f"t{i}": "v" for i in range(50)})
    with pytest.raises(ClientError) as e:
        kinesis.add_tags_to_stream(StreamName=name, Tags={"one-more": "v"})
    assert e.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert len(_tags(kinesis, name, Limit=50)[0]) == 50
