"""The Kubernetes manifests parse and agree with the app, the Dockerfile and each other."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from plate_service.config import DEFAULT_PORT, Config, load_config, worst_case_service_bytes
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


def _manifest_args_module() -> Any:
    path = REPO_ROOT / ".ci" / "manifest_docker_args.py"
    spec = importlib.util.spec_from_file_location("manifest_docker_args", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _manifest_env(deployment: dict[str, Any]) -> dict[str, str]:
    return {variable["name"]: variable["value"] for variable in _container(deployment)["env"]}


def test_the_manifests_limits_hold_the_worst_case_memory_of_its_settings(
    deployment: dict[str, Any]
) -> None:
    args = _manifest_args_module()
    config = load_config(_manifest_env(deployment))
    limit = args.memory_bytes(_container(deployment)["resources"]["limits"]["memory"])
    assert worst_case_service_bytes(config) <= limit
    assert config.workers == int(args.cpus(_container(deployment)["resources"]["limits"]["cpu"]))


def test_a_read_only_root_gets_a_writable_tmp_for_the_workers(
    deployment: dict[str, Any]
) -> None:
    container = _container(deployment)
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert load_config(_manifest_env(deployment)).workers > 1
    assert "/tmp" in {mount["mountPath"] for mount in container["volumeMounts"]}


def test_docker_run_options_follow_the_manifest() -> None:
    args = _manifest_args_module()
    deployment = {"spec": {"template": {"spec": {
        "securityContext": {"runAsUser": 4242},
        "volumes": [{"name": "scratch", "emptyDir": {"medium": "Memory", "sizeLimit": "8Mi"}}],
        "containers": [{
            "env": [{"name": "WORKERS", "value": "3"}],
            "resources": {"limits": {"cpu": "1500m", "memory": "768Mi"}},
            "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
            "securityContext": {"readOnlyRootFilesystem": True,
                                "allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]}},
        }],
    }}}}
    assert args.docker_run_args(deployment) == [
        "--user", "4242", "--read-only", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        "--tmpfs", f"/scratch:rw,mode=1777,size={8 * 2**20}",
        "-e", "WORKERS=3",
        "--memory", str(768 * 2**20), "--memory-swap", str(768 * 2**20), "--cpus", "1.5",
    ]
    assert args.memory_bytes("1G") == 10**9
