"""The fonts the portal ships for the scripts that systems often lack: Arabic, Cyrillic and
Chinese (simplified), cut from Debian's Noto fonts (SIL Open Font License 1.1, text in
static/fonts/OFL.txt and events/fonts/OFL.txt). `manage.py subset_fonts` makes them again, for
instance after new strings are translated into Chinese.

Pages: WOFF2 files in static/fonts/ and one stylesheet per language that needs them
(static/css/fonts-<language>.css, linked only from pages in that language, see
`FONT_STYLESHEETS`), whose faces are limited by `unicode-range`: Latin text keeps the system
fonts, and a browser downloads a file only when the page has a character of its range and no
installed Noto font answers first (`local()`). Chinese is cut in two: the characters of the
interface (the catalogues, Django's and allauth's too, and the demo content) in one file, those
of the names of countries in another (for the pages that list them), then the 3,755 common hanzi
of GB 2312's first level in ranges of code points, fetched only by pages whose text has one of
them. Chinese has one weight (browsers embolden it); Arabic and Cyrillic have two.

Certificates: TrueType/OpenType files in events/fonts/ for fpdf2, which embeds only the glyphs a
certificate uses: Noto Sans Arabic (the Arabic blocks) and Noto Sans SC (all 6,763 hanzi of
GB 2312, which covers the names people write, and the interface's characters), beside DejaVu
Sans (Latin, Greek, Cyrillic and more), which was there before.

Needs Debian's `fonts-noto-core` and `fonts-noto-cjk`, and `brotli` (a development dependency)
for WOFF2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

NOTO = Path("/usr/share/fonts/truetype/noto")
NOTO_CJK = Path("/usr/share/fonts/opentype/noto")
# Index of Noto Sans CJK SC in Debian's collection (JP, KR, SC, TC, HK, then the monospaced).
CJK_SC_INDEX = 2

STATIC_FONTS = Path(settings.BASE_DIR) / "static" / "fonts"
STATIC_CSS = Path(settings.BASE_DIR) / "static" / "css"
PDF_FONTS = Path(settings.BASE_DIR) / "events" / "fonts"

# The stylesheet of fonts each language's pages link (base.html); other languages have none.
FONT_STYLESHEETS = {
    "ar": "css/fonts-ar.css",
    "ru": "css/fonts-ru.css",
    "zh-hans": "css/fonts-zh-hans.css",
}

# Arabic, Arabic Supplement and Extended-A, the joiners and direction marks, the presentation
# forms.
ARABIC = [
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x08A0, 0x08FF),
    (0x200C, 0x200F),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
]
# Certificates: the spaces, digits and punctuation too, so that an Arabic line is one run of one
# font (fpdf2 shapes each run apart).
ARABIC_PDF = [(0x0020, 0x0040), (0x00A0, 0x00BF), *ARABIC]
# Pages need no presentation forms: browsers shape Arabic from the letters.
ARABIC_WEB = [(0x0600, 0x06FF), (0x0750, 0x077F), (0x200C, 0x200F)]
# Russian and the languages of Central Asia written in Cyrillic (Kazakh, Kyrgyz, Tajik…).
CYRILLIC = [(0x0400, 0x04FF), (0x2116, 0x2116)]
# CJK symbols and punctuation, full-width forms.
CJK_PUNCTUATION = [(0x3000, 0x303F), (0xFF00, 0xFFEF)]
HANZI = (0x4E00, 0x9FFF)
# Files whose Chinese characters the interface shows (the catalogues of the libraries whose
# strings pages show: Django's dates and form errors, its password rules, allauth's pages).
INTERFACE_SOURCES = [
    "locale/zh_Hans/LC_MESSAGES/django.po",
    "accounts/demo.py",
    "events/demo.py",
    "repository/demo.py",
    "lpa_portal/demo.py",
    "django:conf/locale/zh_Hans/LC_MESSAGES/django.po",
    "django:contrib/auth/locale/zh_Hans/LC_MESSAGES/django.po",
    "allauth:locale/zh_Hans/LC_MESSAGES/django.po",
]
# The names of countries: the country fields and the places of events.
COUNTRY_SOURCES = [
    "accounts/data/who_member_states.csv",
    "django_countries:locale/zh_Hans/LC_MESSAGES/django.po",
]
HANZI_CHUNKS = 8


@dataclass(frozen=True)
class Face:
    family: str
    weight: int
    file: str  # under static/fonts/
    unicode_range: str
    local_names: tuple[str, ...] = ()


def _codepoints(ranges) -> set[int]:
    return {code for start, end in ranges for code in range(start, end + 1)}


def unicode_range(codes) -> str:
    """`U+4E00-4E0B, U+4E2D`…: consecutive code points joined into ranges."""
    codes = sorted(set(codes))
    parts, start = [], None
    for index, code in enumerate(codes):
        if start is None:
            start = code
        if index + 1 == len(codes) or codes[index + 1] != code + 1:
            parts.append(f"U+{start:04X}" + (f"-{code:04X}" if code != start else ""))
            start = None
    return ", ".join(parts)


def gb2312_hanzi(*, first_level_only: bool) -> set[int]:
    """The hanzi of GB 2312: its first level (3,755 in common use) or both (6,763)."""
    last_row = 0xD7 if first_level_only else 0xF7
    codes = set()
    for row in range(0xB0, last_row + 1):
        for cell in range(0xA1, 0xFF):
            try:
                codes.add(ord(bytes([row, cell]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return codes


def _hanzi_of(sources: list[str]) -> set[int]:
    """The Chinese characters of these files: the project's, or a package's ("package:path",
    whose translations only are read)."""
    import importlib
    import re

    codes = set()
    for source in sources:
        package, _, name = source.rpartition(":")
        if package:
            path = Path(importlib.import_module(package).__file__).parent / name
            text = path.read_text(encoding="utf-8")
            # The translations, not the translators' names in the comments.
            text = "".join(re.findall(r'^(?:msgstr(?:\[\d\])? |)"(.*)"$', text, flags=re.M))
        else:
            path = Path(settings.BASE_DIR) / name
            text = path.read_text(encoding="utf-8") if path.exists() else ""
        codes |= {ord(char) for char in text if ord(char) >= 0x2E80}
    return codes


def interface_hanzi() -> set[int]:
    """The Chinese characters that every page may show (translations, demo content)."""
    return _hanzi_of(INTERFACE_SOURCES)


def country_hanzi() -> set[int]:
    """The characters of the names of countries that the interface's lack."""
    return _hanzi_of(COUNTRY_SOURCES) - interface_hanzi()


