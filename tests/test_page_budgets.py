"""Page budgets of every public page type, with the demo content: the page and the CSS and
JavaScript it loads weigh under 100 KB gzipped, nothing is loaded from another host, and every
image has its size (no layout shift while it loads). In each of the six languages, the fonts a
page makes the browser download count too: none in English, French and Spanish, the Arabic,
Cyrillic or Chinese fonts in those languages, within each language's budget.

The CSS and JavaScript are followed from the HTML (<link rel="stylesheet">, <script src>) and
read through the static files finders, as the suite runs without collectstatic. The fonts are
those of the @font-face rules of the page's stylesheets whose `unicode-range` holds a character
of the page's text, as a browser chooses them (for a character, the faces of its family from the
last declared, down to the first that has it), counted at the most (both weights) and as if no
font were installed on the visitor's machine.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse, translate_url
from django.utils import translation
from PIL import Image

from events.models import Certificate, Event, Programme, Speaker
from events.services import event_banner_renditions_update
from lpa_portal.demo import seed_demo
from repository.models import Resource, Topic

pytestmark = pytest.mark.django_db

BUDGET_BYTES = 100 * 1024
LANGUAGES = ["en", "fr", "es", "ar", "ru", "zh-hans"]
# The fonts a page may download, on top of BUDGET_BYTES. Latin text keeps the system fonts. The
# Chinese interface's characters are one file (about 240 KB: Chinese glyphs are many and
# intricate); a page whose content is in Chinese adds the ranges of common hanzi it uses.
FONT_BUDGET_BYTES = {
    "en": 0,
    "fr": 0,
    "es": 0,
    "ar": 60 * 1024,
    "ru": 30 * 1024,
    "zh-hans": 280 * 1024,
}
# Elements and attributes that make the browser fetch something.
FETCHING = {
    "link": ("href",),
    "script": ("src",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "embed": ("src",),
    "object": ("data",),
}


@dataclass
class PageParts(HTMLParser):
    """What a page fetches: its stylesheets and scripts, every fetched URL, and its images."""

    stylesheets: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    images: list[dict[str, str | None]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    _skipping: int = 0

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_data(self, data):
        if not self._skipping:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "title", "template"):
            self._skipping = max(0, self._skipping - 1)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("script", "style", "title", "template"):
            self._skipping += 1
        # What the page shows besides its text: placeholders, button values, alternative text.
        for name in ("placeholder", "value", "alt"):
            if values.get(name) and not (tag == "input" and values.get("type") == "hidden"):
                self.text.append(values[name])
        for name in FETCHING.get(tag, ()):
            value = values.get(name)
            if value:
                urls = [c.strip().split()[0] for c in value.split(",") if c.strip()]
                self.fetched.extend(urls if name == "srcset" else [value.strip()])
        if tag == "link" and "stylesheet" in (values.get("rel") or "").lower().split():
            self.stylesheets.append(values["href"])
        elif tag == "script" and values.get("src"):
            self.scripts.append(values["src"])
        elif tag == "img":
            self.images.append(values)

    handle_startendtag = handle_starttag


def parse(html: str) -> PageParts:
    parts = PageParts()
    parts.feed(html)
    parts.close()
    return parts


def gzipped_size(content: bytes) -> int:
    return len(gzip.compress(content, compresslevel=6))


def static_content(url: str) -> bytes:
    path = urlsplit(url).path
    assert path.startswith(settings.STATIC_URL), f"{url} is not a static file"
    found = finders.find(path.removeprefix(settings.STATIC_URL))
    assert found, f"{url} is not found by the static files finders"
    with open(found, "rb") as fh:
        return fh.read()


@dataclass(frozen=True)
class FontFace:
    family: str
    weight: str
    url: str
    ranges: tuple[tuple[int, int], ...]


def font_faces(stylesheet_url: str) -> list[FontFace]:
    """The @font-face rules of a stylesheet, in their order, with their URLs resolved."""
    css = re.sub(r"/\*.*?\*/", "", static_content(stylesheet_url).decode(), flags=re.S)
    faces = []
    for rule in re.findall(r"@font-face\s*\{([^}]*)\}", css):
        family = re.search(r"font-family:\s*([^;]+)", rule).group(1).strip().strip("'\"")
        weight = re.search(r"font-weight:\s*([^;]+)", rule).group(1).strip()
        url = re.search(r"url\(\s*['\"]?([^'\")]+)", rule).group(1)
        ranges = []
        match = re.search(r"unicode-range:\s*([^;]+)", rule)
        for part in match.group(1).split(",") if match else ["U+0-10FFFF"]:
            start, _, end = part.strip().removeprefix("U+").partition("-")
            ranges.append((int(start, 16), int(end or start, 16)))
        faces.append(FontFace(family, weight, urljoin(stylesheet_url, url), tuple(ranges)))
    return faces


@cache
def font_characters(url: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(BytesIO(static_content(url))).getBestCmap())


def fonts_downloaded(faces: list[FontFace], text: str) -> set[str]:
    """The font files a browser downloads to show this text with these faces."""
    downloaded = set()
    characters = {ord(char) for char in text if not char.isspace()}
    groups: dict[tuple[str, str], list[FontFace]] = {}
    for face in faces:
        groups.setdefault((face.family, face.weight), []).append(face)
    for group in groups.values():
        for code in characters:
            for face in reversed(group):
                if any(start <= code <= end for start, end in face.ranges):
                    downloaded.add(face.url)
                    if code in font_characters(face.url):
                        break
    return downloaded


def own_host(url: str) -> bool:
    """Relative URLs, data: URIs and absolute URLs of this site are its own."""
    parts = urlsplit(url)
    if parts.scheme in ("", "data") and not parts.netloc:
        return True
    return parts.netloc in {"testserver", urlsplit(settings.SITE_URL).netloc}


def png(width: int, height: int) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (width, height), (11, 83, 148)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def demo():
    seed_demo()
    # The demo has no pictures: give the pages that show them one, as staff would.
    event = Event.objects.filter(status="published").order_by("-start").first()
    event.banner = SimpleUploadedFile("banner.png", png(1600, 600), content_type="image/png")
    event.banner_alt = "Participants in a cleanroom"
    event.save()
    event_banner_renditions_update(event=event)
    speaker = Speaker.objects.filter(sessions__event=event).first() or Speaker.objects.first()
    speaker.photo = SimpleUploadedFile("photo.png", png(400, 400), content_type="image/png")
    speaker.save()
    programme = event.programme or Programme.objects.first()
    programme.image = SimpleUploadedFile("programme.png", png(1200, 400), content_type="image/png")
    programme.image_alt = "A training session"
    programme.save()
    return {
        "event": event,
        "programme": programme,
        # Public (not under embargo); the demo publishes all its resources at the same moment.
        "resource": Resource.objects.published().order_by("-published_at", "pk").first(),
        "topic": Topic.objects.order_by("pk").first(),
        "certificate": Certificate.objects.order_by("pk").first(),
    }


def public_pages(demo) -> dict[str, str]:
    return {
        "home": "/en/",
        "about": "/en/about/",
        "events list": "/en/events/",
        "event page": demo["event"].get_absolute_url(),
        "programme page": demo["programme"].get_absolute_url(),
        "resources list": "/en/resources/",
        "search": "/en/resources/?q=quality+medicines",
        "resource page": demo["resource"].get_absolute_url(),
        "topic page": reverse("repository:topic", kwargs={"slug": demo["topic"].slug}),
        "sign-in": "/en/accounts/login/",
        "sign-up": "/en/accounts/signup/",
        "privacy": "/en/privacy/",
        "accessibility": "/en/accessibility/",
        "certificate verification": f"/en/certificates/{demo['certificate'].code}/",
        "not found": "/en/no-such-page/",
    }


def test_every_public_page_type_is_light_self_hosted_and_sizes_its_images(client, demo):
    problems = []
    weights = {}
    images_seen = 0
    for page, url in public_pages(demo).items():
        response = client.get(url)
        expected = 404 if page == "not found" else 200
        assert response.status_code == expected, (page, url, response.status_code)
        html = response.content.decode()
        parts = parse(html)
        assert parts.stylesheets, f"{page}: no stylesheet found; is the parser right?"

        weight = gzipped_size(response.content) + sum(
            gzipped_size(static_content(url)) for url in parts.stylesheets + parts.scripts
        )
        weights[page] = weight
        if weight >= BUDGET_BYTES:
            problems.append(f"{page} ({url}): {weight / 1024:.1f} KB gzipped with its CSS and JS")
        for fetched in parts.fetched:
            if not own_host(fetched):
                problems.append(f"{page} ({url}) loads from another host: {fetched}")
        for image in parts.images:
            images_seen += 1
            if not (image.get("width") and image.get("height")):
                problems.append(f"{page} ({url}): <img src={image.get('src')!r}> has no size")
    print("gzipped KB:", {page: round(weight / 1024, 1) for page, weight in weights.items()})
    assert problems == [], "\n".join(problems)
    # The pictures of the demo event, its speaker and programme were all checked.
    assert images_seen >= 3, weights


LANGUAGE_PAGES = ["home", "events list", "event page", "resources list", "resource page", "sign-up"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_keeps_its_pages_and_fonts_within_budget(client, demo, language):
    problems = []
    weights = {}
    for page in LANGUAGE_PAGES:
        with translation.override("en"):  # the English URL is resolved as English
            url = translate_url(public_pages(demo)[page], language)
        assert url.startswith(f"/{language}/"), url
        response = client.get(url)
        assert response.status_code == 200, (page, url, response.status_code)
        html = response.content.decode()
        assert f'<html lang="{language}"' in html
        parts = parse(html)
        weight = gzipped_size(response.content) + sum(
            gzipped_size(static_content(url)) for url in parts.stylesheets + parts.scripts
        )
        faces = [face for sheet in parts.stylesheets for face in font_faces(sheet)]
        fonts = fonts_downloaded(faces, " ".join(parts.text))
        font_weight = sum(len(static_content(url)) for url in fonts)
        weights[page] = (round(weight / 1024, 1), round(font_weight / 1024, 1))
        if weight >= BUDGET_BYTES:
            problems.append(f"{page} ({url}): {weight / 1024:.1f} KB gzipped with its CSS and JS")
        if font_weight > FONT_BUDGET_BYTES[language]:
            problems.append(f"{page} ({url}): {font_weight / 1024:.1f} KB of fonts: {fonts}")
        if language in ("ar", "ru", "zh-hans"):
            # The script of the page is drawn with the fonts the portal ships, not left to
            # whatever the visitor's machine has.
            assert fonts, f"{page} ({url}) downloads no font for its script"
        else:
            assert not faces, f"{page} ({url}) declares fonts it does not need"
    print(language, "gzipped KB (page with CSS and JS, fonts):", weights)
    assert problems == [], "\n".join(problems)


def test_the_font_choice_follows_unicode_range_and_the_glyphs_of_each_file():
    arabic = FontFace("A", "400", "/static/fonts/noto-sans-arabic-400.woff2", ((0x600, 0x6FF),))
    chinese = [
        FontFace("C", "400", "/static/fonts/noto-sans-sc-1.woff2", ((0x4E00, 0x9FFF),)),
        FontFace("C", "400", "/static/fonts/noto-sans-sc-0.woff2", ((0x6D3B, 0x6D3B),)),
    ]
    assert fonts_downloaded([arabic, *chinese], "Events") == set()
    assert fonts_downloaded([arabic, *chinese], "الفعاليات") == {arabic.url}
    # 活 (of 活动, events) is among the interface's characters: the file of the interface has it.
    assert fonts_downloaded(chinese, "活") == {"/static/fonts/noto-sans-sc-0.woff2"}
    # A common hanzi the interface does not use: only the file of its range is downloaded.
    other = min(font_characters(chinese[0].url) - font_characters(chinese[1].url))
    assert fonts_downloaded(chinese, chr(other)) == {chinese[0].url}
    # In the range of a file that does not have it, the next face is tried too.
    gap = FontFace("C", "400", "/static/fonts/noto-sans-sc-0.woff2", ((other, other),))
    assert fonts_downloaded([chinese[0], gap], chr(other)) == {gap.url, chinese[0].url}


def test_the_checks_catch_what_they_look_for():
    parts = parse(
        '<link rel="preload stylesheet" href="/static/a.css"><script src="/static/b.js"></script>'
        '<img src="/media/x.png" srcset="https://cdn.example.com/x.webp 480w, /y.webp 960w">'
        '<img src="/z.png" width="10" height="10"><iframe src="//video.example.com/e"></iframe>'
        '<a href="https://www.who.int/">WHO</a>'
    )
    assert parts.stylesheets == ["/static/a.css"] and parts.scripts == ["/static/b.js"]
    foreign = [url for url in parts.fetched if not own_host(url)]
    assert foreign == ["https://cdn.example.com/x.webp", "//video.example.com/e"]
    assert [bool(i.get("width") and i.get("height")) for i in parts.images] == [False, True]
