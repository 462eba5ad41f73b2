"""The dashboard's server side, over plain HTTP: its files, GET /v1/stats, the page's Kinesis
calls, and the rules that keep other web pages out.

Proves: GET / serves the embedded page (with its Content-Security-Policy) and its assets with
ETags (304 when unchanged), Chart.js among them; /v1/stats reports every stream, and for one
stream its shards (ranges, parents, stored records, oldest record's age), rates that follow
the traffic, GetRecords iterator ages (also in /metrics as
spate_getrecords_iterator_age_milliseconds) and the readers (WebSocket and SubscribeToShard);
the page's Kinesis calls need the CSRF token, are limited to a fixed list, and the writes are
refused server-side in read-only mode; --dashboard off answers 404; a request from another
origin, or from a name rebound to the server's address, is refused, on the dashboard's POSTs,
on WebSocket upgrades and on Kinesis requests, unless --allow-origin lists it; CORS preflights and answers of the Kinesis API carry the
Access-Control headers only for listed origins ("*" only when chosen); with --auth sigv4 the
numbers and subscriptions need a session from the login form, which takes only a known key
pair; and a dashboard POST that declares a large body is refused before it is read.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import threading

import pytest
import websockets

from spate_harness import (
    wait_active,
    wait_until,
    write_credentials,
)


def request(server, method, path, body=None, headers=None, timeout=10.0):
    """One request; returns (status, headers with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        conn.request(method, path, body=payload, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def get_json(server, path, headers=None):
    status, _, body = request(server, "GET", path, headers=headers)
    assert status == 200, f"GET {path}: {status} {body[:300]!r}"
    return json.loads(body)


def csrf(server, headers=None) -> str:
    return get_json(server, "/v1/session", headers)["csrf"]


def page_call(server, action, params, token, headers=None):
    """A Kinesis call as the dashboard page makes it; returns (status, parsed body)."""
    hdrs = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"Kinesis_20131202.{action}",
        "X-Spate-Csrf": token,
    }
    hdrs.update(headers or {})
    status, _, body = request(server, "POST", "/v1/kinesis", params, hdrs)
    return status, (json.loads(body) if body else {})


def upgrade_status(server, stream: str, **connect) -> int:
    """The status a WebSocket subscription to `stream` is answered with: 101 when it opens."""

    async def upgrade():
        url = f"ws://127.0.0.1:{server.port}/v1/subscribe?stream={stream}"
        try:
            async with websockets.connect(url, **connect):
                return 101
        except websockets.InvalidStatusCode as e:
            return e.status_code

    return asyncio.run(upgrade())


def origin_of(server) -> str:
    return f"http://127.0.0.1:{server.port}"


# -- files ------------------------------------------------------------------------------------


def test_the_page_and_its_assets_are_served_from_the_binary(server):
    status, headers, body = request(server, "GET", "/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert b"/assets/app.js" in body and b"/assets/chart.js" in body
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    status, headers, chart = request(server, "GET", "/assets/chart.js")
    assert status == 200 and b"Chart.js v3.9" in chart[:200]
    assert headers["content-type"].startswith("text/javascript")
    # Unchanged files are revalidated cheaply.
    status, again, body = request(server, "GET", "/assets/chart.js",
                                  headers={"If-None-Match": headers["etag"]})
    assert status == 304 and body == b""
    for path in ("/assets/style.css", "/assets/app.js", "/index.html"):
        assert request(server, "GET", path)[0] == 200, path
    assert request(server, "GET", "/assets/missing.js")[0] == 403  # not the dashboard's: API


def test_session_says_the_mode_and_gives_a_token(server):
    session = get_json(server, "/v1/session")
    assert session["mode"] == "on" and session["auth"] == "none"
    assert session["authenticated"] is True
    assert len(session["csrf"]) == 32
    assert session["version"]


# -- numbers ----------------------------------------------------------------------------------


def test_stats_follow_the_traffic_of_a_stream_and_its_shards(server, kinesis, stream):
    name = stream(shards=2)
    overview = get_json(server, "/v1/stats")
    listed = {s["name"]: s for s in overview["streams"]}
    assert listed[name]["status"] == "ACTIVE"
    assert listed[name]["open_shards"] == 2 and listed[name]["shards"] == 2
    assert overview["server"]["fsync"] == "batch"
    assert overview["server"]["stats_memory"]["limit_bytes"] >= \
        overview["server"]["stats_memory"]["used_bytes"] > 0

    stop = threading.Event()

    def produce():
        i = 0
        while not stop.is_set():
            kinesis.put_records(StreamName=name, Records=[
                {"PartitionKey": f"k{i}-{j}", "Data": b"x" * 100} for j in range(50)])
            i += 1

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        def moving():
            detail = get_json(server, f"/v1/stats?stream={name}")
            return detail if detail["stream"]["in"]["records_per_s"] > 0 else None

        detail = wait_until(moving, 15, "a non-zero incoming rate in /v1/stats")
    finally:
        stop.set()
        producer.join()
    assert detail["stream"]["in"]["bytes_per_s"] >= 100 * detail["stream"]["in"]["records_per_s"]
    assert max(detail["stream"]["history"]["records_in"]) > 0
    shards = detail["shards"]
    assert [s["id"] for s in shards] == ["shardId-000000000000", "shardId-000000000001"]
    assert sum(s["records"] for s in shards) > 0
    assert all(s["open"] and s["parents"] == [] for s in shards)
    assert shards[0]["hash_range"]["start"] == "0"
    assert shards[1]["hash_range"]["end"] == str(2**128 - 1)
    assert all(s["oldest_age_ms"] is not None and s["oldest_age_ms"] >= 0 for s in shards)
    assert any(max(s["history"]["records_in"]) > 0 for s in shards)
    # One per-shard series at a time, chosen by the page.
    detail = get_json(server, f"/v1/stats?stream={name}&shard_history=bytes_in")
    assert all(set(s["history"]) == {"end_ms", "bytes_in"} for s in detail["shards"])
    assert any(max(s["history"]["bytes_in"]) >= 100 for s in detail["shards"])
    detail = get_json(server, f"/v1/stats?stream={name}&shard_history=none")
    assert all("history" not in s for s in detail["shards"])
    assert detail["latency"]["put"]["p99"], "put latency percentiles are sampled"


def test_stats_show_the_shard_tree_after_a_split(server, kinesis, stream):
    name = stream(shards=1)
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-000000000000",
                        NewStartingHashKey=str(2**127))
    wait_active(kinesis, name)
    shards = get_json(server, f"/v1/stats?stream={name}")["shards"]
    by_id = {s["id"]: s for s in shards}
    assert by_id["shardId-000000000000"]["open"] is False
    assert by_id["shardId-000000000000"]["sequence_range"]["end"] is not None
    for child in ("shardId-000000000001", "shardId-000000000002"):
        assert by_id[child]["open"] and by_id[child]["parents"] == ["shardId-000000000000"]


def test_getrecords_iterator_age_is_reported(server, kinesis, stream):
    name = stream(shards=1)
    kinesis.put_record(StreamName=name, PartitionKey="a", Data=b"old")
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId="shardId-000000000000",
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    wait_until(lambda: kinesis.get_records(ShardIterator=iterator, Limit=1)["Records"], 10,
               "the record to be readable")
    readers = get_json(server, f"/v1/stats?stream={name}")["readers"]["get_records"]
    assert [r["shard"] for r in readers] == ["shardId-000000000000"]
    assert readers[0]["iterator_age_ms"] >= 0 and readers[0]["last_read_ms"] > 0
    key = f'spate_getrecords_iterator_age_milliseconds{{stream="{name}"}}'
    assert key in server.metrics()


def test_push_readers_are_listed_with_how_far_behind_they_are(server, kinesis, stream):
    name = stream(shards=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="dash")["Consumer"]
    wait_until(lambda: kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])
               ["ConsumerDescription"]["ConsumerStatus"] == "ACTIVE", 15, "an ACTIVE consumer")
    events = kinesis.subscribe_to_shard(ConsumerARN=consumer["ConsumerARN"],
                                        ShardId="shardId-000000000000",
                                        StartingPosition={"Type": "LATEST"})["EventStream"]

    async def watch():
        url = f"ws://127.0.0.1:{server.port}/v1/subscribe?stream={name}&from=LATEST"
        async with websockets.connect(url):
            def listed():
                readers = get_json(server, f"/v1/stats?stream={name}")["readers"]
                subs = [s for c in readers["consumers"] for s in c["subscriptions"]]
                return readers if subs and readers["websocket"] else None

            return await asyncio.get_running_loop().run_in_executor(
                None, lambda: wait_until(listed, 15, "both subscriptions in /v1/stats"))

    readers = asyncio.run(watch())
    events.close()
    (dash,) = [c for c in readers["consumers"] if c["name"] == "dash"]
    assert dash["status"] == "ACTIVE"
    assert dash["subscriptions"][0]["shard"] == "shardId-000000000000"
    assert dash["subscriptions"][0]["millis_behind"] >= 0
    assert readers["websocket"][0]["shard"] is None  # the whole stream
    # Closed subscriptions leave the list.
    wait_until(lambda: not get_json(server, f"/v1/stats?stream={name}")["readers"]["websocket"],
               15, "the closed WebSocket subscription to leave the readers")


