"""manage.py spate_consume NAME --handler dotted.path [--workers N]

Runs consumer workers for configured stream NAME (settings.SPATE or PYNESIS_CONFIG), calling
the handler for each record. With --workers N, N processes share the shards through the
stream's checkpointer (which must then be shared: django, sqlite or redis). SIGTERM or SIGINT
stops every worker cleanly: final checkpoints written, leases released. Logs go to the
"spate.django" logger, configured by Django's LOGGING.
"""

import signal
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

import spate.django as spate_django


class Command(BaseCommand):
    help = "Consume a configured Spate stream with a record handler"

    def add_arguments(self, parser):
        parser.add_argument("name", help="the stream's key in settings.SPATE['streams']")
        parser.add_argument("--handler", required=True,
                            help="dotted path of a function called with each Record")
        parser.add_argument("--workers", type=int, default=1,
                            help="worker processes sharing the shards (default 1)")

    def handle(self, *args, name, handler, workers, **options):
        log = spate_django.logger
        try:
            function = import_string(handler)
        except ImportError as e:
            raise CommandError(f"cannot import handler {handler}: {e}") from e
        try:
            spate_django.stream_config(name)
        except KeyError as e:
            raise CommandError(str(e)) from e
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        children = []
        if workers > 1:
            argv = [sys.executable, sys.argv[0], "spate_consume", name, "--handler", handler,
                    "--workers", "1"]
            children = [subprocess.Popen(argv) for _ in range(workers - 1)]
        consumer = spate_django.get_consumer(name, handler=function)

        def stop(signum, _frame):
            log.info("spate_consume %s: signal %d, stopping", name, signum)
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            consumer.request_stop()

        previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
        log.info("spate_consume %s: worker %s started (%d workers)", name, consumer.worker_id,
                 workers)
        try:
            consumer.run()
        finally:
            for s, h in previous.items():
                signal.signal(s, h)
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
            # A worker that got our SIGTERM before it installed its handler (still starting
            # up) never ran its consumer and held no lease: dying of that signal is a clean
            # stop, not a failure.
            failed = [c.pid for c in children if c.wait() not in (0, -signal.SIGTERM)]
            stats = consumer.stats()
            log.info("spate_consume %s: worker %s stopped after %d records", name,
                     consumer.worker_id, stats["records"])
        if failed:
            raise CommandError(f"worker processes {failed} failed")
