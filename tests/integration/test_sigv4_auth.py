"""`spated --auth sigv4 --credentials FILE` checks every Kinesis request's AWS Signature
Version 4 the way Kinesis does, and answers the errors boto3 and the AWS CLI know.

Proves: boto3, the AWS CLI and the `spate` CLI (the client library's signer) signed with a key
from the file can create a stream, put and get records; a wrong secret is an
InvalidSignatureException, an unknown key an UnrecognizedClientException, no Authorization a
MissingAuthenticationTokenException, a signature dated more than 15 minutes ago
(5 with --auth-max-skew-s 300, as AWS Kinesis) the "Signature expired"
InvalidSignatureException, a body changed after signing an
InvalidSignatureException, a truncated Authorization an IncompleteSignatureException, a
credential scoped to another region an InvalidSignatureException (all HTTP 400, AWS's JSON
shape); after each refusal the server keeps serving and nothing was written (a refused
PutRecord leaves the shard empty, a refused CreateStream creates nothing); /healthz and
/metrics stay open (with --metrics-auth, /metrics needs a signed GET); an X-Amz-Target or
Content-Type left out of the signature is refused; a WebSocket subscription needs a presigned
URL (botocore's SigV4QueryAuth) and a tampered one is refused before the upgrade; and
`--auth none` (the default) still accepts unsigned requests.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import http.client
import json
import os
import subprocess
import types
from unittest import mock

import botocore.auth
import pytest
import websockets
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from spate_harness import (
    CBOR_CONTENT_TYPE,
    build_dir,
    http_get,
    kinesis_client,
    raw_exchange,
    read_shard,
    shard_id,
    sign_headers,
    unique_stream_name,
    wait_active,
    write_credentials,
)

ACCESS_KEY = "AKIASPATETEST0000001"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSPATETEST"
OTHER_KEY = "AKIASPATETEST0000002"
OTHER_SECRET = "second-secret"
REGION = "us-east-1"
TARGET = "Kinesis_20131202."
JSON = "application/x-amz-json-1.1"
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.")
UNRECOGNIZED = {"__type": "UnrecognizedClientException",
                "message": "The security token included in the request is invalid."}
MISSING = {"__type": "MissingAuthenticationTokenException",
           "message": "Missing Authentication Token"}


@pytest.fixture
def auth_server(spated_factory, tmp_path):
    # Written by hand, not with write_credentials: a comment, a blank line and a tab are part
    # of the file's format too.
    keys = tmp_path / "spated-keys"
    keys.write_text(f"# spated test keys\n{ACCESS_KEY} {SECRET_KEY}\n\n{OTHER_KEY}\t{OTHER_SECRET}\n")
    return spated_factory(create_stream_ms=0,
                          extra_args=["--auth", "sigv4", "--credentials", str(keys)])


def client(server, key=ACCESS_KEY, secret=SECRET_KEY, region=REGION):
    return kinesis_client(server.endpoint, key=key, secret=secret, region=region)


def post(server, action, params, *, key=ACCESS_KEY, secret=SECRET_KEY, region=REGION,
         sign=True, at=None, tamper=None):
    """One JSON 1.1 request signed with botocore's SigV4Auth (at time `at`, if given);
    `tamper(headers, body) -> (headers, body)` changes it after signing. Returns
    (status, parsed body)."""
    body = json.dumps(params).encode()
    headers = {"Content-Type": JSON, "X-Amz-Target": TARGET + action}
    if sign:
        credentials = dict(key=key, secret=secret, region=region)
        if at is None:
            headers = sign_headers(server.endpoint, body, headers, **credentials)
        else:
            class Fixed(datetime.datetime):
                @classmethod
                def utcnow(cls):
                    return at
            with mock.patch.object(botocore.auth, "datetime",
                                   types.SimpleNamespace(datetime=Fixed)):
                headers = sign_headers(server.endpoint, body, headers, **credentials)
    if tamper:
        headers, body = tamper(headers, body)
    return send(server, headers, body)


def send(server, headers, body: bytes):
    """POST / with exactly `headers` and `body`; returns (status, parsed body or None)."""
    status, _, data = raw_exchange(server.endpoint, None, body, content_type=None,
                                   headers=headers, sign=False)
    return status, json.loads(data) if data else None


def assert_refused(result, type_, message=None, startswith=None):
    status, body = result
    assert status == 400, (status, body)
    assert body["__type"] == type_, body
    if message is not None:
        assert body["message"] == message
    if startswith is not None:
        assert body["message"].startswith(startswith), body["message"]


def shard_records(kinesis, name):
    return read_shard(kinesis, name, shard_id(0))[0]


@pytest.fixture
def auth_stream(auth_server):
    kinesis = client(auth_server)
    name = unique_stream_name("auth")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    wait_active(kinesis, name)
    return name


def test_boto3_with_a_key_from_the_file_works(auth_server, auth_stream):
    kinesis = client(auth_server)
    put = kinesis.put_record(StreamName=auth_stream, PartitionKey="k", Data=b"hello")
    assert put["ShardId"] == "shardId-000000000000"
    kinesis.put_records(StreamName=auth_stream,
                        Records=[{"PartitionKey": "k", "Data": b"r%d" % i} for i in range(3)])
    assert [r["Data"] for r in shard_records(kinesis, auth_stream)] == [b"hello", b"r0", b"r1",
                                                                        b"r2"]
    # The second key of the file works too.
    assert auth_stream in client(auth_server, OTHER_KEY, OTHER_SECRET).list_streams()[
        "StreamNames"]


def test_wrong_secret_is_invalid_signature_and_writes_nothing(auth_server, auth_stream):
    with pytest.raises(ClientError) as raised:
        client(auth_server, secret="not-the-secret").put_record(
            StreamName=auth_stream, PartitionKey="k", Data=b"x")
    error = raised.value.response
    assert error["Error"]["Code"] == "InvalidSignatureException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Message"].startswith(MISMATCH)
    assert "The Canonical String for this request should have been" in error["Error"]["Message"]
    assert shard_records(client(auth_server), auth_stream) == []


def test_unknown_key_is_unrecognized_client(auth_server, auth_stream):
    with pytest.raises(ClientError) as raised:
        client(auth_server, key="AKIAUNKNOWN000000000").put_record(
            StreamName=auth_stream, PartitionKey="k", Data=b"x")
    assert raised.value.response["Error"] == {"Code": UNRECOGNIZED["__type"],
                                              "Message": UNRECOGNIZED["message"]}
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert shard_records(client(auth_server), auth_stream) == []


def test_no_authorization_is_missing_authentication_token(auth_server, auth_stream):
    record = {"StreamName": auth_stream, "PartitionKey": "k", "Data": "eA=="}
    assert_refused(post(auth_server, "PutRecord", record, sign=False),
                   "MissingAuthenticationTokenException", "Missing Authentication Token")
    name = unique_stream_name("never")
    assert_refused(post(auth_server, "CreateStream", {"StreamName": name, "ShardCount": 1},
                        sign=False), "MissingAuthenticationTokenException")
    assert name not in client(auth_server).list_streams()["StreamNames"]
    assert shard_records(client(auth_server), auth_stream) == []


def check_skew_window(server, stream_name, minutes: int) -> None:
    """Requests signed more than `minutes` away from the server's clock are refused with
    AWS's messages; within it they pass."""
    now = datetime.datetime.utcnow().replace(microsecond=0)
    signed_at = now - datetime.timedelta(minutes=minutes + 1)
    stamp = signed_at.strftime("%Y%m%dT%H%M%SZ")
    record = {"StreamName": stream_name, "PartitionKey": "k", "Data": "eA=="}
    status, body = post(server, "PutRecord", record, at=signed_at)
    assert (status, body["__type"]) == (400, "InvalidSignatureException")
    # "Signature expired: <signed> is now earlier than <now - N min> (<now> - N min.)"
    message = body["message"]
    assert message.startswith(f"Signature expired: {stamp} is now earlier than "), message
    assert message.endswith(f" - {minutes} min.)"), message
    ahead = now + datetime.timedelta(minutes=minutes + 1)
    status, body = post(server, "PutRecord", record, at=ahead)
    assert (status, body["__type"]) == (400, "InvalidSignatureException")
    assert body["message"].startswith("Signature not yet current: ")
    assert body["message"].endswith(f" + {minutes} min.)")
    for delta in (-(minutes - 1), minutes - 1):
        at = datetime.datetime.utcnow().replace(microsecond=0) + datetime.timedelta(minutes=delta)
        assert post(server, "ListStreams", {}, at=at)[0] == 200
    assert shard_records(client(server), stream_name) == []


