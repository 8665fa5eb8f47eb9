"""Every form that changes something refuses a POST without the CSRF token, and every form
page carries the token."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from events.attendance import attendance_mark
from events.models import Event, Feedback, Registration
from tests.factories import (
    PASSWORD,
    EventFactory,
    RegistrationFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TOKEN_INPUT = 'name="csrfmiddlewaretoken"'


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def attended():
    """A registration to a past event that the participant attended, so feedback is open."""
    end = timezone.now() - timedelta(days=2)
    event = EventFactory(start=end - timedelta(days=1), end=end)
    session = SessionFactory(event=event)
    registration = RegistrationFactory(event=event)
    attendance_mark(registrations=[registration], sessions=[session])
    registration.refresh_from_db()
    return registration


@pytest.fixture
def forms(attended):
    """form name -> (who is signed in, URL, a POST that would be accepted with a token)."""
    user = attended.user
    upcoming = RegistrationFactory(user=user)
    open_event = EventFactory()
    draft = EventFactory(status="draft", published_at=None, slug="draft-event")
    superuser = UserFactory(is_staff=True, is_superuser=True)
    return {
        "sign in": (None, reverse("account_login"), {"login": user.email, "password": PASSWORD}),
        "sign up": (
            None,
            reverse("account_signup"),
            {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
        ),
        "sign out": (user, reverse("account_logout"), {}),
        "password reset": (None, reverse("account_reset_password"), {"email": user.email}),
        "profile edit": (
            user,
            reverse("accounts:profile"),
            {"full_name": "Someone Else", "organisation": "Elsewhere"},
        ),
        "account deletion": (user, reverse("accounts:delete"), {"password": PASSWORD}),
        "event registration": (user, open_event.get_absolute_url(), {"consent": "on"}),
        "registration cancel": (
            user,
            reverse("events:registration_cancel", kwargs={"pk": upcoming.pk}),
            {"reason": "Cannot come"},
        ),
        "feedback": (
            user,
            reverse("events:feedback", kwargs={"pk": attended.pk}),
            {"rating": "5"},
        ),
        "admin action": (
            superuser,
            reverse("admin:events_event_changelist"),
            {"action": "publish", "_selected_action": [draft.pk]},
        ),
        # Staff sign in to the admin through the site's sign-in form (admin:login sends them).
        "admin login": (
            None,
            f"{reverse('account_login')}?next=/admin/",
            {"login": superuser.email, "password": PASSWORD},
        ),
    }


FORMS = [
    "sign in",
    "sign up",
    "sign out",
    "password reset",
    "profile edit",
    "account deletion",
    "event registration",
    "registration cancel",
    "feedback",
    "admin action",
    "admin login",
]


@pytest.mark.parametrize("form", FORMS)
def test_a_post_without_the_token_is_refused(csrf_client, forms, form):
    user, url, data = forms[form]
    if user:
        csrf_client.force_login(user)
    response = csrf_client.post(url, data)
    assert response.status_code == 403


@pytest.mark.parametrize("form", FORMS)
def test_a_post_with_a_wrong_token_is_refused(csrf_client, forms, form):
    user, url, data = forms[form]
    if user:
        csrf_client.force_login(user)
    csrf_client.get(url)  # sets the cookie
    response = csrf_client.post(url, {**data, "csrfmiddlewaretoken": "x" * 64})
    assert response.status_code == 403


@pytest.mark.parametrize("form", FORMS)
def test_the_form_page_carries_the_token(csrf_client, forms, form):
    user, url, _data = forms[form]
    if user:
        csrf_client.force_login(user)
    response = csrf_client.get(url)
    assert response.status_code == 200
    assert TOKEN_INPUT in response.content.decode()


def test_refused_posts_change_nothing(csrf_client, forms, attended):
    user = attended.user
    for form in FORMS:
        who, url, data = forms[form]
        csrf_client.logout()
        if who:
            csrf_client.force_login(who)
        csrf_client.post(url, data)
    user.refresh_from_db()
    assert user.is_active and user.full_name != "Someone Else"
    assert not Feedback.objects.exists()
    assert not Registration.objects.filter(status="cancelled").exists()
    assert Registration.objects.count() == 2
    assert Event.objects.get(slug="draft-event").status == "draft"
    assert not User.objects.filter(email="new@example.org").exists()


def test_the_token_lets_the_same_post_through(csrf_client, forms):
    """The refusals above are about the token, not about the data posted."""
    user, url, data = forms["profile edit"]
    csrf_client.force_login(user)
    html = csrf_client.get(url).content.decode()
    token = html.split(TOKEN_INPUT, 1)[1].split('value="', 1)[1].split('"', 1)[0]
    response = csrf_client.post(url, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code in (200, 302)
