"""The Python package against boto3 on one spated: producer and consumer records/s and CPU per
record, the consumer's RSS over millions of records, and how fast Ctrl-C interrupts a wait.
Run by benchmarks/runner/python_package.py with build/venv's interpreter (spate installed):

    python_bench.py --endpoint URL [--records N] [--boto-records N] [--rss-records N] --json
"""

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
import uuid

import boto3
import botocore.config

import spate

CREDENTIALS = ("AKIDBENCH", "secret", "")
PAYLOAD = b"x" * 100


def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def new_stream(client, shards):
    name = "pybench-" + uuid.uuid4().hex[:8]
    client.create_stream(stream_name=name, shard_count=shards)
    while client.describe_stream_summary(stream_name=name)["summary"]["status"] != "ACTIVE":
        time.sleep(0.05)
    return name


def measure(fn, n):
    c0, t0 = cpu(), time.monotonic()
    fn()
    wall, used = time.monotonic() - t0, cpu() - c0
    return {"records": n, "seconds": round(wall, 3), "records_per_s": round(n / wall),
            "cpu_us_per_record": round(used / n * 1e6, 2)}


def spate_produce(client, stream, n):
    def run():
        with spate.Producer(client, stream, linger=0.01, max_in_flight=4) as producer:
            for i in range(n):
                producer.put(f"key-{i % 1000}", PAYLOAD)
                if i % 50_000 == 0:
                    producer.poll()
    return measure(run, n)


def boto_client(endpoint):
    return boto3.client("kinesis", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=CREDENTIALS[0], aws_secret_access_key=CREDENTIALS[1],
                        config=botocore.config.Config(retries={"max_attempts": 10}))


def boto_produce(kinesis, stream, n):
    def run():
        for start in range(0, n, 500):
            batch = [{"PartitionKey": f"key-{i % 1000}", "Data": PAYLOAD}
                     for i in range(start, min(n, start + 500))]
            while batch:
                out = kinesis.put_records(StreamName=stream, Records=batch)
                batch = [b for b, r in zip(batch, out["Records"]) if "ErrorCode" in r]
    return measure(run, n)


def spate_consume(client, stream, n, rss_samples=None):
    def run():
        seen = 0
        consumer = spate.Consumer(client, stream, "bench-" + uuid.uuid4().hex[:6],
                                  idle_poll_interval=0.05)
        for _record in consumer:
            seen += 1
            if rss_samples is not None and seen % (n // 20) == 0:
                rss_samples.append(round(rss_mib(), 1))
            if seen == n:
                break
    return measure(run, n)


def boto_consume(kinesis, stream, n):
    def run():
        seen = 0
        shards = kinesis.list_shards(StreamName=stream)["Shards"]
        iterators = {s["ShardId"]: kinesis.get_shard_iterator(
            StreamName=stream, ShardId=s["ShardId"], ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"] for s in shards}
        while seen < n:
            for shard, it in list(iterators.items()):
                out = kinesis.get_records(ShardIterator=it, Limit=10_000)
                for record in out["Records"]:
                    _ = record["Data"]
                    seen += 1
                iterators[shard] = out["NextShardIterator"]
    return measure(run, n)


def fill(client, stream, n):
    with spate.Producer(client, stream, linger=0.01) as producer:
        for i in range(n):
            producer.put(f"key-{i % 1000}", PAYLOAD)
            if i % 50_000 == 0:
                producer.poll()


INTERRUPTED = """
import threading, time, spate
from spate.testing import FakeStream
fake = FakeStream(); fake.create_stream(stream_name="s", shard_count=1)
threading.Timer(0.2, lambda: print("ready", flush=True)).start()
try:
    for r in spate.Consumer(fake, "s", "app"):
        pass
except KeyboardInterrupt:
    print(time.monotonic(), flush=True)
"""


def ctrl_c_latency(runs):
    latencies = []
    for _ in range(runs):
        p = subprocess.Popen([sys.executable, "-c", INTERRUPTED], stdout=subprocess.PIPE,
                             text=True)
        p.stdout.readline()
        sent = time.monotonic()
        os.kill(p.pid, signal.SIGINT)
        out, _ = p.communicate(timeout=30)
        latencies.append((float(out.split()[0]) - sent) * 1000)
    latencies.sort()
    return {"runs": runs, "median_ms": round(latencies[len(latencies) // 2], 1),
            "max_ms": round(latencies[-1], 1)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--boto-records", type=int, default=100_000)
    parser.add_argument("--rss-records", type=int, default=5_000_000)
    parser.add_argument("--rss-only", metavar="STREAM",
                        help="only consume --rss-records records of STREAM, sampling RSS")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    client = spate.Client(args.endpoint, "us-east-1", CREDENTIALS)
    if args.rss_only:
        samples = []
        result = spate_consume(client, args.rss_only, args.rss_records, samples)
        result["rss_mib_samples"] = samples
        print(json.dumps(result))
        return
    kinesis = boto_client(args.endpoint)
    out = {"version": spate.__version__}

    stream = new_stream(client, 4)
    out["producer_spate"] = spate_produce(client, stream, args.records)
    out["producer_boto3"] = boto_produce(kinesis, stream, args.boto_records)
    out["producer_ratio"] = round(out["producer_spate"]["records_per_s"]
                                  / out["producer_boto3"]["records_per_s"], 1)

    stream = new_stream(client, 4)
    fill(client, stream, args.records)
    out["consumer_spate"] = spate_consume(client, stream, args.records)
    out["consumer_boto3"] = boto_consume(kinesis, stream, min(args.records, args.boto_records))
    out["consumer_ratio"] = round(out["consumer_spate"]["records_per_s"]
                                  / out["consumer_boto3"]["records_per_s"], 1)

    stream = new_stream(client, 4)
    fill(client, stream, args.rss_records)
    # In a fresh interpreter, so the filling producer's memory is not in the figure.
    child = subprocess.run([sys.executable, __file__, "--endpoint", args.endpoint,
                            "--rss-only", stream, "--rss-records", str(args.rss_records)],
                           capture_output=True, text=True, check=True)
    out["consumer_rss"] = json.loads(child.stdout)
    samples = out["consumer_rss"]["rss_mib_samples"]
    # Readers' buffers and the allocator's per-thread arenas fill during the first half of a
    # run; growth is measured over the second half, with every sample reported.
    warm = samples[len(samples) // 2:]
    out["consumer_rss"].update({"rss_mib_samples": samples,
                                "rss_growth_after_warmup_pct": round(
                                    (max(warm) - warm[0]) / warm[0] * 100, 1)})
    out["ctrl_c"] = ctrl_c_latency(10)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
