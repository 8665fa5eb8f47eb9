"""The portal in WHO's six languages, in Chromium at 1366 and 390 px: home, the events, an event,
the repository, a resource and sign-up in each language pass axe-core, keep to their page
budgets, show no string of the interface in English on a page in another language, load the
fonts of their script, and Arabic pages read right to left, their layout mirrored (measured)."""

import gettext
import gzip
import html
import re
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from django.utils import timezone, translation

from tests.factories import (
    EventFactory,
    ProgrammeFactory,
    ResourceFactory,
    ResourceFileFactory,
    SessionFactory,
    TopicFactory,
)
from tests.test_page_budgets import BUDGET_BYTES, FONT_BUDGET_BYTES, static_content

pytestmark = pytest.mark.django_db(transaction=True)

LOCALE = Path(__file__).resolve().parent.parent.parent / "locale"
SCREENS = {1366: 768, 390: 844}
FONT_FAMILIES = {"ar": "LPA Arabic", "ru": "LPA Cyrillic", "zh-hans": "LPA Chinese"}

# What staff would write, in each language: the content of the pages is not the interface, and
# written in the page's language it cannot be mistaken for an untranslated label.
CONTENT = {
    "en": (
        "Regional training workshops",
        "Regional workshop on vaccine quality",
        "Two days of practical work on the quality control of vaccines.",
        "Quality control",
        "Guidelines on process validation",
        "Principles of validation for vaccine manufacturers.",
        "Quality assurance",
    ),
    "fr": (
        "Ateliers régionaux de formation",
        "Atelier régional sur la qualité des vaccins",
        "Deux jours de travaux pratiques sur le contrôle de la qualité des vaccins.",
        "Contrôle de la qualité",
        "Lignes directrices sur la validation des procédés",
        "Principes de validation pour les fabricants de vaccins.",
        "Assurance de la qualité",
    ),
    "es": (
        "Talleres regionales de formación",
        "Taller regional sobre la calidad de las vacunas",
        "Dos días de trabajo práctico sobre el control de la calidad de las vacunas.",
        "Control de la calidad",
        "Directrices sobre la validación de procesos",
        "Principios de validación para los fabricantes de vacunas.",
        "Garantía de la calidad",
    ),
    "ar": (
        "حلقات عمل تدريبية إقليمية",
        "حلقة عمل إقليمية بشأن جودة اللقاحات",
        "يومان من العمل التطبيقي على مراقبة جودة اللقاحات.",
        "مراقبة الجودة",
        "مبادئ توجيهية بشأن التحقق من صحة العمليات",
        "مبادئ التحقق من الصحة لمصنّعي اللقاحات.",
        "ضمان الجودة",
    ),
    "ru": (
        "Региональные учебные семинары",
        "Региональный семинар по качеству вакцин",
        "Два дня практической работы по контролю качества вакцин.",
        "Контроль качества",
        "Руководство по валидации процессов",
        "Принципы валидации для производителей вакцин.",
        "Обеспечение качества",
    ),
    "zh-hans": (
        "区域培训讲习班",
        "疫苗质量区域讲习班",
        "为期两天的疫苗质量控制实践。",
        "质量控制",
        "工艺验证指南",
        "面向疫苗生产企业的验证原则。",
        "质量保证",
    ),
}


def _content(language):
    programme, title, summary, session, resource, resource_summary, topic = CONTENT[language]
    topic = TopicFactory(name=topic)
    start = timezone.now() + timedelta(days=20)
    event = EventFactory(
        programme=ProgrammeFactory(name=programme),
        title=title,
        summary=summary,
        format="in_person",
        region="AFRO",
        city="Nairobi",
        country="KE",
        time_zone="Africa/Nairobi",
        start=start,
        end=start + timedelta(days=1),
    )
    event.topics.add(topic)
    SessionFactory(event=event, title=session, start=start, end=start + timedelta(hours=2))
    document = ResourceFactory(
        title=resource, summary=resource_summary, reference_number="WHO/MHP/RPQ/2024.3"
    )
    document.topics.add(topic)
    ResourceFileFactory(resource=document, language=language.split("-")[0])
    return event, document


# --- English strings of the interface --------------------------------------------------------

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{[^}]*\}")


