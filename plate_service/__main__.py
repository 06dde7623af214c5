"""Entry point: ``python -m plate_service [serve]`` runs the server; ``read FILE...`` the CLI."""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from plate_service.app import create_app
from plate_service.cli import add_read_command, run_read
from plate_service.config import load_config
from plate_service.errors import ConfigError, ModelLoadError
from plate_service.observability.logs import configure_logging

logger = logging.getLogger("plate_service")


def serve() -> int:
    """Run the HTTP service with the configuration from the environment."""
    config = load_config()
    configure_logging(config.log_level)
    logger.info("serving on http://%s:%d, image provider %s", config.host, config.port,
                config.upstream.base_url)
    web.run_app(create_app(config), host=config.host, port=config.port,
                shutdown_timeout=config.upstream.total_timeout_s + 5, print=None,
                access_log=None)
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
        return 2
    except ModelLoadError as exc:
        print(f"plate-service: cannot load models: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
