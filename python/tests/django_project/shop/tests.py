"""spate.django against a real spated: configured streams by name, pynesis settings, the
Checkpoint model's compare-and-set, send_on_commit, and manage.py spate_consume with workers
and SIGTERM."""

import os
import signal
import subprocess
import sys
import time

from django.db import transaction
from django.test import TransactionTestCase

import spate
import spate.django as spate_django
from spate.django.checkpointer import DjangoCheckpointer
from spate.django.models import Checkpoint

from .models import Order


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def make_stream(name, shards=2):
    client = spate_django.make_client(spate_django.stream_config("orders"))
    client.create_stream(stream_name=name, shard_count=shards)
    wait_for(lambda: client.describe_stream_summary(stream_name=name)["summary"]["status"]
             == "ACTIVE")
    return client


def read_all(client, name):
    out = []
    for shard in client.list_shards(stream_name=name)["shards"]:
        it = client.get_shard_iterator(stream_name=name, shard_id=shard["shard_id"],
                                       position={"type": "TRIM_HORIZON"})["shard_iterator"]
        out += [r["data"] for r in client.get_records(shard_iterator=it)["records"]]
    return out


class Streams(TransactionTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for name in ("orders", "audit-log", "legacy-stream"):
            make_stream(name)

    def test_get_stream_gives_one_configured_stream_per_name(self):
        orders, audit = spate_django.get_stream("orders"), spate_django.get_stream("audit")
        self.assertEqual((orders.name, audit.name), ("orders", "audit-log"))
        self.assertIs(spate_django.get_stream("orders"), orders)
        self.assertEqual(orders.application, "billing")
        with self.assertRaises(KeyError):
            spate_django.get_stream("nope")

    def test_a_pynesis_configuration_puts_and_reads_json(self):
        legacy = spate_django.get_stream("legacy")
        self.assertEqual(legacy.name, "legacy-stream")
        legacy.put("k", {"event": "signup", "n": 1})
        for value in legacy.read():
            self.assertEqual(value, {"event": "signup", "n": 1})
            legacy.stop()
        dummy = spate_django.get_stream("dummy")
        first = next(iter(dummy.read()))
        self.assertEqual(first.partition_key, "dummy")

    def test_send_on_commit_sends_after_commit_and_never_after_rollback(self):
        client = make_stream("commit-test", shards=1)
        with self.settings(SPATE={"streams": {"commit": {
                "stream": "commit-test", "endpoint": os.environ["SPATE_TEST_ENDPOINT"],
                "region": "us-east-1", "credentials": ("a", "b", "")}}}):
            with transaction.atomic():
                spate_django.send_on_commit("commit", "k", b"committed")
                self.assertEqual(read_all(client, "commit-test"), [])
            try:
                with transaction.atomic():
                    spate_django.send_on_commit("commit", "k", b"rolled back")
                    raise RuntimeError("roll back")
            except RuntimeError:
                pass
            self.assertTrue(spate_django._producer("commit").flush(timeout=30))
        self.assertEqual(read_all(client, "commit-test"), [b"committed"])


class Checkpoints(TransactionTestCase):
    def test_compare_and_set_lets_only_one_writer_advance_a_shard(self):
        store = DjangoCheckpointer()
        lease = {"shard_id": "shardId-000000000000", "checkpoint": "", "owner": "w1"}
        self.assertTrue(store.compare_and_set("app/s", lease, 0))
        self.assertFalse(store.compare_and_set("app/s", dict(lease, owner="w2"), 0))
        self.assertTrue(store.compare_and_set("app/s", dict(lease, checkpoint="5"), 1))
        self.assertFalse(store.compare_and_set("app/s", dict(lease, checkpoint="9"), 1),
                         "a second writer holding the old version must lose")
        row = Checkpoint.objects.get()
        self.assertEqual((row.application, row.stream, row.shard_id, row.checkpoint,
                          row.version), ("app", "s", "shardId-000000000000", "5", 2))
        self.assertEqual([e["checkpoint"] for e in store.list("app/s")], ["5"])
        store.clear("app/s")
        self.assertEqual(store.list("app/s"), [])

    def test_a_consumer_keeps_its_checkpoints_in_the_model(self):
        client = make_stream("model-cp")
        client.put_records(stream_name="model-cp", records=[
            {"partition_key": f"k{i}", "data": f"{i}".encode()} for i in range(50)])
        got = []

        def handler(record):
            got.append(record)
            if len(got) == 50:
                consumer.request_stop()

        consumer = spate.Consumer(client, "model-cp", "django-app", handler=handler,
                                  checkpointer=DjangoCheckpointer(), idle_poll_interval=0.01,
                                  checkpoint_interval=0.05)
        consumer.run(timeout=60)
        rows = Checkpoint.objects.filter(application="django-app", stream="model-cp")
        self.assertEqual(rows.count(), 2)
        for row in rows:
            self.assertTrue(row.checkpoint.isdigit(), row.checkpoint)
            self.assertEqual(row.owner, "")


class ConsumeCommand(TransactionTestCase):
    def test_workers_share_the_stream_and_stop_cleanly_on_sigterm(self):
        client = make_stream("orders-cmd", shards=4)
        env = dict(os.environ)
        streams = {"streams": {"orders": {
            "stream": "orders-cmd", "endpoint": os.environ["SPATE_TEST_ENDPOINT"],
            "region": "us-east-1", "credentials": ("a", "b", ""), "application": "cmd",
            "checkpointer": "django",
            "options": {"idle_poll_interval": 0.01, "checkpoint_interval": 0.05,
                        "lease_duration": 1.0, "shard_sync_interval": 0.1}}}}
        env["SPATE_TEST_STREAMS"] = repr(streams)
        manage = os.path.join(os.path.dirname(os.path.dirname(__file__)), "manage.py")
        proc = subprocess.Popen([sys.executable, manage, "spate_consume", "orders", "--handler",
                                 "shop.handlers.store_order", "--workers", "2"], env=env)
        try:
            client.put_records(stream_name="orders-cmd", records=[
                {"partition_key": f"k{i}", "data": f"order-{i}".encode()} for i in range(200)])
            wait_for(lambda: Order.objects.count() == 200, timeout=60)
            wait_for(lambda: Checkpoint.objects.filter(application="cmd").exclude(
                checkpoint="").count() == 4, timeout=60)
            os.kill(proc.pid, signal.SIGTERM)
            self.assertEqual(proc.wait(60), 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(sorted(Order.objects.values_list("data", flat=True)),
                         sorted(f"order-{i}" for i in range(200)))
        rows = Checkpoint.objects.filter(application="cmd")
        self.assertEqual(rows.count(), 4)
        self.assertFalse([r.owner for r in rows if r.owner], "SIGTERM releases every lease")
        log = open(os.path.join(os.environ["SPATE_TEST_DIR"], "spate.log")).read()
        self.assertIn("stopping", log)
        self.assertIn("stopped after", log)
