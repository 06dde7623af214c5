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
from plate_service.recognition.types import DEFAULT_MODE, MODES, RecognitionMode

# What a line says of a file read, besides its name: the API answer's image fields.
LINE_FIELDS = ("plate", "plates", "mode", "image_size")


def add_read_command(subparsers: Any) -> None:
    read = subparsers.add_parser(
        "read", help="read plates on local image files and print one JSON line per file",
        description="Read plates on local images with the bundled models (no server, no "
                    "network). Prints one JSON object per file, in order; a file that "
                    "cannot be read gives a line with an \"error\" object. Exit status 1 "
                    "if any file failed.")
    read.add_argument("files", nargs="+", type=Path, metavar="FILE",
                      help="JPEG, PNG, BMP or WebP images: plate crops or car photos")
    read.add_argument("--mode", choices=MODES, default=DEFAULT_MODE,
                      help="crop: each file is a tight plate; scene: search the photo; "
                           "auto (default): decide per image")
    read.add_argument("--top-n", type=int, default=None, metavar="N",
                      help="alternative readings listed per plate (default and limit: the "
                           "API's top_n)")
    read.add_argument("--min-confidence", type=float, default=None, metavar="C",
                      help="print only plates with at least this confidence, 0..1 "
                           "(default: all)")
    read.add_argument("--models-dir", type=Path, default=None,
                      help="model folder (default: MODELS_DIR or the bundled models/)")
    read.add_argument("--draw", type=Path, default=None, metavar="OUT_DIR",
                      help="also write each image with its plates drawn to OUT_DIR/NAME.jpg "
                           "(created if missing); its path is the line's \"annotated\"")


def run_read(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Read every file, one at a time, as the service reads each image."""
    # Imported here, not at the top: ``python -m plate_service`` builds this command's
    # parser in every process, and the gunicorn master should not load numpy, OpenCV
    # and onnxruntime that it never uses.
    from plate_service.annotate import annotated_jpeg
    from plate_service.answers import AnswerOptions, recognition_answer, to_json
    from plate_service.error_codes import error_object
    from plate_service.recognition.image import decode_image
    from plate_service.recognition.loading import load_recognizer
    from plate_service.service import image_limits

    defaults = AnswerOptions()
    try:
        options = AnswerOptions(
            top_n=defaults.top_n if args.top_n is None else args.top_n,
            min_confidence=(defaults.min_confidence if args.min_confidence is None
                            else args.min_confidence))
    except PlateServiceError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    config = load_config()
    models_dir = args.models_dir or config.recognition.models_dir
    recognizer = load_recognizer(models_dir, threads=config.recognition.ort_threads,
                                 allow_no_detector=config.recognition.allow_no_detector)
    limits = image_limits(config.limits)
    mode = cast(RecognitionMode, args.mode)
    draw_dir: Path | None = args.draw
    drawn_names: set[str] = set()
    if draw_dir is not None:
        draw_dir.mkdir(parents=True, exist_ok=True)
        # Never write over an input, whatever OUT_DIR is.
        drawn_names = {path.name for path in args.files
                       if path.resolve().parent == draw_dir.resolve()}
    failed = False
    files: Sequence[Path] = args.files
    for path in files:
        line: dict[str, Any] = {"file": str(path)}
        try:
            image = decode_image(path.read_bytes(), limits)
        except OSError as exc:
            line["error"] = {"code": "unreadable_file", "message": exc.strerror}
        except PlateServiceError as exc:
            line["error"] = error_object(exc)
        else:
            recognition = recognizer.recognize(image, mode)
            answer = to_json(recognition_answer(recognition, options))
            line.update({key: answer[key] for key in LINE_FIELDS})
            if draw_dir is not None:
                target = draw_dir / _unique_name(path, drawn_names)
                target.write_bytes(annotated_jpeg(image, recognition))
                line["annotated"] = str(target)
        failed = failed or "error" in line
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
    return 1 if failed else 0


def _unique_name(path: Path, taken: set[str]) -> str:
    """``NAME.jpg`` after the input file; ``NAME-2.jpg`` ... when that name is taken."""
    name, number = f"{path.stem}.jpg", 1
    while name in taken:
        number += 1
        name = f"{path.stem}-{number}.jpg"
    taken.add(name)
    return name
