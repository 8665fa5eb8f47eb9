""" "Notify me when registration opens": one email, through the outbox and the alerts run, once
registration has opened."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_data_export
from events.alerts import alerts_send, registration_openings_notify
from events.models import EmailDelivery, RegistrationOpeningNotice
from tests.factories import EventFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    now = timezone.now()
    return EventFactory(
        title="Week of Quality 2099",
        registration_opens=now + timedelta(days=10),
        start=now + timedelta(days=60),
    )


def _notify(client, event, **data):
    return client.post(reverse("events:registration_notice", kwargs={"slug": event.slug}), data)


def test_a_visitor_asks_to_be_told_and_can_change_their_mind(client, announced):
    anonymous = client.get(announced.get_absolute_url()).content.decode()
    assert "Sign in to be told when it opens" in anonymous
    assert _notify(client, announced).status_code == 302
    assert not RegistrationOpeningNotice.objects.exists()

    user = UserFactory()
    client.force_login(user)
    assert (
        "Notify me when registration opens"
        in client.get(announced.get_absolute_url()).content.decode()
    )
    response = _notify(client, announced)
    assert response.status_code == 302
    _notify(client, announced)  # twice: still one
    assert RegistrationOpeningNotice.objects.filter(event=announced, user=user).count() == 1
    html = client.get(announced.get_absolute_url()).content.decode()
    assert "We will email you when registration opens." in html
    assert "Week of Quality 2099" in client.get(reverse("events:alerts")).content.decode()

    _notify(client, announced, action="cancel")
    assert not RegistrationOpeningNotice.objects.exists()


def test_no_notice_for_an_event_already_open(client):
    open_event = EventFactory()
    client.force_login(UserFactory())
    response = _notify(client, open_event)
    assert response.status_code == 302
    assert not RegistrationOpeningNotice.objects.exists()
    html = client.get(open_event.get_absolute_url()).content.decode()
    assert "not waiting to open" in html


def test_one_email_once_registration_opens_however_often_alerts_run(
    announced, django_capture_on_commit_callbacks
):
    french = UserFactory(preferred_language="fr")
    english = UserFactory()
    for user in (french, english):
        RegistrationOpeningNotice.objects.create(event=announced, user=user)
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_send().openings == 0  # not open yet
    assert mail.outbox == []

    # Registration opened a few minutes ago.
    announced.registration_opens = timezone.now() - timedelta(minutes=5)
    announced.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts_send().openings == 2
        assert alerts_send().openings == 0
        assert registration_openings_notify(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(mail.outbox) == 2
    french_mail = next(m for m in mail.outbox if m.to == [french.email])
    assert french_mail.subject == "Inscriptions ouvertes : Week of Quality 2099"
    english_mail = next(m for m in mail.outbox if m.to == [english.email])
    assert english_mail.subject == "Registration is open: Week of Quality 2099"
    assert announced.get_absolute_url() in english_mail.body
    assert "Registration: Registration open" in english_mail.body
    assert EmailDelivery.objects.filter(key__startswith="registration-opens:").count() == 2


def test_a_cancelled_event_sends_nothing_and_a_later_opening_waits(announced):
    user = UserFactory()
    notice = RegistrationOpeningNotice.objects.create(event=announced, user=user)
    moved = EventFactory(
        registration_opens=timezone.now() + timedelta(days=1),
        start=timezone.now() + timedelta(days=90),
    )
    waiting = RegistrationOpeningNotice.objects.create(event=moved, user=user)
    # The opening moved a month later: nothing yet.
    moved.registration_opens = timezone.now() + timedelta(days=30)
    moved.save()
    announced.status = "cancelled"
    announced.save()
    assert registration_openings_notify(now=timezone.now() + timedelta(days=11)) == 0
    notice.refresh_from_db()
    waiting.refresh_from_db()
    assert notice.done_at is not None and notice.delivery is None
    assert waiting.done_at is None
    assert not EmailDelivery.objects.exists()


def test_the_command_reports_the_openings(announced, capsys):
    RegistrationOpeningNotice.objects.create(event=announced, user=UserFactory())
    call_command("send_alerts", "--dry-run")
    assert "registration openings told: 0" in capsys.readouterr().out


def test_notices_are_personal_data(announced):
    user = UserFactory()
    RegistrationOpeningNotice.objects.create(event=announced, user=user)
    data = user_data_export(user=user)
    assert data["registration_opening_notices"][0]["event"] == "Week of Quality 2099"
