"""Attack 6 of the outside review: invitation codes could be guessed (30 wrong codes in 0.4 s,
no limit), and staff could type codes far weaker than the generated ones.

Wrong codes are limited per person and per address, counted in the shared cache; past the
limit even the right code is refused for a while. Staff-typed codes must be as strong as the
generated ones (about 50 bits)."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.groups import EVENT_MANAGERS
from events.models import Invitation, Registration, invitation_code_new
from tests.factories import EventFactory, UserFactory
from tests.forms import admin_form_data

pytestmark = pytest.mark.django_db

CODE = "K7PX-R9TQ-WM"
TOO_MANY = "Too many wrong invitation codes"


@pytest.fixture
def event():
    event = EventFactory(registration_mode="invitation")
    Invitation.objects.create(event=event, code=CODE, max_uses=5)
    return event


def _try(client, event, code, ip="203.0.113.7"):
    return client.post(
        event.get_absolute_url(),
        {"invitation_code": code, "consent": "on"},
        REMOTE_ADDR=ip,
        follow=True,
    )


def test_after_five_wrong_codes_a_person_cannot_even_use_the_right_one(client, event):
    person = UserFactory()
    client.force_login(person)
    for attempt in range(5):
        page = _try(client, event, f"WRONG-{attempt:04d}-X", ip=f"198.51.100.{attempt}")
        assert "This invitation code is not valid" in page.content.decode()
    page = _try(client, event, CODE, ip="192.0.2.77")
    assert TOO_MANY in page.content.decode()
    assert not Registration.objects.filter(user=person).exists()


def test_one_address_cannot_spread_its_guesses_over_many_accounts(client, event):
    for attempt in range(10):
        client.force_login(UserFactory())
        _try(client, event, f"GUESS-{attempt:04d}-Y")
    newcomer = UserFactory()
    client.force_login(newcomer)
    page = _try(client, event, CODE)
    assert TOO_MANY in page.content.decode()
    assert not Registration.objects.filter(user=newcomer).exists()
    # Another address is not held up by this one's guesses.
    page = _try(client, event, CODE, ip="192.0.2.200")
    assert Registration.objects.filter(user=newcomer).exists()


def test_the_right_code_still_works_after_a_typo(client, event):
    person = UserFactory()
    client.force_login(person)
    _try(client, event, "K7PX-R9TQ-WN")
    _try(client, event, CODE)
    assert Registration.objects.get(user=person).invitation.code == CODE


@pytest.mark.parametrize(
    "code",
    [
        "VIP",
        "ABCDEFGHJK",
        "AAAAAAAAAA",
        "MARATHON2025",
        "1234567890",
        "QWERTYUIOP1",
        "ABAB-ABAB-AB",
    ],
)
def test_staff_cannot_type_a_code_weaker_than_a_generated_one(client, code):
    event, response = _add_invitation_in_the_admin(client, code)
    assert response.status_code == 200  # the form again, with the error
    html = response.content.decode()
    assert "An invitation code needs at least 10" in html or "too easy to guess" in html
    assert not Invitation.objects.filter(event=event).exists()


@pytest.mark.parametrize("code", ["K7PX-R9TQ-WM", ""])
def test_a_strong_or_blank_code_is_taken(client, code):
    """The same form with a strong code (or none: one is made up) saves the invitation."""
    event, response = _add_invitation_in_the_admin(client, code)
    assert response.status_code == 302
    (invitation,) = Invitation.objects.filter(event=event)
    assert invitation.code == (code or invitation.code) and len(invitation.code) >= 10


def _add_invitation_in_the_admin(client, code):
    manager = UserFactory(is_staff=True)
    manager.groups.add(Group.objects.get(name=EVENT_MANAGERS))
    event = EventFactory(
        registration_mode="invitation",
        title="Regional workshop Nairobi",
        description="Two days on GMP.",
    )
    client.force_login(manager)
    change_url = reverse("admin:events_event_change", args=[event.pk])
    data = admin_form_data(client.get(change_url))
    data.update(
        {
            "invitations-TOTAL_FORMS": "1",
            "invitations-INITIAL_FORMS": "0",
            "invitations-0-code": code,
            "invitations-0-email": "guest@example.org",
            "invitations-0-max_uses": "1",
        }
    )
    return event, client.post(change_url, data)


def test_a_code_with_a_word_of_the_event_title_is_refused():
    event = EventFactory(title="Regional workshop Nairobi")
    invitation = Invitation(event=event, code="NAIROBI-K7PX")
    with pytest.raises(ValidationError):
        invitation.full_clean()


def test_generated_codes_pass_the_same_rule():
    for _ in range(200):
        code = invitation_code_new()
        assert len(code) == 10
        Invitation(event=EventFactory.build(), code=code).clean_fields(exclude=["event"])
