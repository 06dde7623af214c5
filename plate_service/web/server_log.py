"""The logger aiohttp's HTTP server reports to: a request it cannot parse is one WARNING line."""

from __future__ import annotations

import logging
import sys
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.log import server_logger

# The parser's reason can quote what the client sent (a request line of up to 8 KB).
MAX_REASON_CHARS = 200


class ServerLog(logging.LoggerAdapter[logging.Logger]):
    """aiohttp's server logger, with the client's malformed requests as warnings.

    aiohttp answers a request it cannot parse (a NUL byte in a header, a bad request
    line) with a 400 itself, and logs it through ``exception``: at ERROR, with the
    parser's traceback, so any client could flood the error log. The fault is the
    client's, and the 400 says so; the log keeps one WARNING line with the peer.
    """

    def __init__(self, logger: logging.Logger = server_logger) -> None:
        super().__init__(logger, {})

    def exception(self, msg: object, *args: object, exc_info: Any = True,
                  **kwargs: Any) -> None:
        error = exc_info if isinstance(exc_info, BaseException) else sys.exc_info()[1]
        if isinstance(error, HttpProcessingError) and 400 <= error.code < 500:
            self.warning(f"{msg}: %d %s", *args, error.code, _reason(error), **kwargs)
        else:
            super().exception(msg, *args, exc_info=exc_info, **kwargs)


def _reason(error: HttpProcessingError) -> str:
    # Its first line: the lines after it draw the offending bytes with a caret under them.
    lines = error.message.splitlines() or [""]
    return lines[0].rstrip(": ")[:MAX_REASON_CHARS]
