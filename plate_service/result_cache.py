"""Recent recognition results by image ID: cachetools' LRU cache with a time-to-live."""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping
from typing import TypeVar

from cachetools import TTLCache

K = TypeVar("K")
V = TypeVar("V")


def create_result_cache(max_entries: int, ttl_s: float,
                        clock: Callable[[], float] = time.monotonic
                        ) -> MutableMapping[K, V] | None:
    """At most ``max_entries`` values, each kept ``ttl_s`` seconds, least recently used
    evicted first; None (no cache) when either is 0.

    Used only from the event loop thread, so it needs no lock.
    """
    if max_entries <= 0 or ttl_s <= 0:
        return None
    return TTLCache(maxsize=max_entries, ttl=ttl_s, timer=clock)
