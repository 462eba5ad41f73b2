"""Decoding a request costs memory in proportion to what the action reads, never to what the
client sent, and odd numbers are refused rather than converted.

Proves, against a real spated (memory read from /proc/PID/status: the peak, VmHWM):
- a 16.7 MB CBOR body whose unknown member holds 16.7 million nulls is answered as if the
  member were not there, and the server's peak memory grows by a small multiple of the body
  (before: 1.66 GiB of value tree);
- a JSON body with 8 million zeros is refused (SerializationException) without being parsed;
- a CBOR PutRecords with 200,000 records gets AWS's length error, holding 501 of them;
- the server keeps serving after each;
- a CBOR half-float NaN ShardCount and a JSON AT_TIMESTAMP of 1e300 are a SerializationException
  (before: NaN became INT64_MIN, 1e300 the earliest time).
"""

from __future__ import annotations

import struct

import cbor2
import pytest

from spate_harness import (
    CBOR_CONTENT_TYPE,
    cbor_call,
    error_type,
    raw_call,
    unique_stream_name,
    wait_active,
)

MIB = 1 << 20


def memory(pid: int) -> dict[str, int]:
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, kb = line.split()[:2]
                values[name.rstrip(":")] = int(kb) * 1024
    return values


def cbor_nulls_body(count: int) -> bytes:
    """{"Unknown": [null x count]} (definite-length array), then nothing else."""
    head = b"\xa1" + cbor2.dumps("Unknown")
    return head + b"\x9b" + struct.pack(">Q", count) + b"\xf6" * count


def test_cbor_unknown_member_of_nulls_costs_no_value_tree(server):
    body = cbor_nulls_body(16_700_000)
    before = memory(server.pid)
    status, answer, content_type = cbor_call(server.endpoint, "ListStreams", body=body)
    assert status == 200, answer
    assert content_type == CBOR_CONTENT_TYPE
    assert "StreamNames" in answer
    grown = memory(server.pid)["VmHWM"] - before["VmRSS"]
    # The body itself (held once by the session) plus parsing; never a value per null.
    assert grown < 4 * len(body), f"peak grew by {grown / MIB:.0f} MiB for a {len(body) / MIB:.0f} MiB body"


def test_json_with_millions_of_elements_is_refused_unparsed(server):
    body = b'{"Unknown":[' + b"0," * 8_000_000 + b'0],"StreamName":"x"}'
    before = memory(server.pid)
    status, answer = raw_call(server.endpoint, "ListStreams", body)
    assert status == 400
    assert error_type(answer) == "SerializationException"
    grown = memory(server.pid)["VmHWM"] - before["VmRSS"]
    assert grown < 4 * len(body), f"peak grew by {grown / MIB:.0f} MiB"
    status, answer = raw_call(server.endpoint, "ListStreams", {})
    assert status == 200


def test_cbor_records_beyond_the_limit_are_cut_at_one_past_it(server):
    record = {"PartitionKey": "k", "Data": b"x"}
    body = cbor2.dumps({"StreamName": "none", "Records": [record] * 200_000})
    before = memory(server.pid)
    status, answer, _ = cbor_call(server.endpoint, "PutRecords", body=body)
    assert status == 400
    assert answer["__type"].endswith("ValidationException")
    assert "Member must have length less than or equal to 500" in answer["message"]
    grown = memory(server.pid)["VmHWM"] - before["VmRSS"]
    assert grown < 8 * len(body) + 16 * MIB, f"peak grew by {grown / MIB:.0f} MiB"


def test_nan_shard_count_is_a_serialization_error(server):
    half_nan = b"\xf9\x7e\x00"
    body = (b"\xa2" + cbor2.dumps("StreamName") + cbor2.dumps("nan-stream") +
            cbor2.dumps("ShardCount") + half_nan)
    status, answer, _ = cbor_call(server.endpoint, "CreateStream", body=body)
    assert status == 400
    assert answer["__type"].endswith("SerializationException")
    status, answer = raw_call(server.endpoint, "DescribeStreamSummary",
                              {"StreamName": "nan-stream"})
    assert error_type(answer) == "ResourceNotFoundException"


@pytest.mark.parametrize("timestamp", [1e300, -1e300, 9e15])
def test_timestamps_out_of_range_are_serialization_errors(server, timestamp):
    kinesis = server.client()
    name = unique_stream_name("ts")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    wait_active(kinesis, name)
    status, answer = raw_call(server.endpoint, "GetShardIterator", {
        "StreamName": name, "ShardId": "shardId-000000000000",
        "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": timestamp})
    assert status == 400
    assert error_type(answer) == "SerializationException"
    assert "milliseconds since epoch" in answer["Message"]
