"""``python -m demo_provider [--folder DIR] [--port 7777]``: serve images by integer ID."""

from __future__ import annotations

import argparse
import logging
import os
import socket
from pathlib import Path

from aiohttp import web

from demo_provider.app import create_demo_app
from demo_provider.images import bundled_plates, load_folder

logger = logging.getLogger("demo_provider")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m demo_provider",
        description="Stand-in image provider: GET /images/{id} answers image bytes or 404.")
    parser.add_argument("--folder", type=Path, default=os.environ.get("DEMO_IMAGES_DIR"),
                        help="serve this folder (IDs from labels.csv or from names like "
                             "10022.jpg); without it, serve the bundled plates (IDs 1-5)")
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "7777")))
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="wait this long before every image answer (load tests)")
    parser.add_argument("--cycle", action="store_true",
                        help="serve every integer ID (ID modulo the number of images)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.folder:
        images = load_folder(args.folder)
        logger.info("serving %d images from %s", len(images), args.folder)
    else:
        images = bundled_plates()
        logger.info("serving %d bundled demo plates, IDs %s", len(images), sorted(images))
    app = create_demo_app(images, latency_s=args.latency_ms / 1000, cycle=args.cycle)
    # Bound here, so the address logged is the one taken (with --port 0, the port given).
    listener = socket.create_server((args.host, args.port),
                                    family=socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    host, port = listener.getsockname()[:2]
    logger.info("listening on http://%s:%d", f"[{host}]" if ":" in host else host, port)
    web.run_app(app, sock=listener, print=None, access_log=None)


if __name__ == "__main__":
    main()
