"""Run inside a ``process`` worker by tests/test_batch_startup.py (kept apart from the test
module so the worker imports nothing else to unpickle it)."""

from __future__ import annotations

import os
import sys
import time


def probe(plan) -> tuple[bool, bool, float, int]:  # type: ignore[no-untyped-def]
    """What a worker finds when it starts: the fork server's engines for ``plan``, the read
    path's modules, its own CPU seconds so far and its parent."""
    import sohoa.batch_preload as bp

    return (bp.preloaded(plan) is not None, "preprocessing.analyze" in sys.modules,
            time.process_time(), os.getppid())
