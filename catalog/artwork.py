"""Check images against what podcast apps accept, and convert those that fall short.

Apple Podcasts (and the directories that copy its rules) want show and episode
artwork as a JPEG or PNG in the RGB colour space, square, 1400 to 3000 pixels
a side. Producers rarely know this, so each problem is reported in words they
can act on, and :func:`conform_artwork` builds an image that passes so the
studio can offer "convert" instead of only refusing.

Pillow lives here and only here.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PIL import ExifTags, Image, ImageCms, ImageOps, ImageStat, UnidentifiedImageError

from catalog.errors import InvalidImage

APPLE_FORMATS = frozenset({"JPEG", "PNG"})
MIN_SIDE = 1400
MAX_SIDE = 3000
# 40 megapixels covers any camera a producer is likely to use (an RGBA decode
# of it is 160 MB) while refusing images built to exhaust memory when decoded.
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 88

# Pillow raises these (and only these, in practice) for images it cannot decode.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    struct.error,
)


@dataclass(frozen=True)
class ImageInfo:
    """What an image file is, read from its decoded content."""

    format: str
    mime_type: str
    width: int
    height: int
    mode: str
    is_animated: bool


@dataclass(frozen=True)
class ArtworkProblem:
    """One reason an image is not acceptable as podcast artwork."""

    code: str
    message: str


@dataclass(frozen=True)
class ArtworkReport:
    """An image and everything that keeps it from being podcast artwork."""

    image: ImageInfo
    problems: tuple[ArtworkProblem, ...]

    @property
    def is_acceptable(self) -> bool:
        """Tell whether podcast directories will take the image as it is."""
        return not self.problems


@dataclass(frozen=True)
class ConformedArtwork:
    """The converted image, what was changed, and what the producer should know."""

    image: ImageInfo
    changes: tuple[str, ...]
    warnings: tuple[str, ...]


def inspect_image(path: Path, *, max_pixels: int = MAX_PIXELS) -> ImageInfo:
    """Decode the whole image so that non-images, bombs and truncated files are refused early."""
    with _open_decoded(path, max_pixels=max_pixels) as image:
        return _info(image)


def check_artwork(path: Path, *, max_pixels: int = MAX_PIXELS) -> ArtworkReport:
    """Report every way the image at ``path`` falls short of Apple's artwork rules."""
    info = inspect_image(path, max_pixels=max_pixels)
    return ArtworkReport(image=info, problems=tuple(_problems(info)))