def test_stale_signature_is_expired_past_15_minutes_by_default(auth_server, auth_stream):
    check_skew_window(auth_server, auth_stream, 15)


def test_skew_window_can_be_kinesis_own_5_minutes(spated_factory, tmp_path):
    keys = write_credentials(tmp_path / "keys-5min", [(ACCESS_KEY, SECRET_KEY)])
    server = spated_factory(extra_args=["--auth", "sigv4", "--credentials", str(keys),
                                        "--auth-max-skew-s", "300"])
    name = unique_stream_name("skew")
    client(server).create_stream(StreamName=name, ShardCount=1)
    wait_active(client(server), name)
    check_skew_window(server, name, 5)


def test_body_changed_after_signing_is_invalid_signature(auth_server, auth_stream):
    record = {"StreamName": auth_stream, "PartitionKey": "k", "Data": "eA=="}

    def change_data(headers, body):
        changed = body.replace(b'"eA=="', b'"eQ=="')
        assert changed != body
        return headers, changed

    assert_refused(post(auth_server, "PutRecord", record, tamper=change_data),
                   "InvalidSignatureException", startswith=MISMATCH)

    def change_target(headers, body):
        headers["X-Amz-Target"] = TARGET + "DeleteStream"
        return headers, json.dumps({"StreamName": auth_stream}).encode()

    assert_refused(post(auth_server, "PutRecord", record, tamper=change_target),
                   "InvalidSignatureException", startswith=MISMATCH)
    assert shard_records(client(auth_server), auth_stream) == []
    assert client(auth_server).describe_stream_summary(StreamName=auth_stream)[
        "StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"


def test_truncated_authorization_is_incomplete_signature(auth_server, auth_stream):
    record = {"StreamName": auth_stream, "PartitionKey": "k", "Data": "eA=="}
    truncated = {}

    def truncate(headers, body):
        auth = headers["Authorization"]
        truncated["value"] = auth[: auth.index(", Signature=")]
        headers["Authorization"] = truncated["value"]
        return headers, body

    assert_refused(post(auth_server, "PutRecord", record, tamper=truncate),
                   "IncompleteSignatureException")
    status, body = post(auth_server, "PutRecord", record, tamper=truncate)
    assert body["message"] == ("Authorization header requires 'Signature' parameter. "
                               "Authorization=" + truncated["value"])
    assert shard_records(client(auth_server), auth_stream) == []


def test_credential_for_another_region_is_refused(auth_server, auth_stream):
    with pytest.raises(ClientError) as raised:
        client(auth_server, region="eu-west-1").list_streams()
    assert raised.value.response["Error"] == {
        "Code": "InvalidSignatureException",
        "Message": "Credential should be scoped to a valid region, not 'eu-west-1'."}


def test_health_and_metrics_stay_open(auth_server):
    assert http_get(auth_server.endpoint, "/healthz") == (200, b"ok\n")
    assert http_get(auth_server.endpoint, "/metrics")[0] == 200


def test_server_keeps_serving_after_refusals(auth_server, auth_stream):
    record = {"StreamName": auth_stream, "PartitionKey": "k", "Data": "eA=="}
    for _ in range(20):
        assert post(auth_server, "PutRecord", record, sign=False)[0] == 400
        assert post(auth_server, "PutRecord", record, secret="bad")[0] == 400
    kinesis = client(auth_server)
    kinesis.put_record(StreamName=auth_stream, PartitionKey="k", Data=b"after")
    assert [r["Data"] for r in shard_records(kinesis, auth_stream)] == [b"after"]
    assert auth_server.running()


def _presigned_ws_url(server, path, secret=SECRET_KEY):
    request = AWSRequest(method="GET", url=f"{server.endpoint}{path}")
    SigV4QueryAuth(Credentials(ACCESS_KEY, secret), "kinesis", REGION, expires=60).add_auth(
        request)
    return "ws://" + request.url[len("http://"):]


def _refused_upgrade(server, path):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", path, headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode()})
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    return response.status, body


def test_websocket_subscription_needs_a_presigned_url(auth_server, auth_stream):
    kinesis = client(auth_server)
    kinesis.put_record(StreamName=auth_stream, PartitionKey="k", Data=b"pushed")

    async def first_message(url):
        async with websockets.connect(url, max_size=None) as ws:
            return json.loads(await asyncio.wait_for(ws.recv(), 10))

    url = _presigned_ws_url(auth_server, f"/v1/subscribe?stream={auth_stream}&from=TRIM_HORIZON")
    message = asyncio.run(first_message(url))
    assert [base64.b64decode(r["data"]) for r in message["records"]] == [b"pushed"]

    assert_refused(_refused_upgrade(auth_server, f"/v1/subscribe?stream={auth_stream}"),
                   "MissingAuthenticationTokenException")
    path = url[len(f"ws://127.0.0.1:{auth_server.port}"):]
    tampered = path.replace("from=TRIM_HORIZON", "from=LATEST")
    assert tampered != path
    assert_refused(_refused_upgrade(auth_server, tampered), "InvalidSignatureException",
                   startswith=MISMATCH)
    wrong = _presigned_ws_url(auth_server, f"/v1/subscribe?stream={auth_stream}", secret="bad")
    assert_refused(_refused_upgrade(auth_server, wrong[len(f"ws://127.0.0.1:{auth_server.port}"):]),
                   "InvalidSignatureException", startswith=MISMATCH)
    assert http_get(auth_server.endpoint, "/healthz")[0] == 200


def _spate(server, *args, secret=SECRET_KEY, check=True):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/nonexistent",
           "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": secret,
           "AWS_REGION": REGION}
    proc = subprocess.run([str(build_dir() / "bin" / "spate"), "--endpoint", server.endpoint,
                           *args], env=env, capture_output=True, text=True, timeout=60)
    if check:
        assert proc.returncode == 0, f"spate {' '.join(args)} failed:\n{proc.stderr}"
    return proc


