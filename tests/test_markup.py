"""Markdown written by staff: prose skips the Markdown parser and gives the same HTML."""

import random

import nh3

from lpa_portal import markup

# Words and punctuation of prose, the characters of markup, and the whitespace that changes
# what Markdown makes of a line (indented, a line break, blank lines, tabs).
PIECES = [
    "quality", "GMP", "Genève", "контроль", "الجودة", "质量", "²", "2024", "1", "٣",
    " ", " ", "  ", "\n", "\n", "\n\n", "\n\n\n", "\t", "\r\n", "\u00a0",
    ".", ",", ";", ":", "?", "'", '"', "(", ")", "%", "/", "’", "“", "”", "–", "—", "…",
    "*", "_", "`", "[", "]", "<", ">", "&", "#", "-", "+", "=", "|", "\\", "!", "~",
    "1. ", "- ", "    ", "http://example.org", "&amp;", "<b>",
]  # fmt: skip


def _markdown_itself(text: str) -> str:
    html = markup._converter().reset().convert(text)
    return nh3.clean(
        html,
        tags=markup.ALLOWED_TAGS,
        attributes=markup.ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def test_prose_gives_what_markdown_gives():
    pick = random.Random(13)
    prose = 0
    for _ in range(20000):
        text = "".join(pick.choice(PIECES) for _ in range(pick.randint(1, 14)))
        prose += markup._is_prose(text)
        assert markup.render_markdown(text) == _markdown_itself(text), repr(text)
    assert prose > 1000  # the short way was taken often enough to be tested


def test_paragraphs_of_prose():
    text = "Good manufacturing practice.\nQuality (QA/QC), 100%.\n\n\nSecond paragraph…\n"
    assert markup._is_prose(text)
    assert markup.render_markdown(text) == (
        "<p>Good manufacturing practice.\nQuality (QA/QC), 100%.</p>\n<p>Second paragraph…</p>"
    )
    assert markup.render_markdown(text) == _markdown_itself(text)


def test_markup_is_not_prose():
    for text in ["*a*", "1. one", "a  \nb", "    code", "a & b", "<script>x</script>", "# A"]:
        assert not markup._is_prose(text)
