"""Attack 1 of the outside review: staff-written help text that carries a form button.

An Event manager sets a registration question's help text to a button that posts to the email
page with the attacker's address; a signed-in registrant who clicks it (or presses Enter in the
question, the injected button being the form's first) would add that address to their account.
The help text must come out as text, and adding an email address must ask for the password."""

from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from events.models import Question
from tests.factories import PASSWORD, EventFactory, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER = "attacker@evil.example"
PAYLOAD = (
    '<button formaction="/en/accounts/email/" name="action_add" value="1">Register now</button>'
    f'<input type="hidden" name="email" value="{ATTACKER}">'
)


class _Controls(HTMLParser):
    def __init__(self):
        super().__init__()
        self.controls: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("button", "input", "form", "select", "textarea"):
            self.controls.append({"tag": tag, **dict(attrs)})


def _controls(html: str) -> list[dict]:
    parser = _Controls()
    parser.feed(html)
    return parser.controls


def test_a_question_help_text_is_shown_as_text_not_as_a_button(client):
    event = EventFactory()
    Question.objects.create(
        event=event, label="Your role", help_text=PAYLOAD, kind=Question.Kind.SHORT_TEXT
    )
    client.force_login(UserFactory())
    html = client.get(event.get_absolute_url()).content.decode()

    controls = _controls(html)
    assert not [c for c in controls if c.get("formaction")]
    assert not [c for c in controls if c.get("value") == ATTACKER]
    # The staff member's words are still there, as text.
    assert "&lt;button formaction=" in html


def test_no_template_marks_anything_safe():
    """Nothing a person typed may be rendered with |safe: no template uses it at all."""
    from pathlib import Path

    offenders = [
        str(path)
        for path in Path("templates").rglob("*.html")
        if "|safe" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_adding_an_email_address_asks_for_the_password_first(client):
    """What the injected button would post: it stops at the password, adds nothing."""
    victim = UserFactory()
    client.force_login(victim)
    response = client.post(reverse("account_email"), {"action_add": "1", "email": ATTACKER})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email=ATTACKER).exists()
    assert not [m for m in mail.outbox if ATTACKER in m.to]


def test_after_the_password_the_address_is_added_unverified(client):
    """The person's own change goes through once they typed their password."""
    person = UserFactory()
    client.force_login(person)
    asked = client.post(
        reverse("account_email"), {"action_add": "1", "email": "second@example.org"}
    )
    form = client.get(asked["Location"])
    assert b'name="password"' in form.content
    response = client.post(
        asked["Location"], {"password": PASSWORD, "next": reverse("account_email")}
    )

    assert response.status_code in (200, 302)
    added = EmailAddress.objects.get(email="second@example.org")
    assert added.user == person and not added.verified


def test_changing_the_password_needs_the_current_one(client):
    person = UserFactory()
    client.force_login(person)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": "not-the-password",
            "password1": "N3w-pass-phrase!",
            "password2": "N3w-pass-phrase!",
        },
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
