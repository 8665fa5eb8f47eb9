import re
import unicodedata

from django import template
from django.db.models import Model
from django.template.defaultfilters import linebreaksbr
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext

from accounts.content_languages import language_name, page_language, translated
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


@register.filter
def content_text(obj, field: str) -> str:
    """A text staff wrote, in the page's language or else the source, as plain text: for
    attributes, the page's title and metadata, where no markup may go."""
    return translated(obj, field).value


@register.filter
def translated_here(obj, field: str) -> bool:
    """Whether the page shows a translation of `field` (not the source: an English page, or
    no translation into the page's language)."""
    return translated(obj, field).language != "en"


@register.simple_tag
def content(obj, field: str, markdown: bool = False, linebreaks: bool = False, words: int = 0):
    """A text staff wrote, in the page's language; the English source instead, marked
    `lang="en"` so that screen readers pronounce it right, when it has no translation
    (`content_note` says so on the page). Markdown goes through the one sanitiser; `words`
    shortens a summary as `truncatewords` does."""
    text = translated(obj, field)
    if markdown:
        html = mark_safe(render_markdown(text.value))  # noqa: S308 - sanitised by nh3
        element = "div"
    else:
        value = Truncator(text.value).words(words, truncate="…") if words else text.value
        html = linebreaksbr(value, autoescape=True) if linebreaks else value
        element = "span"
    if text.fallback:
        return format_html('<{0} lang="{1}">{2}</{0}>', element, text.language, html)
    return html


@register.simple_tag
def content_note(*pairs):
    """ "This text is not available in français", when one of the texts named has no
    translation in the page's language: `{% content_note event "title summary" %}`; several
    objects in pairs (`event "title" event.programme "name"`), or a list of objects (prefetched:
    `event.sessions.all`)."""
    for objects, fields in zip(pairs[::2], pairs[1::2], strict=True):
        for obj in [objects] if isinstance(objects, Model) or not objects else objects:
            if obj and any(translated(obj, field).fallback for field in fields.split()):
                message = gettext("This text is not available in %(language)s.") % {
                    "language": language_name(page_language())
                }
                return format_html('<p class="meta content-note">{}</p>', message)
    return ""
