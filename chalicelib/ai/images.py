"""Checking a student photo before any provider sees it (workers.md §4.3 step 5).

- **Size**: at most 5 MiB (:data:`MAX_IMAGE_BYTES`) and 50 megapixels (decompression bombs).
- **Type** is sniffed from the bytes, never trusted from a header or a file name: JPEG, PNG, WebP
  and HEIC/HEIF (the formats phone cameras and browsers produce, all read by Gemini; Claude reads
  all but HEIC).
- **Structure** is walked to the end: every JPEG segment and scan up to EOI, every PNG chunk CRC and
  the complete zlib image stream, the RIFF chunks of WebP, the ISO-BMFF boxes of HEIC. A truncated or
  garbled upload is an :class:`ImageProblem` ("corrupt"), which callers report as a clear failure.
- **Metadata** is removed: EXIF (GPS position, camera serial, time), XMP, IPTC and comments are
  dropped from JPEG/PNG/WebP and blanked in place in HEIC. Only a JPEG's EXIF orientation survives,
  re-emitted as a minimal EXIF block holding that one tag, so a portrait photo is not read sideways.

The spec asks to re-encode the photo as JPEG; that needs an image codec (Pillow), which the
deployment does not otherwise carry. Removing the metadata containers achieves what the re-encoding
was for (no personal metadata reaches a provider) and keeps the student's pixels untouched.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 50_000_000

JPEG, PNG, WEBP, HEIC, HEIF = "image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"
SUPPORTED_TYPES = (JPEG, PNG, WEBP, HEIC, HEIF)

_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}


class ImageProblem(ValueError):
    """The upload cannot be used. ``reason``: ``empty``, ``too_large``, ``unsupported_type`` or ``corrupt``."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class PreparedImage:
    """Bytes safe to send to a provider."""

    data: bytes
    mime_type: str
    original_size: int
    metadata_removed: bool  # whether any metadata had to be removed


def sniff_type(data: bytes) -> str | None:
    """The image type from the leading bytes ("magic numbers"), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[4:8] == b"ftyp":
        brands = {data[8:12]} | {data[i:i + 4] for i in range(16, min(len(data), _u32(data, 0)), 4)}
        if brands & _HEIC_BRANDS:
            return HEIC
        if brands & _HEIF_BRANDS:
            return HEIF
    return None


def prepare_image(data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> PreparedImage:
    """Validate ``data`` and strip its metadata; :class:`ImageProblem` explains any refusal."""
    if not data:
        raise ImageProblem("empty", "The image is empty")
    if len(data) > max_bytes:
        raise ImageProblem("too_large", f"The image is larger than {max_bytes // (1024 * 1024)} MiB "
                                        f"({len(data)} bytes)")
    mime = sniff_type(data)
    if mime is None:
        raise ImageProblem("unsupported_type", "The file is not a JPEG, PNG, WebP or HEIC image")
    try:
        cleaned = {JPEG: _clean_jpeg, PNG: _clean_png, WEBP: _clean_webp}.get(mime, _clean_heif)(data)
    except ImageProblem:
        raise
    except (IndexError, struct.error, ValueError, zlib.error) as exc:  # ran off the end of a field
        raise ImageProblem("corrupt", f"The {_label(mime)} image is damaged ({exc})") from None
    return PreparedImage(cleaned, mime, len(data), cleaned != data)


def _label(mime: str) -> str:
    return {JPEG: "JPEG", PNG: "PNG", WEBP: "WebP"}.get(mime, "HEIC")


def _corrupt(mime: str, detail: str) -> ImageProblem:
    return ImageProblem("corrupt", f"The {_label(mime)} image is damaged or truncated: {detail}")


def _u16(data: bytes, at: int, order: str = ">") -> int:
    return struct.unpack_from(order + "H", data, at)[0]


def _u32(data: bytes, at: int, order: str = ">") -> int:
    return struct.unpack_from(order + "I", data, at)[0]


def _check_pixels(mime: str, width: int, height: int) -> None:
    if width <= 0 or height <= 0:
        raise _corrupt(mime, f"invalid dimensions {width}×{height}")
    if width * height > MAX_PIXELS:
        raise ImageProblem("too_large", f"The image has too many pixels ({width}×{height})")


# -- JPEG ----------------------------------------------------------------------------------------

_JPEG_DROPPED = {0xE1, 0xED, 0xFE} | set(range(0xE3, 0xED)) | {0xEF}  # EXIF/XMP, IPTC, COM, other APPn
_SOF_MARKERS = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _exif_orientation(segment: bytes) -> int | None:
    """The Orientation tag (0x0112) of an APP1 EXIF segment's first IFD, if any."""
    payload = segment[4:]
    if not payload.startswith(b"Exif\x00\x00"):
        return None
    tiff = payload[6:]
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return None
    ifd = _u32(tiff, 4, order)
    for i in range(_u16(tiff, ifd, order)):
        entry = ifd + 2 + 12 * i
        if _u16(tiff, entry, order) == 0x0112:
            value = _u16(tiff, entry + 8, order)
            return value if 1 <= value <= 8 else None
    return None


