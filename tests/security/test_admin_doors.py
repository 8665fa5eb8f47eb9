"""Attacks 2 and 3 of the outside review: the admin's "view on site" shortcut and its sign-in.

- `/admin/r/<content type>/<id>/` redirected any staff member to any object's public page: a
  Content editor walking the ids of certificates read every holder's name. It answers now only
  for objects the staff member may view in the admin, never for a certificate (personal data
  has no public URL reachable this way), and with a 404 for ids that are not keys.
- `/admin/login/` had no rate limit: 15 wrong passwords then the right one signed in. The admin
  now signs in through allauth's form and its limits, counted in the shared cache.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from accounts.groups import CONTENT_EDITORS, EVENT_MANAGERS
from events.attendance import attendance_mark
from events.models import Certificate, Event
from repository.models import Resource
from tests.factories import (
    PASSWORD,
    EventFactory,
    RegistrationFactory,
    ResourceFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts"


def _staff_in(group_name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def _shortcut(model, pk) -> str:
    content_type = ContentType.objects.get_for_model(model)
    return f"/admin/r/{content_type.pk}/{pk}/"


@pytest.fixture
def certificate():
    past = timezone.now() - timedelta(days=3)
    event = EventFactory(start=past, end=past + timedelta(days=1))
    session = SessionFactory(event=event)
    holder = UserFactory(full_name="Holder Of The Certificate")
    registration = RegistrationFactory(event=event, user=holder)
    attendance_mark(registrations=[registration], sessions=[session])
    return Certificate.objects.get(registration=registration)


def test_a_content_editor_cannot_walk_certificates_through_view_on_site(client, certificate):
    client.force_login(_staff_in(CONTENT_EDITORS))
    for pk in range(certificate.pk - 2, certificate.pk + 3):
        response = client.get(_shortcut(Certificate, pk))
        assert response.status_code == 404
        assert "/certificates/" not in response.get("Location", "")


def test_no_staff_member_reaches_a_certificate_holder_through_the_shortcut(client, certificate):
    """Event managers may see certificates in the admin, but a certificate has no page to be
    sent to from there: personal data is not reachable through this door."""
    client.force_login(_staff_in(EVENT_MANAGERS))
    assert client.get(_shortcut(Certificate, certificate.pk)).status_code == 404


def test_the_shortcut_still_leads_to_what_the_staff_member_may_view(client):
    resource = ResourceFactory(slug="gmp-main")
    client.force_login(_staff_in(CONTENT_EDITORS))
    response = client.get(_shortcut(Resource, resource.pk))
    assert response.status_code == 302
    assert response["Location"] == resource.get_absolute_url()


def test_the_shortcut_refuses_objects_the_staff_member_may_not_view(client):
    """A Content editor has no permission on events."""
    event = EventFactory()
    client.force_login(_staff_in(CONTENT_EDITORS))
    assert client.get(_shortcut(Event, event.pk)).status_code == 404


@pytest.mark.parametrize(
    "object_id", ["abc", "1.5", "-1", "99999999999999999999999", "1%20", "0x10"]
)
def test_ids_that_are_not_keys_are_404_not_500(client, object_id):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for model in (Event, Resource, Certificate):
        assert client.get(_shortcut(model, object_id)).status_code == 404


def test_models_without_integer_keys_are_404_not_500(client):
    from django.contrib.sessions.models import Session
    from django_tasks_db.models import DBTaskResult

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for model in (Session, DBTaskResult):
        for object_id in ("abc", "1", "00000000-0000-0000-0000-000000000000"):
            assert client.get(_shortcut(model, object_id)).status_code == 404
    assert client.get("/admin/r/99999999999/1/").status_code == 404
    assert client.get("/admin/r/999999999999999999999999999/1/").status_code == 404


@pytest.mark.parametrize("selected", ["abc", "1;DROP", "", "99999999999999999999999"])
def test_an_admin_action_on_ids_that_are_not_keys_is_404_not_500(client, selected):
    draft = EventFactory(status="draft")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.post(
        reverse("admin:events_event_changelist"),
        {"action": "publish", "_selected_action": [str(draft.pk), selected]},
    )
    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_fifteen_wrong_passwords_at_the_admin_sign_in_then_the_right_one_do_not_sign_in(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    for attempt in range(15):
        client.post(
            reverse("admin:login"),
            {"username": staff.email, "password": f"wrong-{attempt}"},
            REMOTE_ADDR=f"198.51.100.{attempt}",
        )
    client.post(
        reverse("admin:login"), {"username": staff.email, "password": PASSWORD}, follow=True
    )
    assert "_auth_user_id" not in client.session


def test_the_admin_signs_in_through_the_limited_form(client):
    """The admin's sign-in is allauth's: after five failures for the account, even the right
    password is refused for a while, from any address."""
    staff = UserFactory(is_staff=True, is_superuser=True)
    page = client.get(reverse("admin:login"), {"next": "/admin/events/"})
    assert page.status_code == 302
    sign_in = page["Location"]
    assert sign_in.startswith(reverse("account_login"))
    assert "next=%2Fadmin%2Fevents%2F" in sign_in

    for attempt in range(5):
        client.post(
            sign_in,
            {"login": staff.email, "password": f"wrong-{attempt}"},
            REMOTE_ADDR=f"198.51.100.{attempt}",
        )
    refused = client.post(
        sign_in, {"login": staff.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.50"
    )
    assert TOO_MANY in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_right_password_leads_to_the_admin(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    sign_in = client.get(reverse("admin:login"), {"next": "/admin/"})["Location"]
    response = client.post(sign_in, {"login": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_signed_in_person_without_access_is_told_so_not_sent_round_in_circles(client):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:login"), {"next": "/admin/"})
    assert response.status_code == 403
    assert "no access to the administration" in response.content.decode()
