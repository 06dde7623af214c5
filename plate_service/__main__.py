"""Entry point: ``python -m plate_service [serve]`` runs the server; ``read FILE...`` the CLI."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from plate_service.cli import add_read_command, run_read
from plate_service.config import Config, load_config
from plate_service.errors import ConfigError, ModelLoadError
from plate_service.memory import return_large_buffers_to_the_os
from plate_service.observability.logs import configure_logging
from plate_service.workers import (
    EXIT_CANNOT_LISTEN,
    EXIT_CONFIG_ERROR,
    EXIT_MODEL_ERROR,
    listen,
    serve_workers,
)

if TYPE_CHECKING:
    from aiohttp import web

logger = logging.getLogger("plate_service")


def serve() -> int:
    """Run the HTTP service with the configuration from the environment.

    With ``WORKERS`` above 1, gunicorn runs that many service processes on the socket
    bound here (``plate_service.workers``); otherwise this process serves.
    """
    config = load_config()
    configure_logging(config.log_level)
    return_large_buffers_to_the_os()  # before gunicorn forks: its workers inherit it
    try:
        listener = listen(config.host, config.port, for_workers=config.workers > 1)
    except OSError as exc:
        print(f"plate-service: cannot listen on {config.host}:{config.port}: {exc}",
              file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    if config.workers > 1:
        logger.info("serving on http://%s:%d with %d worker processes, image provider %s",
                    config.host, config.port, config.workers, config.upstream.base_url)
        return serve_workers(config, listener, lambda: _create_worker_app(config))
    import uvloop
    from aiohttp import web

    from plate_service.app import create_app

    logger.info("serving on http://%s:%d, image provider %s", config.host, config.port,
                config.upstream.base_url)
    # uvloop, as in every gunicorn worker (``WORKER_CLASS``): its transports and the
    # worker threads' hand-offs cost less CPU per request than asyncio's own loop.
    web.run_app(create_app(config), sock=listener, shutdown_timeout=config.shutdown_timeout_s,
                print=None, access_log=None, loop=uvloop.new_event_loop())
    return 0


def _create_worker_app(config: Config) -> web.Application:
    """In a gunicorn worker: load the models first, so a worker that cannot is not booted."""
    from plate_service.app import create_app
    from plate_service.recognition.loading import load_recognizer

    try:
        recognizer = load_recognizer(config.recognition.models_dir,
                                     threads=config.recognition.ort_threads,
                                     allow_no_detector=config.recognition.allow_no_detector)
    except ModelLoadError as exc:
        logger.error("cannot load models: %s", exc)
        raise
    return create_app(config, recognizer_factory=lambda _: recognizer)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m plate_service",
        description="Offline reader of Russian licence plates. Without a command, runs the "
                    "HTTP service (configured by environment variables: IMAGE_PROVIDER_URL, "
                    "HOST, PORT, ... see docs/configuration.md).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", help="run the HTTP service (the default)")
    add_read_command(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "read":
            return run_read(args)
        return serve()
    except ConfigError as exc:
        print(f"plate-service: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG_ERROR
    except ModelLoadError as exc:
        print(f"plate-service: cannot load models: {exc}", file=sys.stderr)
        return EXIT_MODEL_ERROR


if __name__ == "__main__":
    sys.exit(main())
