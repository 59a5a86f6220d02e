"""Clean text that comes from outside (tags, forms, imported feeds).

One bad character in one tag must never break a feed or a page, so text is
cleaned once, when it enters the catalog.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 control characters except tab and newline, plus lone surrogates
# and the two non-characters XML 1.0 forbids.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def clean_text(value: str | bytes | None, *, max_length: int = 255, multiline: bool = False) -> str:
    """Return ``value`` as NFC text without control characters, cut to ``max_length``.

    Single-line text has runs of white space folded into one space; multi-line
    text keeps its newlines (``\\r\\n`` becomes ``\\n``).
    """
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = decode_bytes(value)
    value = unicodedata.normalize("NFC", value)
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
        value = _FORBIDDEN.sub("", value)
        value = "\n".join(line.rstrip() for line in value.split("\n")).strip()
    else:
        value = _FORBIDDEN.sub("", _SPACES.sub(" ", value)).strip()
    if len(value) > max_length:
        value = value[: max_length - 1].rstrip() + "…"
    return value


def decode_bytes(raw: bytes) -> str:
    """Decode bytes of unknown encoding: BOM-marked UTF-16/UTF-8, then UTF-8, then Latin-1."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
