"""Opening ONNX weights the one safe way: checksum against the card, then a CPU session."""

from __future__ import annotations

import hashlib
from pathlib import Path

import onnxruntime as ort

from plate_service.errors import ModelLoadError


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(path: Path, expected_sha256: str) -> None:
    """Refuse missing weights, or weights that are not the ones the card describes."""
    if not path.is_file():
        raise ModelLoadError(f"weights {path} not found")
    actual = sha256_of(path)
    if actual != expected_sha256:
        raise ModelLoadError(f"sha256 of {path} is {actual}, the card says {expected_sha256}")


def open_session(path: Path, *, threads: int) -> ort.InferenceSession:
    """A CPU onnxruntime session with ``threads`` intra-op threads (1 inter-op thread).

    The service runs several recognitions in parallel on its worker threads, so each
    session uses few threads rather than all cores.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), sess_options=options,
                                    providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelLoadError(f"onnxruntime cannot load {path}: {exc}") from exc
