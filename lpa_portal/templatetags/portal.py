import re
import unicodedata

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from lpa_portal.markup import render_markdown

register = template.Library()

# Digits joined by the signs of ranges, times and dates ("10–12", "14:00–16:00", "2024/25").
NUMERIC_RUN = re.compile(r"\d+(?:\s?[–\-/:.,]\s?\d+)+")


@register.filter
def markdown(text: str) -> str:
    """Markdown to sanitised HTML: safe to print, whatever staff typed."""
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3 just above


@register.filter
def ltr(value) -> str:
    """A code, an address, a reference number, a time or a date kept in its own direction
    inside right-to-left text, escaped.

    Without a right-to-left letter ("WHO/MHP/RPQ/2024.3", "ABCD-EFGH-JKLM", an email address,
    "14:00–16:00") it reads left to right as a whole; a date written with Arabic month names
    reads right to left, but its runs of digits ("10–12") keep their order. Isolated either way
    (<bdi>), so that it does not reorder the words around it. Left-to-right pages are unchanged
    to the eye."""
    if value is None or value == "":
        return ""
    text = str(value)
    if not any(unicodedata.bidirectional(char) in ("R", "AL") for char in text):
        return mark_safe(f'<bdi dir="ltr">{conditional_escape(text)}</bdi>')  # noqa: S308 - escaped
    parts, last = [], 0
    for run in NUMERIC_RUN.finditer(text):
        parts.append(conditional_escape(text[last : run.start()]))
        parts.append(f'<bdi dir="ltr">{conditional_escape(run.group())}</bdi>')
        last = run.end()
    parts.append(conditional_escape(text[last:]))
    return mark_safe(f"<bdi>{''.join(parts)}</bdi>")  # noqa: S308 - each part escaped


@register.simple_tag
def font_stylesheet() -> str:
    """The stylesheet of the fonts the current language needs (Arabic, Cyrillic, Chinese), or ""
    for the languages that read well in the system fonts (English, French, Spanish)."""
    from lpa_portal.fonts import FONT_STYLESHEETS

    return FONT_STYLESHEETS.get(get_language() or "", "")
