"""What a test needs but the machine may lack: a skip here, a failure in CI.

Locally a missing torch, Chromium, model or ../shared/data skips the tests that need
it, with the reason. CI sets ``PLATE_SERVICE_STRICT_TESTS=1`` (see .ci/run), where the
same absence fails, so a broken install cannot pass as a green run with parts untested.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import NoReturn

import pytest

STRICT_ENV = "PLATE_SERVICE_STRICT_TESTS"


def strict() -> bool:
    """True when missing prerequisites must fail the run (CI)."""
    return os.environ.get(STRICT_ENV, "") not in ("", "0")


def missing(reason: str) -> NoReturn:
    """Skip the calling test (or module), or fail it in strict mode."""
    if strict():
        pytest.fail(f"{reason} ({STRICT_ENV} is set: a missing prerequisite fails)",
                    pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name: str) -> ModuleType:
    """Import ``name``, or skip (fail in strict mode) when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing(f"{name} is not installed: {exc}")
