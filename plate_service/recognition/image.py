"""Turn untrusted bytes into a BGR image, checking format and dimensions before decoding."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from plate_service.errors import ImageTooLargeError, InvalidImageError


@dataclass(frozen=True)
class ImageLimits:
    """Bounds checked on the header, so a decompression bomb is refused before decoding.

    The service's values come from its configuration (``service.image_limits``).
    """

    max_bytes: int
    max_pixels: int
    max_side: int


def sniff_format(data: bytes) -> str | None:
    """Name the container format from its magic bytes, or None if we do not accept it."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"BM"):
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def read_dimensions(data: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) from the header without decoding pixels; None if not found."""
    try:
        if fmt == "png":
            width, height = struct.unpack(">II", data[16:24])
            return width, height
        if fmt == "bmp":
            width, height = struct.unpack("<ii", data[18:26])
            return abs(width), abs(height)
        if fmt == "jpeg":
            return _jpeg_dimensions(data)
        if fmt == "webp":
            return _webp_dimensions(data)
    except struct.error:
        return None
    return None


_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD,
                       0xCE, 0xCF})


def _jpeg_segments(data: bytes) -> Iterator[tuple[int, int]]:
    """(marker, offset) of each header segment, up to and including start-of-scan."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        yield marker, pos
        if marker == 0xDA:
            return
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        pos += 2 + length


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    frame = _jpeg_frame(data)
    return None if frame is None else frame[:2]


def _jpeg_frame(data: bytes) -> tuple[int, int, int] | None:
    """Width, height and colour components of the JPEG's frame header, if it is found."""
    for marker, pos in _jpeg_segments(data):
        if marker in _JPEG_SOF and pos + 10 <= len(data):
            height, width, components = struct.unpack(">HHB", data[pos + 5:pos + 10])
            return width, height, components
    return None


def _jpeg_scan_offset(data: bytes) -> int | None:
    """Where the entropy-coded data begins (the first start-of-scan), if it is found."""
    for marker, pos in _jpeg_segments(data):
        if marker == 0xDA:
            return pos
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None


def decode_image(data: bytes, limits: ImageLimits) -> np.ndarray:
    """Decode JPEG/PNG/BMP/WebP bytes into a BGR uint8 array, or a gray one for a
    one-component JPEG (EXIF orientation applied).

    Raises ImageTooLargeError for too many bytes or pixels, InvalidImageError for
    anything that is not a complete image in an accepted format.
    """
    if len(data) > limits.max_bytes:
        raise ImageTooLargeError(f"image is larger than the {limits.max_bytes} byte limit")
    if not data:
        raise InvalidImageError("image body is empty")
    fmt = sniff_format(data)
    if fmt is None:
        raise InvalidImageError("body is not an image (JPEG, PNG, BMP or WebP expected)")
    size = read_dimensions(data, fmt)
    if size is None:
        raise InvalidImageError(f"{fmt.upper()} header is damaged or truncated")
    width, height = size
    if width <= 0 or height <= 0:
        raise InvalidImageError(f"{fmt.upper()} header declares an empty image")
    if width > limits.max_side or height > limits.max_side or width * height > limits.max_pixels:
        raise ImageTooLargeError(
            f"image is {width}x{height} pixels; limits are {limits.max_side} px per side "
            f"and {limits.max_pixels} pixels in all"
        )
    if fmt == "jpeg":
        # OpenCV (4.x) decodes a truncated JPEG into a half-grey picture without complaint;
        # a missing end-of-image marker is how truncation shows (0xFFD9 cannot occur
        # inside entropy-coded data, which stuffs every 0xFF). It is looked for after the
        # start of scan: an EXIF thumbnail in the header carries an EOI of its own.
        scan = _jpeg_scan_offset(data)
        if data.find(b"\xff\xd9", 4 if scan is None else scan) == -1:
            raise InvalidImageError("JPEG data is truncated (no end-of-image marker)")
    # A one-component JPEG (the upstream's crops, grey cameras) is decoded as it is
    # stored: three equal channels would only triple the work that reads it.
    frame = _jpeg_frame(data) if fmt == "jpeg" else None
    flag = cv2.IMREAD_GRAYSCALE if frame is not None and frame[2] == 1 else cv2.IMREAD_COLOR
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
    if image is None or image.size == 0:
        raise InvalidImageError(f"{fmt.upper()} data could not be decoded")
    return image
