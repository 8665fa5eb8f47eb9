"""The certificate of attendance as a PDF, and the look-up of a certificate by its code.

fpdf2 and segno are pure Python: no system libraries. DejaVu Sans ships with the project
(events/fonts, with its licence) so that names print whatever their script: Latin with any
accents, Cyrillic, Greek, Armenian, Georgian, Hebrew and Arabic. It has no Chinese, Japanese or
Korean glyphs. Arabic letters are joined here (their presentation forms) and right-to-left text
is put in visual order with fpdf2's bidi algorithm, because fpdf2 only shapes text with the
optional uharfbuzz library.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC
from functools import cache
from io import BytesIO
from itertools import chain
from pathlib import Path

import segno
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.bidi import BidiParagraph, auto_detect_base_direction

from events.attendance import certificate_normalise_code
from events.models import Certificate

FONTS = Path(__file__).parent / "fonts"
REGULAR = FONTS / "DejaVuSans.ttf"
BOLD = FONTS / "DejaVuSans-Bold.ttf"

BLUE = (11, 83, 148)  # the portal's --primary
TEXT = (27, 39, 51)
GREY = (77, 91, 105)
ISSUER = "World Health Organization — Local Production & Assistance Unit"


def certificate_by_code(*, code: str) -> Certificate | None:
    """The certificate with this code, typed in any case, with or without its dashes."""
    normalised = certificate_normalise_code(code)
    if not normalised:
        return None
    return Certificate.objects.select_related("registration__event").filter(code=normalised).first()


def certificate_pdf(*, certificate: Certificate, language: str, verify_url: str) -> bytes:
    """The certificate on one A4 landscape page, in the given language, with a QR code of the
    page that verifies it. The same certificate always gives the same bytes."""
    with translation.override(language):
        pdf = FPDF(orientation="landscape", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(20, 20, 20)
        pdf.add_font("DejaVu", "", str(REGULAR))
        pdf.add_font("DejaVu", "B", str(BOLD))
        pdf.set_title(f"{_('Certificate of attendance')} – {certificate.full_name}")
        pdf.set_subject(certificate.event_title)
        pdf.set_author("WHO LPA")
        pdf.set_creator("LPA Portal")
        pdf.set_lang(language)
        pdf.set_creation_date(certificate.issued_at)
        pdf.add_page()
        _draw(pdf, certificate, verify_url)
        return bytes(pdf.output())


def _draw(pdf: FPDF, certificate: Certificate, verify_url: str) -> None:
    width = pdf.w - pdf.l_margin - pdf.r_margin

    # A double frame.
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, pdf.w - 26, pdf.h - 26)

    def line(text: str, *, y: float | None = None, size: float, bold=False, colour=TEXT, h=None):
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.set_text_color(*colour)
        if y is not None:
            pdf.set_y(y)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(width, h or size * 0.5, _visual(text), align="C")

    line(ISSUER.upper(), y=22, size=10, bold=True, colour=BLUE)
    line(_("Certificate of attendance"), y=36, size=30, bold=True, colour=BLUE, h=14)
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(0.6)
    pdf.line(pdf.w / 2 - 30, 54, pdf.w / 2 + 30, 54)

    line(_("This is to certify that"), y=62, size=14, colour=GREY)
    name = _visual(certificate.full_name)
    size = _fitting_size(pdf, name, width=width, largest=28, smallest=16)
    line(certificate.full_name, y=72, size=size, bold=True, h=size * 0.5)
    line(_("attended"), y=pdf.get_y() + 5, size=14, colour=GREY)
    title = _visual(certificate.event_title)
    size = _fitting_size(pdf, title, width=width * 2, largest=18, smallest=13)
    line(certificate.event_title, y=pdf.get_y() + 4, size=size, bold=True, h=size * 0.5)
    line(certificate.event_dates, y=pdf.get_y() + 3, size=13, h=7)
    sessions = ngettext(
        "%(attended)d of %(total)d session attended",
        "%(attended)d of %(total)d sessions attended",
        certificate.sessions_total,
    ) % {"attended": certificate.sessions_attended, "total": certificate.sessions_total}
    line(sessions, y=pdf.get_y() + 1, size=13, colour=GREY, h=7)

    # The foot: when and by whom it was issued, the code, and how to verify it.
    qr_size = 34
    qr_x, qr_y = pdf.w - pdf.r_margin - qr_size, pdf.h - 20 - qr_size
    left = width - qr_size - 10
    issued = date_format(timezone.localtime(certificate.issued_at, UTC), "DATE_FORMAT")
    rows = [
        (_("Issued on %(date)s") % {"date": issued}, 11, "", TEXT),
        (ISSUER, 11, "", TEXT),
        (_("Certificate code: %(code)s") % {"code": certificate.code}, 12, "B", BLUE),
        (_("Check this certificate at:"), 8, "", GREY),
        (verify_url, 8, "", GREY),
    ]
    pdf.set_y(qr_y - 1)
    for text, size, style, colour in rows:
        pdf.set_x(pdf.l_margin)
        pdf.set_font("DejaVu", style, size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(left, size * 0.55, _visual(text), align="L")
        pdf.set_y(pdf.get_y() + 1)

    qr = BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=6, border=2)
    qr.seek(0)
    pdf.image(
        qr,
        x=qr_x,
        y=qr_y,
        w=qr_size,
        h=qr_size,
        alt_text=_("QR code of %(url)s") % {"url": verify_url},
    )


def _fitting_size(pdf: FPDF, text: str, *, width: float, largest: float, smallest: float):
    """The largest font size, down to `smallest`, at which the text fits on one line (or in
    `width`, which may be several lines' worth); longer texts wrap at the smallest size."""
    size = largest
    while size > smallest:
        pdf.set_font("DejaVu", "B", size)
        if pdf.get_string_width(text) <= width:
            return size
        size -= 1
    return smallest


# --- Right-to-left text -------------------------------------------------------------------------

ALEFS = {"\u0622", "\u0623", "\u0625", "\u0627"}  # the letters lam joins with into one glyph
LAM = "\u0644"
JOIN_CAUSING = {"\u0640", "\u200d"}  # tatweel, zero width joiner


@cache
def _arabic_forms() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]], set[str]]:
    """From Unicode's presentation forms: each letter's forms (isolated, final, initial, medial)
    that the font has, the lam-alef ligatures, and the letters that join on both sides."""
    with TTFont(str(REGULAR), lazy=True) as font:
        available = set(font.getBestCmap())
    with TTFont(str(BOLD), lazy=True) as font:
        available &= set(font.getBestCmap())
    forms: dict[str, dict[str, str]] = {}
    ligatures: dict[str, dict[str, str]] = {}
    dual: set[str] = set()
    for code in chain(range(0xFB50, 0xFE00), range(0xFE70, 0xFF00)):
        decomposition = unicodedata.decomposition(chr(code)).split()
        if len(decomposition) < 2:
            continue
        tag, letters = decomposition[0].strip("<>"), decomposition[1:]
        if tag not in ("isolated", "final", "initial", "medial"):
            continue
        base = "".join(chr(int(letter, 16)) for letter in letters)
        if len(base) == 1:
            if tag in ("initial", "medial"):
                dual.add(base)
            if code in available:
                forms.setdefault(base, {}).setdefault(tag, chr(code))
        elif len(base) == 2 and base[0] == LAM and base[1] in ALEFS and code in available:
            ligatures.setdefault(base[1], {}).setdefault(tag, chr(code))
    return forms, ligatures, dual


