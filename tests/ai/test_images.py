"""Image checks before any provider sees a photo: size, sniffed type, structure, metadata removal."""
from __future__ import annotations

import struct
import zlib

import pytest

from chalicelib.ai.images import HEIC, JPEG, PNG, WEBP, ImageProblem, prepare_image, sniff_type
from tests.ai import image_samples as samples


def problem(data: bytes, **kwargs) -> ImageProblem:
    with pytest.raises(ImageProblem) as failure:
        prepare_image(data, **kwargs)
    return failure.value


@pytest.mark.parametrize("build, mime", [(samples.jpeg, JPEG), (samples.png, PNG), (samples.webp, WEBP),
                                         (lambda: samples.heic_with_exif()[0], HEIC)])
def test_the_type_comes_from_the_bytes(build, mime):
    data = build()
    assert sniff_type(data) == mime
    prepared = prepare_image(data)
    assert prepared.mime_type == mime and prepared.original_size == len(data)


def test_clean_images_pass_unchanged():
    for data in (samples.jpeg(), samples.webp(), samples.png_image(8, 4)):
        prepared = prepare_image(data)
        assert prepared.data == data and not prepared.metadata_removed


@pytest.mark.parametrize("data", [b"%PDF-1.7\n...", b"GIF89a\x01\x00\x01\x00", b"hello, I am text",
                                  b"\x00" * 64])
def test_other_files_are_refused_as_unsupported(data):
    assert problem(data).reason == "unsupported_type"


def test_empty_and_oversized_uploads_are_refused():
    assert problem(b"").reason == "empty"
    oversized = problem(samples.jpeg(), max_bytes=500)
    assert oversized.reason == "too_large" and "larger than" in str(oversized)


def test_a_decompression_bomb_is_refused_before_inflating():
    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    bomb = (b"\x89PNG\r\n\x1a\n" + samples.png_chunk(b"IHDR", header) + samples.png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + samples.png_chunk(b"IEND", b""))
    assert problem(bomb).reason == "too_large"


@pytest.mark.parametrize("build", [samples.jpeg, samples.png, samples.webp, lambda: samples.heic_with_exif()[0]])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_uploads_are_corrupt(build, keep):
    data = build()
    failure = problem(data[:int(len(data) * keep)])
    assert failure.reason == "corrupt" and "damaged" in str(failure)


def test_a_jpeg_without_its_end_marker_is_corrupt():
    data = samples.jpeg()
    assert data.endswith(b"\xff\xd9")
    assert problem(data[:-2]).reason == "corrupt"


def test_a_png_with_a_flipped_bit_fails_its_checksum():
    data = bytearray(samples.png())
    data[60] ^= 0x01
    failure = problem(bytes(data))
    assert failure.reason == "corrupt" and "checksum" in str(failure)


def test_a_png_whose_image_stream_is_incomplete_is_corrupt():
    rows = b"".join(b"\x00" + bytes(16) for _ in range(16))
    stream = zlib.compress(rows)[:-6]  # valid chunks, but the zlib stream stops early
    data = (b"\x89PNG\r\n\x1a\n" + samples.png_chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 0, 0, 0, 0))
            + samples.png_chunk(b"IDAT", stream) + samples.png_chunk(b"IEND", b""))
    assert problem(data).reason == "corrupt"


def test_jpeg_exif_comments_and_trailers_are_removed_but_the_orientation_is_kept():
    prepared = prepare_image(samples.jpeg_with_exif(orientation=6))
    assert prepared.metadata_removed
    assert samples.GPS_MARKER not in prepared.data and b"Juan Perez" not in prepared.data
    assert prepared.data.endswith(b"\xff\xd9")
    # A minimal EXIF block with only Orientation = 6 (big-endian TIFF, one entry).
    assert prepared.data[:4] == b"\xff\xd8\xff\xe1"
    assert b"Exif\x00\x00MM\x00*" in prepared.data[:20]
    assert struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) in prepared.data[:60]
    # Everything of the original image survives, segment for segment.
    assert samples.jpeg()[2:] in prepared.data
    assert prepare_image(prepared.data).data == prepared.data  # idempotent


def test_an_upright_jpeg_loses_its_exif_entirely():
    prepared = prepare_image(samples.jpeg_with_exif(orientation=1))
    assert b"Exif" not in prepared.data and prepared.data == samples.jpeg()


def test_png_text_and_exif_chunks_are_removed():
    prepared = prepare_image(samples.png_with_text())
    assert b"tEXt" not in prepared.data and b"eXIf" not in prepared.data
    assert b"Juan Perez" not in prepared.data
    assert prepare_image(prepared.data).data == prepared.data


def test_webp_exif_and_xmp_chunks_and_flags_are_removed():
    prepared = prepare_image(samples.webp_with_exif())
    assert prepared.data == samples.webp()  # the original had neither chunk nor flag
    assert samples.GPS_MARKER not in prepared.data and b"xmpmeta" not in prepared.data


def test_heic_exif_item_is_blanked_in_place():
    data, offset, length = samples.heic_with_exif()
    assert samples.GPS_MARKER in data[offset:offset + length]
    prepared = prepare_image(data)
    assert len(prepared.data) == len(data) and prepared.metadata_removed
    assert prepared.data[offset:offset + length] == bytes(length)
    assert prepared.data[:offset] == data[:offset]  # the boxes and the image item are untouched
