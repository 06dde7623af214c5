"""decode_image: accepts real images, refuses junk and decompression bombs before decoding."""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace

import cv2
import numpy as np
import pytest

from plate_service.errors import ImageTooLargeError, InvalidImageError
from plate_service.recognition.image import ImageLimits, decode_image, read_dimensions
from tests.fakes import encode, plate_like_jpeg

LIMITS = ImageLimits(max_bytes=1_000_000, max_pixels=4_000_000, max_side=4000)


def _png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


@pytest.mark.parametrize("ext", [".jpg", ".png", ".bmp", ".webp"])
def test_decodes_accepted_formats_to_bgr(ext: str) -> None:
    image = np.zeros((40, 120, 3), dtype=np.uint8)
    image[:, :60] = 255
    decoded = decode_image(encode(image, ext), LIMITS)
    assert decoded.shape == (40, 120, 3)
    assert decoded.dtype == np.uint8


@pytest.mark.parametrize("ext", [".jpg", ".png", ".bmp", ".webp"])
def test_header_dimensions_match_the_image(ext: str) -> None:
    from plate_service.recognition.image import sniff_format

    data = encode(np.zeros((37, 91, 3), dtype=np.uint8), ext)
    fmt = sniff_format(data)
    assert fmt is not None
    assert read_dimensions(data, fmt) == (91, 37)


def test_a_grey_jpeg_is_decoded_grey_as_stored_and_a_colour_one_bgr() -> None:
    grey = plate_like_jpeg()
    assert decode_image(grey, LIMITS).shape == (56, 260)
    # The same grey levels as a three-channel decode carries in each channel.
    colour = cv2.imdecode(np.frombuffer(grey, np.uint8), cv2.IMREAD_COLOR)
    assert np.array_equal(decode_image(grey, LIMITS), colour[:, :, 0])
    coloured = cv2.cvtColor(cv2.imdecode(np.frombuffer(grey, np.uint8), cv2.IMREAD_GRAYSCALE),
                            cv2.COLOR_GRAY2BGR)
    assert decode_image(encode(coloured, ".jpg"), LIMITS).shape == (56, 260, 3)


@pytest.mark.parametrize("body", [b"", b"<html><body>Not found</body></html>", b"GIF89a...."])
def test_non_images_are_invalid(body: bytes) -> None:
    with pytest.raises(InvalidImageError):
        decode_image(body, LIMITS)


def test_truncated_jpeg_is_invalid() -> None:
    data = plate_like_jpeg()
    with pytest.raises(InvalidImageError):
        decode_image(data[: len(data) // 2], LIMITS)


def test_too_many_bytes_is_too_large() -> None:
    with pytest.raises(ImageTooLargeError):
        decode_image(plate_like_jpeg(), replace(LIMITS, max_bytes=100))


def test_decompression_bomb_is_refused_from_the_header() -> None:
    with pytest.raises(ImageTooLargeError, match="30000x30000"):
        decode_image(_png_header_only(30000, 30000), LIMITS)


def test_one_side_too_long_is_too_large() -> None:
    with pytest.raises(ImageTooLargeError):
        decode_image(encode(np.zeros((10, 4500), dtype=np.uint8), ".png"), LIMITS)
