"""The README quotes docs/benchmarks.md; after `make bench` rewrites it, the quote must follow."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
BENCHMARKS = (REPO_ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")


def _figures(text: str) -> set[str]:
    """Measured-looking numbers: decimals, percentages and numbers of three digits or more."""
    return {number for number in re.findall(r"\d+(?:\.\d+)?%?", text)
            if "." in number or "%" in number or len(number) >= 3}


def test_the_readmes_benchmark_figures_are_in_the_benchmarks() -> None:
    section = README.split("\n## Why parallel requests", 1)[1].split("\n## ", 1)[0]
    quoted = _figures(section)
    assert len(quoted) >= 5, "the section should quote the naive-server comparison"
    assert quoted <= _figures(BENCHMARKS), (
        f"not in docs/benchmarks.md: {sorted(quoted - _figures(BENCHMARKS))}")
