"""Markdown written by staff, rendered to HTML and sanitised (nh3) so that no script survives."""

import re
import threading

import markdown as markdown_lib
import nh3

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr", "abbr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
EXTENSIONS = ["tables", "sane_lists"]

# Building a Markdown converter (its extensions, patterns and processors) costs more than most
# texts take to convert, and a page converts a dozen. Each thread keeps one and resets it before
# every text, as Python-Markdown provides for: a converter is not thread-safe, and nothing of a
# text is left in it for the next.
_local = threading.local()


def _converter() -> markdown_lib.Markdown:
    converter = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = markdown_lib.Markdown(extensions=EXTENSIONS)
    return converter


# Prose with nothing Markdown reads as markup: letters, digits, spaces and plain punctuation
# (no * _ ` [ < & # > - + = | \ !), no line indented or ending in a space (code, a line
# break), none starting with a digit (a numbered list). Python-Markdown makes of it a paragraph
# per block of lines, unchanged, as `_paragraphs` does without its parser, many times faster
# (tests/test_markup.py holds the two to the same output).
_PROSE = re.compile(r"(?:[^\W_]|[ \n.,;:?'\"()%/‘’“”–—…])*")
_NOT_PROSE_LINE = re.compile(r"^[\d ]| $", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n\n+")


def _is_prose(text: str) -> bool:
    return _PROSE.fullmatch(text) is not None and _NOT_PROSE_LINE.search(text) is None


def _paragraphs(text: str) -> str:
    """What Python-Markdown makes of prose (`_is_prose`)."""
    text = text.strip("\n")
    return "\n".join(f"<p>{block}</p>" for block in _BLANK_LINES.split(text)) if text else ""


def render_markdown(text: str) -> str:
    if not text:
        return ""
    html = _paragraphs(text) if _is_prose(text) else _converter().reset().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
