"""Every export of personal data is logged: who, when, what (event, filters) and how many rows."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.groups import CONTENT_EDITORS, EVENT_MANAGERS
from accounts.models import PersonalDataExport
from events.models import Registration
from tests.factories import EventFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_personaldataexport_changelist")


def staff_in(group_name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def test_the_registrants_csv_of_an_event_is_logged_with_who_what_and_how_many(client):
    manager = staff_in(EVENT_MANAGERS)
    event = EventFactory(title="Week of Quality 2027")
    RegistrationFactory.create_batch(3, event=event)
    RegistrationFactory()  # another event's
    client.force_login(manager)
    response = client.get(reverse("admin:events_event_registrations_csv", args=[event.pk]))
    assert response.status_code == 200

    (export,) = PersonalDataExport.objects.all()
    assert export.actor == manager
    assert export.kind == PersonalDataExport.Kind.REGISTRATIONS_CSV
    assert "Week of Quality 2027" in export.description
    assert export.row_count == 3
    assert export.parameters == {"event": event.pk, "events": [event.pk]}


def test_the_export_action_is_logged_with_the_admin_filters_and_the_rows_selected(client):
    manager = staff_in(EVENT_MANAGERS)
    event = EventFactory()
    confirmed = RegistrationFactory.create_batch(2, event=event)
    RegistrationFactory(event=event, status=Registration.Status.CANCELLED)
    client.force_login(manager)
    url = reverse("admin:events_registration_changelist") + "?status__exact=confirmed"
    response = client.post(
        url,
        {"action": "export_csv", "_selected_action": [r.pk for r in confirmed]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"

    (export,) = PersonalDataExport.objects.all()
    assert export.actor == manager
    assert export.row_count == 2
    assert export.parameters["filters"] == {"status__exact": ["confirmed"]}
    assert export.parameters["all_matching"] is False
    assert export.parameters["events"] == [event.pk]


def test_a_persons_download_of_their_own_data_is_logged(client):
    person = UserFactory()
    RegistrationFactory.create_batch(2, user=person)
    client.force_login(person)
    response = client.get(reverse("accounts:data_export"))
    assert response.status_code == 200

    (export,) = PersonalDataExport.objects.all()
    assert export.actor == person
    assert export.kind == PersonalDataExport.Kind.OWN_DATA
    # the account, its email address and the two registrations
    assert export.row_count == 4
    assert export.parameters["user"] == person.pk
    assert person.email not in export.description


def test_an_export_refused_is_not_logged(client):
    editor = staff_in(CONTENT_EDITORS)
    event = EventFactory()
    RegistrationFactory(event=event)
    client.force_login(editor)
    response = client.get(reverse("admin:events_event_registrations_csv", args=[event.pk]))
    assert response.status_code == 403
    assert not PersonalDataExport.objects.exists()


def test_only_superusers_see_the_export_log_even_with_the_view_permission(client):
    manager = staff_in(EVENT_MANAGERS)
    manager.user_permissions.add(
        Permission.objects.get(
            codename="view_personaldataexport", content_type__app_label="accounts"
        )
    )
    export = PersonalDataExport.objects.create(
        actor=manager, kind="registrations_csv", description="x", row_count=1
    )
    client.force_login(manager)
    assert client.get(CHANGELIST).status_code == 403
    change = reverse("admin:accounts_personaldataexport_change", args=[export.pk])
    assert client.get(change).status_code == 403


def test_nobody_changes_or_deletes_the_export_log_from_the_admin(client):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    export = PersonalDataExport.objects.create(
        actor=superuser,
        kind="registrations_csv",
        description="Registrants of Marathon 2027",
        parameters={"event": 4},
        row_count=120,
    )
    client.force_login(superuser)
    change = reverse("admin:accounts_personaldataexport_change", args=[export.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert "Registrants of Marathon 2027" in page.content.decode()
    assert client.post(change, {"description": "forged", "row_count": 1}).status_code == 403
    delete = reverse("admin:accounts_personaldataexport_delete", args=[export.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:accounts_personaldataexport_add")).status_code == 403
    export.refresh_from_db()
    assert export.description == "Registrants of Marathon 2027"


def test_the_export_log_is_searchable_filterable_and_its_queries_do_not_grow(
    client, django_assert_max_num_queries
):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    managers = [staff_in(EVENT_MANAGERS) for _ in range(4)]
    PersonalDataExport.objects.bulk_create(
        PersonalDataExport(
            actor=managers[index % 4],
            kind="registrations_csv" if index % 2 else "own_data",
            description=f"Registrants of event {index}",
            row_count=index,
        )
        for index in range(200)
    )
    client.force_login(superuser)
    client.get(CHANGELIST)
    with django_assert_max_num_queries(8):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.content.decode().count('class="field-description"') == 50

    found = client.get(CHANGELIST, {"q": '"event 17"'}).content.decode()
    assert ">Registrants of event 17<" in found
    assert ">Registrants of event 18<" not in found
    by_actor = client.get(CHANGELIST, {"actor": managers[1].pk, "kind__exact": "registrations_csv"})
    assert by_actor.status_code == 200
    assert "Registrants of event 1<" in by_actor.content.decode()
    assert "Registrants of event 2<" not in by_actor.content.decode()
