"""Dependencies point one way: web -> service -> {upstream, recognition}; torch only in training."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    root = REPO_ROOT / package
    modules = [root] if root.is_file() else sorted(root.rglob("*.py"))
    assert modules, f"nothing to check under {package}"
    return modules


def _violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in _modules(package):
        for name in _imports(path):
            if any(name == bad or name.startswith(bad + ".") for bad in forbidden):
                found.append(f"{path.relative_to(REPO_ROOT)} imports {name}")
    return found


@pytest.mark.parametrize(("package", "forbidden"), [
    ("plate_service", ("torch", "training", "bench", "tests")),
    ("plate_service/recognition", ("aiohttp", "asyncio", "plate_service.web",
                                   "plate_service.upstream", "plate_service.service",
                                   "plate_service.app", "plate_service.config")),
    ("plate_service/upstream", ("plate_service.web", "plate_service.recognition",
                                "plate_service.service", "plate_service.app")),
    # A tool of its own: installs and runs with aiohttp alone.
    ("demo_provider", ("plate_service", "training", "numpy", "cv2", "onnxruntime")),
    ("training", ("aiohttp", "plate_service.web", "plate_service.upstream",
                  "plate_service.service", "plate_service.app")),
])
def test_forbidden_imports(package: str, forbidden: tuple[str, ...]) -> None:
    assert _violations(package, forbidden) == []


def test_service_layer_knows_nothing_of_http() -> None:
    assert _violations("plate_service/service.py", ("aiohttp", "plate_service.web")) == []


def test_errors_module_imports_nothing_from_the_package() -> None:
    assert not [n for n in _imports(REPO_ROOT / "plate_service" / "errors.py")
                if n.startswith("plate_service")]
