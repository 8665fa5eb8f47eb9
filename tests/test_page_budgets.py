"""Page budgets of every public page type, with the demo content: the page and the CSS and
JavaScript it loads weigh under 100 KB gzipped, nothing is loaded from another host, and every
image has its size (no layout shift while it loads).

The CSS and JavaScript are followed from the HTML (<link rel="stylesheet">, <script src>) and
read through the static files finders, as the suite runs without collectstatic.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from events.models import Certificate, Event, Programme, Speaker
from events.services import event_banner_renditions_update
from lpa_portal.demo import seed_demo
from repository.models import Resource, Topic

pytestmark = pytest.mark.django_db

BUDGET_BYTES = 100 * 1024
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

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
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
