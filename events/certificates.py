"""The certificate of attendance as a PDF, and the look-up of a certificate by its code.

fpdf2 and segno are pure Python; uharfbuzz (HarfBuzz, the shaping engine of browsers) comes as a
wheel. Fonts ship with the project (events/fonts, with their licences) so that certificates in
every language, and names whatever their script, print: DejaVu Sans for Latin with any accents,
Cyrillic, Greek, Armenian, Georgian and Hebrew; Noto Sans Arabic for Arabic; Noto Sans SC for
Chinese (the 6,763 hanzi of GB 2312, see lpa_portal/fonts.py). A line with Arabic letters is set
in Noto Sans Arabic, any other in DejaVu Sans, and characters the font lacks come from the others
(fpdf2's fallback fonts). fpdf2's text shaping (HarfBuzz) joins Arabic letters and puts
right-to-left text in its order (the Unicode bidirectional algorithm), so nothing is shaped by
hand here.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC
from io import BytesIO
from pathlib import Path

import segno
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from fpdf import FPDF

from events.attendance import certificate_normalise_code
from events.models import Certificate

# Digits joined by the signs of ranges, times and dates ("10–12", "14:00–16:00", "2024/25").
NUMERIC_RUN = re.compile(r"\d+(?:\s?[–\-/:.,]\s?\d+)+")
FONTS = Path(__file__).parent / "fonts"
# family: (regular, bold)
FAMILIES = {
    "DejaVu": (FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"),
    "NotoArabic": (FONTS / "NotoSansArabic-Regular.ttf", FONTS / "NotoSansArabic-Bold.ttf"),
    "NotoSC": (FONTS / "NotoSansSC-Regular.otf", FONTS / "NotoSansSC-Bold.otf"),
}

BLUE = (11, 83, 148)  # the portal's --primary
TEXT = (27, 39, 51)
GREY = (77, 91, 105)


def _issuer() -> str:
    return _("World Health Organization — Local Production & Assistance Unit")


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
        for family, (regular, bold) in FAMILIES.items():
            pdf.add_font(family, "", str(regular))
            pdf.add_font(family, "B", str(bold))
        pdf.set_fallback_fonts(["DejaVu", "NotoArabic", "NotoSC"])
        pdf.set_text_shaping(True)
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
        text = _composed(text)
        pdf.set_font(_family(text), "B" if bold else "", size)
        pdf.set_text_color(*colour)
        if y is not None:
            pdf.set_y(y)
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(width, h or size * 0.5, text, align="C")

    line(_issuer().upper(), y=22, size=10, bold=True, colour=BLUE)
    line(_("Certificate of attendance"), y=36, size=30, bold=True, colour=BLUE, h=14)
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(0.6)
    pdf.line(pdf.w / 2 - 30, 54, pdf.w / 2 + 30, 54)

    line(_("This is to certify that"), y=62, size=14, colour=GREY)
    name = _composed(certificate.full_name)
    size = _fitting_size(pdf, name, width=width, largest=28, smallest=16)
    line(certificate.full_name, y=72, size=size, bold=True, h=size * 0.5)
    line(_("attended"), y=pdf.get_y() + 5, size=14, colour=GREY)
    title = _composed(certificate.event_title)
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
        (_issuer(), 11, "", TEXT),
        (_("Certificate code: %(code)s") % {"code": certificate.code}, 12, "B", BLUE),
        (_("Check this certificate at:"), 8, "", GREY),
        (verify_url, 8, "", GREY),
    ]
    right_to_left = translation.get_language_bidi()
    pdf.set_y(qr_y - 1)
    for text, size, style, colour in rows:
        text = _composed(text)
        pdf.set_x(pdf.l_margin)
        pdf.set_font(_family(text), style, size)
        pdf.set_text_color(*colour)
        # The foot starts where the lines of the certificate's language start.
        pdf.multi_cell(left, size * 0.55, text, align="R" if right_to_left else "L")
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
        pdf.set_font(_family(text), "B", size)
        if pdf.get_string_width(text) <= width:
            return size
        size -= 1
    return smallest


def _composed(text: str) -> str:
    """Accents typed as separate marks drawn as the accented letters that fonts have; in
    right-to-left text, the runs of digits of ranges and times ("10–12", "14:00–16:00") isolated
    left to right (Unicode's LRI … PDI, which fpdf2's bidirectional algorithm honours), as
    pages keep them with <bdi dir="ltr">, or Arabic would show 12–10."""
    text = unicodedata.normalize("NFC", str(text))
    if _right_to_left(text):
        text = NUMERIC_RUN.sub(lambda run: f"\u2066{run.group()}\u2069", text)
    return text


def _right_to_left(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


def _family(text: str) -> str:
    """Noto Sans Arabic for a line with Arabic letters (its Latin comes from DejaVu Sans), else
    DejaVu Sans (Chinese comes from Noto Sans SC)."""
    return "NotoArabic" if _right_to_left(text) else "DejaVu"
