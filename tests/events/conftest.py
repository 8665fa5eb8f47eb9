"""Fixtures of the event tests."""

from datetime import timedelta

import pytest
from django.utils import timezone

from repository.models import Audience, Language, ProductArea
from tests.factories import EventFactory, ProgrammeFactory, TopicFactory


@pytest.fixture
def catalogue(db):
    marathon = ProgrammeFactory(name="Marathon", slug="marathon")
    workshops = ProgrammeFactory(name="Workshops", slug="workshops")
    quality = TopicFactory(name="Quality systems", slug="quality-systems")
    integrity = TopicFactory(name="Data integrity", slug="data-integrity", parent=quality)
    sterile = TopicFactory(name="Sterile manufacturing", slug="sterile")
    now = timezone.now()
    a = EventFactory(
        title="Marathon on data integrity",
        programme=marathon,
        format="online",
        region="GLOBAL",
        start=now + timedelta(days=10),
    )
    a.topics.add(integrity)
    a.audiences.add(Audience.objects.get(code="manufacturer"))
    a.product_areas.add(ProductArea.objects.get(code="vaccines"))
    a.languages.add(Language.objects.get(code="en"), Language.objects.get(code="fr"))
    b = EventFactory(
        title="Workshop in Nairobi",
        programme=workshops,
        format="in_person",
        region="AFRO",
        city="Nairobi",
        country="KE",
        start=now + timedelta(days=20),
        registration_opens=now + timedelta(days=3),
    )
    b.topics.add(sterile)
    b.audiences.add(Audience.objects.get(code="regulator"))
    b.product_areas.add(ProductArea.objects.get(code="medicines"))
    b.languages.add(Language.objects.get(code="en"))
    c = EventFactory(
        title="Hybrid QMS training in Cairo",
        programme=workshops,
        format="hybrid",
        region="EMRO",
        city="Cairo",
        start=now + timedelta(days=400),
        edition_year=now.year + 2,
    )
    c.topics.add(quality)
    c.audiences.add(
        Audience.objects.get(code="manufacturer"), Audience.objects.get(code="regulator")
    )
    c.languages.add(Language.objects.get(code="ar"))
    return a, b, c
