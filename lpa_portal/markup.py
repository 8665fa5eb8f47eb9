"""Markdown written by staff, rendered to HTML and sanitised (nh3) so that no script survives."""

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


def render_markdown(text: str) -> str:
    if not text:
        return ""
    html = _converter().reset().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