def test_stats_of_a_missing_stream_or_a_bad_query(server):
    status, _, body = request(server, "GET", "/v1/stats?stream=nope")
    assert status == 404 and json.loads(body)["__type"] == "ResourceNotFoundException"
    for query in ("streams=x&y", "stream=x&shard_history=bogus", "stream=a%2Eb", "stream="):
        status, _, body = request(server, "GET", f"/v1/stats?{query}")
        assert status == 400 and json.loads(body)["__type"] == "InvalidArgumentException", query


# -- the page's Kinesis calls -----------------------------------------------------------------


def test_page_calls_need_the_token_and_an_allowed_action(server, kinesis):
    token = csrf(server)
    status, body = page_call(server, "ListShards", {"StreamName": "x"}, "wrong")
    assert status == 403 and body["__type"] == "AccessDeniedException"
    status, body = page_call(server, "PutRecord", {"StreamName": "x"}, token)
    assert status == 403 and "does not make PutRecord" in body["message"]
    status, body = page_call(server, "CreateStream", {"StreamName": "from-page", "ShardCount": 1},
                             token)
    assert status == 200, body
    wait_active(kinesis, "from-page")
    # A refusal is the API's own error, for the page to show.
    status, body = page_call(server, "CreateStream", {"StreamName": "from-page", "ShardCount": 1},
                             token)
    assert status == 400 and body["__type"] == "ResourceInUseException"
    status, body = page_call(server, "DeleteStream", {"StreamName": "from-page"}, token)
    assert status == 200


