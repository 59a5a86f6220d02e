"""Generate the demo catalog's media: spoken episode audio and artwork.

Run once by a developer (needs espeak-ng and lame); the output is committed, so
neither is needed to install or run catalog:

    python catalog/demo/make_media.py
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent / "media"

SPOKEN = {
    "ispace-and-the-japanese-space-journey": (
        "Welcome to Space Cafe Radio. Today our guest is Takeshi Hakamada, founder and C E O "
        "of ispace. We talk about why the Moon matters to Japan, what the company learned from "
        "its first landing attempts, and how small commercial landers can carry science and "
        "business to the lunar surface. Chapter two. Lessons from landing. Chapter three. "
        "The cislunar economy."
    ),
    "welcome-to-space-cafe-radio": (
        "This is Space Cafe Radio from SpaceWatch Global. Every episode we sit down with the "
        "people who build the space industry, from launch and satellites to the Moon, and ask "
        "them what really happens behind the press releases."
    ),
    "europes-launcher-question": (
        "Space Cafe Radio. In this episode we look at Europe's launcher question: how new "
        "rockets, new companies and new rules change who gets to reach orbit, and what that "
        "means for the satellites Europe wants to fly."
    ),
}


def speak(text: str, target: Path) -> None:
    """Speak ``text`` to a small mono MP3 at ``target``."""
    with tempfile.TemporaryDirectory() as scratch:
        wav = Path(scratch) / "speech.wav"
        subprocess.run(["espeak-ng", "-v", "en-gb", "-s", "150", "-w", str(wav), text], check=True)
        subprocess.run(
            [
                "lame",
                "--quiet",
                "-m",
                "m",
                "-b",
                "48",
                "--resample",
                "22.05",
                str(wav),
                str(target),
            ],
            check=True,
        )


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",):
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size)


def draw_artwork(target: Path) -> None:
    """Draw the show's 1400 px square artwork: a night sky with the title."""
    size = 1400
    image = Image.new("RGB", (size, size))
    pixels = ImageDraw.Draw(image)
    for y in range(size):
        shade = int(18 + 40 * y / size)
        pixels.line([(0, y), (size, y)], fill=(shade // 2, shade // 2, shade + 30))
    for index in range(160):
        x, y = (index * 7919) % size, (index * 104729) % (size * 2 // 3)
        radius = 1 + index % 3
        pixels.ellipse([x - radius, y - radius, x + radius, y + radius], fill=(235, 235, 255))
    pixels.ellipse([880, 780, 1240, 1140], fill=(214, 210, 196))
    pixels.ellipse([960, 860, 1020, 920], fill=(188, 184, 170))
    pixels.text((110, 960), "Space Café", font=_font(150), fill=(255, 214, 102))
    pixels.text((110, 1130), "Radio", font=_font(150), fill=(255, 255, 255))
    image.save(target, "JPEG", quality=70, optimize=True, progressive=True)


def draw_monogram(initials: str, target: Path) -> None:
    """Draw a plain initials picture for a person page (no likeness of anyone)."""
    size = 1400
    image = Image.new("RGB", (size, size), (40, 62, 120))
    ImageDraw.Draw(image).text(
        (size // 2, size // 2), initials, font=_font(520), fill=(240, 240, 250), anchor="mm"
    )
    image.save(target, "JPEG", quality=70, optimize=True)


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for slug, text in SPOKEN.items():
        speak(text, HERE / f"{slug}.mp3")
    draw_artwork(HERE / "space-cafe-radio.jpg")
    draw_monogram("TH", HERE / "takeshi-hakamada.jpg")
