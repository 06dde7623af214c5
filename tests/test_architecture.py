"""Dependencies point one way: web -> service -> {upstream, recognition}; torch only in training;
tests and bench share testkit, never each other."""

from __future__ import annotations

import ast
import sys
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
    ("plate_service", ("torch", "training", "bench", "tests", "testkit")),
    ("plate_service/recognition", ("aiohttp", "asyncio", "plate_service.web",
                                   "plate_service.upstream", "plate_service.service",
                                   "plate_service.app", "plate_service.config")),
    # Drawing serves the CLI as well as HTTP.
    ("plate_service/annotate.py", ("aiohttp", "asyncio", "plate_service.web",
                                   "plate_service.service", "plate_service.app")),
    ("plate_service/upstream", ("plate_service.web", "plate_service.recognition",
                                "plate_service.service", "plate_service.app")),
    # The bounds on images in flight know nothing of what the images are for.
    ("plate_service/admission.py", ("aiohttp", "plate_service.web", "plate_service.service",
                                    "plate_service.recognition", "plate_service.app")),
    # A tool of its own: installs and runs with aiohttp alone.
    ("demo_provider", ("plate_service", "training", "numpy", "cv2", "onnxruntime")),
    ("training", ("aiohttp", "plate_service.web", "plate_service.upstream",
                  "plate_service.service", "plate_service.app")),
    # The tests and the benchmarks share only testkit, which needs neither.
    ("tests", ("bench",)),
    ("bench", ("tests",)),
    ("testkit", ("tests", "bench")),
])
def test_forbidden_imports(package: str, forbidden: tuple[str, ...]) -> None:
    assert _violations(package, forbidden) == []


RECOGNITION = "plate_service.recognition"
# The stages in the order an image flows through them, then the use case that runs them
# and the loading that builds it. Each may import the ones before it, never one after.
STAGES = ("geometry", "find", "rectify", "read", "choose", "pipeline", "loading")
# Everything else in recognition/ sits below the stages: models, formats, decoding, types.
LOW_MODULES = sorted(path.stem for path in (REPO_ROOT / "plate_service/recognition").glob("*.py")
                     if path.stem not in STAGES and path.stem != "__init__")


@pytest.mark.parametrize("module", LOW_MODULES)
def test_models_and_helpers_import_no_stage(module: str) -> None:
    forbidden = tuple(f"{RECOGNITION}.{stage}" for stage in STAGES if stage != "geometry")
    assert _violations(f"plate_service/recognition/{module}.py", forbidden) == []


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_imports_only_the_stages_before_it(stage: str) -> None:
    later = STAGES[STAGES.index(stage) + 1:]
    forbidden = tuple(f"{RECOGNITION}.{other}" for other in later)
    assert _violations(f"plate_service/recognition/{stage}.py", forbidden) == []


def test_recognition_imports_nothing_of_the_package_but_itself_and_the_errors() -> None:
    outside = [f"{path.relative_to(REPO_ROOT)} imports {name}"
               for path in _modules("plate_service/recognition") for name in _imports(path)
               if name.startswith("plate_service") and not name.startswith(RECOGNITION)
               and name != "plate_service.errors"]
    assert outside == []


@pytest.mark.parametrize("module", ["cli.py", "answers.py", "error_codes.py"])
def test_modules_the_cli_uses_know_nothing_of_http(module: str) -> None:
    assert _violations(f"plate_service/{module}", ("aiohttp", "plate_service.web")) == []


def test_service_layer_knows_nothing_of_http() -> None:
    assert _violations("plate_service/service.py", ("aiohttp", "plate_service.web")) == []


def test_errors_module_imports_nothing_from_the_package() -> None:
    assert not [n for n in _imports(REPO_ROOT / "plate_service" / "errors.py")
                if n.startswith("plate_service")]


# A module a reader takes in at one sitting; past this it holds more than one job.
MAX_MODULE_LINES = 300


@pytest.mark.parametrize("path", _modules("plate_service"),
                         ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_no_service_module_is_longer_than_a_sitting(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES


# The CTC decoders, lowest first: the pure post-processing of the OCR output that training
# shares with serving, so numpy, the plate formats and the decoders below, nothing else.
DECODERS = ["ctc_viterbi", "ctc_decoding", "candidate_search", "search_shortcut"]


@pytest.mark.parametrize("position", range(len(DECODERS)), ids=DECODERS)
def test_decoders_import_numpy_the_plate_formats_and_the_decoders_below(position: int) -> None:
    allowed = {"numpy", "plate_service.recognition.plate_format",
               "plate_service.recognition.types",
               *(f"plate_service.recognition.{below}" for below in DECODERS[:position])}
    path = REPO_ROOT / "plate_service" / "recognition" / f"{DECODERS[position]}.py"
    assert sorted(name for name in _imports(path) if name not in allowed
                  and name.split(".")[0] not in sys.stdlib_module_names) == []


# Pure functions of images and of the plate-type table that training can share with
# serving: numpy, OpenCV and the table, nothing of the stages, the models or the decoders.
SHARED_PREPROCESSING = {
    "plate_lines": {"numpy", "plate_service.recognition.plate_types"},
    "plate_field": {"cv2", "numpy", "plate_service.recognition.plate_types"},
    "plate_format": {"plate_service.recognition.plate_types", "plate_service.recognition.regions",
                     "plate_service.recognition.types"},
}


@pytest.mark.parametrize("module", sorted(SHARED_PREPROCESSING))
def test_shared_preprocessing_imports_only_numpy_and_the_tables(module: str) -> None:
    path = REPO_ROOT / "plate_service" / "recognition" / f"{module}.py"
    assert sorted(name for name in _imports(path) if name not in SHARED_PREPROCESSING[module]
                  and name.split(".")[0] not in sys.stdlib_module_names) == []
