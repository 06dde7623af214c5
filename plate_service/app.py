"""create_app(config): the composition root that wires config, resources and routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor

import aiohttp
from aiohttp import web

from plate_service.config import Config
from plate_service.error_codes import code_for_exception
from plate_service.recognition.loading import load_recognizer
from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.result_cache import create_result_cache
from plate_service.service import ImageOutcome, PlateService
from plate_service.upstream import ImageProviderClient
from plate_service.web import keys
from plate_service.observability.metrics import Metrics
from plate_service.web.middleware import access_middleware, error_middleware
from plate_service.web.routes import setup_routes
from plate_service.web.server_log import ServerLog

RecognizerFactory = Callable[[Config], PlateRecognizer]


def _load_bundled_models(config: Config) -> PlateRecognizer:
    return load_recognizer(config.recognition.models_dir,
                           threads=config.recognition.ort_threads,
                           allow_no_detector=config.recognition.allow_no_detector)


def create_app(config: Config, *, recognizer_factory: RecognizerFactory | None = None
               ) -> web.Application:
    """Build the application. ``recognizer_factory`` lets tests inject fake models."""
    factory = recognizer_factory or _load_bundled_models
    # Request bodies are read as sent: the handlers refuse a compressed one with a JSON
    # 415, where aiohttp's own decoding would answer br or zstd with a plain-text 400.
    # Handler arguments win over the runner's: one server logger under run_app and gunicorn.
    app = web.Application(middlewares=[access_middleware, error_middleware],
                          client_max_size=config.limits.max_request_bytes,
                          handler_args={"auto_decompress": False, "logger": ServerLog()})
    app[keys.CONFIG] = config
    app[keys.METRICS] = Metrics(error_code=lambda exc: code_for_exception(exc).code)

    async def executor_ctx(app: web.Application) -> AsyncIterator[None]:
        executor = ThreadPoolExecutor(max_workers=config.recognition.worker_threads,
                                      thread_name_prefix="recognition")
        app[keys.EXECUTOR] = executor
        yield
        executor.shutdown(wait=True, cancel_futures=True)

    async def http_session_ctx(app: web.Application) -> AsyncIterator[None]:
        connector = aiohttp.TCPConnector(limit=config.upstream.concurrency,
                                         ttl_dns_cache=300)
        # The provider serves images, not sessions: no cookie is kept or sent.
        async with aiohttp.ClientSession(connector=connector, raise_for_status=False,
                                         auto_decompress=True,
                                         cookie_jar=aiohttp.DummyCookieJar()) as session:
            app[keys.HTTP_SESSION] = session
            yield

    async def recognizer_ctx(app: web.Application) -> AsyncIterator[None]:
        # First, so a bad model stops the start before any other resource is opened.
        app[keys.RECOGNIZER] = await asyncio.to_thread(factory, config)
        yield

    async def service_ctx(app: web.Application) -> AsyncIterator[None]:
        client = ImageProviderClient(app[keys.HTTP_SESSION], config.upstream,
                                     max_image_bytes=config.limits.max_image_bytes)
        cache: MutableMapping[tuple[int, str], ImageOutcome] | None = create_result_cache(
            config.cache.max_entries, config.cache.ttl_s)
        service = PlateService(client, app[keys.RECOGNIZER], app[keys.EXECUTOR],
                               config.limits, cache, observer=app[keys.METRICS],
                               buffered_images=config.upstream.concurrency,
                               threads=config.recognition.worker_threads)
        app[keys.SERVICE] = service
        yield

    app.cleanup_ctx.extend([recognizer_ctx, executor_ctx, http_session_ctx, service_ctx])
    setup_routes(app)
    return app
