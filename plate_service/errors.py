"""The exception tree of plate-service; every failure the service reports is one of these.

::

    PlateServiceError
    ├── BadRequestError                 the client asked for something malformed
    │   ├── InvalidImageIdError
    │   ├── BatchTooLargeError
    │   ├── PayloadTooLargeError
    │   └── UnsupportedMediaTypeError
    ├── UpstreamError                   the image provider failed us
    │   ├── ImageNotFoundError          it answered 404
    │   ├── UpstreamTimeoutError        no answer within the deadline
    │   ├── UpstreamUnavailableError    refused, DNS failure, reset
    │   └── UpstreamBadStatusError      5xx or another unexpected status
    ├── ImageError                      the bytes are not an image we can read
    │   ├── InvalidImageError           not decodable (HTML, empty, truncated)
    │   └── ImageTooLargeError          too many bytes or too many pixels
    ├── RecognitionError                the models failed
    │   ├── ModelLoadError              weights missing, corrupt or mismatched
    │   └── InferenceError              onnxruntime raised while running
    ├── OverloadedError                 the recognition queue is full
    └── ConfigError                     an environment variable has a bad value

This module imports nothing from the package, so every layer may raise these.
The stable code and HTTP status of each class live in ``plate_service.error_codes``.
"""

from __future__ import annotations


class PlateServiceError(Exception):
    """Root of every error this package raises on purpose."""

    def __init__(self, message: str, *, image_id: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.image_id = image_id


# --- bad requests -----------------------------------------------------------------


class BadRequestError(PlateServiceError):
    """The request itself is malformed: bad JSON, wrong shape, wrong types."""


class InvalidImageIdError(BadRequestError):
    """An image ID is not a non-negative integer within the allowed range."""


class BatchTooLargeError(BadRequestError):
    """A batch request lists more image IDs than the configured limit."""

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class PayloadTooLargeError(BadRequestError):
    """A request body is larger than the configured limit."""

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class UnsupportedMediaTypeError(BadRequestError):
    """An upload carries a Content-Type that is not an image we accept."""


# --- upstream ---------------------------------------------------------------------


class UpstreamError(PlateServiceError):
    """The image provider could not give us the image."""

    def __init__(
        self, message: str, *, image_id: int | None = None, upstream_status: int | None = None
    ) -> None:
        super().__init__(message, image_id=image_id)
        self.upstream_status = upstream_status


class ImageNotFoundError(UpstreamError):
    """The provider answered 404 for this image ID (never retried)."""


class UpstreamTimeoutError(UpstreamError):
    """The provider did not connect or answer within the configured deadline."""


class UpstreamUnavailableError(UpstreamError):
    """The provider could not be reached: refused connection, DNS failure, reset."""


class UpstreamBadStatusError(UpstreamError):
    """The provider answered 5xx or another status we do not expect."""


# --- images -----------------------------------------------------------------------


class ImageError(PlateServiceError):
    """The bytes we got cannot be used as an image."""


class InvalidImageError(ImageError):
    """The body is not a decodable image: HTML, empty, truncated, unknown format."""


class ImageTooLargeError(ImageError):
    """The body exceeds the byte limit, or its dimensions exceed the pixel limit."""


# --- recognition ------------------------------------------------------------------


class RecognitionError(PlateServiceError):
    """The recognition models failed; never hidden as 'no plate found'."""


class ModelLoadError(RecognitionError):
    """Model files are missing, corrupt, or do not match their card (sha256, shapes)."""


class InferenceError(RecognitionError):
    """onnxruntime raised while running a model."""


# --- service ----------------------------------------------------------------------


class OverloadedError(PlateServiceError):
    """The recognition queue is full; the client should retry after a pause."""

    def __init__(self, message: str, *, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ConfigError(PlateServiceError):
    """An environment variable holds a value the service cannot use."""
