"""load_config: defaults, overrides, and bad values that name their variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import plate_service
from plate_service.config import (
    BASE_WORKER_MB,
    DEFAULT_IMAGE_PROVIDER_URL,
    MASTER_MB,
    MAX_WORKERS,
    RECOGNITION_BYTES_PER_PIXEL,
    load_config,
    usable_cpus,
    worst_case_worker_bytes,
)
from plate_service.errors import ConfigError
from tests.conftest import REPO_ROOT

CONFIGURATION_DOC = REPO_ROOT / "docs" / "configuration.md"


def test_defaults_without_environment() -> None:
    config = load_config({})
    assert config.upstream.base_url == DEFAULT_IMAGE_PROVIDER_URL
    assert config.upstream.image_url(10022) == "http://178.154.220.122:7777/images/10022"
    assert (config.host, config.port) == ("0.0.0.0", 8080)
    assert config.limits.max_batch_size == 100
    assert config.limits.max_image_bytes == 10 * 1024 * 1024


def test_environment_overrides() -> None:
    config = load_config({
        "IMAGE_PROVIDER_URL": "http://localhost:9000/", "PORT": "9090",
        "UPSTREAM_TIMEOUT": "3.5", "MAX_BATCH_SIZE": "7", "WORKER_THREADS": "4",
        "LOG_LEVEL": "debug", "MODELS_DIR": "/opt/models", "MAX_IMAGE_BYTES": "1000",
    })
    assert config.upstream.image_url(5) == "http://localhost:9000/images/5"
    assert config.port == 9090
    assert config.upstream.total_timeout_s == 3.5
    assert config.limits.max_batch_size == 7
    assert config.recognition.worker_threads == 4
    assert config.recognition.models_dir == Path("/opt/models")
    assert config.log_level == "DEBUG"
    assert config.limits.max_image_bytes == 1000


def test_workers_default_to_one_per_usable_core() -> None:
    assert load_config({}).workers == load_config({"WORKERS": "auto"}).workers == min(
        usable_cpus(), MAX_WORKERS)
    assert load_config({"WORKERS": "3"}).workers == 3


def test_unset_and_auto_workers_follow_one_rule_on_a_huge_machine(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("plate_service.config.usable_cpus", lambda: 96)
    assert load_config({}).workers == load_config({"WORKERS": "auto"}).workers == MAX_WORKERS


def test_a_batch_limit_above_the_pending_limit_is_refused_naming_both() -> None:
    with pytest.raises(ConfigError, match="MAX_BATCH_SIZE=300.*MAX_PENDING_RECOGNITIONS=256"):
        load_config({"MAX_BATCH_SIZE": "300"})
    assert load_config({"MAX_BATCH_SIZE": "300",
                        "MAX_PENDING_RECOGNITIONS": "300"}).limits.max_batch_size == 300


def test_running_without_a_detector_must_be_asked_for() -> None:
    assert load_config({}).recognition.allow_no_detector is False
    assert load_config({"ALLOW_NO_DETECTOR": "true"}).recognition.allow_no_detector is True


@pytest.mark.parametrize(("name", "value"), [
    ("WORKERS", "0"), ("WORKERS", "many"), ("WORKERS", "65"),
    ("PORT", "http"), ("PORT", "70000"), ("UPSTREAM_TIMEOUT", "-1"),
    ("IMAGE_PROVIDER_URL", "ftp://x"), ("MAX_BATCH_SIZE", "0"), ("LOG_LEVEL", "loud"),
    ("ALLOW_NO_DETECTOR", "maybe"),
])
def test_bad_values_fail_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_config({name: value})


def test_the_documented_memory_formula_is_the_codes() -> None:
    doc = CONFIGURATION_DOC.read_text(encoding="utf-8")
    config = load_config({})
    assert (f"{BASE_WORKER_MB} MB + DOWNLOAD_CONCURRENCY x MAX_IMAGE_BYTES + WORKER_THREADS "
            f"x {RECOGNITION_BYTES_PER_PIXEL} x MAX_IMAGE_PIXELS") in doc
    defaults = (f"{BASE_WORKER_MB} MB + {config.upstream.concurrency} x "
                f"{config.limits.max_image_bytes // 2**20} MiB + "
                f"{config.recognition.worker_threads} x {RECOGNITION_BYTES_PER_PIXEL} x "
                f"{config.limits.max_image_pixels // 10**6} MP = "
                f"{worst_case_worker_bytes(config) / 1e9:.1f} GB")
    text = " ".join(doc.split())
    assert defaults in text
    assert f"add {MASTER_MB} MB (`MASTER_MB`)" in text


class _RecordingEnvironment(dict[str, str]):
    """An empty environment that notes every variable asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)


def _documented_settings() -> list[tuple[str, str]]:
    """(variable, default) of each row of the configuration table."""
    doc = CONFIGURATION_DOC.read_text(encoding="utf-8")
    checkout = str(Path(plate_service.__file__).resolve().parent.parent)
    return [(name, default.replace("<checkout>", checkout)) for name, default in
            re.findall(r"^\| `([A-Z_0-9]+)` \| `([^`]*)` \| .+ \|$", doc, flags=re.M)]


def test_the_configuration_table_lists_each_variable_the_code_reads_once() -> None:
    environment = _RecordingEnvironment()
    load_config(environment)
    names = [name for name, _ in _documented_settings()]
    assert sorted(names) == sorted(environment.asked)


@pytest.mark.parametrize(("name", "default"), _documented_settings())
def test_each_documented_default_is_the_real_one(name: str, default: str) -> None:
    assert load_config({name: default}) == load_config({}), (
        f"{name}={default!r} as documented changes the configuration")
