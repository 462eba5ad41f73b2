"""Spate for Python: Kinesis Data Streams producers, consumers and a typed client on Spate's
C++ client library. Works against spated and AWS alike.

    import spate
    client = spate.Client()                       # endpoint/region/credentials from AWS_*
    with spate.Producer(client, "orders") as producer:
        producer.put("customer-42", b"hello")
    for record in spate.Consumer(client, "orders", "billing"):
        print(record.partition_key, record.data)

Modules: spate.aio (asyncio), spate.testing (fake stream, pytest fixtures), spate.django
(a Django app), spate.errors (the exception hierarchy).
"""

from . import _core
from ._core import Client, Record
from .checkpointers import (Checkpointer, MemoryCheckpointer, PynesisCheckpointer,
                            RedisCheckpointer, SQLiteCheckpointer, open_checkpointer)
from .consumer import Consumer
from .errors import (AccessDenied, ClientError, Closed, Error, ExpiredIterator, HandlerError,
                     InternalFailure, InvalidArgument, LimitExceeded, NetworkError, QueueFull,
                     RecordExpired, ResourceInUse, ResourceNotFound, ServiceError, Throttled,
                     ValidationError)
from .producer import Delivery, Producer, PutResult
from .stream import Stream

__version__ = _core.__version__

__all__ = [
    "AccessDenied", "Checkpointer", "Client", "ClientError", "Closed", "Consumer", "Delivery",
    "Error", "ExpiredIterator", "HandlerError", "InternalFailure", "InvalidArgument",
    "LimitExceeded", "MemoryCheckpointer", "NetworkError", "Producer", "PutResult",
    "PynesisCheckpointer", "QueueFull", "Record", "RecordExpired", "RedisCheckpointer",
    "ResourceInUse", "ResourceNotFound", "SQLiteCheckpointer", "ServiceError", "Stream",
    "Throttled", "ValidationError", "__version__", "open_checkpointer",
]
