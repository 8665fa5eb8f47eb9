"""Search the repository, filter, open a resource and download its French edition, in a real
browser, with axe-core on each page."""

import re

import pytest

from repository.models import Resource
from tests.factories import ResourceFactory, ResourceFileFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_filter_open_and_download(page, axe_check):
    guideline = ResourceFactory(
        title="Guideline on data integrity",
        reference_number="WHO TRS 1033, Annex 4",
        summary="Principles of data integrity for manufacturers and regulators.",
    )
    ResourceFileFactory(resource=guideline, language="en")
    ResourceFileFactory(
        resource=guideline, language="fr", title="Ligne directrice sur l'intégrité des données"
    )
    ResourceFactory(title="Guidelines on validation", summary="Validation of processes and data.")

    page.goto("/en/resources/")
    axe_check(page)
    page.get_by_label("Search").fill("data integrity")
    page.get_by_role("button", name="Show resources").click()
    page.wait_for_url(re.compile(r"q=data"))
    axe_check(page)
    page.locator(".facet > summary", has_text="Language").click()
    page.get_by_role("group", name="Language").get_by_label(re.compile(r"^French")).check()
    page.get_by_role("button", name="Show resources").click()
    page.wait_for_url(re.compile(r"language=fr"))
    assert page.get_by_role("link", name="Guidelines on validation").count() == 0
    axe_check(page)

    page.get_by_role("link", name="Guideline on data integrity").first.click()
    page.wait_for_url(re.compile(r"/en/resources/"))
    assert page.get_by_role("heading", name="Guideline on data integrity", level=1).is_visible()
    axe_check(page)

    french = page.locator("a[href*='/download/']").filter(
        has_text=re.compile("Ligne directrice|French|Français", re.I)
    )
    with page.expect_download() as download:
        french.first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert Resource.objects.get(pk=guideline.pk).download_count == 1
