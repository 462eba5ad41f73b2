#!/usr/bin/python3
"""make_seeds: writes the seed corpora of the fuzz targets, fuzz/corpus/<target>/, from real
request shapes: JSON bodies as boto3 sends them, CBOR bodies as the Java SDK v2 sends them
(indefinite-length maps, tag 1 around epoch milliseconds), event-stream messages as
SubscribeToShard writes them, base64 text as PutRecords carries data, requests signed by botocore, HTTP/2 connections made by h2,
and segment files laid out as docs/format/segment_format.md draws them.

Usage: /usr/bin/python3 fuzz/make_seeds.py   (needs python3-cbor2, python3-h2, python3-boto3)
The output is deterministic; the seeds are committed, so this runs only when they change.
"""
import base64
import datetime
import json
import os
import struct
import types
import zlib
from unittest import mock

import botocore.auth
import cbor2
import h2.config
import h2.connection
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
STREAM_ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/fuzz"
CONSUMER_ARN = STREAM_ARN + "/consumer/c1:1700000000"


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def b64(text):
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def body(obj):
    return json.dumps(obj, separators=(",", ":"))


# --- JSON bodies, as boto3 writes them --------------------------------------------------------

PUT_RECORDS = {"Records": [{"Data": b64("click-1"), "PartitionKey": "user-1"},
                           {"Data": b64("click-2"), "PartitionKey": "user-2",
                            "ExplicitHashKey": "170141183460469231731687303715884105728"}],
               "StreamName": "fuzz"}

