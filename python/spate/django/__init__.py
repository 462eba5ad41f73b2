"""spate for Django: configured streams by name, a Checkpoint model and its checkpointer, a
`spate_consume` management command, and producing after a transaction commits.

settings.py:

    INSTALLED_APPS = [..., "spate.django"]
    SPATE = {
        "streams": {
            "orders": {
                "stream": "orders-prod",             # the Kinesis stream (default: the key)
                "endpoint": "http://127.0.0.1:4567", # default: AWS_* variables
                "region": "us-east-1",
                "application": "billing",            # the consumer group
                "checkpointer": "django",            # or "sqlite:/path", "redis://...",
                                                     # "memory:", a dotted class path
                "options": {"checkpoint_interval": 5.0},   # Consumer options
            },
        },
    }

pynesis's PYNESIS_CONFIG is read too (BACKEND KinesisBackend/DummyBackend, CHECKPOINTER
InMemoryCheckpointer/RedisCheckpointer/DjangoCheckpointer, BACKEND_OPTIONS stream_name,
batch_size, read_interval, shard_sync_interval): such streams put and read JSON, as pynesis's
did.
"""

import logging
import threading

logger = logging.getLogger("spate.django")

_lock = threading.Lock()
_streams = {}
_producers = {}

_PYNESIS_CHECKPOINTERS = {
    "pynesis.checkpointers.InMemoryCheckpointer": "memory:",
    "pynesis.checkpointers.RedisCheckpointer": "redis",
    "pynesis.djangoutils.DjangoCheckpointer": "django",
}


def stream_config(name):
    """The configuration of stream `name` as a dict (stream, endpoint, region, application,
    checkpointer, options, codec, dummy), from SPATE or PYNESIS_CONFIG; KeyError if neither
    has it."""
    from django.conf import settings
    spate_streams = getattr(settings, "SPATE", {}).get("streams", {})
    if name in spate_streams:
        config = dict(spate_streams[name])
        config.setdefault("stream", name)
        config.setdefault("options", {})
        return config
    pynesis = getattr(settings, "PYNESIS_CONFIG", {})
    if name in pynesis:
        return _from_pynesis(name, pynesis[name])
    raise KeyError(f"no stream {name!r} in settings.SPATE['streams'] or PYNESIS_CONFIG")


def _from_pynesis(name, entry):
    backend = entry.get("BACKEND", "pynesis.backends.DummyBackend")
    options = dict(entry.get("BACKEND_OPTIONS", {}))
    config = {"stream": options.pop("stream_name", name), "codec": "json", "options": {},
              "dummy": backend.endswith("DummyBackend")}
    if config["dummy"]:
        config["fake_values"] = options.get("fake_values")
    renames = {"batch_size": "max_records_per_call", "read_interval": "idle_poll_interval",
               "shard_sync_interval": "shard_sync_interval"}
    for old, new in renames.items():
        if old in options:
            config["options"][new] = options[old]
    checkpointer = entry.get("CHECKPOINTER", "pynesis.checkpointers.InMemoryCheckpointer")
    chosen = _PYNESIS_CHECKPOINTERS.get(checkpointer, checkpointer)
    if chosen == "redis":
        o = entry.get("CHECKPOINTER_OPTIONS", {})
        chosen = f"redis://{o.get('host', '127.0.0.1')}:{o.get('port', 6379)}/{o.get('db', 0)}"
    config["checkpointer"] = chosen
    return config


def make_client(config):
    import spate
    credentials = config.get("credentials")
    return spate.Client(config.get("endpoint"), config.get("region"),
                        tuple(credentials) if credentials else None)


def make_checkpointer(spec):
    """A store from a setting: "django", a URI (memory:, sqlite:PATH, redis://...), a dotted
    class path (instantiated without arguments), or a store object."""
    import spate
    if spec is None or spec == "memory:":
        return spate.MemoryCheckpointer()
    if not isinstance(spec, str):
        return spec
    if spec == "django":
        from .checkpointer import DjangoCheckpointer
        return DjangoCheckpointer()
    if spec.startswith(("sqlite:", "redis://")) or spec.startswith("/"):
        return spate.open_checkpointer(spec)
    from django.utils.module_loading import import_string
    return import_string(spec)()


def get_stream(name):
    """The configured Stream for `name`: one per name per process (thread-safe; concurrent
    read() calls each run their own consumer)."""
    with _lock:
        stream = _streams.get(name)
        if stream is None:
            stream = _streams[name] = _build_stream(name)
        return stream


def _build_stream(name):
    import spate
    from spate.dummy import DummyStream
    config = stream_config(name)
    if config.get("dummy"):
        values = config.get("fake_values") or [{"_id": "1", "body": "fake event"}]
        import json
        return DummyStream([("dummy", json.dumps(v).encode()) for v in values], loop=True)
    return spate.Stream(config["stream"], make_client(config),
                        application=config.get("application"),
                        checkpointer=make_checkpointer(config.get("checkpointer")),
                        codec=config.get("codec"), **config["options"])


def get_consumer(name, handler=None, **overrides):
    """A Consumer for configured stream `name` (its application, checkpointer and options;
    `overrides` win)."""
    import spate
    config = stream_config(name)
    options = dict(config["options"])
    options.update(overrides)
    return spate.Consumer(make_client(config), config["stream"],
                          config.get("application") or f"spate-{name}", handler=handler,
                          checkpointer=make_checkpointer(config.get("checkpointer")), **options)


def _producer(name):
    import spate
    with _lock:
        producer = _producers.get(name)
        if producer is None or producer.closed:
            config = stream_config(name)
            producer = _producers[name] = spate.Producer(
                make_client(config), config["stream"], on_delivery=_log_failure)
        return producer


def _log_failure(error, result):
    if error is not None:
        logger.error("spate: a record sent on commit was not delivered: %s", error)


def send_on_commit(stream_name, partition_key, data, using=None, timeout=5.0):
    """Puts a record on configured stream `stream_name` after the current transaction commits
    (at once outside one), through one batching producer per stream per process; nothing is
    sent if the transaction rolls back. The record is checked now (TypeError, ValueError);
    after the commit, a queue that stays full for `timeout` seconds or a failed delivery is
    logged on "spate.django" (the commit has happened: nothing is raised into the code that
    committed, and other on-commit callbacks still run)."""
    from django.db import transaction
    if not isinstance(partition_key, str):
        raise TypeError("partition_key must be str")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("data must be bytes (or a buffer); encode text first")
    if not 1 <= len(partition_key) <= 256:
        raise ValueError("partition_key must be 1-256 characters")
    data = bytes(data)
    stream_config(stream_name)  # KeyError now for a name that is not configured

    def send():
        try:
            producer = _producer(stream_name)
            producer.poll()  # settles earlier outcomes (logging failures) on this thread
            producer.put(partition_key, data, timeout=timeout)
        except Exception:  # noqa: BLE001 - after the commit: report, do not raise
            logger.exception("spate: a record for %s was not queued after commit",
                             stream_name)

    transaction.on_commit(send, using=using)