def conform_artwork(src: Path, dst: Path, *, max_pixels: int = MAX_PIXELS) -> ConformedArtwork:
    """Write to ``dst`` a JPEG of ``src`` that passes Apple's artwork rules.

    Non-square images are padded, not cropped: artwork usually carries the show's
    title and logo near its edges, and cropping would cut them off silently,
    while a border in the colour of the image's own edge keeps everything and is
    barely visible at the sizes apps show artwork.
    """
    changes: list[str] = []
    notes: list[str] = []
    with _open_decoded(src, max_pixels=max_pixels) as original:
        source = _info(original)
        if source.format not in APPLE_FORMATS:
            changes.append(f"Converted from {source.format} to JPEG.")
        if source.is_animated:
            changes.append("Kept only the first frame of the animation.")
        if original.getexif().get(ExifTags.Base.Orientation, 1) != 1:
            changes.append("Turned upright as the camera recorded it.")
        image = ImageOps.exif_transpose(original)
        image, colour_change = _to_rgb(image)
        if colour_change:
            changes.append(colour_change)
    if image.width != image.height:
        changes.append(f"Padded from {image.width}×{image.height} px to a square.")
        image = _pad_to_square(image)
    side = image.width
    if side < MIN_SIDE:
        notes.append(
            f"The image was enlarged from {side}×{side} px to {MIN_SIDE}×{MIN_SIDE} px "
            "and may look blurry; upload a larger original if you have one."
        )
        image = image.resize((MIN_SIDE, MIN_SIDE), Image.Resampling.LANCZOS)
    elif side > MAX_SIDE:
        changes.append(f"Reduced from {side}×{side} px to {MAX_SIDE}×{MAX_SIDE} px.")
        image = image.resize((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    if source.format != "JPEG":
        changes.append("Saved as JPEG.")
    image.save(
        dst,
        format="JPEG",
        quality=JPEG_QUALITY,
        progressive=True,
        optimize=True,
        icc_profile=image.info.get("icc_profile"),
    )
    return ConformedArtwork(image=inspect_image(dst), changes=tuple(changes), warnings=tuple(notes))


@contextmanager
def _open_decoded(path: Path, *, max_pixels: int) -> Iterator[Image.Image]:
    """Open and fully decode an image, turning every decoding failure into InvalidImage."""
    try:
        image = Image.open(path)
    except UnidentifiedImageError:
        raise InvalidImage("The file is not an image we can read; upload a JPEG or PNG.") from None
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        # The warning arrives as an exception only where warnings are errors (tests).
        raise InvalidImage(_too_many_pixels_message(max_pixels)) from None
    except _DECODE_ERRORS:
        raise InvalidImage(_damaged_message()) from None
    with image:
        _refuse_oversized(image, max_pixels)
        try:
            image.load()
        except _DECODE_ERRORS:
            raise InvalidImage(_damaged_message()) from None
        yield image


def _refuse_oversized(image: Image.Image, max_pixels: int) -> None:
    """Refuse before decoding: the header alone tells how much memory decoding would take."""
    width, height = image.size
    if width <= 0 or height <= 0:
        raise InvalidImage("The image has no pixels.")
    if width * height > max_pixels:
        raise InvalidImage(_too_many_pixels_message(max_pixels))


def _damaged_message() -> str:
    return "The image is damaged or incomplete (was the upload cut short?); please upload it again."


def _too_many_pixels_message(max_pixels: int) -> str:
    return (
        f"The image has more than {max_pixels / 1_000_000:g} million pixels; "
        f"artwork needs at most {MAX_SIDE}×{MAX_SIDE} px, so please upload a smaller version."
    )


def _info(image: Image.Image) -> ImageInfo:
    image_format = image.format or "unknown"
    return ImageInfo(
        format=image_format,
        mime_type=Image.MIME.get(image_format, "application/octet-stream"),
        width=image.width,
        height=image.height,
        mode=image.mode,
        is_animated=bool(getattr(image, "is_animated", False)),
    )


def _problems(info: ImageInfo) -> list[ArtworkProblem]:
    problems: list[ArtworkProblem] = []
    if info.format not in APPLE_FORMATS:
        problems.append(
            ArtworkProblem(
                "format",
                f"The artwork is a {info.format} image; Apple Podcasts accepts only JPEG or PNG.",
            )
        )
    if info.is_animated:
        problems.append(
            ArtworkProblem("animated", "The artwork is animated; podcast apps need a still image.")
        )
    colour = _colour_problem(info.mode)
    if colour:
        problems.append(ArtworkProblem("colour", colour))
    size = f"{info.width}×{info.height} px"
    if info.width != info.height:
        problems.append(
            ArtworkProblem(
                "not_square", f"The artwork is {size}; it must be square (as wide as it is tall)."
            )
        )
    if min(info.width, info.height) < MIN_SIDE:
        problems.append(
            ArtworkProblem(
                "too_small",
                f"The artwork is {size}; Apple Podcasts needs at least {MIN_SIDE}×{MIN_SIDE} px.",
            )
        )
    if max(info.width, info.height) > MAX_SIDE:
        problems.append(
            ArtworkProblem(
                "too_large",
                f"The artwork is {size}; Apple Podcasts accepts at most {MAX_SIDE}×{MAX_SIDE} px.",
            )
        )
    return problems


def _colour_problem(mode: str) -> str | None:
    if mode == "RGB":
        return None
    if mode == "CMYK":
        return "The artwork uses CMYK colours (meant for print); podcast apps need RGB colours."
    if mode in ("RGBA", "LA", "PA") or mode.endswith("a"):
        return "The artwork has transparent areas; podcast apps need an opaque RGB image."
    if mode == "P":
        return "The artwork uses an indexed colour palette; podcast apps need full RGB colour."
    if mode in ("1", "L") or mode.startswith("I"):
        return "The artwork is black and white or greyscale; podcast apps need an RGB image."
    return f"The artwork uses the {mode} colour space; podcast apps need RGB colours."


def _to_rgb(image: Image.Image) -> tuple[Image.Image, str | None]:
    """Return the image in RGB and a note on what changed, if anything did."""
    if image.mode == "RGB":
        return image, None
    if image.mode == "CMYK":
        return _cmyk_to_rgb(image), "Converted CMYK print colours to RGB."
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        rgba = image.convert("RGBA")
        # Apps show artwork on light and dark backgrounds alike; white is what
        # most transparent logos were designed against.
        flattened = Image.new("RGB", rgba.size, (255, 255, 255))
        flattened.paste(rgba, mask=rgba.getchannel("A"))
        return flattened, "Filled transparent areas with white."
    if image.mode == "P":
        return image.convert("RGB"), "Converted the indexed colour palette to full RGB colour."
    if image.mode.startswith("I"):
        # 16/32-bit greyscale: scale to 8 bits before Pillow's convert, which would clip.
        grey = image.convert("I").point(lambda value: value / 256).convert("L")
        return grey.convert("RGB"), "Converted greyscale to RGB."
    return image.convert("RGB"), f"Converted the {image.mode} colour space to RGB."


def _cmyk_to_rgb(image: Image.Image) -> Image.Image:
    """Convert with the file's own colour profile if it has one: the naive formula shifts hues."""
    profile = image.info.get("icc_profile")
    if profile:
        try:
            converted = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None
        if converted is not None:
            converted.info.pop("icc_profile", None)
            return converted
    rgb = image.convert("RGB")
    rgb.info.pop("icc_profile", None)
    return rgb


def _pad_to_square(image: Image.Image) -> Image.Image:
    """Centre the image on a square in the average colour of the edges being extended."""
    side = max(image.width, image.height)
    if image.width > image.height:
        strips = [(0, 0, image.width, 1), (0, image.height - 1, image.width, image.height)]
    else:
        strips = [(0, 0, 1, image.height), (image.width - 1, 0, image.width, image.height)]
    means = [ImageStat.Stat(image.crop(box)).mean for box in strips]
    fill = tuple(round(sum(channel) / len(means)) for channel in zip(*means, strict=True))
    square = Image.new("RGB", (side, side), fill)
    square.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
    if "icc_profile" in image.info:
        square.info["icc_profile"] = image.info["icc_profile"]
    return square
