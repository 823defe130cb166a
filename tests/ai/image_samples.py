"""Image bytes for tests: real files from CPython's test suite (``samples/``), plus builders for the
variants a phone or a broken upload produces (EXIF with GPS and orientation, text chunks, truncation,
a HEIC container with an EXIF item)."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

SAMPLES = Path(__file__).with_name("samples")
GPS_MARKER = b"GPSLatitude-33.4489S"  # a recognisable stand-in for location data inside EXIF


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def jpeg() -> bytes:
    return sample("python.jpg")


def png() -> bytes:
    return sample("python.png")


def webp() -> bytes:
    return sample("python.webp")


def exif_app1(orientation: int | None = 6, extra: bytes = GPS_MARKER) -> bytes:
    """An APP1 EXIF segment (little-endian TIFF): Orientation and a GPS-ish ASCII tag."""
    entries = []
    if orientation is not None:
        entries.append(struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0))
    entries.append(struct.pack("<HHII", 0x010E, 2, len(extra), 8 + 2 + 12 * (len(entries) + 1) + 4))
    ifd = struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<I", 0)
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd + extra
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def jpeg_with_exif(orientation: int | None = 6) -> bytes:
    """The sample JPEG with an EXIF segment and a comment inserted after SOI, and a camera trailer."""
    data = jpeg()
    comment = b"Alumno: Juan Perez"
    com = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return data[:2] + exif_app1(orientation) + com + data[2:] + b"SAMSUNG-TRAILER" + GPS_MARKER


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_text() -> bytes:
    """The sample PNG with tEXt and eXIf chunks after its header."""
    data = png()
    header_end = 8 + 12 + 13
    extra = png_chunk(b"tEXt", b"Author\x00Juan Perez") + png_chunk(b"eXIf", b"MM\x00*" + GPS_MARKER)
    return data[:header_end] + extra + data[header_end:]


def png_image(width: int, height: int, *, pixel_rows: bytes | None = None) -> bytes:
    """A grayscale 8-bit PNG; ``pixel_rows`` defaults to black (filter byte 0 per row)."""
    raw = pixel_rows if pixel_rows is not None else b"".join(b"\x00" + bytes(width) for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw))
            + png_chunk(b"IEND", b""))


def webp_with_exif() -> bytes:
    """The sample (VP8X) WebP with EXIF and XMP chunks appended and their flags set."""
    data = webp()
    exif = b"EXIF" + struct.pack("<I", len(GPS_MARKER)) + GPS_MARKER
    xmp_body = b"<x:xmpmeta>Juan Perez</x:xmpmeta>"
    xmp = b"XMP " + struct.pack("<I", len(xmp_body)) + xmp_body + (b"\x00" if len(xmp_body) % 2 else b"")
    body = data[12:] + exif + xmp
    body = body[:8] + bytes((body[8] | 0x0C,)) + body[9:]  # VP8X flags: EXIF + XMP present
    payload = b"WEBP" + body
    return b"RIFF" + struct.pack("<I", len(payload)) + payload


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload) + 8) + kind + payload


def heic_with_exif() -> tuple[bytes, int, int]:
    """A HEIC container (ftyp, meta with iinf/iloc, mdat) whose item 2 is EXIF.

    Returns the bytes and the file offset/length of the EXIF item's data. The image item's payload is
    not a real HEVC bitstream: the container is what the code under test reads.
    """
    exif = b"\x00\x00\x00\x06Exif\x00\x00MM\x00*" + GPS_MARKER
    image = b"\x00\x00\x00\x10fake-hevc-payload"
    ftyp = _box(b"ftyp", b"heic" + struct.pack(">I", 0) + b"mif1heic")
    hdlr = _box(b"hdlr", b"\x00" * 4 + b"\x00" * 4 + b"pict" + b"\x00" * 12 + b"\x00")
    infe_image = _box(b"infe", b"\x02\x00\x00\x00" + struct.pack(">HH", 1, 0) + b"hvc1" + b"\x00")
    infe_exif = _box(b"infe", b"\x02\x00\x00\x00" + struct.pack(">HH", 2, 0) + b"Exif" + b"\x00")
    iinf = _box(b"iinf", b"\x00\x00\x00\x00" + struct.pack(">H", 2) + infe_image + infe_exif)

    def iloc(image_offset: int, exif_offset: int) -> bytes:
        body = b"\x00\x00\x00\x00" + bytes((0x44, 0x00)) + struct.pack(">H", 2)
        body += struct.pack(">HHH", 1, 0, 1) + struct.pack(">II", image_offset, len(image))
        body += struct.pack(">HHH", 2, 0, 1) + struct.pack(">II", exif_offset, len(exif))
        return _box(b"iloc", body)

    def build(image_offset: int, exif_offset: int) -> bytes:
        meta = _box(b"meta", b"\x00\x00\x00\x00" + hdlr + iinf + iloc(image_offset, exif_offset))
        return ftyp + meta + _box(b"mdat", image + exif)

    draft = build(0, 0)
    mdat_data = len(draft) - len(image) - len(exif)
    data = build(mdat_data, mdat_data + len(image))
    return data, mdat_data + len(image), len(exif)