def test_client_library_signer_passes_the_verifier(auth_server):
    name = unique_stream_name("cli")
    assert _spate(auth_server, "streams", "create", name, "--shards", "1").stdout == (
        f"created {name}\n")
    wait_active(client(auth_server), name)
    _spate(auth_server, "put", name, "alpha", "beta", "-k", "key")
    tail = _spate(auth_server, "tail", name)
    assert tail.stdout.split() == ["alpha", "beta"]

    refused = _spate(auth_server, "streams", "list", secret="wrong", check=False)
    assert refused.returncode != 0
    assert "InvalidSignatureException" in refused.stderr, refused.stderr
    refused_put = _spate(auth_server, "put", name, "gamma", secret="wrong", check=False)
    assert refused_put.returncode != 0
    assert [r["Data"] for r in shard_records(client(auth_server), name)] == [b"alpha", b"beta"]


def test_aws_cli_with_the_right_key(auth_server, tmp_path):
    def aws(*args, secret=SECRET_KEY):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
               "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": secret,
               "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": str(tmp_path / "config"),
               "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"), "AWS_PAGER": "",
               "AWS_MAX_ATTEMPTS": "1", "AWS_EC2_METADATA_DISABLED": "true"}
        return subprocess.run(["/usr/bin/aws", "--endpoint-url", auth_server.endpoint,
                               "--output", "json", "kinesis", *args], env=env,
                              capture_output=True, text=True, timeout=60)

    name = unique_stream_name("awscli")
    created = aws("create-stream", "--stream-name", name, "--shard-count", "1")
    assert created.returncode == 0, created.stderr
    wait_active(client(auth_server), name)
    put = aws("put-record", "--stream-name", name, "--partition-key", "k",
              "--data", base64.b64encode(b"from-cli").decode())
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["ShardId"] == "shardId-000000000000"
    refused = aws("list-streams", secret="wrong")
    assert refused.returncode != 0
    assert "InvalidSignatureException" in refused.stderr
    assert [r["Data"] for r in shard_records(client(auth_server), name)] == [b"from-cli"]


