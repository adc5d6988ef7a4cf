"""sohoa.process._release_memory: after its first call the live objects are frozen out of the
collector's way (cheaper collections), and a later page's cyclic garbage is still freed."""

from __future__ import annotations

import gc
import weakref

import numpy as np

from sohoa import process


class _Node:
    def __init__(self) -> None:
        self.pixels = np.zeros((256, 256), np.uint8)
        self.me = self  # a cycle: only the collector frees it


def test_cycles_made_after_the_freeze_are_still_collected() -> None:
    process._release_memory()  # the first call freezes what is alive now
    assert process._FROZEN and gc.get_freeze_count() > 0
    frozen = gc.get_freeze_count()
    node = _Node()
    ref = weakref.ref(node)
    del node
    assert ref() is not None  # the cycle keeps it alive until a collection
    process._release_memory()
    assert ref() is None
    assert gc.get_freeze_count() == frozen  # frozen once per process, not after every page
