"""ImageProviderClient: download one image by ID with timeouts, retries and a size cap."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import zlib

import aiohttp

from plate_service.config import DEFAULT_MAX_IMAGE_BYTES, UpstreamConfig
from plate_service.errors import (
    ImageNotFoundError,
    ImageTooLargeError,
    UpstreamBadStatusError,
    UpstreamError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({502, 503, 504})
_CHUNK_BYTES = 64 * 1024
# Images are already compressed, so we ask for none; a provider that compresses anyway is
# inflated here under the byte cap (aiohttp's own inflater lets one chunk reach 32 MiB).
_REQUEST_HEADERS = {"Accept-Encoding": "identity"}
_ZLIB_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
               "deflate": 32 + zlib.MAX_WBITS}


class _Retryable(Exception):
    """Internal: an attempt failed in a way worth retrying; carries the final error."""

    def __init__(self, error: UpstreamError) -> None:
        super().__init__(error.message)
        self.error = error


class ImageProviderClient:
    """Async client of the upstream image provider (``GET {base_url}/images/{id}``).

    One instance per application, sharing the app's single ``aiohttp.ClientSession``.
    Retries connection errors and 502/503/504 with exponential backoff and jitter, all
    inside one total deadline; never retries a 404. Every aiohttp/asyncio failure is
    translated here, and only here, into a ``plate_service.errors.UpstreamError``.
    """

    def __init__(self, session: aiohttp.ClientSession, config: UpstreamConfig, *,
                 max_image_bytes: int = DEFAULT_MAX_IMAGE_BYTES) -> None:
        self._session = session
        self._config = config
        self._max_image_bytes = max_image_bytes

    async def get_image(self, image_id: int) -> bytes:
        """Return the raw image bytes the provider serves for ``image_id``."""
        config = self._config
        deadline = time.monotonic() + config.total_timeout_s
        attempt = 0
        last: _Retryable | None = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if last is not None:  # a backoff overslept the deadline: report the cause
                    raise last.error from last.__cause__
                raise UpstreamTimeoutError(
                    f"image provider did not answer within {config.total_timeout_s:g} s",
                    image_id=image_id,
                )
            try:
                return await self._attempt(image_id, remaining)
            except _Retryable as retry:
                last = retry
                attempt += 1
                delay = config.retry_backoff_s * (2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
                if attempt > config.retries or time.monotonic() + delay >= deadline:
                    raise retry.error from retry.__cause__
                logger.warning(
                    "upstream attempt %d for image %d failed (%s); retrying in %.3f s",
                    attempt, image_id, retry.error.message, delay,
                )
                await asyncio.sleep(delay)

    async def _attempt(self, image_id: int, remaining_s: float) -> bytes:
        config = self._config
        timeout = aiohttp.ClientTimeout(
            total=remaining_s, sock_connect=min(config.connect_timeout_s, remaining_s)
        )
        url = config.image_url(image_id)
        try:
            async with self._session.get(url, timeout=timeout, allow_redirects=True,
                                         headers=_REQUEST_HEADERS,
                                         auto_decompress=False) as response:
                self._check_status(response.status, image_id)
                return await self._read_capped(response, image_id)
        except aiohttp.ConnectionTimeoutError as exc:
            raise UpstreamTimeoutError(
                f"could not connect to the image provider within "
                f"{min(config.connect_timeout_s, remaining_s):g} s",
                image_id=image_id,
            ) from exc
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamTimeoutError(
                f"image provider did not answer within {config.total_timeout_s:g} s",
                image_id=image_id,
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            raise _Retryable(UpstreamUnavailableError(
                f"image provider unreachable: {exc.strerror or type(exc).__name__}",
                image_id=image_id,
            )) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError,
                aiohttp.ClientOSError) as exc:
            raise _Retryable(UpstreamUnavailableError(
                f"image provider connection broke: {type(exc).__name__}", image_id=image_id,
            )) from exc
        except aiohttp.ClientResponseError as exc:
            raise UpstreamBadStatusError(
                f"image provider sent an invalid response: {exc.message}",
                image_id=image_id, upstream_status=exc.status or None,
            ) from exc
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailableError(
                f"image provider request failed: {type(exc).__name__}", image_id=image_id,
            ) from exc

    @staticmethod
    def _check_status(status: int, image_id: int) -> None:
        if status == 200:
            return
        if status == 404:
            raise ImageNotFoundError(
                f"image {image_id} does not exist at the provider",
                image_id=image_id, upstream_status=status,
            )
        error = UpstreamBadStatusError(
            f"image provider answered HTTP {status}", image_id=image_id, upstream_status=status,
        )
        if status in RETRYABLE_STATUSES:
            raise _Retryable(error)
        raise error

    async def _read_capped(self, response: aiohttp.ClientResponse, image_id: int) -> bytes:
        """Read (and inflate) the body, refusing to hold more than the byte limit in memory."""
        limit = self._max_image_bytes
        encoding = response.headers.get(aiohttp.hdrs.CONTENT_ENCODING, "identity")
        encoding = encoding.strip().lower() or "identity"
        if encoding != "identity" and encoding not in _ZLIB_WBITS:
            raise UpstreamBadStatusError(
                f"image provider sent an unsupported Content-Encoding {encoding[:40]!r}",
                image_id=image_id, upstream_status=response.status,
            )
        inflater = zlib.decompressobj(_ZLIB_WBITS[encoding]) if encoding != "identity" else None
        if inflater is None and response.content_length is not None:
            if response.content_length > limit:
                raise _too_large(limit, image_id)
            # The parser stops at Content-Length, so this one read holds no more than the
            # limit; it costs less per image than the chunked loop below.
            return await response.read()
        body = bytearray()
        try:
            async for chunk in response.content.iter_chunked(_CHUNK_BYTES):
                while chunk:
                    if inflater is None:
                        body.extend(chunk)
                        chunk = b""
                    else:
                        # At most one byte past the limit per call: a bomb never inflates.
                        body.extend(inflater.decompress(chunk, limit + 1 - len(body)))
                        chunk = inflater.unconsumed_tail
                    if len(body) > limit:
                        raise _too_large(limit, image_id)
            if inflater is not None:
                body.extend(inflater.flush())
        except zlib.error as exc:
            raise UpstreamBadStatusError(
                f"image provider sent a corrupt {encoding} body", image_id=image_id,
                upstream_status=response.status,
            ) from exc
        if len(body) > limit:
            raise _too_large(limit, image_id)
        return bytes(body)


def _too_large(limit: int, image_id: int) -> ImageTooLargeError:
    return ImageTooLargeError(f"image is larger than the {limit} byte limit", image_id=image_id)
