"""``python -m plate_service read FILE...``: read local images with the bundled models."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO, cast

from plate_service.config import load_config
from plate_service.errors import PlateServiceError

BATCH_SIZE = 32


def add_read_command(subparsers: Any) -> None:
    read = subparsers.add_parser(
        "read", help="read plates on local image files and print one JSON line per file",
        description="Read plates on local images with the bundled models (no server, no "
                    "network). Prints one JSON object per file, in order; a file that "
                    "cannot be read gives a line with an \"error\" object. Exit status 1 "
                    "if any file failed.")
    read.add_argument("files", nargs="+", type=Path, metavar="FILE",
                      help="JPEG, PNG, BMP or WebP images: plate crops or car photos")
    read.add_argument("--mode", choices=["auto", "crop", "scene"], default="auto",
                      help="crop: each file is a tight plate; scene: search the photo; "
                           "auto (default): decide per image")
    read.add_argument("--models-dir", type=Path, default=None,
                      help="model folder (default: MODELS_DIR or the bundled models/)")


def run_read(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Read every file; batches go through the recogniser together, like the service."""
    # Imported here, not at the top: ``python -m plate_service`` builds this command's
    # parser in every process, and the gunicorn master should not load numpy, OpenCV
    # and onnxruntime that it never uses.
    from plate_service.error_codes import error_object
    from plate_service.recognition.image import ImageLimits, decode_image
    from plate_service.recognition.loading import load_recognizer
    from plate_service.recognition.types import RecognitionMode
    from plate_service.web.responses import recognition_json

    config = load_config()
    models_dir = args.models_dir or config.recognition.models_dir
    recognizer = load_recognizer(models_dir, threads=config.recognition.ort_threads,
                                 allow_no_detector=config.recognition.allow_no_detector)
    limits = ImageLimits(config.limits.max_image_bytes, config.limits.max_image_pixels,
                         config.limits.max_image_side)
    mode = cast(RecognitionMode, args.mode)
    failed = False
    files: Sequence[Path] = args.files
    for start in range(0, len(files), BATCH_SIZE):
        chunk = files[start:start + BATCH_SIZE]
        lines: list[dict[str, Any]] = []
        images = []
        for path in chunk:
            try:
                images.append(decode_image(path.read_bytes(), limits))
                lines.append({"file": str(path)})
            except OSError as exc:
                lines.append({"file": str(path), "error": {"code": "unreadable_file",
                                                           "message": exc.strerror}})
            except PlateServiceError as exc:
                lines.append({"file": str(path), "error": error_object(exc)})
        recognitions = iter(recognizer.recognize(images, mode))
        for line in lines:
            if "error" in line:
                failed = True
            else:
                line.update(recognition_json(next(recognitions)))
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return 1 if failed else 0