JSON_REQUESTS = {
    "put_records": PUT_RECORDS,
    "put_record": {"StreamName": "fuzz", "Data": b64("hello"), "PartitionKey": "k",
                   "SequenceNumberForOrdering": "49590338271490256608559692538361571095921575989136588898"},
    "get_shard_iterator_timestamp": {"StreamName": "fuzz", "ShardId": "shardId-000000000000",
                                     "ShardIteratorType": "AT_TIMESTAMP",
                                     "Timestamp": 1700000000.125},
    "get_shard_iterator_sequence": {"StreamARN": STREAM_ARN, "ShardId": "shardId-000000000001",
                                    "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                                    "StartingSequenceNumber": "49590338271490256608559692538361571095921575989136588898"},
    "create_stream": {"StreamName": "fuzz-2", "ShardCount": 2,
                      "StreamModeDetails": {"StreamMode": "PROVISIONED"},
                      "Tags": {"team": "data", "env": "test"}},
    "create_stream_on_demand": {"StreamName": "od", "StreamModeDetails": {"StreamMode": "ON_DEMAND"}},
    "get_records": {"ShardIterator": "AAAAAAAAAAHsW8zCWf9164uy8Epue6WS3w6wmj4a4USt+CNvMd6uXQ+HL5vAJMznqqC0DLKsIjuoiTi1BpT6nW0LN2M2D56zM5H8anHm30Gbri9ua+qaGgj+3XTyvbhpERfrezgLHbPB/rIcVpykJbaSj5tmcXYRmFnqZBEyHwtZYFmh6hvWVFkIwLuMZLMrpWhG5r5hzkE=",
                    "Limit": 1000, "StreamARN": STREAM_ARN},
    "list_shards": {"StreamName": "fuzz", "MaxResults": 100,
                    "ShardFilter": {"Type": "AT_TIMESTAMP", "Timestamp": 1700000000}},
    "add_tags_to_stream": {"StreamName": "fuzz", "Tags": {"k1": "v1", "k 2": "v=2"}},
    "split_shard": {"StreamName": "fuzz", "ShardToSplit": "shardId-000000000000",
                    "NewStartingHashKey": "85070591730234615865843651857942052864"},
    "subscribe_to_shard": {"ConsumerARN": CONSUMER_ARN, "ShardId": "shardId-000000000000",
                           "StartingPosition": {"Type": "AT_TIMESTAMP", "Timestamp": 1.7e9}},
    "tag_resource": {"ResourceARN": STREAM_ARN, "Tags": {"owner": "me"}},
    "update_shard_count": {"StreamName": "fuzz", "TargetShardCount": 4,
                           "ScalingType": "UNIFORM_SCALING"},
}

for name, request in JSON_REQUESTS.items():
    write("json_decode", name + ".json", body(request))
# What JSON itself allows: escapes, surrogate pairs, exponents, nesting, whitespace.
write("json_decode", "escapes.json",
      '{ "StreamName" : "s\\u00e9\\ud83d\\ude00\\n", "Limit": 1e2, "X": [null, true, false, '
      '-0, 1.5e-7, 18446744073709551615, {"a": []}] }\n')

FAST_PATH = {
    "name": PUT_RECORDS,
    "arn": {"StreamARN": STREAM_ARN, "Records": [{"PartitionKey": "p", "Data": ""}]},
    "name_and_arn": {"StreamName": "fuzz", "StreamARN": STREAM_ARN,
                     "Records": [{"PartitionKey": "\u00e9\u00e8", "Data": b64(b"\x00\xff\x10")}]},
    "hash_key_max": {"StreamName": "fuzz", "Records": [
        {"PartitionKey": "k", "Data": b64("x"),
         "ExplicitHashKey": "340282366920938463463374607431768211455"}]},
    "many": {"StreamName": "fuzz",
             "Records": [{"PartitionKey": "key-%d" % i, "Data": b64("v" * i)} for i in range(20)]},
}
for name, request in FAST_PATH.items():
    write("json_fast_path", name + ".json", body(request))
write("json_fast_path", "spaces.json",
      '{\n  "Records" : [ { "Data" : "aGk=" , "PartitionKey" : "a\\"b" } ] ,\n'
      '  "StreamName" : "fuzz"\n}\n')


# --- CBOR bodies, as the Java SDK v2 writes them ----------------------------------------------

class Encoded(bytes):
    """CBOR already encoded, written into a container as it is."""


def cbor_item(value):
    return value if isinstance(value, Encoded) else cbor2.dumps(value)


def cbor_indefinite_map(pairs):
    """A map of indefinite length (0xbf ... 0xff), as Jackson's CBOR generator writes objects."""
    return Encoded(b"\xbf" + b"".join(cbor2.dumps(k) + cbor_item(v) for k, v in pairs) + b"\xff")


def cbor_indefinite_array(items):
    return Encoded(b"\x9f" + b"".join(cbor_item(i) for i in items) + b"\xff")


java_put_records = cbor_indefinite_map([
    ("Records", cbor_indefinite_array([
        cbor_indefinite_map([("Data", b"click-1"), ("PartitionKey", "user-1")]),
        cbor_indefinite_map([("Data", b"\x00\x01\x02"), ("PartitionKey", "user-2"),
                             ("ExplicitHashKey", "1")]),
    ])),
    ("StreamName", "fuzz"),
])
write("cbor_codec", "java_put_records.cbor", java_put_records)
write("cbor_fast_path", "java_put_records.cbor", java_put_records)
for name, request in FAST_PATH.items():  # the JSON fast path's requests, definite lengths
    request = dict(request, Records=[dict(r, Data=base64.b64decode(r["Data"]))
                                     for r in request["Records"]])
    write("cbor_fast_path", name + ".cbor", cbor2.dumps(request))
write("cbor_codec", "java_put_record.cbor", cbor_indefinite_map(
    [("StreamName", "fuzz"), ("Data", b"hello"), ("PartitionKey", "k")]))
write("cbor_codec", "java_get_shard_iterator.cbor", cbor_indefinite_map([
    ("StreamName", "fuzz"), ("ShardId", "shardId-000000000000"),
    ("ShardIteratorType", "AT_TIMESTAMP"),
    ("Timestamp", cbor2.CBORTag(1, 1700000000123))]))
write("cbor_codec", "kcl_get_records.cbor", cbor2.dumps(
    {"ShardIterator": "AAAAAAAAAAE=", "Limit": 10000, "StreamARN": STREAM_ARN}))
write("cbor_codec", "kcl_list_shards.cbor", cbor2.dumps(
    {"StreamName": "fuzz", "ShardFilter": {"Type": "AT_LATEST"}, "MaxResults": 1000}))
write("cbor_codec", "kcl_subscribe_to_shard.cbor", cbor2.dumps(
    {"ConsumerARN": CONSUMER_ARN, "ShardId": "shardId-000000000001",
     "StartingPosition": {"Type": "AT_TIMESTAMP", "Timestamp": cbor2.CBORTag(1, 1.7e12)}}))
# Every kind of item the decoder maps: half, single and double floats, bignums, undefined,
# negative integers, indefinite strings, an unknown tag.
write("cbor_codec", "all_kinds.cbor",
      b"\xa9"
      + cbor2.dumps("half") + b"\xf9\x3e\x00"
      + cbor2.dumps("single") + b"\xfa\x47\xc3\x50\x00"
      + cbor2.dumps("double") + cbor2.dumps(-0.0)
      + cbor2.dumps("big") + cbor2.dumps(2 ** 70)
      + cbor2.dumps("neg") + cbor2.dumps(-(2 ** 40))
      + cbor2.dumps("undefined") + b"\xf7"
      + cbor2.dumps("chunks") + b"\x7f\x62ab\x61c\xff"
      + cbor2.dumps("bytes") + b"\x5f\x42\x00\x01\x41\x02\xff"
      + cbor2.dumps("tagged") + cbor2.dumps(cbor2.CBORTag(32, "http://x")))
write("cbor_codec", "nan_inf.cbor", b"\x83\xf9\x7e\x00\xf9\x7c\x00\xfb\x7f\xf8\x00\x00\x00\x00\x00\x01")


# --- event-stream messages, as SubscribeToShard writes them -----------------------------------

def es_header(name, type_byte, value):
    name = name.encode()
    return bytes([len(name)]) + name + bytes([type_byte]) + value


def es_string(name, text):
    text = text.encode() if isinstance(text, str) else text
    return es_header(name, 7, struct.pack(">H", len(text)) + text)


def es_message(headers, payload):
    headers = b"".join(headers)
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def es_event(event_type, payload, content_type="application/json"):
    return es_message([es_string(":event-type", event_type),
                       es_string(":content-type", content_type),
                       es_string(":message-type", "event")], payload)


initial = es_event("initial-response", b"{}")
event = es_event("SubscribeToShardEvent", body({
    "ContinuationSequenceNumber": "49590338271490256608559692538361571095921575989136588898",
    "MillisBehindLatest": 0,
    "Records": [{"ApproximateArrivalTimestamp": 1700000000.123, "Data": b64("click-1"),
                 "PartitionKey": "user-1", "SequenceNumber": "49590338271490256608559692538361571095921575989136588898"}],
    "ChildShards": []}).encode())
exception = es_message([es_string(":exception-type", "ResourceNotFoundException"),
                        es_string(":content-type", "application/json"),
                        es_string(":message-type", "exception")],
                       b'{"message":"Stream fuzz under account 000000000000 not found."}')
every_type = es_message([
    es_header("true", 0, b""), es_header("false", 1, b""), es_header("byte", 2, b"\x7f"),
    es_header("short", 3, b"\x01\x02"), es_header("int", 4, b"\x00\x00\x01\x00"),
    es_header("long", 5, b"\x00" * 7 + b"\x05"), es_header("bytes", 6, b"\x00\x02\xff\x00"),
    es_string("string", "s"), es_header("time", 8, struct.pack(">q", 1700000000123)),
    es_header("uuid", 9, bytes(range(16)))], b"payload")
cbor_event = es_event("SubscribeToShardEvent", cbor2.dumps(
    {"ContinuationSequenceNumber": "1", "MillisBehindLatest": 5, "Records": []}),
    "application/x-amz-cbor-1.1")

write("event_stream", "subscription.bin", b"\x00" + initial + event + event)
write("event_stream", "exception.bin", b"\x00" + initial + exception)
write("event_stream", "every_header_type.bin", b"\x00" + every_type)
write("event_stream", "cbor_event.bin", b"\x00" + cbor_event)
write("event_stream", "split_message.bin", b"\x00" + initial + event[:30])
# With flag bit 0 the target writes the CRCs: here they are zero, as a mutation would leave them.
zeroed = bytearray(event)
zeroed[8:12] = b"\0\0\0\0"
zeroed[-4:] = b"\0\0\0\0"
write("event_stream", "crcs_fixed_by_target.bin", b"\x01" + bytes(zeroed))


# --- requests signed by botocore at 2015-08-30T12:36:00Z (the target's pinned clock) ---------

SIGNING_TIME = datetime.datetime(2015, 8, 30, 12, 36, 0)
CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
HOST = "127.0.0.1:4567"


class FixedClock(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return SIGNING_TIME

    @classmethod
    def now(cls, tz=None):
        return SIGNING_TIME if tz is None else SIGNING_TIME.replace(tzinfo=tz)


def signed(method, path, headers, data=b"", credentials=CREDENTIALS, presign=False):
    request = AWSRequest(method=method, url="http://" + HOST + path, data=data)
    for name, value in headers:
        request.headers[name] = value
    if presign:
        signer = botocore.auth.SigV4QueryAuth(credentials, "kinesis", "us-east-1", expires=300)
    else:
        signer = botocore.auth.SigV4Auth(credentials, "kinesis", "us-east-1")
    with mock.patch.object(botocore.auth, "datetime", types.SimpleNamespace(datetime=FixedClock)):
        signer.add_auth(request)
    target = request.url[len("http://" + HOST):]
    lines = ["%s %s" % (method, target), "Host: " + HOST]
    lines += ["%s: %s" % (name, value) for name, value in request.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def kinesis(action, request, content_type="application/x-amz-json-1.1"):
    return [("Content-Type", content_type), ("X-Amz-Target", "Kinesis_20131202." + action)]


put_record_body = body(JSON_REQUESTS["put_record"]).encode()
write("sigv4_request", "put_record.txt", signed("POST", "/", kinesis("PutRecord", None), put_record_body))
write("sigv4_request", "put_records.txt",
      signed("POST", "/", kinesis("PutRecords", None), body(PUT_RECORDS).encode()))
write("sigv4_request", "cbor_get_records.txt",
      signed("POST", "/", kinesis("GetRecords", None, "application/x-amz-cbor-1.1"),
             cbor2.dumps({"ShardIterator": "AAAAAAAAAAE=", "Limit": 10})))
write("sigv4_request", "session_token.txt",
      signed("POST", "/", kinesis("ListStreams", None), b"{}",
             Credentials(CREDENTIALS.access_key, CREDENTIALS.secret_key, "FQoGZXIvYXdzEXAMPLE")))
write("sigv4_request", "unknown_key.txt",
      signed("POST", "/", kinesis("ListStreams", None), b"{}", Credentials("AKIDUNKNOWN", "x")))
write("sigv4_request", "presigned_subscribe.txt",
      signed("GET", "/v1/subscribe?stream=fuzz&from=TRIM_HORIZON", [], presign=True))
write("sigv4_request", "unsigned.txt",
      "POST /\r\nHost: %s\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
      "Content-Type: application/x-amz-json-1.1\r\n\r\n{}" % HOST)


# --- dashboard requests (GET pages and numbers, login, the page's Kinesis calls) ---------------

DASHBOARD_HOST = "127.0.0.1:4567"
for name, request in {
    "page": "GET /\r\nHost: %s\r\nIf-None-Match: \"0123456789abcdef\"\r\n\r\n",
    "asset": "GET /assets/app.js\r\nHost: %s\r\n\r\n",
    "stats_stream": "GET /v1/stats?stream=fuzz\r\nHost: %s\r\n"
                    "Cookie: a=b; spate_session=AKIDFUZZ.4102444800.00112233445566778899aabbccddeeff\r\n\r\n",
    "session": "GET /v1/session\r\nHost: %s\r\n\r\n",
    "login": "POST /v1/login\r\nHost: %s\r\nX-Spate-Csrf: login\r\nContent-Length: 57\r\n"
             "Origin: http://app.example:8080\r\n\r\n"
             '{"accessKeyId":"AKIDFUZZ","secretAccessKey":"fuzz-secret"}',
    "kinesis_call": "POST /v1/kinesis\r\nHost: %s\r\nX-Spate-Csrf: 0123456789abcdef0123456789abcdef\r\n"
                    "X-Amz-Target: Kinesis_20131202.DeleteStream\r\nContent-Length: 20\r\n"
                    "Origin: http://evil.example\r\n\r\n{\"StreamName\":\"s\"}",
    "preflight": "OPTIONS /\r\nHost: %s\r\nOrigin: http://app.example:8080\r\n"
                 "Access-Control-Request-Method: POST\r\n"
                 "Access-Control-Request-Headers: content-type,x-amz-target\r\n\r\n",
}.items():
    write("dashboard_request", name + ".txt", request.replace("%s", DASHBOARD_HOST))


# --- base64 text, as PutRecords entries carry data ----------------------------------------------

for name, text in {
    "record_100_bytes": b64(bytes(range(100))),
    "one_padding": b64(b"a" * 50),
    "two_paddings": b64(b"b" * 49),
    "all_byte_values": b64(bytes(range(256))),
    "character_outside": b64(bytes(range(60)))[:41] + "*" + b64(bytes(range(60)))[42:],
    "padding_inside": b64(b"c" * 40)[:20] + "=" + b64(b"c" * 40)[21:],
    "leftover_bits": b64(b"d" * 31)[:-2] + "B=",
}.items():
    write("base64_decode", name + ".txt", text)


# --- WebSocket subscription targets -----------------------------------------------------------

for name, target in {
    "stream": "/v1/subscribe?stream=fuzz",
    "trim_horizon": "/v1/subscribe?stream=fuzz&from=TRIM_HORIZON",
    "at_timestamp": "/v1/subscribe?from=AT_TIMESTAMP:1700000000123&stream=fuzz",
    "one_shard": "/v1/subscribe?stream=fuzz&shard=shardId-000000000001"
                 "&from=AFTER_SEQUENCE_NUMBER:49590338271490256608559692538361571095921575989136588898",
    "percent_encoded": "/v1/subscribe?stream=my%2Estream+x&shard=shardId%2D000000000000&from=LATEST",
    "empty_pairs": "/v1/subscribe?&stream=fuzz&&from=AT_SEQUENCE_NUMBER%3A1&shard=0&",
    "unknown_parameter": "/v1/subscribe?stream=fuzz&X-Amz-Algorithm=AWS4-HMAC-SHA256",
}.items():
    write("websocket_query", name + ".txt", target)


# --- HTTP/2 connections, as h2 writes a client's side ------------------------------------------

def h2_connection(requests, extra=None):
    """The bytes of a client connection: preface, SETTINGS, then each request's frames."""
    conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    stream_id = 1
    for method, path, headers, data in requests:
        pseudo = [(":method", method), (":scheme", "http"), (":authority", HOST), (":path", path)]
        conn.send_headers(stream_id, pseudo + headers, end_stream=not data)
        if data:
            conn.send_data(stream_id, data, end_stream=True)
        stream_id += 2
    if extra:
        extra(conn)
    return conn.data_to_send()


def h2_kinesis(action, data, content_type="application/x-amz-json-1.1"):
    return ("POST", "/", [("content-type", content_type),
                          ("x-amz-target", "Kinesis_20131202." + action)], data)


write("http2_session", "put_records.h2", h2_connection([h2_kinesis("PutRecords", body(PUT_RECORDS).encode())]))
write("http2_session", "put_and_describe.h2", h2_connection([
    h2_kinesis("PutRecord", put_record_body),
    h2_kinesis("DescribeStreamSummary", b'{"StreamName":"fuzz"}'),
    h2_kinesis("ListShards", b'{"StreamName":"fuzz"}')]))
write("http2_session", "get_shard_iterator.h2", h2_connection([
    h2_kinesis("GetShardIterator", body({"StreamName": "fuzz", "ShardId": "shardId-000000000000",
                                         "ShardIteratorType": "TRIM_HORIZON"}).encode()),
    h2_kinesis("GetRecords", b'{"ShardIterator":"AAAA"}')]))
write("http2_session", "cbor_put_record.h2", h2_connection([
    h2_kinesis("PutRecord", cbor2.dumps({"StreamName": "fuzz", "Data": b"x", "PartitionKey": "k"}),
               "application/x-amz-cbor-1.1")]))
write("http2_session", "health_and_metrics.h2", h2_connection([
    ("GET", "/healthz", [], b""), ("GET", "/metrics", [], b"")]))
write("http2_session", "ping_window_reset.h2", h2_connection(
    [h2_kinesis("ListStreams", b"{}")],
    lambda c: (c.ping(b"12345678"), c.increment_flow_control_window(65535),
               c.send_headers(5, [(":method", "POST"), (":scheme", "http"), (":authority", HOST),
                                  (":path", "/")]),
               c.reset_stream(5), c.close_connection())))
write("http2_session", "bad_envelope.h2", h2_connection([
    ("POST", "/", [("content-type", "text/plain")], b"{}"),
    h2_kinesis("NoSuchAction", b"{}"),
    h2_kinesis("PutRecord", b"not json")]))


# --- segment files, as the storage code lays them out -----------------------------------------

def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def segment_header(base, created_ms=1000):
    head = b"SPATESEG" + struct.pack("<IIQqI", 1, 40, base, created_ms, 0)
    return head + struct.pack("<I", masked(crc32c(head)))


def frame(payload, type_byte=1):
    covered = bytes([type_byte]) + payload
    return struct.pack("<II", masked(crc32c(covered)), len(payload)) + covered


def record(pos, key, data, arrival=1000, hash_key=None):
    flags = 1 if hash_key is not None else 0
    payload = struct.pack("<QqBH", pos, arrival, flags, len(key))
    if hash_key is not None:
        payload += hash_key.to_bytes(16, "big")
    return frame(payload + key + data)


frames = [record(p, b"user-%d" % p, b"click-%d" % p, 1000 + p) for p in range(3)]
body3 = b"".join(frames)
write("segment_recovery", "clean.seg", b"\x01" + body3)
write("segment_recovery", "clean_whole_file.seg", b"\x00" + segment_header(0) + body3)
write("segment_recovery", "base_1000.seg", b"\x41" + b"".join(
    record(1000 + p, b"k", b"v" * p) for p in range(3)))
write("segment_recovery", "torn_tail.seg", b"\x01" + body3 + frames[0][:20])
corrupt = bytearray(body3)
corrupt[len(frames[0]) + 12] ^= 0xFF  # in the second frame's payload; the third stays intact
write("segment_recovery", "corrupt_middle_strict.seg", b"\x09" + bytes(corrupt))
write("segment_recovery", "corrupt_middle_active.seg", b"\x05" + bytes(corrupt))
write("segment_recovery", "hash_key_and_ignored_type.seg", b"\x01" + record(0, b"k", b"d", hash_key=2 ** 127)
      + frame(b"from a later version", 0x81) + record(1, b"k", b"e"))
write("segment_recovery", "zero_crcs_fixed_by_target.seg", b"\x03" + b"".join(
    b"\0\0\0\0" + f[4:] for f in frames))
write("segment_recovery", "header_crc_fixed_by_target.seg", b"\x20" + segment_header(0)[:36] + b"\0\0\0\0" + body3)
write("segment_recovery", "torn_header.seg", b"\x00" + segment_header(0)[:17])
write("segment_recovery", "zeroed_header.seg", b"\x00" + bytes(40) + body3)
# A sealed segment's index file: its header, one entry per interval, the CRC (fixed by target).
trusted = 40 + len(frames[0]) + len(frames[1])
index = b"SPATEIDX" + struct.pack("<IIQQQq", 1, 1, 0, 2, trusted, 1001) + struct.pack("<QQq", 0, 40, 1000)
index += struct.pack("<I", masked(crc32c(index)))
write("segment_recovery", "with_index.seg", b"\x11" + struct.pack("<H", len(index)) + index + body3)
