from django import template
from django.utils.safestring import mark_safe

from lpa_portal.markup import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    """Markdown to sanitised HTML: safe to print, whatever staff typed."""
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3 just above
