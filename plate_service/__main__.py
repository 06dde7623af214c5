"""Entry point: ``python -m plate_service`` loads config, sets up logging and serves."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from plate_service.app import create_app
from plate_service.config import load_config
from plate_service.errors import ConfigError
from plate_service.observability.logs import configure_logging

logger = logging.getLogger("plate_service")


def main(argv: list[str] | None = None) -> int:
    try:
        config = load_config()
    except ConfigError as exc:
        print(f"plate-service: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(config.log_level)
    logger.info("serving on http://%s:%d, image provider %s", config.host, config.port,
                config.upstream.base_url)
    web.run_app(create_app(config), host=config.host, port=config.port,
                shutdown_timeout=config.upstream.total_timeout_s + 5, print=None,
                access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
