"""Settings of the test project: spate.django installed, streams on the spated named by
SPATE_TEST_ENDPOINT, the database a SQLite file under SPATE_TEST_DIR (shared with the
spate_consume worker processes the tests start)."""
import os

SECRET_KEY = "test-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "spate.django", "shop"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
_DB = os.path.join(os.environ.get("SPATE_TEST_DIR", "/tmp"), "db.sqlite3")
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _DB,
                         "TEST": {"NAME": _DB}, "OPTIONS": {"timeout": 30}}}
_ENDPOINT = os.environ.get("SPATE_TEST_ENDPOINT", "http://127.0.0.1:4567")
_COMMON = {"endpoint": _ENDPOINT, "region": "us-east-1", "credentials": ("a", "b", "")}
SPATE = {
    "streams": {
        "orders": dict(_COMMON, stream="orders", application="billing", checkpointer="django",
                       options={"idle_poll_interval": 0.01, "checkpoint_interval": 0.05,
                                "lease_duration": 1.0, "shard_sync_interval": 0.1}),
        "audit": dict(_COMMON, stream="audit-log", checkpointer="memory:"),
    },
}
if os.environ.get("SPATE_TEST_STREAMS"):  # a test's own streams, for the processes it starts
    import ast
    SPATE = ast.literal_eval(os.environ["SPATE_TEST_STREAMS"])
PYNESIS_CONFIG = {
    "legacy": {
        "BACKEND": "pynesis.backends.KinesisBackend",
        "CHECKPOINTER": "pynesis.checkpointers.InMemoryCheckpointer",
        "BACKEND_OPTIONS": {"stream_name": "legacy-stream", "read_interval": 0.01},
    },
    "dummy": {"BACKEND": "pynesis.backends.DummyBackend"},
}
LOGGING = {
    "version": 1,
    "handlers": {"file": {"class": "logging.FileHandler",
                          "filename": os.path.join(os.environ.get("SPATE_TEST_DIR", "/tmp"),
                                                   "spate.log")}},
    "loggers": {"spate.django": {"handlers": ["file"], "level": "INFO"}},
}
