"""The demo repository: real records with generated demo files, a Q&A report, the restricted,
draft and embargoed demo records, and loaded once however often it runs."""

import io
import re
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from pypdf import PdfReader

from repository.demo import (
    DATA_INTEGRITY,
    DATA_INTEGRITY_FR_TITLE,
    DEMO_NOTICE,
    DRAFT,
    EMBARGOED,
    QA_DEMO_NOTE,
    QA_REPORT_2021,
    REGISTERED_ONLY,
    REGULATORS_ONLY,
    RESOURCES,
    STERILE_GMP_2011,
    STERILE_GMP_2022,
    WORDS_ONLY_IN_PDFS,
    seed_demo_repository,
)
from repository.models import AccessLevel, QAItem, Resource, ResourceFile

pytestmark = pytest.mark.django_db

DEMO_SLUGS = [spec.slug for spec in RESOURCES]
DEMO_ONLY = [REGULATORS_ONLY, REGISTERED_ONLY, DRAFT, EMBARGOED]


def _stored_names() -> set[str]:
    root = Path(settings.PROTECTED_MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def _pdf_pages(resource_file: ResourceFile) -> list[str]:
    with resource_file.file.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def _metadata_text(resource: Resource) -> str:
    parts = [
        resource.title,
        resource.slug,
        resource.summary,
        resource.body,
        resource.citation,
        resource.reference_number,
        *(f.title for f in resource.files.all()),
        *(f"{item.question} {item.answer}" for item in resource.qa_items.all()),
    ]
    return " ".join(parts).lower()


def test_seeding_twice_creates_nothing_and_changes_nothing():
    counts = seed_demo_repository()
    resources = list(Resource.objects.values().order_by("slug"))
    files = list(ResourceFile.objects.values().order_by("pk"))
    qa_items = list(QAItem.objects.values().order_by("pk"))
    stored = _stored_names()

    assert seed_demo_repository() == counts

    assert counts["resources"] == len(RESOURCES)
    assert counts["files"] == sum(len(spec.files) for spec in RESOURCES)
    assert list(Resource.objects.values().order_by("slug")) == resources
    assert list(ResourceFile.objects.values().order_by("pk")) == files
    assert list(QAItem.objects.values().order_by("pk")) == qa_items
    assert _stored_names() == stored
    assert len(stored) == counts["files"]


def test_an_earlier_load_gains_the_new_content_and_keeps_its_own():
    # What the first version of the seed created: a bare record, with a summary of its own.
    Resource.objects.create(
        slug=STERILE_GMP_2022,
        kind=Resource.Kind.GUIDANCE,
        title="WHO good manufacturing practices for sterile pharmaceutical products",
        summary="Kept as it is.",
        status=Resource.Status.PUBLISHED,
    )

    seed_demo_repository()

    sterile = Resource.objects.get(slug=STERILE_GMP_2022)
    assert sterile.summary == "Kept as it is."
    assert sterile.licence == "CC BY-NC-SA 3.0 IGO"
    assert sterile.supersedes.slug == STERILE_GMP_2011
    assert sterile.topics.exists()
    assert sterile.files.count() == 1


def test_every_published_demo_resource_has_a_file():
    seed_demo_repository()

    published = Resource.objects.filter(slug__in=DEMO_SLUGS, status=Resource.Status.PUBLISHED)
    assert published.count() == len(DEMO_SLUGS) - 1
    for resource in published:
        assert resource.files.exclude(file="").exists(), resource.slug


def test_the_real_publications_carry_their_metadata():
    seed_demo_repository()

    for resource in Resource.objects.filter(slug__in=DEMO_SLUGS).exclude(slug__in=DEMO_ONLY):
        assert resource.summary, resource.slug
        assert "Geneva: World Health Organization" in resource.citation, resource.slug
        assert resource.publisher == "World Health Organization"
        assert resource.status == Resource.Status.PUBLISHED
        assert resource.access_level == AccessLevel.PUBLIC
        assert resource.audiences.exists(), resource.slug
        assert resource.product_areas.exists(), resource.slug
        if resource.publication_date:
            assert resource.date_precision == Resource.DatePrecision.YEAR
            assert f"; {resource.publication_year}" in resource.citation

    data_integrity = Resource.objects.get(slug=DATA_INTEGRITY)
    assert data_integrity.publication_year == 2021
    assert data_integrity.licence == "CC BY-NC-SA 3.0 IGO"
    assert "(WHO Technical Report Series, No. 1033, Annex 4)" in data_integrity.citation


def test_one_record_has_an_english_and_a_french_edition():
    seed_demo_repository()

    files = Resource.objects.get(slug=DATA_INTEGRITY).files.all()
    assert sorted(f.language for f in files) == ["en", "fr"]
    french = files.get(language="fr")
    assert french.title == DATA_INTEGRITY_FR_TITLE
    pages = _pdf_pages(french)
    assert DEMO_NOTICE["fr"] in pages[0]
    assert "intégrité des données" in pages[0]


def test_the_2011_sterile_gmp_annex_is_superseded_by_the_2022_one():
    seed_demo_repository()

    old = Resource.objects.get(slug=STERILE_GMP_2011)
    new = Resource.objects.get(slug=STERILE_GMP_2022)
    assert new.supersedes == old
    assert list(old.superseded_by.all()) == [new]
    assert (old.reference_number, old.publication_year) == ("TRS 961, Annex 6", 2011)
    assert (new.reference_number, new.publication_year) == ("TRS 1044, Annex 2", 2022)
    assert old.status == Resource.Status.PUBLISHED


def test_the_qa_report_has_questions_on_topics_and_says_they_are_demo():
    seed_demo_repository()

    report = Resource.objects.get(slug=QA_REPORT_2021)
    assert report.reference_number == "WHO/MHP/RPQ/LPA/2022.1"
    assert QA_DEMO_NOTE in report.body
    items = list(report.qa_items.select_related("topic"))
    assert len(items) >= 12
    assert [item.number for item in items] == list(range(1, len(items) + 1))
    assert all(item.topic and item.question.endswith("?") and item.answer for item in items)
    assert len({item.topic.slug for item in items}) >= 10
    assert set(report.topics.all()) == {item.topic for item in items}
    text = " ".join(_pdf_pages(report.files.get()))
    assert all(" ".join(item.question.split()) in text for item in items)


def test_each_pdf_has_the_demo_notice_and_its_word_found_nowhere_else():
    seed_demo_repository()

    resources = Resource.objects.filter(slug__in=DEMO_SLUGS).prefetch_related("files", "qa_items")
    assert set(WORDS_ONLY_IN_PDFS) == {r.slug for r in resources if r.files.all()}
    metadata = " ".join(_metadata_text(resource) for resource in resources)
    texts = {
        (resource.slug, f.language): _pdf_pages(f)
        for resource in resources
        for f in resource.files.all()
    }
    for (slug, language), pages in texts.items():
        word = WORDS_ONLY_IN_PDFS[slug]
        assert DEMO_NOTICE[language] in pages[0], slug
        assert 1 <= len(pages) <= 6, slug
        assert re.search(rf"\b{word}\b", " ".join(pages)), slug
        assert word.lower() not in metadata, slug
        others = [" ".join(p) for key, p in texts.items() if key[0] != slug]
        assert not any(word.lower() in other.lower() for other in others), slug


def test_the_files_are_small_pdfs_whose_text_the_extraction_finds(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo_repository()

    files = ResourceFile.objects.filter(resource__slug__in=DEMO_SLUGS).select_related("resource")
    assert files.count() == sum(len(spec.files) for spec in RESOURCES)
    for resource_file in files:
        slug = resource_file.resource.slug
        assert resource_file.mime_type == "application/pdf"
        assert resource_file.file.name.endswith(".pdf")
        assert 0 < resource_file.size < 60 * 1024, slug
        assert resource_file.extraction_status == ResourceFile.Extraction.DONE, slug
        assert 1 <= resource_file.page_count <= 6, slug
        assert WORDS_ONLY_IN_PDFS[slug] in resource_file.extracted_text
        assert DEMO_NOTICE[resource_file.language] in " ".join(resource_file.extracted_text.split())


def test_the_restricted_draft_and_embargoed_demo_records():
    before = timezone.now()
    seed_demo_repository()
    after = timezone.now()

    for slug in DEMO_ONLY:
        assert "(demo" in Resource.objects.get(slug=slug).title

    regulators = Resource.objects.get(slug=REGULATORS_ONLY)
    assert regulators.access_level == AccessLevel.REGULATORS
    assert regulators.status == Resource.Status.PUBLISHED
    assert regulators in Resource.objects.published()
    assert regulators.files.exists()

    registered = Resource.objects.get(slug=REGISTERED_ONLY)
    assert registered.access_level == AccessLevel.REGISTERED
    assert registered in Resource.objects.published()
    assert registered.files.exists()

    draft = Resource.objects.get(slug=DRAFT)
    assert draft.status == Resource.Status.DRAFT
    assert draft.published_at is None
    assert draft not in Resource.objects.published()

    embargoed = Resource.objects.get(slug=EMBARGOED)
    assert embargoed.status == Resource.Status.PUBLISHED
    assert before + timedelta(days=365) <= embargoed.embargo_until <= after + timedelta(days=365)
    assert embargoed.is_embargoed
    assert embargoed not in Resource.objects.published()
    assert embargoed in Resource.objects.published(now=embargoed.embargo_until)
    assert embargoed.publication_date == embargoed.embargo_until.astimezone(UTC).date()


def test_a_later_run_keeps_the_embargo_of_the_first(monkeypatch):
    seed_demo_repository()
    embargo = Resource.objects.get(slug=EMBARGOED).embargo_until
    a_year_later = timezone.now() + timedelta(days=400)
    monkeypatch.setattr(timezone, "now", lambda: a_year_later)

    seed_demo_repository()

    assert Resource.objects.get(slug=EMBARGOED).embargo_until == embargo


def test_every_demo_row_is_valid():
    seed_demo_repository()

    for resource in Resource.objects.filter(slug__in=DEMO_SLUGS):
        resource.full_clean()
    for resource_file in ResourceFile.objects.all():
        resource_file.full_clean()
    for item in QAItem.objects.all():
        item.full_clean()
