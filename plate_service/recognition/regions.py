"""Region codes on plates -> the federal subject that issues them, from ``data/regions.json``."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

REGIONS_FILE = Path(__file__).with_name("data") / "regions.json"


@lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    """Every known code ("77", "177", ...) -> its subject's name; read once. The file names
    its source."""
    data = json.loads(REGIONS_FILE.read_text(encoding="utf-8"))
    return dict(data["regions"])


def region_name(code: str | None) -> str | None:
    """The subject a region code belongs to, or None for an unknown (or missing) code."""
    return region_names().get(code) if code is not None else None
