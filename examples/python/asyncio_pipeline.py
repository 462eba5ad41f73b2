"""asyncio: produce N records and read them back on one event loop.

    python asyncio_pipeline.py STREAM [N]
"""
import asyncio
import sys

import spate
import spate.aio


async def main(stream, count):
    client = spate.Client()
    async with spate.aio.Producer(client, stream) as producer:
        await asyncio.gather(*(producer.put(f"k{i}", f"{i}".encode()) for i in range(count)))
    got = 0
    async with spate.aio.Consumer(client, stream, "asyncio-example",
                                  initial_position="TRIM_HORIZON") as consumer:
        async for _record in consumer:
            got += 1
            if got == count:
                break
    print(f"produced and consumed {count} records")


asyncio.run(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1000))
