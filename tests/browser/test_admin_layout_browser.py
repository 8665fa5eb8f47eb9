"""The admin at a laptop's width (1366 px): no page of events, registrations, messages and
resources scrolls sideways, no list hides a column past the edge of its box, and the buttons at
the top of a page wrap under its title without covering it or touching what follows."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.messages import message_create, message_send
from tests.factories import (
    EventFactory,
    ProgrammeFactory,
    RegistrationFactory,
    ResourceFactory,
    SessionFactory,
    SpeakerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

LONG = "Virtual cGMP Training Marathon 2025 — Building Blocks for Sustained Excellence (demo)"

MEASURE = """() => {
  const page = document.documentElement;
  const out = {page: [page.scrollWidth, page.clientWidth], boxes: [], overlaps: []};
  for (const box of document.querySelectorAll('#changelist .results, .inline-group, .module')) {
    if (box.scrollWidth > box.clientWidth + 1) {
      out.boxes.push([box.id || box.className, box.scrollWidth, box.clientWidth]);
    }
  }
  const tools = document.querySelector('.object-tools');
  if (tools) {
    const t = tools.getBoundingClientRect();
    for (const title of document.querySelectorAll('#content > h1, #content > h2')) {
      const h = title.getBoundingClientRect();
      if (t.top < h.bottom && h.top < t.bottom && t.left < h.right && h.left < t.right) {
        out.overlaps.push('buttons cover ' + title.textContent.trim());
      }
    }
    let next = tools.nextElementSibling;
    while (next && next.getBoundingClientRect().height === 0) { next = next.nextElementSibling; }
    if (next && next.getBoundingClientRect().top - t.bottom < 4) {
      out.overlaps.push('buttons touch ' + (next.id || next.className || next.tagName));
    }
  }
  return out;
}"""


def _sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def _data():
    programme = ProgrammeFactory(name="Virtual cGMP Training Marathon")
    start = timezone.now() + timedelta(days=10)
    event = EventFactory(
        programme=programme,
        title=LONG,
        start=start,
        end=start + timedelta(days=30),
        capacity=500,
    )
    speakers = SpeakerFactory.create_batch(3, organisation="National Regulatory Authority")
    for week in range(5):
        for day in (0, 2):
            session = SessionFactory(
                event=event,
                title="Contamination control strategy and cleaning validation in practice",
                start=start + timedelta(weeks=week, days=day),
            )
            session.speakers.set(speakers)
    for index in range(30):
        RegistrationFactory(
            event=event,
            user=UserFactory(
                full_name=f"Participant with a rather long name number {index}",
                email=f"participant.with.a.long.address.{index}@ministry-of-health.example.org",
                organisation="National Medicines Regulatory Authority of a Long-Named Country",
            ),
            status="waitlisted" if index % 5 == 0 else "confirmed",
        )
    EventFactory(programme=programme, title=LONG.replace("2025", "2024"), status="draft")
    manager = UserFactory(is_staff=True, is_superuser=True)
    draft = message_create(
        event=event,
        recipients="confirmed",
        subject="Joining instructions for the Marathon sessions and the materials to read",
        body="Please read the **materials** before the first session.",
        by=manager,
    )
    sent = message_create(
        event=event, recipients="confirmed", subject="Welcome", body="Welcome!", by=manager
    )
    message_send(message=sent, by=manager)
    resource = ResourceFactory(
        title="WHO good manufacturing practices for sterile pharmaceutical products — TRS 1044"
    )
    return event, manager, draft, sent, resource


def test_no_admin_page_scrolls_sideways_at_1366_px(browser, live_server):
    event, manager, draft, sent, resource = _data()
    registration = event.registrations.first()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 768}, locale="en-GB"
    )
    page = context.new_page()
    _sign_in(page, live_server, manager)
    urls = [
        reverse("admin:index"),
        reverse("admin:events_event_changelist"),
        reverse("admin:events_event_add"),
        reverse("admin:events_event_change", args=[event.pk]),
        reverse("admin:events_event_summary", args=[event.pk]),
        reverse("admin:events_event_attendance_import", args=[event.pk]),
        reverse("admin:events_registration_changelist"),
        reverse("admin:events_registration_changelist") + f"?event__id__exact={event.pk}",
        reverse("admin:events_registration_change", args=[registration.pk]),
        reverse("admin:events_message_changelist"),
        reverse("admin:events_message_add") + f"?event={event.pk}",
        reverse("admin:events_message_change", args=[draft.pk]),
        reverse("admin:events_message_preview", args=[draft.pk]),
        reverse("admin:events_message_send", args=[draft.pk]),
        reverse("admin:events_message_change", args=[sent.pk]),
        reverse("admin:events_emaildelivery_changelist"),
        reverse("admin:repository_resource_changelist"),
        reverse("admin:repository_resource_add"),
        reverse("admin:repository_resource_change", args=[resource.pk]),
        reverse("reports:reach") + "?show_map=on",
    ]
    problems = {}
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        found = page.evaluate(MEASURE)
        scroll, client = found["page"]
        if scroll > client or found["boxes"] or found["overlaps"]:
            problems[url] = found
    context.close()

    assert problems == {}


def test_the_dashboard_passes_axe(page, live_server):
    from tests.browser.test_messages_browser import check_admin_page

    _event, manager, _draft, _sent, _resource = _data()
    RegistrationFactory(event=EventFactory(registration_mode="approval"), status="pending")
    page.set_viewport_size({"width": 1366, "height": 768})
    _sign_in(page, live_server, manager)

    page.goto(reverse("admin:index"))
    assert page.get_by_role("heading", name="Registration requests to approve").is_visible()
    check_admin_page(page)