def test_a_large_dashboard_body_is_refused_before_it_is_read(server):
    token = csrf(server)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.putrequest("POST", "/v1/kinesis")
        for k, v in {"Content-Type": "application/x-amz-json-1.1",
                     "X-Amz-Target": "Kinesis_20131202.ListShards", "X-Spate-Csrf": token,
                     "Content-Length": str(10 << 20)}.items():
            conn.putheader(k, v)
        conn.endheaders()  # and no body: the answer must come anyway
        resp = conn.getresponse()
        assert resp.status == 413
        assert json.loads(resp.read())["__type"] == "SerializationException"
    finally:
        conn.close()


def test_read_only_mode_refuses_writes_on_the_server(spated_factory):
    server = spated_factory(extra_args=["--dashboard", "read-only"])
    session = get_json(server, "/v1/session")
    assert session["mode"] == "read-only"
    status, body = page_call(server, "CreateStream", {"StreamName": "ro", "ShardCount": 1},
                             session["csrf"])
    assert status == 403 and "read-only" in body["message"]
    status, body = page_call(server, "DescribeStreamSummary", {"StreamName": "ro"},
                             session["csrf"])
    assert status == 400 and body["__type"] == "ResourceNotFoundException"  # reads go through
    assert request(server, "GET", "/")[0] == 200


