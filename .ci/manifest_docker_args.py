"""The `docker run` options that run the image the way deploy/kubernetes/deployment.yaml does.

Printed one per line for .ci/docker-smoke, so CI starts the container under the
manifest's own settings (user, read-only root, writable volumes, dropped capabilities,
seccomp profile, environment, CPU and memory limits) rather than a hand-kept copy of them.
Usage: python .ci/manifest_docker_args.py [deploy/kubernetes/deployment.yaml]
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

DEFAULT_MANIFEST = Path(__file__).resolve().parent.parent / "deploy/kubernetes/deployment.yaml"
_BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL_SUFFIXES = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


def memory_bytes(quantity: str) -> int:
    """A Kubernetes memory quantity ("768Mi", "1Gi", "500M", "1048576") in bytes."""
    for suffixes in (_BINARY_SUFFIXES, _DECIMAL_SUFFIXES):
        for suffix, factor in suffixes.items():
            if quantity.endswith(suffix):
                return int(Decimal(quantity[:-len(suffix)]) * factor)
    return int(Decimal(quantity))


def cpus(quantity: str) -> str:
    """A Kubernetes CPU quantity ("2", "1500m") as `docker run --cpus` takes it."""
    value = Decimal(quantity[:-1]) / 1000 if quantity.endswith("m") else Decimal(quantity)
    return format(value.normalize(), "f")


def _seccomp_args(profile: str) -> list[str]:
    """The `docker run` option for a seccomp profile type: Docker applies its own default
    profile (the runtime's default) unless told otherwise."""
    if profile == "RuntimeDefault":
        return []
    if profile == "Unconfined":
        return ["--security-opt", "seccomp=unconfined"]
    raise ValueError(f"seccomp profile {profile!r}: only RuntimeDefault and Unconfined map "
                     "to docker run")


def docker_run_args(deployment: dict[str, Any]) -> list[str]:
    """Options for `docker run` equivalent to the Deployment's single container."""
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    security = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    args: list[str] = []
    if "runAsUser" in security:
        args += ["--user", str(security["runAsUser"])]
    if security.get("readOnlyRootFilesystem"):
        args.append("--read-only")
    for capability in security.get("capabilities", {}).get("drop", []):
        args += ["--cap-drop", capability]
    if security.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    # A pod that names no profile runs unconfined (the kubelet's default).
    args += _seccomp_args(security.get("seccompProfile", {}).get("type", "Unconfined"))
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        empty_dir = volumes[mount["name"]].get("emptyDir")
        if empty_dir is None:
            raise ValueError(f"volume {mount['name']!r}: only emptyDir maps to docker run")
        size = f",size={memory_bytes(empty_dir['sizeLimit'])}" if "sizeLimit" in empty_dir \
            else ""
        args += ["--tmpfs", f"{mount['mountPath']}:rw,mode=1777{size}"]
    for variable in container.get("env", []):
        args += ["-e", f"{variable['name']}={variable['value']}"]
    limits = container.get("resources", {}).get("limits", {})
    if "memory" in limits:
        memory = str(memory_bytes(str(limits["memory"])))
        args += ["--memory", memory, "--memory-swap", memory]  # pods get no swap
    if "cpu" in limits:
        args += ["--cpus", cpus(str(limits["cpu"]))]
    return args


def main(argv: list[str]) -> None:
    manifest = Path(argv[0]) if argv else DEFAULT_MANIFEST
    deployment = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    print("\n".join(docker_run_args(deployment)))


if __name__ == "__main__":
    main(sys.argv[1:])
