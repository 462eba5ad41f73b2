"""spate.Stream (put, put_batch, read, stop) and spate.testing's DummyStream."""

import threading

import pytest

import spate
from spate.testing import DummyStream, FakeStream


def test_put_and_put_batch_store_and_read_yields_them(client, stream):
    s = spate.Stream(stream, client, idle_poll_interval=0.01)
    first = s.put("k", b"one")
    assert first.shard_id.startswith("shardId-")
    results = s.put_batch([(f"k{i}", f"{i}".encode()) for i in range(1200)])
    assert len(results) == 1200 and all(r.sequence_number for r in results)
    got = []
    for record in s.read():
        got.append(record.data)
        if len(got) == 1201:
            s.stop()
    assert sorted(got) == sorted([b"one"] + [f"{i}".encode() for i in range(1200)])


def test_put_batch_retries_only_the_entries_that_failed():
    fake = FakeStream()
    fake.create_stream(stream_name="s", shard_count=1)
    fake.inject_put_failures(every=4)
    results = spate.Stream("s", fake).put_batch([(f"k{i}", f"{i}".encode()) for i in range(40)])
    assert any(r.attempts > 1 for r in results)
    fake.inject_put_failures()
    it = fake.get_shard_iterator(stream_name="s", shard_id="shardId-000000000000",
                                 position={"type": "TRIM_HORIZON"})["shard_iterator"]
    stored = [r["data"] for r in fake.get_records(shard_iterator=it)["records"]]
    assert sorted(stored) == sorted(f"{i}".encode() for i in range(40)), "each once"


def test_stop_from_another_thread_ends_read_while_it_waits_for_records(fake_stream):
    s = spate.Stream("test", fake_stream, idle_poll_interval=0.01)
    fake_stream.put_record(stream_name="test", partition_key="k", data=b"x")
    got = []
    reader = threading.Thread(target=lambda: got.extend(s.read()))
    reader.start()
    from conftest import wait_for
    wait_for(lambda: s._readers)
    s.stop()
    reader.join(10)
    assert not reader.is_alive()


def test_the_dummy_stream_yields_fixed_records_and_loops_until_stopped():
    dummy = DummyStream(count=3)
    assert [r.data for r in dummy.read()] == [b"data-0", b"data-1", b"data-2"]
    looping = DummyStream([("k", b"v")], loop=True)
    got = []
    for record in looping.read():
        got.append(record)
        if len(got) == 10:
            looping.stop()
    assert len(got) == 10 and {r.data for r in got} == {b"v"}
    assert [r.sequence_number for r in got] == [str(i) for i in range(1, 11)]
    with pytest.raises(TypeError):
        dummy.put("k", "str")


def test_the_fixtures_give_a_fake_with_a_stream_and_a_real_server(fake_stream, spated_server):
    assert fake_stream.describe_stream_summary(stream_name="test")["summary"][
        "open_shard_count"] == 2
    client = spate.Client(spated_server.endpoint, "us-east-1", ("a", "b", ""))
    assert client.list_streams()["stream_names"] == []