def _subset(source: Path, codes, output: Path, *, woff2: bool, font_number: int = 0) -> int:
    from fontTools import subset

    options = subset.Options()
    options.font_number = font_number
    # Hinting is for low-resolution screens of another era; without it the files are a third
    # smaller. Desubroutinised CFF compresses better in WOFF2.
    options.hinting = False
    options.desubroutinize = woff2
    options.flavor = "woff2" if woff2 else None
    options.name_IDs = ["*"]  # keep the names, the copyright and the licence in the file
    options.name_languages = ["*"]
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codes))
    subsetter.subset(font)
    output.parent.mkdir(parents=True, exist_ok=True)
    subset.save_font(font, str(output), options)
    return output.stat().st_size


def web_faces() -> dict[str, list[Face]]:
    """The faces of each language's stylesheet, in the order they are declared."""
    arabic = unicode_range(_codepoints(ARABIC_WEB))
    cyrillic = unicode_range(_codepoints(CYRILLIC))
    faces = {
        "ar": [
            Face("LPA Arabic", 400, "noto-sans-arabic-400.woff2", arabic,
                 ("Noto Sans Arabic", "Noto Sans Arabic Regular", "NotoSansArabic-Regular")),
            Face("LPA Arabic", 700, "noto-sans-arabic-700.woff2", arabic,
                 ("Noto Sans Arabic Bold", "NotoSansArabic-Bold")),
        ],
        "ru": [
            Face("LPA Cyrillic", 400, "noto-sans-cyrillic-400.woff2", cyrillic,
                 ("Noto Sans", "Noto Sans Regular", "NotoSans-Regular")),
            Face("LPA Cyrillic", 700, "noto-sans-cyrillic-700.woff2", cyrillic,
                 ("Noto Sans Bold", "NotoSans-Bold")),
        ],
    }  # fmt: skip
    sc_local = ("Noto Sans CJK SC", "Noto Sans CJK SC Regular", "NotoSansCJKsc-Regular")
    chunks = hanzi_chunks()
    faces["zh-hans"] = [
        # A browser tries the faces of a family from the last declared: the interface's own
        # characters first, then the range of the common hanzi a character falls in.
        *(
            Face("LPA Chinese", 400, f"noto-sans-sc-{n}.woff2", unicode_range(range(lo, hi + 1)),
                 sc_local)
            for n, (lo, hi, _codes) in enumerate(chunks, start=1)
        ),
        Face("LPA Chinese", 400, "noto-sans-sc-countries.woff2", unicode_range(country_hanzi()),
             sc_local),
        Face("LPA Chinese", 400, "noto-sans-sc-0.woff2",
             unicode_range(interface_hanzi() | _codepoints(CJK_PUNCTUATION)), sc_local),
    ]  # fmt: skip
    return faces


