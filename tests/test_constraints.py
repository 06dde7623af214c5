"""constraints.txt pins every package the project installs, so an image or a CI run built
next month holds what the tests ran with; a dependency left out would float."""

from __future__ import annotations

from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO_ROOT

PROJECT = "plate-service"
# The venv's own installers: they come with the venv, and pip freeze leaves them out.
INSTALLERS = {"pip", "setuptools", "wheel"}


def _pins() -> dict[str, str]:
    pins = {}
    for line in (REPO_ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not an exact pin (name==version)"
            pins[canonicalize_name(name)] = version
    return pins


def _installed_closure(project: str, extras: set[str]) -> set[str]:
    """Names of the installed distributions that ``project[extras]`` needs, transitively.

    Requirements whose marker is false here (another platform, an extra not asked for)
    and optional ones that are not installed are left out: pip installs neither.
    """
    seen: set[str] = set()
    pending = [(project, extras)]
    while pending:
        name, wanted = pending.pop()
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker and not any(marker.evaluate({"extra": extra}) for extra in wanted | {""}):
                continue
            key = canonicalize_name(requirement.name)
            if key not in seen:
                seen.add(key)
                pending.append((requirement.name, set(requirement.extras)))
    return seen


def _project() -> metadata.Distribution:
    try:
        return metadata.distribution(PROJECT)
    except metadata.PackageNotFoundError:
        pytest.fail(f"{PROJECT} is not installed: run make install")


def test_every_installed_dependency_of_the_project_is_pinned() -> None:
    extras = set(_project().metadata.get_all("Provides-Extra") or ())
    installed = {canonicalize_name(d.metadata["Name"]) for d in metadata.distributions()}
    needed = _installed_closure(PROJECT, extras) & installed
    missing = sorted(needed - set(_pins()) - INSTALLERS)
    assert not missing, (f"not pinned in constraints.txt: {', '.join(missing)}; "
                         "run make constraints")


def test_pins_satisfy_the_project_requirements() -> None:
    pins = _pins()
    requirements = [Requirement(text) for text in _project().requires or ()]
    for requirement in requirements:
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} is not pinned in constraints.txt"
        version = pinned.split("+", 1)[0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"constraints.txt pins {requirement.name}=={pinned}, outside {requirement}")
