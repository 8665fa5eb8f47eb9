from django import template
from django.db.models import Model
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext

from accounts.content_languages import language_name, page_language, translated
from lpa_portal.markup import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    """Markdown to sanitised HTML: safe to print, whatever staff typed."""
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3 just above


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
