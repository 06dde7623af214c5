"""With the malloc tuning, a freed image-sized buffer leaves the process's resident memory.

glibc's defaults let it stay: after one large buffer is freed, glibc raises its mmap
threshold past that size, and the next buffer below it comes from the heap, whose freed
pages stay resident. Each case runs in a fresh process, so neither the tuning nor the
threshold glibc learnt carries over from the test run.
"""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from tests.requirements import missing

# A 12 MB buffer freed (glibc's threshold rises to 12 MB), then an 8 MB one, about a
# decoded 1920x1440 photo, freed: how many MB of resident memory that second free returns.
_FREED_MB = """
import sys
import numpy as np
from plate_service.memory import return_large_buffers_to_the_os

def rss_kb():
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))

if sys.argv[1] == "tuned":
    assert return_large_buffers_to_the_os()
first = np.ones(12 * 2**20, np.uint8)
del first
second = np.ones(8 * 2**20, np.uint8)
held = rss_kb()
del second
print((held - rss_kb()) / 1024)
"""


def _freed_mb(malloc: str) -> float:
    run = subprocess.run([sys.executable, "-c", _FREED_MB, malloc], capture_output=True,
                         text=True, check=True)
    return float(run.stdout)


@pytest.fixture(autouse=True)
def _glibc() -> None:
    if platform.libc_ver()[0] != "glibc":
        missing("the malloc tuning is glibc's (mallopt)")


def test_a_freed_image_buffer_goes_back_to_the_os_with_the_tuning() -> None:
    assert _freed_mb("tuned") > 7.5


def test_without_the_tuning_glibc_keeps_it() -> None:
    assert _freed_mb("default") < 1
