"""``python -m bench.image_memory``: peak memory of recognising one large photo, per pixel.

Runs in its own process, so that nothing else has raised the peak (VmHWM) before: load
the models, warm up on a small photo, reset the peak, then decode and recognise one
generated photo. Prints JSON: pixels, JPEG bytes, peak MB over the warm process, and
that peak in bytes per pixel (the worst-case memory formula of docs/configuration.md uses it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.images import large_photo
from plate_service.memory import return_large_buffers_to_the_os
from plate_service.recognition.image import ImageLimits, decode_image
from plate_service.recognition.loading import load_recognizer

LIMITS = ImageLimits(max_bytes=64 * 2**20, max_pixels=100_000_000, max_side=20_000)


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.image_memory",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--height", type=int, default=3000)
    args = parser.parse_args(argv)
    return_large_buffers_to_the_os()  # as the service does
    photo = large_photo(1, args.width, args.height)
    recognizer = load_recognizer(args.models_dir)
    recognizer.recognize(decode_image(large_photo(2, 800, 600), LIMITS), "auto")
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
        clear.write("5")  # resets VmHWM to the current RSS
    before_kb = _status_kb("VmRSS:")
    image = decode_image(photo, LIMITS)
    recognizer.recognize(image, "auto")
    del image
    peak_bytes = (_status_kb("VmHWM:") - before_kb) * 1024
    pixels = args.width * args.height
    print(json.dumps({"pixels": pixels, "jpeg_bytes": len(photo),
                      "peak_mb": peak_bytes / 2**20, "bytes_per_pixel": peak_bytes / pixels}))


if __name__ == "__main__":
    main()
