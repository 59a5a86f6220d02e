"""Artwork checks and conversion, on real image files generated with Pillow."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from catalog.artwork import (
    MAX_SIDE,
    MIN_SIDE,
    check_artwork,
    conform_artwork,
    inspect_image,
)
from catalog.errors import InvalidImage

RED = (200, 30, 30)
GREEN = (20, 180, 40)


def make_image(
    path: Path,
    *,
    size: tuple[int, int] = (MIN_SIDE, MIN_SIDE),
    mode: str = "RGB",
    image_format: str = "JPEG",
    colour: object = None,
    frames: int = 1,
    exif_orientation: int | None = None,
) -> Path:
    """Write a real image file of the given shape and return its path."""
    image = Image.new(mode, size, colour if colour is not None else _default_colour(mode))
    options: dict[str, object] = {}
    if frames > 1:
        options["save_all"] = True
        # Frames must differ: encoders merge identical ones into a still image.
        options["append_images"] = [Image.new(mode, size, index * 20) for index in range(1, frames)]
    if exif_orientation is not None:
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = exif_orientation
        options["exif"] = exif
    image.save(path, format=image_format, **options)
    return path


def make_noise_image(path: Path, *, image_format: str, side: int = 400) -> Path:
    """Write an image that does not compress, so cutting the file cuts into its pixels."""
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        path, format=image_format
    )
    return path


def _default_colour(mode: str) -> object:
    return {"RGB": RED, "RGBA": (*RED, 128), "CMYK": (0, 200, 200, 20), "LA": (90, 128)}.get(
        mode, 90
    )


def problem_codes(path: Path) -> set[str]:
    return {problem.code for problem in check_artwork(path).problems}


@pytest.mark.parametrize(
    ("image_format", "side"),
    [("JPEG", MIN_SIDE), ("PNG", MIN_SIDE), ("JPEG", MAX_SIDE), ("PNG", 2048)],
)
def test_check_artwork_accepts_square_rgb_jpeg_and_png(
    tmp_path: Path, image_format: str, side: int
) -> None:
    path = make_image(tmp_path / "art", size=(side, side), image_format=image_format)

    report = check_artwork(path)

    assert report.is_acceptable
    assert report.problems == ()
    assert (report.image.width, report.image.height) == (side, side)


@pytest.mark.parametrize(
    ("options", "expected_codes"),
    [
        ({"mode": "CMYK"}, {"colour"}),
        ({"mode": "P", "image_format": "PNG"}, {"colour"}),
        ({"mode": "RGBA", "image_format": "PNG"}, {"colour"}),
        ({"mode": "LA", "image_format": "PNG"}, {"colour"}),
        ({"mode": "L"}, {"colour"}),
        ({"mode": "I;16", "image_format": "PNG"}, {"colour"}),
        ({"size": (1600, 1400)}, {"not_square"}),
        ({"size": (1000, 1000)}, {"too_small"}),
        ({"size": (3200, 3200)}, {"too_large"}),
        ({"size": (1000, 3200)}, {"not_square", "too_small", "too_large"}),
        ({"image_format": "WEBP"}, {"format"}),
        ({"image_format": "BMP"}, {"format"}),
        ({"mode": "P", "image_format": "GIF", "frames": 2}, {"format", "animated", "colour"}),
    ],
)
def test_check_artwork_reports_each_problem(
    tmp_path: Path, options: dict[str, object], expected_codes: set[str]
) -> None:
    path = make_image(tmp_path / "art", **options)  # type: ignore[arg-type]

    assert problem_codes(path) == expected_codes


@pytest.mark.parametrize(
    ("options", "expected_words"),
    [
        ({"size": (1000, 1000)}, ["1000×1000 px", "at least 1400×1400 px"]),
        ({"size": (3200, 3200)}, ["3200×3200 px", "at most 3000×3000 px"]),
        ({"size": (1600, 1400)}, ["1600×1400 px", "square"]),
        ({"mode": "CMYK"}, ["CMYK", "RGB"]),
        ({"image_format": "BMP"}, ["BMP", "JPEG or PNG"]),
        ({"mode": "RGBA", "image_format": "PNG"}, ["transparent"]),
    ],
)
def test_check_artwork_explains_problems_in_producers_words(
    tmp_path: Path, options: dict[str, object], expected_words: list[str]
) -> None:
    path = make_image(tmp_path / "art", **options)  # type: ignore[arg-type]

    (problem,) = check_artwork(path).problems

    for words in expected_words:
        assert words in problem.message


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"This is a text file, not a picture.\n",
        b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb" * 500,
    ],
    ids=["empty", "text", "mp3"],
)
def test_inspect_image_refuses_non_images(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "upload.jpg"
    path.write_bytes(content)

    with pytest.raises(InvalidImage, match="not an image"):
        inspect_image(path)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_inspect_image_refuses_truncated_images(tmp_path: Path, image_format: str) -> None:
    path = make_noise_image(tmp_path / "upload", image_format=image_format)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    with pytest.raises(InvalidImage, match="damaged or incomplete"):
        inspect_image(path)


@pytest.mark.parametrize(
    "side",
    [8_000, 10_000, 14_000],
    ids=["over-our-limit", "over-pillow-warning-limit", "over-pillow-error-limit"],
)
def test_inspect_image_refuses_decompression_bombs(tmp_path: Path, side: int) -> None:
    # A one-bit blank image of this size compresses to a few kilobytes.
    path = make_image(
        tmp_path / "bomb.png", size=(side, side), mode="1", image_format="PNG", colour=0
    )
    assert path.stat().st_size < 200_000

    with pytest.raises(InvalidImage, match="million pixels"):
        inspect_image(path)


def test_inspect_image_refuses_more_pixels_than_the_given_limit(tmp_path: Path) -> None:
    path = make_image(tmp_path / "art.png", size=(100, 100), image_format="PNG")

    with pytest.raises(InvalidImage, match="million pixels"):
        inspect_image(path, max_pixels=9_999)


def test_inspect_image_reads_format_and_size_from_content(tmp_path: Path) -> None:
    path = make_image(tmp_path / "art.jpg", size=(300, 200), image_format="PNG")

    info = inspect_image(path)

    assert (info.format, info.mime_type, info.width, info.height) == ("PNG", "image/png", 300, 200)


@pytest.mark.parametrize(
    "options",
    [
        {"mode": "CMYK"},
        {"mode": "P", "image_format": "PNG"},
        {"mode": "RGBA", "image_format": "PNG"},
        {"mode": "LA", "image_format": "PNG"},
        {"mode": "L"},
        {"mode": "I;16", "image_format": "PNG"},
        {"size": (1600, 1400)},
        {"size": (1400, 2000)},
        {"size": (800, 800)},
        {"size": (4000, 4000)},
        {"size": (5000, 600)},
        {"image_format": "WEBP"},
        {"image_format": "BMP"},
        {"mode": "P", "image_format": "GIF", "frames": 3},
        {"exif_orientation": 6, "size": (1600, 1400)},
    ],
    ids=str,
)
def test_conform_artwork_output_passes_the_checks(
    tmp_path: Path, options: dict[str, object]
) -> None:
    source = make_image(tmp_path / "source", **options)  # type: ignore[arg-type]
    target = tmp_path / "conformed.jpg"

    result = conform_artwork(source, target)

    report = check_artwork(target)
    assert report.is_acceptable, report.problems
    assert report.image == result.image
    assert report.image.format == "JPEG"
    with Image.open(target) as written:
        assert written.info.get("progressive") or written.info.get("progression")


def test_conform_artwork_leaves_acceptable_jpeg_unchanged_in_shape(tmp_path: Path) -> None:
    source = make_image(tmp_path / "source.jpg", size=(2000, 2000))

    result = conform_artwork(source, tmp_path / "conformed.jpg")

    assert result.changes == ()
    assert result.warnings == ()
    assert (result.image.width, result.image.height) == (2000, 2000)


def test_conform_artwork_pads_so_nothing_near_the_edges_is_lost(tmp_path: Path) -> None:
    source = tmp_path / "banner.png"
    banner = Image.new("RGB", (2000, 1000), RED)
    banner.paste(GREEN, (0, 0, 100, 100))  # the title in the corner must survive
    banner.save(source)
    target = tmp_path / "conformed.jpg"

    result = conform_artwork(source, target)

    assert any("Padded from 2000×1000 px" in change for change in result.changes)
    with Image.open(target) as image:
        assert image.size == (2000, 2000)
        assert _close(image.getpixel((50, 550)), GREEN)
        assert _close(image.getpixel((1000, 100)), RED)  # padding takes the edge colour


def test_conform_artwork_warns_when_it_has_to_enlarge(tmp_path: Path) -> None:
    source = make_image(tmp_path / "small.jpg", size=(800, 800))

    result = conform_artwork(source, tmp_path / "conformed.jpg")

    assert (result.image.width, result.image.height) == (MIN_SIDE, MIN_SIDE)
    (warning,) = result.warnings
    assert "800×800" in warning
    assert "blurry" in warning


def test_conform_artwork_reduces_large_images_to_the_maximum(tmp_path: Path) -> None:
    source = make_image(tmp_path / "large.png", size=(4000, 4000), image_format="PNG")

    result = conform_artwork(source, tmp_path / "conformed.jpg")

    assert (result.image.width, result.image.height) == (MAX_SIDE, MAX_SIDE)
    assert result.warnings == ()


def test_conform_artwork_fills_transparency_with_white(tmp_path: Path) -> None:
    source = make_image(tmp_path / "logo.png", mode="RGBA", image_format="PNG", colour=(0, 0, 0, 0))
    target = tmp_path / "conformed.jpg"

    conform_artwork(source, target)

    with Image.open(target) as image:
        assert _close(image.getpixel((700, 700)), (255, 255, 255))


def test_conform_artwork_turns_camera_rotated_photos_upright(tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    photo = Image.new("RGB", (1600, 1400), RED)
    photo.paste(GREEN, (0, 0, 200, 200))  # top left as stored, top right as seen
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the camera was turned a quarter clockwise
    photo.save(source, exif=exif)
    target = tmp_path / "conformed.jpg"

    result = conform_artwork(source, target)

    assert any("upright" in change for change in result.changes)
    with Image.open(target) as image:
        # Seen upright the photo is 1400 wide, centred on a 1600 square.
        assert _close(image.getpixel((100 + 1400 - 100, 100)), GREEN)
        assert _close(image.getpixel((100 + 100, 100)), RED)


def test_conform_artwork_refuses_non_images(tmp_path: Path) -> None:
    source = tmp_path / "notes.png"
    source.write_text("not a picture")
    target = tmp_path / "conformed.jpg"

    with pytest.raises(InvalidImage):
        conform_artwork(source, target)
    assert not target.exists()


def _close(pixel: object, expected: tuple[int, int, int], tolerance: int = 12) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(int(got) - want) <= tolerance for got, want in zip(pixel, expected, strict=True))