def hanzi_chunks() -> list[tuple[int, int, set[int]]]:
    """The common hanzi that the interface does not use, cut into ranges of code points of
    about the same number of characters: (first code point, last, the characters)."""
    rest = sorted(gb2312_hanzi(first_level_only=True) - interface_hanzi() - country_hanzi())
    size = -(-len(rest) // HANZI_CHUNKS)
    groups = [rest[i : i + size] for i in range(0, len(rest), size)]
    chunks = []
    for index, group in enumerate(groups):
        lo = HANZI[0] if index == 0 else group[0]
        hi = HANZI[1] if index == len(groups) - 1 else groups[index + 1][0] - 1
        chunks.append((lo, hi, set(group)))
    return chunks


def stylesheet(language: str, faces: list[Face]) -> str:
    lines = [
        f"/* The fonts of the {language} pages: generated by `manage.py subset_fonts`"
        " (lpa_portal/fonts.py), do not edit.",
        "   Noto fonts, SIL Open Font License 1.1 (static/fonts/OFL.txt). */",
    ]
    for face in faces:
        sources = [f'local("{name}")' for name in face.local_names]
        sources.append(f'url("../fonts/{face.file}") format("woff2")')
        lines.append(
            f'@font-face {{ font-family: "{face.family}"; font-style: normal; '
            f"font-weight: {face.weight}; font-display: swap; src: {', '.join(sources)}; "
            f"unicode-range: {face.unicode_range}; }}"
        )
    return "\n".join(lines) + "\n"


def fonts_build(*, pages: bool = True, certificates: bool = True, log=print) -> None:
    """Cut the fonts the portal ships from Debian's Noto fonts and write the stylesheets: those
    of pages, of certificates, or both."""
    for needed in (
        NOTO / "NotoSansArabic-Regular.ttf",
        NOTO / "NotoSans-Regular.ttf",
        NOTO_CJK / "NotoSansCJK-Regular.ttc",
    ):
        if not needed.exists():
            raise FileNotFoundError(
                f"{needed} is missing: apt-get install fonts-noto-core fonts-noto-cjk"
            )

    def made(path: Path, size: int) -> None:
        log(f"{path.relative_to(settings.BASE_DIR)}: {size / 1024:.1f} KB")

    if pages:
        _pages_build(made)
    if certificates:
        _certificates_build(made)


def _pages_build(made) -> None:
    cjk = NOTO_CJK / "NotoSansCJK-Regular.ttc"
    sources = {
        "noto-sans-arabic-400.woff2": (NOTO / "NotoSansArabic-Regular.ttf", ARABIC_WEB),
        "noto-sans-arabic-700.woff2": (NOTO / "NotoSansArabic-Bold.ttf", ARABIC_WEB),
        "noto-sans-cyrillic-400.woff2": (NOTO / "NotoSans-Regular.ttf", CYRILLIC),
        "noto-sans-cyrillic-700.woff2": (NOTO / "NotoSans-Bold.ttf", CYRILLIC),
    }
    for name, (source, ranges) in sources.items():
        output = STATIC_FONTS / name
        made(output, _subset(source, _codepoints(ranges), output, woff2=True))
    interface = interface_hanzi() | _codepoints(CJK_PUNCTUATION)
    files = {"0": interface, "countries": country_hanzi()}
    files.update({str(n): codes for n, (_lo, _hi, codes) in enumerate(hanzi_chunks(), start=1)})
    for old in STATIC_FONTS.glob("noto-sans-sc-*.woff2"):
        old.unlink()
    for key, codes in files.items():
        output = STATIC_FONTS / f"noto-sans-sc-{key}.woff2"
        made(output, _subset(cjk, codes, output, woff2=True, font_number=CJK_SC_INDEX))
    for language, faces in web_faces().items():
        output = STATIC_CSS / Path(FONT_STYLESHEETS[language]).name
        output.write_text(stylesheet(language, faces), encoding="utf-8")
        made(output, output.stat().st_size)


def _certificates_build(made) -> None:
    cjk = NOTO_CJK / "NotoSansCJK-Regular.ttc"
    cjk_bold = NOTO_CJK / "NotoSansCJK-Bold.ttc"
    interface = interface_hanzi() | _codepoints(CJK_PUNCTUATION)
    hanzi = gb2312_hanzi(first_level_only=False) | interface | country_hanzi()
    pdf_sources = {
        "NotoSansArabic-Regular.ttf": (
            NOTO / "NotoSansArabic-Regular.ttf", _codepoints(ARABIC_PDF), 0),
        "NotoSansArabic-Bold.ttf": (
            NOTO / "NotoSansArabic-Bold.ttf", _codepoints(ARABIC_PDF), 0),
        "NotoSansSC-Regular.otf": (cjk, hanzi, CJK_SC_INDEX),
        "NotoSansSC-Bold.otf": (cjk_bold, hanzi, CJK_SC_INDEX),
    }  # fmt: skip
    for name, (source, codes, number) in pdf_sources.items():
        output = PDF_FONTS / name
        made(output, _subset(source, codes, output, woff2=False, font_number=number))
