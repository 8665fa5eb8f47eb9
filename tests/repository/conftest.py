"""Fixtures of the repository's tests."""

from datetime import date

import pytest

from repository.models import Audience, ProductArea, Region
from repository.search import search_index_rebuild
from tests.factories import ResourceFactory, ResourceFileFactory, TopicFactory


@pytest.fixture
def catalogue(db):
    quality = TopicFactory(name="Quality systems", slug="quality-systems")
    integrity = TopicFactory(name="Data integrity", slug="data-integrity", parent=quality)
    sterile = TopicFactory(name="Sterile manufacturing", slug="sterile")
    a = ResourceFactory(
        title="Guideline on data integrity",
        kind="guidance",
        publication_date=date(2021, 5, 1),
        download_count=5,
    )
    a.topics.add(integrity)
    a.audiences.add(Audience.objects.get(code="manufacturer"))
    a.product_areas.add(ProductArea.objects.get(code="medicines"))
    a.regions.add(Region.objects.get(code="AFRO"))
    ResourceFileFactory(resource=a, language="en")
    ResourceFileFactory(resource=a, language="fr")
    b = ResourceFactory(
        title="Audit tool for sterile sites",
        kind="tool",
        publication_date=date(2023, 1, 1),
        download_count=50,
    )
    b.topics.add(sterile)
    b.audiences.add(Audience.objects.get(code="regulator"))
    b.product_areas.add(ProductArea.objects.get(code="vaccines"))
    ResourceFileFactory(resource=b, language="en")
    c = ResourceFactory(
        title="Quality manual model",
        kind="guidance",
        publication_date=date(2023, 6, 1),
        download_count=1,
    )
    c.topics.add(quality)
    c.audiences.add(
        Audience.objects.get(code="manufacturer"), Audience.objects.get(code="regulator")
    )
    ResourceFileFactory(resource=c, language="es")
    ResourceFactory(title="Draft never listed", status="draft", kind="tool")
    search_index_rebuild()
    return {"integrity": a, "tool": b, "manual": c}
