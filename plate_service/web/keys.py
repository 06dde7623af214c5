"""Typed keys under which the app keeps its shared objects."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import aiohttp
from aiohttp import web

from plate_service.config import Config
from plate_service.observability.metrics import Metrics
from plate_service.recognition.pipeline import PlateRecognizer
from plate_service.service import PlateService

CONFIG = web.AppKey("config", Config)
HTTP_SESSION = web.AppKey("http_session", aiohttp.ClientSession)
EXECUTOR = web.AppKey("executor", ThreadPoolExecutor)
RECOGNIZER = web.AppKey("recognizer", PlateRecognizer)
SERVICE = web.AppKey("service", PlateService)
METRICS = web.AppKey("metrics", Metrics)
