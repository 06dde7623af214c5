"""The error-code table: every exception class has a row, and everything else derives from it."""

from __future__ import annotations

import inspect
import re

from plate_service import api_client, error_codes, errors
from plate_service.error_codes import (
    ERROR_CODES,
    EXCEPTION_CODES,
    code_for_exception,
    code_for_http_status,
    error_object,
    parent_code,
)
from tests.conftest import REPO_ROOT

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
    assert classes == set(EXCEPTION_CODES)


def test_every_code_the_exceptions_use_is_listed_once() -> None:
    codes = [item.code for item in ERROR_CODES]
    assert len(codes) == len(set(codes))
    assert {item.code for item in EXCEPTION_CODES.values()} <= set(codes)


def test_the_documented_rows_hold() -> None:
    for cls, (status, code) in ISSUE_TABLE.items():
        assert (EXCEPTION_CODES[cls].http_status, EXCEPTION_CODES[cls].code) == (status, code)


def test_lookup_picks_the_most_specific_class() -> None:
    class Custom(errors.UpstreamTimeoutError):
        pass

    assert code_for_exception(Custom("x")) is error_codes.PROVIDER_TIMEOUT


def test_http_layer_statuses_get_their_own_codes() -> None:
    assert code_for_http_status(404).code == "not_found"
    assert code_for_http_status(405).code == "method_not_allowed"
    assert code_for_http_status(413).code == "payload_too_large"
    assert code_for_http_status(431).code == "http_error"


def test_payload_carries_upstream_status() -> None:
    exc = errors.UpstreamBadStatusError("bad", upstream_status=500)
    assert error_object(exc) == {"code": "provider_error", "message": "bad",
                                 "http_status": 502, "upstream_status": 500}


def test_parents_follow_the_exception_tree() -> None:
    assert parent_code("provider_timeout") == "provider_error"
    assert parent_code("image_too_large") == "invalid_image"
    assert parent_code("invalid_image_id") == "bad_request"
    assert parent_code("model_unavailable") == "recognition_error"
    assert parent_code("provider_error") is None
    assert parent_code("not_found") is None


def test_the_client_has_one_exception_class_per_code() -> None:
    assert set(api_client.ERRORS_BY_CODE) == {item.code for item in ERROR_CODES}
    for code, cls in api_client.ERRORS_BY_CODE.items():
        assert cls.code == code
        assert getattr(api_client, cls.__name__) is cls
        parent = parent_code(code)
        base = api_client.ERRORS_BY_CODE[parent] if parent else api_client.PlateServiceClientError
        assert cls.__bases__ == (base,)
    assert issubclass(api_client.ProviderTimeoutError, api_client.ProviderError)
    assert api_client.InternalError.code == "internal_error"


def test_the_documented_table_is_the_code_table() -> None:
    api_doc = (REPO_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (.+?) \| (\d{3}) \| `([a-z_]+)` \|$", api_doc, flags=re.M)
    expected = [(item.meaning, str(item.http_status), item.code) for item in ERROR_CODES]
    table = "\n".join(f"| {m} | {s} | `{c}` |" for m, s, c in expected)
    assert rows == expected, f"docs/api.md's error table should read:\n{table}"
