"""The malloc tuning applies on glibc and leaves large allocations working."""

from __future__ import annotations

import platform

import numpy as np
import pytest

from plate_service.memory import return_large_buffers_to_the_os


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_accepts_the_fixed_mmap_threshold() -> None:
    assert return_large_buffers_to_the_os()
    big = np.ones((3000, 4000, 3), dtype=np.uint8)  # a decoded 12 MP photo's size
    assert int(big[-1, -1].sum()) == 3
