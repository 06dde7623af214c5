"""Make freed image buffers go back to the operating system (glibc malloc tuning)."""

from __future__ import annotations

import ctypes
import logging

logger = logging.getLogger(__name__)

# glibc's mallopt parameter numbers (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Every allocation at least this large (a decoded photo, its grey copy) gets its own
# mapping, unmapped when freed; smaller ones stay on the fast heap path.
MMAP_THRESHOLD_BYTES = 4 * 2**20
# Fixing the mmap threshold also fixes the trim threshold (glibc stops adapting both);
# left at its 128 KB default, the heap top would be given back and taken again on
# nearly every request (measured: +50% CPU per GET /plate of a small crop).
TRIM_THRESHOLD_BYTES = 64 * 2**20


def return_large_buffers_to_the_os() -> bool:
    """Fix glibc's mmap threshold, so large buffers never stay behind in the heap.

    glibc raises its threshold each time a mapped buffer is freed (up to 32 MB on
    64-bit), after which a decoded 12 MP photo (36 MB) and its grey copy come from the
    heap of the thread that decoded them, and their freed pages stay resident in that
    thread's arena. Measured on one worker reading 100 photos of 12 MP in one batch
    (docs/benchmarks.md, section 5): peak RSS 492 MB with glibc's defaults, 443 MB with
    these thresholds (403 MB with a 128 KB threshold, at +50% CPU per small request).
    False where it does not apply (not glibc).
    """
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
                    and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
    except (OSError, AttributeError):
        logger.debug("mallopt is not available; the malloc defaults stay")
        return False
