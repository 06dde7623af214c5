"""A Python client of the plate-service HTTP API: async ``PlateServiceClient`` and a sync wrapper.

Answers are returned as the API's JSON (dicts); failures raise ``PlateServiceClientError``
subclasses named after the API's stable error codes::

    async with PlateServiceClient("http://localhost:8080") as client:
        answer = await client.read_plate(10022)
        print(answer["plate"])                      # С181МВ190
        plate = answer["plates"][0]
        print(plate["format"], plate["lines"])      # private 1 (a row of plate_types.json)

    SyncPlateServiceClient("http://localhost:8080").read_plates([10022, 9965])
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from types import TracebackType
from typing import Any, TypeVar

import aiohttp

from plate_service.error_codes import ERROR_CODES, parent_code

DEFAULT_TIMEOUT_S = 30.0
T = TypeVar("T")


class PlateServiceClientError(Exception):
    """The service answered an error (or could not be reached: code ``connection_error``).

    Each stable error code of the API has a subclass named after it (``image_not_found``
    -> ``ImageNotFoundError``), made from ``plate_service.error_codes``: a code that
    refines another subclasses it (``ProviderTimeoutError`` is a ``ProviderError``).
    """

    code = "error"

    def __init__(self, message: str, *, http_status: int | None = None,
                 payload: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.payload = payload or {}


class ConnectionFailedError(PlateServiceClientError):
    """The service could not be reached, or did not answer in time."""

    code = "connection_error"


def _class_name(code: str) -> str:
    stem = code[: -len("_error")] if code.endswith("_error") else code
    return "".join(part.capitalize() for part in stem.split("_")) + "Error"


def _exception_classes() -> dict[str, type[PlateServiceClientError]]:
    classes: dict[str, type[PlateServiceClientError]] = {}

    def make(code: str) -> type[PlateServiceClientError]:
        if code not in classes:
            parent = parent_code(code)
            base = make(parent) if parent is not None else PlateServiceClientError
            spec = next(item for item in ERROR_CODES if item.code == code)
            classes[code] = type(_class_name(code), (base,), {
                "code": code, "__doc__": f"HTTP {spec.http_status}: {spec.meaning}.",
                "__module__": __name__})
        return classes[code]

    for spec in ERROR_CODES:
        make(spec.code)
    return classes


ERRORS_BY_CODE: dict[str, type[PlateServiceClientError]] = _exception_classes()
globals().update({cls.__name__: cls for cls in ERRORS_BY_CODE.values()})


def __getattr__(name: str) -> type[PlateServiceClientError]:
    """Lets type checkers see the generated exception classes (``ImageNotFoundError``, ...)."""
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def error_from_payload(payload: dict[str, Any], http_status: int) -> PlateServiceClientError:
    """The typed exception for an API error object (``{"code": ..., "message": ...}``)."""
    code = str(payload.get("code", "error"))
    fallback = ERRORS_BY_CODE["internal_error"] if http_status >= 500 \
        else PlateServiceClientError
    cls = ERRORS_BY_CODE.get(code, fallback)
    return cls(str(payload.get("message", code)), http_status=http_status, payload=payload)


class PlateServiceClient:
    """Async client; one ``aiohttp.ClientSession`` per client (pass your own to share one)."""

    def __init__(self, base_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                 session: aiohttp.ClientSession | None = None) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session = session
        self._owns_session = session is None

    async def __aenter__(self) -> PlateServiceClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def read_plate(self, image_id: int, *, mode: str = "auto", top_n: int | None = None,
                         min_confidence: float | None = None) -> dict[str, Any]:
        """``GET /plate/{image_id}``: the answer for one provider image.

        ``top_n`` candidates per plate (the service's default when None) and only plates
        with ``confidence >= min_confidence``, for every method of this client.
        """
        return await self._request("GET", f"/plate/{image_id}",
                                   params=_query(mode, top_n, min_confidence))

    async def read_plates(self, image_ids: Sequence[int], *, mode: str = "auto",
                          top_n: int | None = None, min_confidence: float | None = None
                          ) -> list[dict[str, Any]]:
        """``POST /plates``: one result per ID, in order; per-item errors stay in the items."""
        answer = await self._request("POST", "/plates",
                                     params=_query(mode, top_n, min_confidence),
                                     json={"image_ids": list(image_ids)})
        return list(answer["results"])

    async def recognize(self, image: bytes, *, content_type: str = "application/octet-stream",
                        mode: str = "auto", top_n: int | None = None,
                        min_confidence: float | None = None, as_form: bool = False,
                        filename: str = "image") -> dict[str, Any]:
        """``POST /recognize``: read plates on your own image bytes, sent as the raw body,
        or with ``as_form`` as a multipart form's ``image`` field (``filename`` is only
        a label there)."""
        params = _query(mode, top_n, min_confidence)
        if as_form:
            form = aiohttp.FormData()
            form.add_field("image", image, filename=filename, content_type=content_type)
            return await self._request("POST", "/recognize", params=params, data=form)
        return await self._request("POST", "/recognize", params=params, data=image,
                                   headers={"Content-Type": content_type})

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.request(method, self._base_url + path,
                                             timeout=self._timeout, **kwargs) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError as exc:
                    raise ERRORS_BY_CODE["internal_error"](
                        f"service answered non-JSON with HTTP {response.status}",
                        http_status=response.status) from exc
                if response.status >= 400:
                    error = body.get("error", {}) if isinstance(body, dict) else {}
                    raise error_from_payload(error, response.status)
                return dict(body)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise ConnectionFailedError(
                f"cannot reach plate-service at {self._base_url}: {type(exc).__name__}"
            ) from exc


def _query(mode: str, top_n: int | None, min_confidence: float | None) -> dict[str, str]:
    """Query parameters; options left as None take the service's defaults."""
    params = {"mode": mode}
    if top_n is not None:
        params["top_n"] = str(top_n)
    if min_confidence is not None:
        params["min_confidence"] = repr(float(min_confidence))
    return params


class SyncPlateServiceClient:
    """Blocking wrapper for scripts: each call runs the async client on a fresh loop."""

    def __init__(self, base_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._base_url = base_url
        self._timeout_s = timeout_s

    def read_plate(self, image_id: int, **options: Any) -> dict[str, Any]:
        """``PlateServiceClient.read_plate``, blocking; same keyword options."""
        return self._run(lambda c: c.read_plate(image_id, **options))

    def read_plates(self, image_ids: Sequence[int], **options: Any) -> list[dict[str, Any]]:
        """``PlateServiceClient.read_plates``, blocking; same keyword options."""
        return self._run(lambda c: c.read_plates(image_ids, **options))

    def recognize(self, image: bytes, **options: Any) -> dict[str, Any]:
        """``PlateServiceClient.recognize``, blocking; same keyword options."""
        return self._run(lambda c: c.recognize(image, **options))

    def _run(self, call: Any) -> Any:
        async def main() -> T:
            async with PlateServiceClient(self._base_url, timeout_s=self._timeout_s) as client:
                coroutine: Coroutine[Any, Any, T] = call(client)
                return await coroutine

        return asyncio.run(main())
