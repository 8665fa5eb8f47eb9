"""Who may see the staff reports, the exports of personal data, the messages to registrants, the
registrations and the logs: a matrix of roles and pages.

Event managers hold the permissions on events and registrations; Content editors curate the
repository and see no registrant's personal data (no registrations admin, registrants CSV,
attendance import, registration summary, messages or user admin); the audit trail and the export
log are for superusers only. Non-staff never get past the admin's sign-in page.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.groups import CONTENT_EDITORS, EVENT_MANAGERS
from accounts.models import PersonalDataExport
from events.models import Message
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "plain user", "content editor", "event manager", "superuser"]
A = "admin sign in"  # 302 to the admin's sign-in page
L = "sign in"  # 302 to the site's sign-in page
CSV = "csv"  # 200 with a CSV attachment


def _staff_in(group_name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def people():
    return {
        "anonymous": None,
        "plain user": UserFactory(),
        "content editor": _staff_in(CONTENT_EDITORS),
        "event manager": _staff_in(EVENT_MANAGERS),
        "superuser": UserFactory(is_staff=True, is_superuser=True),
    }


@pytest.fixture
def urls(people):
    event = EventFactory()
    SessionFactory(event=event)
    registration = RegistrationFactory(event=event)
    message = Message.objects.create(event=event, subject="Joining links", body="See you.")
    export = PersonalDataExport.objects.create(
        actor=people["superuser"], kind="registrations_csv", description="x", row_count=1
    )
    reports = reverse("reports:index")

    def admin(name: str, *args) -> str:
        return reverse(f"admin:{name}", args=args)

    return {
        "reports": reports,
        "reach report": reverse("reports:reach"),
        "downloads report": reverse("reports:downloads"),
        "searches report": reverse("reports:searches"),
        "reach CSV": reverse("reports:reach") + "?format=csv&table=by_country",
        "downloads CSV": reverse("reports:downloads") + "?format=csv&table=by_resource",
        "searches CSV": reverse("reports:searches") + "?format=csv&table=top",
        "search report CSV": admin("repository_searchquery_search_report") + "?format=csv",
        "registrants CSV": admin("events_event_registrations_csv", event.pk),
        "registration summary": admin("events_event_summary", event.pk),
        "attendance import": admin("events_event_attendance_import", event.pk),
        "registrations admin": admin("events_registration_changelist"),
        "registration": admin("events_registration_change", registration.pk),
        "messages admin": admin("events_message_changelist"),
        "message": admin("events_message_change", message.pk),
        "users admin": admin("accounts_user_changelist"),
        "user": admin("accounts_user_change", registration.user_id),
        "audit trail": admin("auditlog_logentry_changelist"),
        "export log": admin("accounts_personaldataexport_changelist"),
        "export log entry": admin("accounts_personaldataexport_change", export.pk),
        "own data download": reverse("accounts:data_export"),
    }


def _row(url_name, *expected):
    return [(url_name, role, value) for role, value in zip(ROLES, expected, strict=True)]


# fmt: off
MATRIX = [
    # URL                       anon  user  editor  evmgr  super
    *_row("reports",              A,    A,    200,    200,   200),
    *_row("reach report",         A,    A,    403,    200,   200),
    *_row("downloads report",     A,    A,    200,    403,   200),
    *_row("searches report",      A,    A,    200,    403,   200),
    *_row("reach CSV",            A,    A,    403,    CSV,   CSV),
    *_row("downloads CSV",        A,    A,    CSV,    403,   CSV),
    *_row("searches CSV",         A,    A,    CSV,    403,   CSV),
    *_row("search report CSV",    A,    A,    CSV,    403,   CSV),
    *_row("registrants CSV",      A,    A,    403,    CSV,   CSV),
    *_row("registration summary", A,    A,    403,    200,   200),
    *_row("attendance import",    A,    A,    403,    200,   200),
    *_row("registrations admin",  A,    A,    403,    200,   200),
    *_row("registration",         A,    A,    403,    200,   200),
    *_row("messages admin",       A,    A,    403,    200,   200),
    *_row("message",              A,    A,    403,    200,   200),
    *_row("users admin",          A,    A,    403,    200,   200),
    *_row("user",                 A,    A,    403,    200,   200),
    *_row("audit trail",          A,    A,    403,    403,   200),
    *_row("export log",           A,    A,    403,    403,   200),
    *_row("export log entry",     A,    A,    403,    403,   200),
    *_row("own data download",    L,    200,  200,    200,   200),
]
# fmt: on


@pytest.mark.parametrize(("url_name", "role", "expected"), MATRIX)
def test_access(client, people, urls, url_name, role, expected):
    if people[role]:
        client.force_login(people[role])

    response = client.get(urls[url_name])

    if expected == A:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    elif expected == L:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif expected == CSV:
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert response["Content-Disposition"].startswith("attachment;")
    else:
        assert response.status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", A),
        ("plain user", A),
        ("content editor", 403),
        ("event manager", CSV),
        ("superuser", CSV),
    ],
)
def test_the_registrations_export_action(client, people, role, expected):
    registration = RegistrationFactory()
    if people[role]:
        client.force_login(people[role])

    response = client.post(
        reverse("admin:events_registration_changelist"),
        {"action": "export_csv", "_selected_action": [registration.pk]},
    )

    if expected == CSV:
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert PersonalDataExport.objects.filter(actor=people[role]).count() == 1
    elif expected == A:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    else:
        assert response.status_code == expected
    if expected != CSV:
        assert not PersonalDataExport.objects.exists()


def test_the_admin_index_lists_the_logs_for_superusers_only(client, people):
    for role in ("content editor", "event manager"):
        client.force_login(people[role])
        page = client.get(reverse("admin:index")).content.decode()
        assert reverse("admin:auditlog_logentry_changelist") not in page
        assert reverse("admin:accounts_personaldataexport_changelist") not in page
    client.force_login(people["superuser"])
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:auditlog_logentry_changelist") in page
    assert reverse("admin:accounts_personaldataexport_changelist") in page
