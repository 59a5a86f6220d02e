"""Render producers' Markdown show notes to HTML that is safe on the site and in feeds."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

from catalog.text import clean_text

_markdown = MarkdownIt("commonmark", {"linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "a", "p", "br", "strong", "em", "b", "i", "u", "s", "ul", "ol", "li", "blockquote",
    "code", "pre", "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
MAX_NOTES_LENGTH = 100_000


def render_notes(markdown: str) -> str:
    """Return sanitized HTML for Markdown show notes (raw HTML in them is sanitized too)."""
    text = clean_text(markdown, max_length=MAX_NOTES_LENGTH, multiline=True)
    return sanitize_html(_markdown.render(text))


def sanitize_html(html: str) -> str:
    """Keep only harmless markup: no scripts, no event attributes, only http(s)/mailto links."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener nofollow",
    ).strip()
