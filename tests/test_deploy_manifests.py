"""The Kubernetes manifests parse and agree with the app, the Dockerfile and each other."""

from __future__ import annotations

import configparser
import importlib.util
import ipaddress
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from plate_service.config import DEFAULT_PORT, Config, load_config, worst_case_service_bytes
from plate_service.app import create_app
from tests.conftest import REPO_ROOT
from tests.fakes import fake_recognizer
from tests.requirements import missing

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


def test_every_manifest_has_kind_and_name_and_sits_in_the_namespace_it_creates() -> None:
    documents = [yaml.safe_load(path.read_text(encoding="utf-8"))
                 for path in sorted(Path(DEPLOY).glob("*.yaml"))]
    for document in documents:
        assert document["apiVersion"] and document["kind"], document
        assert document["metadata"]["name"] == "plate-service", document["kind"]
    (namespace,) = [d["metadata"]["name"] for d in documents if d["kind"] == "Namespace"]
    for document in documents:
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == namespace, document["kind"]


def _package_version() -> str:
    setup = configparser.ConfigParser()
    setup.read(REPO_ROOT / "setup.cfg", encoding="utf-8")
    return setup["metadata"]["version"]


def test_pods_run_the_image_make_docker_build_tags_with_the_package_version(
    deployment: dict[str, Any]
) -> None:
    if shutil.which("make") is None:
        missing("make is not installed")
    build = subprocess.run(["make", "--no-print-directory", "-n", "docker-build"],
                           cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    (tag,) = re.findall(r" -t (\S+)", build)
    image = _container(deployment)["image"]
    assert image == tag
    assert image.rpartition(":")[2] == _package_version()


def test_the_readme_runs_the_image_tag_make_docker_build_gives() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    tags = set(re.findall(r"\bplate-service:(\S+)", readme))
    assert tags == {_package_version()}


def test_the_network_policy_lets_in_the_service_port_and_out_the_provider_and_dns(
    deployment: dict[str, Any]
) -> None:
    policy = _load("networkpolicy.yaml")["spec"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= labels.items()
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    (ingress,) = policy["ingress"]
    assert "from" not in ingress  # any client, but only to the service's port
    assert [port["port"] for port in ingress["ports"]] == ["http"]

    provider = urlsplit(_manifest_env(deployment)["IMAGE_PROVIDER_URL"])
    to_provider, to_dns = policy["egress"]
    (block,) = to_provider["to"]
    assert ipaddress.ip_network(block["ipBlock"]["cidr"]) == ipaddress.ip_network(
        provider.hostname)
    assert [(p["port"], p["protocol"]) for p in to_provider["ports"]] == [
        (provider.port, "TCP")]
    (dns,) = to_dns["to"]
    assert dns["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
    assert sorted((p["port"], p["protocol"]) for p in to_dns["ports"]) == [
        (53, "TCP"), (53, "UDP")]


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
        "securityContext": {"runAsUser": 4242, "seccompProfile": {"type": "RuntimeDefault"}},
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


def test_a_pod_without_a_seccomp_profile_runs_unconfined_as_under_the_kubelet() -> None:
    args = _manifest_args_module()
    deployment = {"spec": {"template": {"spec": {"containers": [{}]}}}}
    assert args.docker_run_args(deployment) == ["--security-opt", "seccomp=unconfined"]
