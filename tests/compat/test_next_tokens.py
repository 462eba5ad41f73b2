"""The NextTokens of ListStreams, ListShards and ListStreamConsumers expire and cannot be
forged, as on AWS.

Proves, for each of the three actions:
- a NextToken is good, and can be used again, for the server's token lifetime, and once that
  has passed the same token is ExpiredNextTokenException (HTTP 400, AWS's JSON error shape,
  read by boto3 as that error code); it never expires early. The lifetime is AWS's 300 s by
  default; `spated --next-token-ttl-ms` shortens it so this runs in seconds;
- a token that is not one the server made is InvalidArgumentException, never a page and never
  a 500: garbage, a real token with one character changed or cut short (tokens are sealed with
  an HMAC of the server's key), a token of another action, a token of another server (another
  key), and for ListStreamConsumers a token of another stream.
"""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

from spate_harness import (
    api,
    expect_error,
    signed_call,
    stream_arn,
    unique_stream_name,
    wait_active,
    wait_until,
)

TTL_MS = 2000
EXPIRED = {"__type": "ExpiredNextTokenException", "message": "The NextToken has expired."}


def _setup(server) -> list[str]:
    """Two streams (the first with three shards and two consumers) on `server`; their names,
    sorted."""
    kinesis = server.client()
    names = sorted(unique_stream_name("tok") for _ in range(2))
    kinesis.create_stream(StreamName=names[0], ShardCount=3)
    kinesis.create_stream(StreamName=names[1], ShardCount=1)
    for name in names:
        wait_active(kinesis, name)
    for consumer in ("c0", "c1"):
        kinesis.register_stream_consumer(StreamARN=stream_arn(names[0]), ConsumerName=consumer)
    return names


def _first_pages(server, names) -> dict[str, tuple[dict, dict]]:
    """{action: (the request that continues with the token, minus it; the first page)}."""
    e = server.endpoint
    return {
        "ListStreams": ({"Limit": 1}, api(e, "ListStreams", Limit=1)),
        "ListShards": ({}, api(e, "ListShards", StreamName=names[0], MaxResults=1)),
        "ListStreamConsumers": ({"StreamARN": stream_arn(names[0])},
                                api(e, "ListStreamConsumers", StreamARN=stream_arn(names[0]),
                                    MaxResults=1)),
    }


def _items(action: str, page: dict) -> list[str]:
    if action == "ListStreams":
        return page["StreamNames"]
    if action == "ListShards":
        return [s["ShardId"] for s in page["Shards"]]
    return [c["ConsumerName"] for c in page["Consumers"]]


SECOND_PAGE = {"ListShards": ["shardId-000000000001", "shardId-000000000002"],
               "ListStreamConsumers": ["c1"]}


def _assert_second_pages(server, names, pages) -> None:
    """Each first page's NextToken (`pages` as from _first_pages) gives the rest of its listing
    of _setup's streams `names`."""
    for action, (base, first) in pages.items():
        page = api(server.endpoint, action, **base, NextToken=first["NextToken"])
        assert _items(action, page) == SECOND_PAGE.get(action, [names[1]]), (action, page)


