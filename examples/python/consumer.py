"""Reads a stream as worker of consumer group "example", checkpointing in a SQLite file, and
stops after the batch holding the Nth record (run it twice: the second run starts where the
first stopped).

    python consumer.py STREAM CHECKPOINTS.db [N]
"""
import sys

import spate

stream, db = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
seen = 0


def handle(record):
    global seen
    seen += 1
    if seen == limit:
        consumer.request_stop()   # after this batch, which is then checkpointed


consumer = spate.Consumer(spate.Client(), stream, "example", handler=handle,
                          checkpointer=spate.SQLiteCheckpointer(db))
consumer.run()                      # Ctrl-C stops it cleanly too
print(f"handled {seen} records")
