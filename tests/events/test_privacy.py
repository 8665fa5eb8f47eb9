from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from events.models import Attendance, Registration
from events.privacy import registrations_anonymise
from tests.factories import EventFactory, RegistrationFactory, SessionFactory

pytestmark = pytest.mark.django_db

ANSWERS = {"1": {"question": "Why do you come?", "answer": "To improve our GMP audit."}}


@pytest.fixture
def events():
    now = timezone.now()
    old = EventFactory(start=now - timedelta(days=800), end=now - timedelta(days=798))
    recent = EventFactory(start=now - timedelta(days=40), end=now - timedelta(days=38))
    session = SessionFactory(event=old)
    for country in ("KE", "KE", "IN"):
        registration = RegistrationFactory(
            event=old,
            user__country=country,
            job_title="Head of QA",
            answers=ANSWERS,
            attended=True,
        )
        Attendance.objects.create(registration=registration, session=session)
    RegistrationFactory(event=old, user__country="FR", status="cancelled", answers=ANSWERS)
    RegistrationFactory(event=recent, user__country="NP", job_title="Pharmacist", answers=ANSWERS)
    return old, recent


def by_country(event) -> dict:
    return dict(
        Registration.objects.filter(event=event)
        .values_list("country")
        .annotate(n=Count("pk"))
        .values_list("country", "n")
    )


def test_old_registrations_lose_answers_and_names_but_keep_the_figures(events):
    old, recent = events
    counts_before = by_country(old)

    assert registrations_anonymise(older_than_days=730) == 4

    for registration in Registration.objects.filter(event=old):
        assert registration.answers == {}
        assert registration.full_name == registration.organisation == registration.job_title == ""
        assert registration.anonymised_at is not None
    assert by_country(old) == counts_before == {"KE": 2, "IN": 1, "FR": 1}
    assert set(
        Registration.objects.filter(event=old).values_list("who_region", "organisation_type")
    ) == {("AFRO", "manufacturer"), ("SEARO", "manufacturer"), ("EURO", "manufacturer")}
    assert Registration.objects.filter(event=old, attended=True).count() == 3
    assert Registration.objects.filter(event=old, status="cancelled").count() == 1
    assert Attendance.objects.filter(session__event=old).count() == 3

    untouched = Registration.objects.get(event=recent)
    assert untouched.answers == ANSWERS
    assert untouched.full_name and untouched.job_title == "Pharmacist"
    assert untouched.anonymised_at is None


def test_dry_run_counts_and_changes_nothing(events):
    old, _recent = events
    assert registrations_anonymise(older_than_days=730, dry_run=True) == 4
    assert not Registration.objects.filter(anonymised_at__isnull=False).exists()
    assert Registration.objects.filter(event=old, answers=ANSWERS).count() == 4


def test_running_twice_anonymises_nothing_more(events):
    assert registrations_anonymise(older_than_days=730) == 4
    first = dict(Registration.objects.values_list("pk", "anonymised_at"))
    later = timezone.now() + timedelta(days=1)
    assert registrations_anonymise(older_than_days=730, now=later) == 0
    assert dict(Registration.objects.values_list("pk", "anonymised_at")) == first


def test_the_cutoff_is_the_end_of_the_event(events):
    # The recent event ended 38 days ago: due after 30 days, not after 39.
    assert registrations_anonymise(older_than_days=39, dry_run=True) == 4
    assert registrations_anonymise(older_than_days=30, dry_run=True) == 5


def test_a_negative_retention_is_refused():
    with pytest.raises(ValueError, match="must not be negative"):
        registrations_anonymise(older_than_days=-1)


def test_command_uses_the_retention_setting_and_has_a_dry_run(events, settings, capsys):
    settings.REGISTRATION_RETENTION_DAYS = 730
    call_command("anonymise_registrations", "--dry-run")
    assert "4 registrations would be anonymised" in capsys.readouterr().out
    assert not Registration.objects.filter(anonymised_at__isnull=False).exists()

    call_command("anonymise_registrations", "--older-than-days", "30")
    assert "5 registrations anonymised" in capsys.readouterr().out
    assert Registration.objects.filter(anonymised_at__isnull=True).count() == 0


def test_command_refuses_a_negative_number_of_days():
    with pytest.raises(CommandError, match="must not be negative"):
        call_command("anonymise_registrations", "--older-than-days", "-5")
