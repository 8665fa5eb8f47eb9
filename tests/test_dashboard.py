"""The staff dashboard on the admin's first page: what waits for staff, each figure a link to
the filtered list; the sections of the index as staff read them."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.groups import CONTENT_EDITORS, EVENT_MANAGERS
from events.models import EmailDelivery, Feedback
from tests.factories import EventFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff_in(group_name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def _panel(html: str, panel_id: str) -> str:
    match = re.search(
        rf'<section class="module" id="dashboard-{panel_id}".*?</section>', html, re.S
    )
    assert match, f"no panel {panel_id}"
    return match.group(0)


def _dashboard_data():
    soon = timezone.now() + timedelta(days=20)
    approval = EventFactory(title="Workshop by approval", registration_mode="approval", start=soon)
    RegistrationFactory.create_batch(3, event=approval, status="pending")
    full = EventFactory(title="Clinic full", capacity=2, start=soon + timedelta(days=1))
    RegistrationFactory.create_batch(2, event=full)
    RegistrationFactory(event=full, status="waitlisted")
    EventFactory(title="Draft not open", status="draft", start=soon)
    EmailDelivery.objects.create(
        key="a", to="a@example.org", subject="x", body_text="x", status="failed"
    )
    EmailDelivery.objects.create(
        key="b", to="b@example.org", subject="x", body_text="x", status="gave_up"
    )
    EmailDelivery.objects.create(
        key="c", to="c@example.org", subject="x", body_text="x", status="sent"
    )
    past = EventFactory(title="Marathon past", start=timezone.now() - timedelta(days=30))
    Feedback.objects.create(
        registration=RegistrationFactory(event=past, attended=True),
        rating=4,
        comments="Very useful sessions",
    )
    return approval, full


def test_the_dashboard_says_what_waits_with_links_to_the_filtered_lists(client):
    approval, full = _dashboard_data()
    client.force_login(staff_in(EVENT_MANAGERS))

    html = client.get(reverse("admin:index")).content.decode()

    changelist = reverse("admin:events_registration_changelist")
    pending = _panel(html, "pending-requests")
    assert "Workshop by approval" in pending
    assert (
        f'href="{changelist}?event__id__exact={approval.pk}&amp;status__exact=pending">3</a>'
        in pending
    )
    open_events = _panel(html, "open-events")
    assert "Clinic full" in open_events and "Workshop by approval" in open_events
    assert "Draft not open" not in open_events
    assert (
        f'href="{changelist}?event__id__exact={full.pk}&amp;status__exact=confirmed">'
        "2 of 2 seats (0 left)</a>" in open_events
    )
    assert f'href="{changelist}?event__id__exact={full.pk}&amp;status__exact=waitlisted">1</a>' in (
        open_events
    )
    emails = _panel(html, "failed-emails")
    outbox = reverse("admin:events_emaildelivery_changelist")
    assert f'href="{outbox}?status__exact=failed">1</a>' in emails
    assert f'href="{outbox}?status__exact=gave_up">1</a>' in emails
    feedback = _panel(html, "recent-feedback")
    assert "Marathon past" in feedback and "4/5" in feedback and "Very useful sessions" in feedback

    # Every figure leads to a list that shows what it counts.
    response = client.get(f"{changelist}?event__id__exact={approval.pk}&status__exact=pending")
    assert len(response.context["cl"].result_list) == 3


def test_content_editors_see_no_registrant_panel(client):
    _dashboard_data()
    client.force_login(staff_in(CONTENT_EDITORS))

    html = client.get(reverse("admin:index")).content.decode()

    # Their panel is the requests for restricted files; none about registrants.
    for panel in ("pending-requests", "open-events", "failed-emails", "recent-feedback"):
        assert f'id="dashboard-{panel}"' not in html
    assert 'id="dashboard-restricted-file-requests"' in html
    assert "Workshop by approval" not in html


def test_the_index_query_count_does_not_grow_with_the_data(client, django_assert_max_num_queries):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    _dashboard_data()
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("admin:index")).status_code == 200

    for index in range(30):
        event = EventFactory(registration_mode="approval", capacity=50)
        RegistrationFactory.create_batch(2, event=event, status="pending")
        RegistrationFactory(event=event)
        EmailDelivery.objects.create(
            key=f"more-{index}", to="x@example.org", subject="x", body_text="x", status="failed"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("admin:index")).status_code == 200


def test_one_accounts_section_and_no_machinery_for_staff_who_are_not_superusers(client):
    manager = staff_in(EVENT_MANAGERS)
    manager.user_permissions.add(
        Permission.objects.get(codename="view_site"),
        Permission.objects.get(codename="view_group"),
    )
    client.force_login(manager)

    response = client.get(reverse("admin:index"))

    html = response.content.decode()
    assert html.count(">Accounts</a>") + html.count(">Accounts</caption>") <= 1
    assert reverse("admin:sites_site_changelist") not in html
    assert reverse("admin:auth_group_changelist") in html

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = client.get(reverse("admin:index")).content.decode()
    captions = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', html)
    assert captions.count("Accounts") == 1
    assert "Authentication and Authorization" not in captions
    assert reverse("admin:sites_site_changelist") in html


def test_favicon_ico_answers_with_the_portal_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.svg"
    # The tests serve no static files; the file is the one the finders give.
    from django.contrib.staticfiles import finders

    with open(finders.find("img/favicon.svg"), "rb") as icon:
        assert b"<svg" in icon.read()


def test_the_event_time_zone_offers_canonical_zones_grouped_by_region(client):
    from events.models import Event

    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    html = client.get(reverse("admin:events_event_add")).content.decode()

    select = re.search(r'<select name="time_zone".*?</select>', html, re.S).group(0)
    assert '<optgroup label="Asia">' in select
    assert '<optgroup label="Europe">' in select
    assert '<option value="Asia/Kathmandu">Kathmandu</option>' in select
    assert '<option value="America/Argentina/Buenos_Aires">Buenos Aires (Argentina)</option>' in (
        select
    )
    # Aliases are not offered: India's zone is Asia/Kolkata, US/Eastern is America/New_York.
    assert 'value="Asia/Kolkata"' in select
    assert 'value="Asia/Calcutta"' not in select
    assert 'value="US/Eastern"' not in select
    # An event stored with an alias still shows it.
    event = EventFactory(time_zone="Asia/Calcutta")
    html = client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    assert '<option value="Asia/Calcutta" selected>Asia/Calcutta</option>' in html
    assert Event.objects.get(pk=event.pk).time_zone == "Asia/Calcutta"
