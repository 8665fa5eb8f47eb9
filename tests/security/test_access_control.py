"""Who may open what: a matrix of roles and the URLs that take an id or a slug.

Someone else's registration is simply not found (404), so ids cannot be probed; restricted files
send anonymous visitors to sign in and tell signed-in visitors without the level why (403); drafts
exist for staff only; each staff group reaches the admin of its own models and no other.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts.groups import CONTENT_EDITORS, EVENT_MANAGERS
from accounts.models import OrganisationType
from events.attendance import attendance_mark
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    ResourceFactory,
    ResourceFileFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "owner",
    "other user",
    "regulator",
    "event manager",
    "content editor",
    "superuser",
]

LOGIN = "sign in"  # 302 to the sign-in page, with next= back to the URL
ADMIN_LOGIN = "admin sign in"  # 302 to the admin's sign-in page
L, A = LOGIN, ADMIN_LOGIN  # short, for the matrix
L, A = LOGIN, ADMIN_LOGIN


def _staff_in(group_name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def people():
    return {
        "anonymous": None,
        "owner": UserFactory(),
        "other user": UserFactory(),
        "regulator": UserFactory(
            organisation_type=OrganisationType.REGULATOR, is_verified_regulator=True
        ),
        "event manager": _staff_in(EVENT_MANAGERS),
        "content editor": _staff_in(CONTENT_EDITORS),
        "superuser": UserFactory(is_staff=True, is_superuser=True),
    }


@pytest.fixture
def urls(people):
    owner = people["owner"]
    end = timezone.now() - timedelta(days=2)
    past = EventFactory(start=end - timedelta(days=1), end=end)
    session = SessionFactory(event=past)
    attended = RegistrationFactory(event=past, user=owner)
    attendance_mark(registrations=[attended], sessions=[session])
    upcoming = RegistrationFactory(user=owner)

    def download(access_level=0, **fields):
        file = ResourceFileFactory(resource=ResourceFactory(access_level=access_level, **fields))
        return reverse(
            "repository:download", kwargs={"slug": file.resource.slug, "file_id": file.pk}
        )

    draft_event = EventFactory(status="draft", published_at=None)
    draft_resource = ResourceFactory(status="draft", published_at=None)
    embargoed = ResourceFactory(embargo_until=timezone.now() + timedelta(days=7))
    return {
        "cancel": reverse("events:registration_cancel", kwargs={"pk": upcoming.pk}),
        "certificate": reverse("events:certificate_download", kwargs={"pk": attended.pk}),
        "feedback": reverse("events:feedback", kwargs={"pk": attended.pk}),
        "public file": download(0),
        "registered file": download(1),
        "regulators file": download(2),
        "draft resource file": download(0, status="draft", published_at=None),
        "draft event": draft_event.get_absolute_url(),
        "draft event ics": reverse("events:ics", kwargs={"slug": draft_event.slug}),
        "draft resource": reverse("repository:detail", kwargs={"slug": draft_resource.slug}),
        "embargoed resource": reverse("repository:detail", kwargs={"slug": embargoed.slug}),
        "admin events": reverse("admin:events_event_changelist"),
        "admin registrations": reverse("admin:events_registration_changelist"),
        "admin registration": reverse(
            "admin:events_registration_change", kwargs={"object_id": upcoming.pk}
        ),
        "admin resources": reverse("admin:repository_resource_changelist"),
        "admin users": reverse("admin:accounts_user_changelist"),
        "admin user": reverse("admin:accounts_user_change", kwargs={"object_id": owner.pk}),
    }


def _row(url_name, *expected):
    return [(url_name, role, outcome) for role, outcome in zip(ROLES, expected, strict=True)]


# fmt: off
# L: sent to sign in; A: sent to the admin's sign-in page.
MATRIX = [
    # URL                           anon owner other regul evmgr edit super
    *_row("cancel",                 L,    200,  404,  404,  404,  404,  404),
    *_row("certificate",            L,    200,  404,  404,  404,  404,  404),
    *_row("feedback",               L,    200,  404,  404,  404,  404,  404),
    *_row("public file",            200,  200,  200,  200,  200,  200,  200),
    *_row("registered file",        L,    200,  200,  200,  200,  200,  200),
    *_row("regulators file",        L,    403,  403,  200,  200,  200,  200),
    *_row("draft resource file",    404,  404,  404,  404,  200,  200,  200),
    *_row("draft event",            404,  404,  404,  404,  200,  200,  200),
    *_row("draft event ics",        404,  404,  404,  404,  200,  200,  200),
    *_row("draft resource",         404,  404,  404,  404,  200,  200,  200),
    *_row("embargoed resource",     404,  404,  404,  404,  200,  200,  200),
    *_row("admin events",           A,    A,    A,    A,    200,  403,  200),
    *_row("admin registrations",    A,    A,    A,    A,    200,  403,  200),
    *_row("admin registration",     A,    A,    A,    A,    200,  403,  200),
    *_row("admin resources",        A,    A,    A,    A,    403,  200,  200),
    *_row("admin users",            A,    A,    A,    A,    200,  403,  200),
    *_row("admin user",             A,    A,    A,    A,    200,  403,  200),
]
# fmt: on


@pytest.mark.parametrize(("url_name", "role", "expected"), MATRIX)
def test_access(client, people, urls, url_name, role, expected):
    if people[role]:
        client.force_login(people[role])
    url = urls[url_name]

    response = client.get(url)

    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert "next=" in response["Location"]
    elif expected == ADMIN_LOGIN:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == expected


@pytest.mark.parametrize("role", ["other user", "regulator", "event manager", "superuser"])
def test_nobody_else_cancels_or_answers_for_the_owner(client, people, urls, role):
    client.force_login(people[role])
    assert client.post(urls["cancel"], {"reason": "Not mine"}).status_code == 404
    assert client.post(urls["feedback"], {"rating": "1"}).status_code == 404
    owner = people["owner"]
    assert not owner.registrations.filter(status="cancelled").exists()
    assert not owner.registrations.filter(feedback__isnull=False).exists()


def test_a_denied_file_says_why_without_sending_the_file(client, people, urls):
    client.force_login(people["owner"])
    response = client.get(urls["regulators file"])
    assert response.status_code == 403
    assert b"%PDF" not in response.content
    assert "Only verified regulators and WHO staff can open this file." in response.content.decode()
