"""Every exception class the package defines has its own row in the HTTP error table."""

from __future__ import annotations

import inspect

from plate_service import errors
from plate_service.web.error_table import ERROR_TABLE, error_payload, status_and_code

ISSUE_TABLE = {
    errors.InvalidImageIdError: (400, "invalid_image_id"),
    errors.ImageNotFoundError: (404, "image_not_found"),
    errors.UpstreamTimeoutError: (504, "provider_timeout"),
    errors.UpstreamUnavailableError: (502, "provider_unavailable"),
    errors.UpstreamBadStatusError: (502, "provider_error"),
    errors.InvalidImageError: (422, "invalid_image"),
    errors.ImageTooLargeError: (422, "image_too_large"),
    errors.BatchTooLargeError: (413, "batch_too_large"),
    errors.OverloadedError: (503, "overloaded"),
}


def test_every_error_class_is_in_the_table() -> None:
    classes = {cls for _, cls in inspect.getmembers(errors, inspect.isclass)
               if issubclass(cls, errors.PlateServiceError)}
    assert classes == set(ERROR_TABLE)


def test_the_documented_rows_hold() -> None:
    for cls, expected in ISSUE_TABLE.items():
        assert ERROR_TABLE[cls] == expected, cls.__name__


def test_lookup_picks_the_most_specific_class() -> None:
    class Custom(errors.UpstreamTimeoutError):
        pass

    assert status_and_code(Custom("x")) == (504, "provider_timeout")


def test_payload_carries_upstream_status() -> None:
    exc = errors.UpstreamBadStatusError("bad", upstream_status=500)
    assert error_payload(exc) == {"code": "provider_error", "message": "bad",
                                  "http_status": 502, "upstream_status": 500}