def test_dashboard_off_answers_404_and_subscriptions_stay(spated_factory):
    server = spated_factory(extra_args=["--dashboard", "off"])
    for path in ("/", "/assets/app.js", "/v1/stats", "/v1/session"):
        status, _, body = request(server, "GET", path)
        assert status == 404 and b"dashboard is off" in body, path
    server.client().create_stream(StreamName="s", ShardCount=1)

    async def subscribe():
        url = f"ws://127.0.0.1:{server.port}/v1/subscribe?stream=s&from=TRIM_HORIZON"
        async with websockets.connect(url) as ws:
            return ws.open

    wait_active(server.client(), "s")
    assert asyncio.run(subscribe())


# -- other origins ----------------------------------------------------------------------------


def test_other_origins_and_hosts_are_refused(server, stream):
    name = stream(shards=1)
    token = csrf(server)
    evil = {"Origin": "http://evil.example"}
    status, body = page_call(server, "ListShards", {"StreamName": name}, token, evil)
    assert status == 403 and "origin" in body["message"]
    status, body = page_call(server, "ListShards", {"StreamName": name}, token,
                             {"Origin": origin_of(server)})
    assert status == 200 and body["Shards"]
    # DNS rebinding: a name that resolves here is not this server's origin.
    status, _, _ = request(server, "GET", "/v1/stats", headers={"Host": f"evil.example:{server.port}"})
    assert status == 403

    assert upgrade_status(server, name, origin="http://evil.example") == 403
    assert upgrade_status(server, name, origin=origin_of(server)) == 101