def _shape_arabic(text: str) -> str:
    """Arabic letters in the form their position calls for (still in logical order)."""
    forms, ligatures, dual = _arabic_forms()

    def joining(char: str | None) -> str:
        if char is None:
            return "U"
        if char in JOIN_CAUSING or char in dual:
            return "D"
        if char in forms:
            return "R"
        if unicodedata.category(char) in ("Mn", "Me"):
            return "T"
        return "U"

    chars = list(text)

    def neighbour(index: int, step: int) -> str | None:
        index += step
        while 0 <= index < len(chars):
            if joining(chars[index]) != "T":
                return chars[index]
            index += step
        return None

    shaped = []
    skip = False
    for index, char in enumerate(chars):
        if skip:
            skip = False
            continue
        kind = joining(char)
        if kind not in ("D", "R") or char not in forms:
            shaped.append(char)
            continue
        after_joiner = joining(neighbour(index, -1)) == "D"
        following = neighbour(index, +1)
        if char == LAM and index + 1 < len(chars) and chars[index + 1] in ligatures:
            variant = ligatures[chars[index + 1]]
            ligature = variant.get("final" if after_joiner else "isolated")
            if ligature:
                shaped.append(ligature)
                skip = True
                continue
        before_joiner = kind == "D" and joining(following) in ("D", "R")
        form = {
            (True, True): "medial",
            (True, False): "final",
            (False, True): "initial",
            (False, False): "isolated",
        }[(after_joiner, before_joiner)]
        shaped.append(forms[char].get(form, char))
    return "".join(shaped)


def _visual(text: str) -> str:
    """The text as it is drawn from left to right: composed accents, Arabic joined, and
    right-to-left runs reversed (fpdf2 draws characters in the order it is given them)."""
    text = unicodedata.normalize("NFC", str(text))
    if not any(unicodedata.bidirectional(char) in ("R", "AL") for char in text):
        return text
    shaped = _shape_arabic(text)
    paragraph = BidiParagraph(text=shaped, base_direction=auto_detect_base_direction(shaped))
    return paragraph.get_reordered_string()
