"""Shared fixtures: where the read-only real images live, skipping cleanly when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.requirements import missing

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("PLATE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
MODELS_DIR = REPO_ROOT / "models"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Root of ../shared/data (third-party photos, never copied into the repository)."""
    if not (SHARED_DATA / "provider" / "labels.csv").is_file():
        missing(f"real images not found at {SHARED_DATA} (set PLATE_SHARED_DATA)")
    return SHARED_DATA