def test_a_rebound_name_is_not_this_servers_origin(server, stream):
    """DNS rebinding: a page of rebound.example, whose owner points the name at 127.0.0.1, is
    same-origin with this server to the browser; without auth the server refuses it anyway."""
    name = stream(shards=1)
    rebound = f"rebound.example:{server.port}"
    headers = {"Host": rebound, "Origin": f"http://{rebound}"}
    status, _, body = request(server, "POST", "/", {}, {
        **headers, "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "Kinesis_20131202.ListStreams"})
    assert status == 403 and json.loads(body)["__type"] == "AccessDeniedException"
    status, _, _ = request(server, "GET", f"/v1/subscribe?stream={name}", headers={
        **headers, "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode()})
    assert status == 403
    assert request(server, "GET", "/", headers=headers)[0] == 403


def test_listed_origins_may_subscribe_and_get_cors_answers(spated_factory):
    app = "http://127.0.0.1:9"
    server = spated_factory(extra_args=["--allow-origin", app])
    kinesis = server.client()
    kinesis.create_stream(StreamName="c", ShardCount=1)
    wait_active(kinesis, "c")

    assert upgrade_status(server, "c", origin=app) == 101
    assert upgrade_status(server, "c", origin="http://127.0.0.1:10") == 403

    preflight = {"Origin": app, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type,x-amz-target,authorization"}
    status, headers, _ = request(server, "OPTIONS", "/", headers=preflight)
    assert status == 204
    assert headers["access-control-allow-origin"] == app
    assert "POST" in headers["access-control-allow-methods"]
    assert headers["access-control-allow-headers"] == "content-type,x-amz-target,authorization"
    status, headers, _ = request(server, "OPTIONS", "/", headers={**preflight,
                                                                   "Origin": "http://other"})
    assert status == 403 and "access-control-allow-origin" not in headers

    call = {"Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "Kinesis_20131202.ListStreams"}
    status, headers, _ = request(server, "POST", "/", {}, {**call, "Origin": app})
    assert status == 200
    assert headers["access-control-allow-origin"] == app
    assert "x-amzn-RequestId" in headers["access-control-expose-headers"]
    status, headers, body = request(server, "POST", "/", {}, {**call, "Origin": "http://other"})
    assert status == 403 and "access-control-allow-origin" not in headers
    assert json.loads(body)["__type"] == "AccessDeniedException"
    # Errors are readable by the listed page too.
    status, headers, _ = request(server, "POST", "/", {"StreamName": "nope"},
                                 {**call, "X-Amz-Target": "Kinesis_20131202.DescribeStream",
                                  "Origin": app})
    assert status == 400 and headers["access-control-allow-origin"] == app


def test_every_origin_only_when_star_is_chosen(spated_factory):
    server = spated_factory(extra_args=["--allow-origin", "*"])
    status, headers, _ = request(server, "OPTIONS", "/", headers={
        "Origin": "https://anywhere.example", "Access-Control-Request-Method": "POST"})
    assert status == 204 and headers["access-control-allow-origin"] == "*"


def test_a_bad_allow_origin_stops_the_server(spated_factory):
    server = spated_factory(start=False, extra_args=["--allow-origin", "evil.example"])
    with pytest.raises(Exception):
        server.start(timeout=10)
    assert "not an origin" in server.log_tail()


# -- with authentication ----------------------------------------------------------------------


def test_with_sigv4_the_numbers_and_subscriptions_need_a_session(spated_factory, tmp_path):
    creds = tmp_path / "credentials"
    write_credentials(creds, [("AKIDDASHBOARD", "dashboard-secret")])
    server = spated_factory(extra_args=["--auth", "sigv4", "--credentials", str(creds)])
    session = get_json(server, "/v1/session")
    assert session == {"mode": "on", "auth": "sigv4", "authenticated": False,
                       "version": session["version"]}
    status, _, body = request(server, "GET", "/v1/stats")
    assert status == 401 and json.loads(body)["__type"] == "MissingAuthenticationTokenException"
    assert request(server, "GET", "/")[0] == 200  # the page itself holds no data

    login = {"Content-Type": "application/json", "X-Spate-Csrf": "login"}
    status, _, body = request(server, "POST", "/v1/login",
                              {"accessKeyId": "AKIDDASHBOARD", "secretAccessKey": "wrong"}, login)
    assert status == 401 and json.loads(body)["__type"] == "UnrecognizedClientException"
    status, _, _ = request(server, "POST", "/v1/login",
                           {"accessKeyId": "AKIDDASHBOARD", "secretAccessKey": "dashboard-secret"},
                           {**login, "X-Spate-Csrf": "nope"})
    assert status == 403
    status, headers, _ = request(server, "POST", "/v1/login",
                                 {"accessKeyId": "AKIDDASHBOARD",
                                  "secretAccessKey": "dashboard-secret"}, login)
    assert status == 200
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    jar = {"Cookie": cookie.split(";")[0]}
    session = get_json(server, "/v1/session", jar)
    assert session["authenticated"] is True
    assert len(session["csrf"]) == 32
    assert get_json(server, "/v1/stats", jar)["server"]["auth"] == "sigv4"
    # A forged cookie is no session.
    forged = {"Cookie": jar["Cookie"][:-4] + "0000"}
    assert request(server, "GET", "/v1/stats", headers=forged)[0] == 401

    status, body = page_call(server, "CreateStream", {"StreamName": "a", "ShardCount": 1},
                             session["csrf"], jar)
    assert status == 200, body
    status, body = page_call(server, "ListShards", {"StreamName": "a"}, session["csrf"])
    assert status == 401  # no cookie, no session

    wait_until(lambda: get_json(server, "/v1/stats?stream=a", jar)["stream"]["status"] == "ACTIVE",
               15, "stream a to become ACTIVE")
    assert upgrade_status(server, "a") == 400  # unsigned, no session: MissingAuthenticationToken
    assert upgrade_status(server, "a", extra_headers=jar) == 101


def test_records_pushed_to_a_dashboard_subscription_decode(server, kinesis, stream):
    """The Live view's feed: a whole-stream subscription carries base64 data and arrival."""
    name = stream(shards=1)

    async def live():
        url = f"ws://127.0.0.1:{server.port}/v1/subscribe?stream={name}&from=TRIM_HORIZON"
        async with websockets.connect(url, origin=origin_of(server)) as ws:
            kinesis.put_record(StreamName=name, PartitionKey="p", Data=b'{"a": 1}')
            return json.loads(await asyncio.wait_for(ws.recv(), 15))

    message = asyncio.run(live())
    (record,) = message["records"]
    assert base64.b64decode(record["data"]) == b'{"a": 1}' and record["arrival"] > 0