def test_tokens_expire_after_the_configured_lifetime(spated_factory):
    server = spated_factory(extra_args=["--next-token-ttl-ms", str(TTL_MS)])
    default = spated_factory()  # AWS's 300 s
    names = _setup(server)
    default_names = _setup(default)
    default_pages = _first_pages(default, default_names)
    issued = time.monotonic()  # no later than the server's issue time of the tokens below
    pages = _first_pages(server, names)
    tokens = {action: first["NextToken"] for action, (_, first) in pages.items()}
    assert all(isinstance(token, str) and token for token in tokens.values()), tokens
    # Within the lifetime the tokens are good, and good again.
    for _ in range(2):
        _assert_second_pages(server, names, pages)
    assert time.monotonic() - issued < TTL_MS / 1000, "too slow to check the tokens while good"

    # Once the lifetime has passed each token is refused, never before.
    expired_at = {}

    def all_expired() -> bool:
        """Tries each token not yet refused, and notes when it is refused."""
        for action, token in tokens.items():
            if action in expired_at:
                continue
            base = pages[action][0]
            status, body = signed_call(server.endpoint, action, dict(base, NextToken=token))
            if status != 200:
                assert (status, body) == (400, EXPIRED), (action, status, body)
                expired_at[action] = time.monotonic()
        return len(expired_at) == len(tokens)

    wait_until(all_expired, TTL_MS / 1000 + 15,
               lambda: f"the tokens to expire (expired: {sorted(expired_at)})")
    for action, when in expired_at.items():
        assert when - issued >= TTL_MS / 1000, f"{action}'s token expired early"

    # boto3 reads it as AWS's error code.
    with pytest.raises(ClientError) as raised:
        server.client().list_shards(NextToken=tokens["ListShards"])
    assert raised.value.response["Error"] == {"Code": "ExpiredNextTokenException",
                                              "Message": "The NextToken has expired."}
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as raised:
        server.client().list_stream_consumers(StreamARN=stream_arn(names[0]),
                                              NextToken=tokens["ListStreamConsumers"])
    assert raised.value.response["Error"]["Code"] == "ExpiredNextTokenException"
    # A fresh first page gives a good token again.
    _assert_second_pages(server, names, _first_pages(server, names))
    # Without the flag (AWS's 300 s), tokens issued before the short-lived ones are still good.
    _assert_second_pages(default, default_names, default_pages)


def _tampered(token: str) -> list[str]:
    """The token with one character changed (in the payload and in the tag) and cut short."""
    def flip(i: int) -> str:
        c = token[i]
        return token[:i] + ("B" if c != "B" else "C") + token[i + 1:]
    return [flip(2), flip(len(token) // 2), flip(len(token) - 6), token[:-4], token + "AAAA"]


def test_tokens_the_server_did_not_make_are_invalid_argument(spated_factory):
    server = spated_factory()
    other = spated_factory()  # its own data directory, so its own key
    names = _setup(server)
    other_names = _setup(other)
    pages = _first_pages(server, names)
    foreign = {action: first["NextToken"]
               for action, (_, first) in _first_pages(other, other_names).items()}
    for action, (base, first) in pages.items():
        token = first["NextToken"]
        bad = ["not-a-token", "A" * 64, "eyJ0b2tlbiI6MX0="] + _tampered(token)
        bad.append(foreign[action])  # made by another server
        bad += [f["NextToken"] for a, (_, f) in pages.items() if a != action]  # other actions
        for candidate in bad:
            msg = expect_error(server.endpoint, action, dict(base, NextToken=candidate),
                               "InvalidArgumentException")
            assert msg == "NextToken is improperly formatted.", (action, candidate, msg)
        # The real token still works after all that.
        assert _items(action, api(server.endpoint, action, **base, NextToken=token))


def test_a_consumer_token_is_bound_to_its_stream(spated_factory):
    server = spated_factory()
    names = _setup(server)
    kinesis = server.client()
    kinesis.register_stream_consumer(StreamARN=stream_arn(names[1]), ConsumerName="d0")
    kinesis.register_stream_consumer(StreamARN=stream_arn(names[1]), ConsumerName="d1")
    token = kinesis.list_stream_consumers(StreamARN=stream_arn(names[0]),
                                          MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as raised:
        kinesis.list_stream_consumers(StreamARN=stream_arn(names[1]), NextToken=token)
    assert raised.value.response["Error"] == {"Code": "InvalidArgumentException",
                                              "Message": "NextToken is improperly formatted."}
    page = kinesis.list_stream_consumers(StreamARN=stream_arn(names[0]), NextToken=token)
    assert [c["ConsumerName"] for c in page["Consumers"]] == ["c1"]

