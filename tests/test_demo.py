"""The demo content: the real history, valid rows, and loaded once however often it runs."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from events.models import Event, Session, Speaker
from lpa_portal.demo import seed_demo
from repository.models import Resource, Topic

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models(include_auto_created=True)
    }


def _local_day(moment: datetime, event: Event) -> date:
    return timezone.localtime(moment, event.tz).date()


def test_seeding_twice_creates_nothing_and_changes_nothing():
    counts = seed_demo()
    rows = _row_counts()
    events = list(Event.objects.values().order_by("slug"))
    sessions = list(Session.objects.values().order_by("pk"))
    resources = list(Resource.objects.values().order_by("slug"))

    assert seed_demo() == counts
    assert _row_counts() == rows
    assert list(Event.objects.values().order_by("slug")) == events
    assert list(Session.objects.values().order_by("pk")) == sessions
    assert list(Resource.objects.values().order_by("slug")) == resources


def test_a_later_run_does_not_move_the_demo_editions(monkeypatch):
    seed_demo()
    dates = dict(Event.objects.values_list("slug", "start"))
    rows = _row_counts()
    a_year_later = timezone.now() + timedelta(days=400)
    monkeypatch.setattr(timezone, "now", lambda: a_year_later)

    seed_demo()

    assert dict(Event.objects.values_list("slug", "start")) == dates
    assert _row_counts() == rows


@pytest.mark.parametrize(
    "today", [date(2025, 8, 20), date(2026, 11, 25), date(2027, 9, 20), date(2031, 2, 28)]
)
def test_a_fresh_load_always_has_upcoming_events(monkeypatch, today):
    now = datetime.combine(today, time(9), tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: now)

    seed_demo()

    upcoming = Event.objects.filter(status=Event.Status.PUBLISHED).upcoming(now)
    assert upcoming.count() >= 3
    assert Event.objects.open_for_registration(now).count() >= 2
    week_of_quality = Event.objects.get(slug="week-of-quality-demo")
    assert week_of_quality.registration_opens > now
    marathon = Event.objects.get(slug="virtual-cgmp-training-marathon-demo")
    assert marathon.sessions.count() == 8
    assert marathon.start > now
    assert (
        Event.objects.filter(
            edition_year=marathon.edition_year, programme=marathon.programme
        ).count()
        == 1
    )


def test_the_real_history_is_there():
    seed_demo()

    marathon = Event.objects.get(slug="virtual-cgmp-training-marathon-2024")
    assert "Institutionalizing Compliance and Continued Improvement" in marathon.title
    assert _local_day(marathon.start, marathon) == date(2024, 9, 10)
    assert _local_day(marathon.end, marathon) == date(2024, 10, 10)
    assert marathon.participants_count == 1550
    assert marathon.countries_count == 90
    assert marathon.outcome_note == "about 1,550 participants on average from about 90 countries"
    assert marathon.region == Event.GLOBAL
    first = marathon.sessions.first()
    # 13:00 in Geneva on a summer day is 11:00 UTC.
    assert first.start == datetime(2024, 9, 10, 11, 0, tzinfo=UTC)

    kathmandu = Event.objects.get(slug="regional-training-workshop-kathmandu-2024")
    assert (kathmandu.region, kathmandu.country.code, kathmandu.city) == (
        "SEARO",
        "NP",
        "Kathmandu",
    )
    assert kathmandu.time_zone == "Asia/Kathmandu"
    assert _local_day(kathmandu.start, kathmandu) == date(2024, 5, 21)
    assert _local_day(kathmandu.end, kathmandu) == date(2024, 5, 23)
    assert kathmandu.participants_count == 65
    assert [p.name for p in kathmandu.partners.all()] == [
        "Department of Drug Administration, Nepal"
    ]

    addis = Event.objects.get(slug="regional-training-workshop-addis-ababa-2025")
    assert (addis.region, addis.time_zone) == ("AFRO", "Africa/Addis_Ababa")
    assert (addis.participants_count, addis.countries_count) == (26, 7)

    qa_report = Event.objects.get(slug="virtual-cgmp-training-marathon-2021").materials.get()
    assert qa_report.reference_number == "WHO/MHP/RPQ/LPA/2022.1"
    assert qa_report.status == Resource.Status.PUBLISHED

    assert Event.objects.get(slug="virtual-cgmp-training-marathon-2025").sessions.count() == 8
    assert Topic.objects.get(slug="data-integrity").parent.slug == "quality-systems"


def test_upcoming_past_and_draft():
    seed_demo()

    assert Event.objects.filter(status=Event.Status.PUBLISHED).upcoming().count() >= 3
    assert Event.objects.published().past().count() >= 8
    draft = Event.objects.get(status=Event.Status.DRAFT)
    assert draft not in Event.objects.published()
    assert draft.published_at is None
    assert not Event.objects.exclude(status=Event.Status.DRAFT).filter(published_at=None).exists()


def test_made_up_content_is_named_as_demo():
    seed_demo()

    for event in Event.objects.upcoming():
        assert "(demo" in event.title
    assert all(name.startswith("Demo ") for name in Speaker.objects.values_list("name", flat=True))


def test_every_demo_row_is_valid():
    seed_demo()

    for event in Event.objects.all():
        event.full_clean()
    for session in Session.objects.select_related("event"):
        session.full_clean()
        assert session.event.start <= session.start <= session.end <= session.event.end


def test_demo_has_a_full_event_with_a_waiting_list_and_a_past_event_with_certificates():
    from events.demo import FULL_EVENT_SLUG, PAST_EVENT_SLUG
    from events.models import Certificate, Event, Registration
    from lpa_portal.demo import seed_demo

    seed_demo()
    seed_demo()
    full = Event.objects.get(slug=FULL_EVENT_SLUG)
    statuses = list(full.registrations.values_list("status", flat=True))
    assert statuses.count("confirmed") == full.capacity
    assert statuses.count("waitlisted") >= 2
    past = Event.objects.get(slug=PAST_EVENT_SLUG)
    assert past.end < timezone.now()
    attended = Registration.objects.filter(event=past, attended=True)
    assert attended.count() >= 5
    assert Certificate.objects.filter(registration__event=past).count() == attended.count()
    assert Registration.objects.filter(event=past, attended=False).exists()


def test_demo_reports_compare_two_marathons_by_region():
    from accounts.models import User
    from events.models import Programme
    from events.reports import reach_report, year_over_year

    seed_demo()
    seed_demo()
    marathon = Programme.objects.get(slug="virtual-cgmp-training-marathon")
    years = {row["year"]: row for row in year_over_year(programme=marathon)}

    assert years[2024]["participants"] > years[2023]["participants"] > 0
    assert years[2024]["countries"] > years[2023]["countries"] > 1
    assert 0 < years[2024]["attended"] < years[2024]["confirmed"]
    # People who took part in both years count once for the programme.
    both = years[2023]["participants"] + years[2024]["participants"] + years[2025]["participants"]
    assert reach_report(programme=marathon)["totals"]["participants"] < both
    regions = {
        row["label"]
        for row in reach_report(event=marathon.events.get(edition_year=2024))["by_region"]
    }
    assert len(regions) == 6
    # Made-up people, named as such, who cannot sign in.
    participants = User.objects.filter(email__endswith="@participants.demo.example")
    assert participants.count() == 60
    assert all(user.full_name.startswith("Demo participant") for user in participants)
    assert not any(user.has_usable_password() for user in participants)


def test_the_flagship_programmes_their_editions_and_resources_are_translated(client):
    seed_demo()
    from events.demo_translations import seed_demo_translations

    assert seed_demo_translations() == seed_demo_translations()
    for slug in ("virtual-cgmp-training-marathon", "week-of-quality"):
        for event in Event.objects.filter(programme__slug=slug):
            assert event.title_fr and event.title_es and event.title_ar, event.slug
    assert Resource.objects.exclude(title_ar=None).exclude(title_ar="").count() >= 5
    demo = Event.objects.get(slug="virtual-cgmp-training-marathon-demo")
    assert (
        demo.title_fr
        == f"Marathon virtuel de formation aux BPF (cGMP) {demo.start.year} (démonstration)"
    )
    html = client.get("/fr/resources/who-gmp-main-principles-trs-986-annex-2/").content.decode()
    assert "Bonnes pratiques de fabrication de l’OMS pour les produits pharmaceutiques" in html
    html = client.get("/fr/programmes/week-of-quality/").content.decode()
    assert "<h1>Semaine de la qualité</h1>" in html