def test_default_auth_none_accepts_unsigned_requests(spated_factory):
    server = spated_factory()
    status, body = post(server, "ListStreams", {}, sign=False)
    assert status == 200, body
    assert "StreamNames" in body


def test_sigv4_without_usable_credentials_refuses_to_start(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("# no keys\n")
    binary = str(build_dir() / "bin" / "spated")
    for extra, expected in (([], "--auth sigv4 needs --credentials FILE"),
                            (["--credentials", str(tmp_path / "missing")],
                             "cannot read credentials file"),
                            (["--credentials", str(empty)], "no access key in it")):
        proc = subprocess.run([binary, "--port", "0", "--data-dir", str(tmp_path / "data"),
                               "--auth", "sigv4", *extra], capture_output=True, text=True,
                              timeout=30)
        assert proc.returncode == 1
        assert expected in proc.stderr, proc.stderr


def test_subscribe_to_shard_is_signed_too(auth_server, auth_stream):
    kinesis = client(auth_server)
    kinesis.put_record(StreamName=auth_stream, PartitionKey="k", Data=b"fan-out")
    arn = kinesis.describe_stream_summary(StreamName=auth_stream)[
        "StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")[
        "Consumer"]["ConsumerARN"]
    response = kinesis.subscribe_to_shard(ConsumerARN=consumer, ShardId="shardId-000000000000",
                                          StartingPosition={"Type": "TRIM_HORIZON"})
    stream = response["EventStream"]
    records = []
    for event in stream:
        records += event["SubscribeToShardEvent"]["Records"]
        if records:
            break
    stream.close()
    assert [r["Data"] for r in records] == [b"fan-out"]

    with pytest.raises(ClientError) as raised:
        client(auth_server, secret="wrong").subscribe_to_shard(
            ConsumerARN=consumer, ShardId="shardId-000000000000",
            StartingPosition={"Type": "TRIM_HORIZON"})
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert http_get(auth_server.endpoint, "/healthz")[0] == 200


@pytest.mark.parametrize("version", ["--http1.1", "--http2-prior-knowledge"])
def test_curl_signer_over_http1_and_h2c(auth_server, version):
    """curl's own SigV4 (--aws-sigv4), a third implementation, over HTTP/1.1 and HTTP/2."""

    def list_streams(secret):
        proc = subprocess.run(
            ["curl", "-s", version, "--aws-sigv4", f"aws:amz:{REGION}:kinesis",
             "--user", f"{ACCESS_KEY}:{secret}", "-H", f"Content-Type: {JSON}",
             "-H", f"X-Amz-Target: {TARGET}ListStreams", "-d", "{}",
             "-w", "\n%{http_code} %{http_version}", auth_server.endpoint + "/"],
            capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, proc.stderr
        body, status = proc.stdout.rsplit("\n", 1)
        return status, json.loads(body)

    expected_version = "2" if "http2" in version else "1.1"
    status, body = list_streams(SECRET_KEY)
    assert status == f"200 {expected_version}", body
    assert "StreamNames" in body
    status, body = list_streams("wrong")
    assert status == f"400 {expected_version}"
    assert body["__type"] == "InvalidSignatureException"
    assert body["message"].startswith(MISMATCH)


def test_refusals_of_cbor_requests_are_cbor(auth_server):
    import cbor2

    status, headers, data = raw_exchange(auth_server.endpoint, "ListStreams", cbor2.dumps({}),
                                         content_type=CBOR_CONTENT_TYPE, sign=False)
    assert status == 400
    assert headers.get("Content-Type") == CBOR_CONTENT_TYPE
    body = cbor2.loads(data)
    assert body["__type"] == "MissingAuthenticationTokenException"
    assert body["message"] == "Missing Authentication Token"


@pytest.mark.parametrize("unsigned", ["X-Amz-Target", "Content-Type"])
def test_target_and_content_type_must_be_signed(auth_server, auth_stream, unsigned):
    """A request whose X-Amz-Target (or Content-Type) was left out of the signature could be
    re-aimed at another action by whoever captured it: refused, and nothing runs."""
    target = TARGET + ("DeleteStream" if unsigned == "X-Amz-Target" else "PutRecord")

    def add_after_signing(headers, body):
        headers = dict(headers)
        headers[unsigned] = target if unsigned == "X-Amz-Target" else JSON
        return headers, body

    # Sign a request that lacks the header, then add it: it is present but unsigned.
    body = json.dumps({"StreamName": auth_stream}).encode()
    others = {"Content-Type": JSON, "X-Amz-Target": target}
    del others[unsigned]
    signed = sign_headers(auth_server.endpoint, body, others, key=ACCESS_KEY, secret=SECRET_KEY)
    headers, body = add_after_signing(signed, body)
    assert_refused(send(auth_server, headers, body), "InvalidSignatureException",
                   message=f"'{unsigned}' must be a 'SignedHeader' in the AWS Authorization.")
    assert client(auth_server).describe_stream_summary(
        StreamName=auth_stream)["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE"


def test_metrics_auth_requires_a_signed_get(spated_factory, tmp_path):
    keys = write_credentials(tmp_path / "spated-keys", [(ACCESS_KEY, SECRET_KEY)], mode=0o600)
    server = spated_factory(extra_args=["--auth", "sigv4", "--credentials", str(keys),
                                        "--metrics-auth"])
    status, body = http_get(server.endpoint, "/metrics")
    assert status == 400
    assert json.loads(body)["__type"] == "MissingAuthenticationTokenException"
    assert http_get(server.endpoint, "/healthz")[0] == 200  # health stays open
    request = AWSRequest(method="GET", url=server.endpoint + "/metrics")
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "kinesis", REGION).add_auth(request)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", "/metrics", headers=dict(request.headers.items()))
        response = conn.getresponse()
        text = response.read().decode()
    finally:
        conn.close()
    assert response.status == 200
    assert "spate_requests_total" in text


def test_metrics_auth_without_auth_refuses_to_start(tmp_path):
    result = subprocess.run([str(build_dir() / "bin" / "spated"), "--port", "0", "--data-dir",
                             str(tmp_path / "data"), "--metrics-auth"],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 1
    assert "--metrics-auth needs --auth sigv4" in result.stderr
