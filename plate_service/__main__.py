"""Entry point: ``python -m plate_service [serve]`` runs the server; ``read FILE...`` the CLI."""

from __future__ import annotations

import argparse
import errno
import logging
import sys

from plate_service.cli import add_read_command, run_read
from plate_service.config import Config, load_config
from plate_service.errors import ConfigError, ModelLoadError
from plate_service.observability.logs import configure_logging
from plate_service.workers import (
    EXIT_CANNOT_LISTEN,
    EXIT_CONFIG_ERROR,
    EXIT_MODEL_ERROR,
    Supervisor,
    die_with_supervisor,
    is_worker,
    worker_command,
)

logger = logging.getLogger("plate_service")
_CANNOT_LISTEN_ERRNOS = frozenset({errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL})


def _shutdown_timeout_s(config: Config) -> float:
    """In-flight requests get their full upstream deadline, plus recognition time."""
    return config.upstream.total_timeout_s + 5


def serve() -> int:
    """Run the HTTP service with the configuration from the environment.

    With ``WORKERS`` above 1 this process becomes the supervisor of that many service
    processes (``plate_service.workers``); each of them comes back here as a worker.
    """
    config = load_config()
    configure_logging(config.log_level)
    if config.workers > 1 and not is_worker():
        logger.info("serving on http://%s:%d with %d worker processes, image provider %s",
                    config.host, config.port, config.workers, config.upstream.base_url)
        return Supervisor(config.workers, worker_command(),
                          shutdown_timeout_s=_shutdown_timeout_s(config) + 5).run()
    from aiohttp import web  # not in the supervisor: it serves nothing

    from plate_service.app import create_app
    from plate_service.memory import return_large_buffers_to_the_os

    return_large_buffers_to_the_os()

    if is_worker():
        die_with_supervisor()
    else:
        logger.info("serving on http://%s:%d, image provider %s", config.host, config.port,
                    config.upstream.base_url)
    try:
        web.run_app(create_app(config), host=config.host, port=config.port,
                    reuse_port=is_worker(), shutdown_timeout=_shutdown_timeout_s(config),
                    print=None, access_log=None)
    except OSError as exc:
        if exc.errno not in _CANNOT_LISTEN_ERRNOS:
            raise
        print(f"plate-service: cannot listen on {config.host}:{config.port}: {exc}",
              file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m plate_service",
        description="Offline reader of Russian licence plates. Without a command, runs the "
                    "HTTP service (configured by environment variables: IMAGE_PROVIDER_URL, "
                    "HOST, PORT, ... see README).")
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