@cache
def _catalogue(language: str) -> dict:
    locale = translation.to_locale(language)
    with (LOCALE / locale / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        return gettext.GNUTranslations(mo)._catalog


@cache
def english_of_the_interface(language: str) -> tuple[str, ...]:
    """The English wording of the catalogue's strings that a page in this language must not
    show: the fragments between placeholders and tags of each string whose translation differs
    (names and acronyms kept as they are, such as "Zoom" or "GMP", are left out), of two words
    or more, or one capitalised word of five letters or more (a label: "Events", "Search"),
    and found in none of the language's translations (so "cGMP Training Marathon" in a French
    sentence is not taken for English)."""
    catalogue = _catalogue(language)
    translations = " ".join(str(value) for value in catalogue.values())
    fragments = set()
    for key, value in catalogue.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if not msgid or value == msgid:
            continue
        text = html.unescape(re.sub(r"<[^>]+>", "\n", msgid))
        for fragment in PLACEHOLDER.split(text):
            for part in re.split(r"[\n:;!?()“”\"«»—–]|\. ", fragment):
                part = part.strip(" .,'’")
                words = part.split()
                if len(words) >= 2 and sum(c.isalpha() for c in part) >= 6:
                    pass
                elif not (len(words) == 1 and len(part) >= 5 and part[0].isupper()):
                    continue
                if part.isupper() or part in translations:
                    continue
                fragments.add(part)
    return tuple(sorted(fragments, key=len, reverse=True))


def english_shown(language: str, visible: str) -> list[str]:
    found = []
    for fragment in english_of_the_interface(language):
        if re.search(rf"(?<!\w){re.escape(fragment)}(?!\w)", visible):
            found.append(fragment)
            visible = visible.replace(fragment, " ")
    return found


# What a person sees: the rendered text, the placeholders and the names of controls; text
# marked as another language (the language links, a text staff left in English) is not the
# page's language and is left out.
VISIBLE_TEXT = """() => {
    const page = document.documentElement.lang;
    const parts = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement;
        if (!element || !node.textContent.trim()) continue;
        const marked = element.closest("[lang]");
        if (marked && marked.lang !== page) continue;
        // Hidden text is left out; visually hidden text, for screen readers, is not.
        if (!element.checkVisibility({visibilityProperty: true})) continue;
        parts.push(node.textContent);
    }
    for (const element of document.querySelectorAll("[placeholder], [aria-label]")) {
        if (element.checkVisibility()) {
            parts.push(element.getAttribute("placeholder") || "");
            parts.push(element.getAttribute("aria-label") || "");
        }
    }
    return parts.join("\\n");
}"""


# Where the two numbers of each range of digits ("25–26", "14:00–16:00") are drawn.
RANGES_DRAWN = """() => {
    const drawn = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    const x = (node, start, end) => {
        range.setStart(node, start);
        range.setEnd(node, end);
        return range.getBoundingClientRect().x;
    };
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.parentElement.checkVisibility()) continue;
        for (const match of node.textContent.matchAll(/(\\d+)–(\\d+)/g)) {
            const second = match.index + match[1].length + 1;
            drawn.push([match[0], x(node, match.index, match.index + match[1].length),
                        x(node, second, second + match[2].length)]);
        }
    }
    return drawn;
}"""


def test_the_scan_finds_an_english_label_and_leaves_content_alone():
    assert english_shown("fr", "Accueil\nEvents\nAtelier régional") == ["Events"]
    assert english_shown("fr", "Événements · Rechercher") == []
    assert english_shown("ar", "Create an account") == ["Create an account"]
    assert english_shown("zh-hans", "活动 · Zoom · GMP") == []
    # A sentence of the interface left in English is found by its fragments.
    assert english_shown("es", "Registration opens on 3 May") != []


# --- The pages --------------------------------------------------------------------------------


def _weights(page) -> tuple[int, int, list[str]]:
    """The page with its CSS and JavaScript (gzipped, as served), and the fonts it downloaded."""
    entries = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    paths = [re.sub(r"^https?://[^/]+", "", name) for name in entries]
    fonts = [path for path in paths if path.endswith(".woff2")]
    assets = [path for path in paths if path.endswith((".css", ".js"))]
    weight = len(gzip.compress(page.content().encode(), compresslevel=6))
    weight += sum(len(gzip.compress(static_content(path), compresslevel=6)) for path in assets)
    return weight, sum(len(static_content(path)) for path in fonts), fonts


@pytest.mark.parametrize("language", list(CONTENT))
def test_six_pages_in_each_language(page, axe_check, language):
    event, document = _content(language)
    with translation.override(language):
        pages = {
            "home": "/",
            "events": "/events/",
            "event": event.get_absolute_url(),
            "repository": "/resources/",
            "resource": document.get_absolute_url(),
            "sign-up": "/accounts/signup/",
        }
        pages = {
            name: url if url.startswith(f"/{language}/") else f"/{language}{url}"
            for name, url in pages.items()
        }
    problems = []
    weights = {}
    for width, height in SCREENS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, url in pages.items():
            response = page.goto(url)
            assert response.status == 200, (url, response.status)
            where = f"{name} ({url}) at {width} px"
            root = page.locator("html")
            assert root.get_attribute("lang") == language, where
            assert root.get_attribute("dir") == ("rtl" if language == "ar" else "ltr"), where

            if language != "en":
                shown = english_shown(language, page.evaluate(VISIBLE_TEXT))
                if shown:
                    problems.append(f"{where} shows English: {shown}")

            if language == "ar":
                # Mirrored: the logo on the right half, the navigation from the right.
                logo = page.locator(".brand img").bounding_box()
                assert logo["x"] + logo["width"] / 2 > width / 2, (where, logo)
                links = page.locator(".main-nav a:visible")
                first, last = links.first.bounding_box(), links.last.bounding_box()
                assert first["x"] > last["x"], (where, first, last)
                # Ranges of days and times read left to right inside Arabic text: in "25–26
                # ديسمبر", 25 is on the left of 26.
                for text, first_x, second_x in page.evaluate(RANGES_DRAWN):
                    assert first_x < second_x, (where, text, first_x, second_x)

            if language in FONT_FAMILIES:
                # The faces of the script resolved (from the portal or an installed Noto font),
                # none failed.
                statuses = page.evaluate(
                    """async (family) => {
                        await document.fonts.ready;
                        return [...document.fonts]
                            .filter(face => face.family.replace(/"/g, "") === family)
                            .map(face => face.status);
                    }""",
                    FONT_FAMILIES[language],
                )
                assert "loaded" in statuses and "error" not in statuses, (where, statuses)

            weight, fonts_weight, fonts = _weights(page)
            weights[f"{name} {width}"] = (round(weight / 1024, 1), round(fonts_weight / 1024, 1))
            if weight >= BUDGET_BYTES or fonts_weight > FONT_BUDGET_BYTES[language]:
                problems.append(f"{where}: {weight} B, fonts {fonts_weight} B {fonts}")

            axe_check(page)
    print(language, "KB (page with CSS and JS gzipped, fonts downloaded):", weights)
    assert problems == [], "\n".join(problems)
