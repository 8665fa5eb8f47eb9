"""Finding an event in a real browser: filter the list, open the event, axe-core on both."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import EventFactory, ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_filter_the_list_and_open_an_event(page, axe_check):
    marathon = ProgrammeFactory(name="Virtual cGMP Training Marathon", slug="marathon")
    workshops = ProgrammeFactory(name="Regional training workshops", slug="workshops")
    start = timezone.now() + timedelta(days=20)
    event = EventFactory(
        programme=workshops,
        title="Regional workshop in Nairobi",
        format="in_person",
        region="AFRO",
        city="Nairobi",
        country="KE",
        venue="Demo conference centre",
        time_zone="Africa/Nairobi",
        start=start,
        end=start + timedelta(days=2),
    )
    for day in range(2):
        SessionFactory(
            event=event,
            title=f"Hands-on day {day + 1}",
            start=start + timedelta(days=day),
            end=start + timedelta(days=day, hours=3),
        )
    EventFactory(programme=marathon, title="Marathon session block", format="online")

    page.goto("/en/events/")
    axe_check(page)
    # The filters: a panel (open beside the results on a wide screen), a fold per facet.
    page.locator(".facet > summary", has_text="Format").click()
    page.get_by_role("group", name="Format").get_by_label(re.compile(r"^In person")).check()
    page.locator(".facet > summary", has_text="WHO region").click()
    page.get_by_role("group", name="WHO region").get_by_label(re.compile(r"^African")).check()
    page.get_by_role("button", name="Show events").click()
    page.wait_for_url(re.compile(r"format=in_person"))
    assert page.get_by_role("heading", name="1 event").is_visible()
    assert page.get_by_role("link", name="Marathon session block").count() == 0
    axe_check(page)

    page.get_by_role("link", name="Regional workshop in Nairobi").click()
    page.wait_for_url(re.compile(r"/en/events/"))
    assert page.get_by_role("heading", name="Regional workshop in Nairobi").is_visible()
    assert page.get_by_role("heading", name="Agenda").is_visible()
    assert page.get_by_text("Demo conference centre").is_visible()
    # The browser runs in UTC here, so the script adds the visitor's time beside Nairobi's.
    page.wait_for_selector("[data-local-start]:not([hidden])")
    assert "your time" in page.locator("[data-local-start]").first.inner_text()
    axe_check(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the calendar file (.ics)").click()
    assert download.value.suggested_filename.endswith(".ics")
