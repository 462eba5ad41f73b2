"""What happens to live producers and consumers when the interpreter exits: each is closed
(producers flush, consumers stop and write their final checkpoints) by an atexit hook, before
the interpreter tears down, so no C++ thread is left waiting on a Python one. Then the calls a
Ctrl-C abandoned are ended (their clients closed), so none is still inside the C++ library
while the process runs its exit handlers (OpenSSL's among them)."""

import atexit
import weakref

from . import _core

_live = weakref.WeakSet()


def register_for_exit(obj):
    _live.add(obj)


@atexit.register
def _close_all():
    for obj in list(_live):
        try:
            getattr(obj, "_close_at_exit", obj.close)()
        except Exception:  # noqa: BLE001 - exiting: nothing left to report to
            pass
    _core._end_abandoned_calls(2.0)