def _orientation_segment(orientation: int) -> bytes:
    """An APP1 EXIF segment holding only the Orientation tag (big-endian TIFF, one IFD entry)."""
    tiff = b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + struct.pack(
        ">HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(">I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _clean_jpeg(data: bytes) -> bytes:
    out = [b"\xff\xd8"]
    pos, seen_frame, seen_scan, orientation = 2, False, False, None
    while True:
        if pos >= len(data) or data[pos] != 0xFF:
            raise _corrupt(JPEG, f"expected a marker at byte {pos}")
        while pos < len(data) and data[pos] == 0xFF:  # fill bytes
            pos += 1
        marker = data[pos]
        pos += 1
        if marker == 0xD9:  # EOI: anything after it (camera trailers) is dropped
            if not (seen_frame and seen_scan):
                raise _corrupt(JPEG, "no image data before the end marker")
            out.append(b"\xff\xd9")
            break
        if marker in (0x01, *range(0xD0, 0xD8)):
            out.append(bytes((0xFF, marker)))
            continue
        length = _u16(data, pos)
        end = pos + length
        if length < 2 or end > len(data):
            raise _corrupt(JPEG, f"segment 0x{marker:02X} runs past the end of the file")
        segment = data[pos - 2:end]
        if marker == 0xE1 and orientation is None:
            orientation = _exif_orientation(segment)
        if marker in _SOF_MARKERS:
            seen_frame = True
            _check_pixels(JPEG, _u16(data, pos + 5), _u16(data, pos + 3))
        if marker not in _JPEG_DROPPED:
            out.append(segment)
        pos = end
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            if not seen_frame:
                raise _corrupt(JPEG, "scan before the frame header")
            seen_scan = True
            scan_end = pos
            while True:
                scan_end = data.find(b"\xff", scan_end)
                if scan_end < 0 or scan_end + 1 >= len(data):
                    raise _corrupt(JPEG, "the image data is cut off (no end marker)")
                following = data[scan_end + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                    scan_end += 1 if following == 0xFF else 2  # stuffing, restart marker, fill byte
                    continue
                break
            out.append(data[pos:scan_end])
            pos = scan_end
    if orientation not in (None, 1):
        out.insert(1, _orientation_segment(orientation))
    return b"".join(out)


# -- PNG -----------------------------------------------------------------------------------------

_PNG_DROPPED = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def _clean_png(data: bytes) -> bytes:
    out, pos, names = [data[:8]], 8, []
    inflater, compressed = zlib.decompressobj(), False
    while pos < len(data):
        length = _u32(data, pos)
        kind = data[pos + 4:pos + 8]
        end = pos + 12 + length
        if end > len(data):
            raise _corrupt(PNG, f"chunk {kind.decode('latin-1')!r} runs past the end of the file")
        body = data[pos + 8:pos + 8 + length]
        if zlib.crc32(kind + body) != _u32(data, end - 4):
            raise _corrupt(PNG, f"checksum mismatch in chunk {kind.decode('latin-1')!r}")
        if not names and (kind != b"IHDR" or length != 13):
            raise _corrupt(PNG, "the header chunk is missing")
        if kind == b"IHDR":
            _check_pixels(PNG, _u32(body, 0), _u32(body, 4))
        if kind == b"IDAT":
            compressed = True
            while body:  # inflate in bounded steps: a bomb never sits in memory at once
                inflater.decompress(body, 1 << 20)
                body = inflater.unconsumed_tail
        names.append(kind)
        if kind not in _PNG_DROPPED:
            out.append(data[pos:end])
        pos = end
        if kind == b"IEND":
            break
    if not names or names[-1] != b"IEND":
        raise _corrupt(PNG, "the end chunk is missing")
    if not compressed or not inflater.eof:
        raise _corrupt(PNG, "the compressed image data is incomplete")
    return b"".join(out)


# -- WebP ----------------------------------------------------------------------------------------

def _clean_webp(data: bytes) -> bytes:
    riff_size = _u32(data, 4, "<")
    if riff_size + 8 > len(data) or riff_size < 4:
        raise _corrupt(WEBP, "the RIFF container is cut off")
    chunks, pos, end, has_image = [], 12, riff_size + 8, False
    while pos < end:
        if pos + 8 > end:
            raise _corrupt(WEBP, "a chunk header is cut off")
        kind, size = data[pos:pos + 4], _u32(data, pos + 4, "<")
        chunk_end = pos + 8 + size + (size & 1)
        if pos + 8 + size > end:
            raise _corrupt(WEBP, f"chunk {kind.decode('latin-1')!r} runs past the end of the file")
        body = data[pos + 8:pos + 8 + size]
        if kind == b"VP8 ":
            if size < 10 or body[3:6] != b"\x9d\x01\x2a":
                raise _corrupt(WEBP, "invalid VP8 frame header")
            _check_pixels(WEBP, _u16(body, 6, "<") & 0x3FFF, _u16(body, 8, "<") & 0x3FFF)
            has_image = True
        elif kind == b"VP8L":
            if size < 5 or body[0] != 0x2F:
                raise _corrupt(WEBP, "invalid lossless frame header")
            bits = _u32(body, 1, "<")
            _check_pixels(WEBP, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
            has_image = True
        elif kind in (b"ANIM", b"ANMF"):
            has_image = True
        if kind == b"VP8X" and size >= 10:
            flags = body[0] & ~0x0C  # clear the EXIF (0x08) and XMP (0x04) flags
            chunks.append(data[pos:pos + 8] + bytes((flags,)) + data[pos + 9:chunk_end])
        elif kind not in (b"EXIF", b"XMP "):
            chunks.append(data[pos:chunk_end])
        pos = chunk_end
    if not has_image:
        raise _corrupt(WEBP, "no image frame")
    payload = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


# -- HEIC / HEIF ---------------------------------------------------------------------------------

def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """``(type, payload start, box end)`` of the ISO-BMFF boxes in ``data[start:end]``."""
    boxes, pos = [], start
    while pos < end:
        if pos + 8 > end:
            raise _corrupt(HEIC, "a box header is cut off")
        size, kind, header = _u32(data, pos), data[pos + 4:pos + 8], 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise _corrupt(HEIC, f"box {kind.decode('latin-1')!r} runs past the end of the file")
        boxes.append((kind, pos + header, pos + size))
        pos += size
    return boxes


def _sized(data: bytes, at: int, size: int) -> int:
    return int.from_bytes(data[at:at + size], "big") if size else 0


def _metadata_items(data: bytes, start: int, end: int) -> set[int]:
    """Item ids of EXIF and XMP items declared in an ``iinf`` box's payload."""
    version = data[start]
    pos = start + 4 + (2 if version == 0 else 4)
    items = set()
    for kind, body, box_end in _boxes(data, pos, end):
        if kind != b"infe" or data[body] < 2:
            continue
        infe_version, pos = data[body], body + 4
        item_id = _u16(data, pos) if infe_version == 2 else _u32(data, pos)
        pos += (2 if infe_version == 2 else 4) + 2
        item_type = data[pos:pos + 4]
        name_end = data.index(b"\x00", pos + 4, box_end)
        content_type = data[name_end + 1:data.find(b"\x00", name_end + 1, box_end)] if item_type == b"mime" else b""
        if item_type == b"Exif" or content_type == b"application/rdf+xml":
            items.add(item_id)
    return items


def _item_extents(data: bytes, start: int) -> dict[int, list[tuple[int, int, int]]]:
    """``item id → [(construction method, offset, length)]`` from an ``iloc`` box's payload."""
    version, pos = data[start], start + 4
    offset_size, length_size = data[pos] >> 4, data[pos] & 0x0F
    base_size, index_size = data[pos + 1] >> 4, (data[pos + 1] & 0x0F) if version in (1, 2) else 0
    pos += 2
    count = _u16(data, pos) if version < 2 else _u32(data, pos)
    pos += 2 if version < 2 else 4
    extents: dict[int, list[tuple[int, int, int]]] = {}
    for _ in range(count):
        item_id = _u16(data, pos) if version < 2 else _u32(data, pos)
        pos += 2 if version < 2 else 4
        method = 0
        if version in (1, 2):
            method = _u16(data, pos) & 0x0F
            pos += 2
        pos += 2  # data reference index
        base = _sized(data, pos, base_size)
        pos += base_size
        extent_count = _u16(data, pos)
        pos += 2
        for _ in range(extent_count):
            pos += index_size
            offset = _sized(data, pos, offset_size)
            pos += offset_size
            length = _sized(data, pos, length_size)
            pos += length_size
            extents.setdefault(item_id, []).append((method, base + offset, length))
    return extents


def _clean_heif(data: bytes) -> bytes:
    top = _boxes(data, 0, len(data))
    kinds = [kind for kind, _, _ in top]
    if kinds[0] != b"ftyp" or b"meta" not in kinds or b"mdat" not in kinds:
        raise _corrupt(HEIC, "the meta or media box is missing")
    _, meta_body, meta_end = top[kinds.index(b"meta")]
    children = {kind: (body, box_end) for kind, body, box_end in _boxes(data, meta_body + 4, meta_end)}
    if b"iinf" not in children or b"iloc" not in children:
        raise _corrupt(HEIC, "the item tables are missing")
    metadata = _metadata_items(data, *children[b"iinf"])
    if not metadata:
        return data
    cleaned = bytearray(data)
    idat_start = children[b"idat"][0] if b"idat" in children else None
    for item_id, extents in _item_extents(data, children[b"iloc"][0]).items():
        if item_id not in metadata:
            continue
        for method, offset, length in extents:
            origin = 0 if method == 0 else idat_start if method == 1 else None
            if origin is None:
                continue
            if origin + offset + length > len(data):
                raise _corrupt(HEIC, "a metadata item points past the end of the file")
            cleaned[origin + offset:origin + offset + length] = bytes(length)  # blanked, offsets intact
    return bytes(cleaned)
