"""The Kubernetes manifests parse and agree with the app, the Dockerfile and each other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from plate_service.config import DEFAULT_PORT, Config
from plate_service.app import create_app
from tests.conftest import REPO_ROOT
from tests.fakes import fake_recognizer

DEPLOY = REPO_ROOT / "deploy" / "kubernetes"


def _load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def deployment() -> dict[str, Any]:
    return _load("deployment.yaml")


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _get_routes() -> set[str]:
    app = create_app(Config(), recognizer_factory=lambda _: fake_recognizer())
    return {route.resource.canonical for route in app.router.routes()
            if route.method == "GET" and route.resource is not None}


def test_probes_hit_real_routes_on_the_container_port(deployment: dict[str, Any]) -> None:
    container = _container(deployment)
    routes = _get_routes()
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["http"] == DEFAULT_PORT
    for probe in ("readinessProbe", "livenessProbe"):
        check = container[probe]["httpGet"]
        assert check["path"] in routes
        assert check["port"] in ports
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"


def test_resources_are_requested_and_limited(deployment: dict[str, Any]) -> None:
    resources = _container(deployment)["resources"]
    assert {"cpu", "memory"} <= set(resources["requests"])
    assert {"cpu", "memory"} <= set(resources["limits"])


def test_pods_run_as_the_dockerfile_user(deployment: dict[str, Any]) -> None:
    dockerfile = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
    uid = re.findall(r"^USER (\d+)$", dockerfile, flags=re.M)[-1]  # the service: last stage
    assert deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == int(uid)


def test_selectors_match_and_the_autoscaler_targets_the_deployment(
    deployment: dict[str, Any]
) -> None:
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    service = _load("service.yaml")
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    hpa = _load("hpa.yaml")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_every_manifest_has_kind_and_name() -> None:
    for path in sorted(Path(DEPLOY).glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document["apiVersion"] and document["kind"], path.name
        assert document["metadata"]["name"] == "plate-service", path.name
