"""Puts N records on a stream through the batching producer and prints where the last landed.

    python producer.py STREAM [N]      (endpoint, region, keys from AWS_* variables)
"""
import sys

import spate

stream, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000
client = spate.Client()
with spate.Producer(client, stream) as producer:
    deliveries = [producer.put(f"user-{i % 10}", f"click {i}".encode()) for i in range(count)]
last = deliveries[-1].result()          # raises spate.Error if the record was not stored
print(f"{count} records; the last is {last.sequence_number} on {last.shard_id}")
