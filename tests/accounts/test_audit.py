"""The audit trail: who changed what and when, for superusers only, with no secret stored."""

import json
from datetime import timedelta

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from accounts.audit import HIDDEN
from accounts.groups import EVENT_MANAGERS
from accounts.models import User
from accounts.services import user_delete_account
from events.attendance import attendance_mark
from events.models import Event, Registration, Session
from events.services import event_fill_from_waiting_list
from repository.extraction import resource_file_text_extract
from repository.models import Resource, ResourceFile
from repository.services import resource_file_add, resource_publish
from tests.factories import (
    PASSWORD,
    EventFactory,
    RegistrationFactory,
    ResourceFactory,
    ResourceFileFactory,
    SessionFactory,
    TopicFactory,
    UserFactory,
)
from tests.repository.test_uploads import pdf_bytes, upload

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:auditlog_logentry_changelist")


def entries_for(obj) -> list[LogEntry]:
    return list(LogEntry.objects.get_for_object(obj).order_by("timestamp", "pk"))


def last_entry(obj) -> LogEntry:
    return entries_for(obj)[-1]


def staff_in(group_name: str) -> User:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True, email="root@example.org")


def admin_form_data(response) -> dict:
    """The values an admin change form shows, as the browser would post them back."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = [str(item) for item in value] if isinstance(value, list | tuple) else value
    return data


# --- What is recorded, and by whom ---------------------------------------------------------------


def test_publishing_an_event_in_the_admin_is_recorded_with_the_actor_and_the_fields(
    client, superuser
):
    event = EventFactory(status=Event.Status.DRAFT, published_at=None, title="Marathon 2027")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:events_event_changelist"),
        {"action": "publish", "_selected_action": [event.pk]},
    )
    assert response.status_code == 302
    entry = last_entry(event)
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == superuser
    assert entry.changes_dict["status"] == ["draft", "published"]
    assert "published_at" in entry.changes_dict
    assert entry.object_repr == "Marathon 2027"


def test_sessions_and_their_speakers_and_the_topics_of_events_are_in_the_trail():
    event = EventFactory()
    session = SessionFactory(event=event, title="Sterile products")
    topic = TopicFactory(name="Sterility")
    event.topics.add(topic)
    session.title = "Sterile products, part 1"
    session.save()

    created, changed = entries_for(session)
    assert created.action == LogEntry.Action.CREATE
    assert changed.changes_dict["title"] == ["Sterile products", "Sterile products, part 1"]
    m2m = last_entry(event).changes_dict["topics"]
    assert m2m == {"type": "m2m", "operation": "add", "objects": ["Sterility"]}


def test_a_resource_published_through_the_service_and_its_file_are_in_the_trail(superuser):
    resource = ResourceFactory(status=Resource.Status.DRAFT, published_at=None)
    with set_actor(superuser):
        resource_publish(resource=resource, by=superuser)
    entry = last_entry(resource)
    assert entry.actor == superuser
    assert entry.changes_dict["status"] == ["draft", "published"]

    file = ResourceFileFactory(resource=resource, title="French edition", language="fr")
    created = last_entry(file)
    assert created.action == LogEntry.Action.CREATE
    assert created.changes_dict["title"] == ["None", "French edition"]
    file_id = file.pk
    file.delete()
    deleted = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ResourceFile), object_id=file_id
    ).latest("timestamp")
    assert deleted.action == LogEntry.Action.DELETE


def test_a_user_changed_in_the_admin_is_recorded_with_the_fields_but_not_the_personal_values(
    client, superuser
):
    person = UserFactory(full_name="Amara Diallo", email="amara@example.org")
    url = reverse("admin:accounts_user_change", args=[person.pk])
    client.force_login(superuser)
    data = admin_form_data(client.get(url))
    data.update(
        full_name="Amara N. Diallo",
        is_verified_regulator="on",
        groups=[str(Group.objects.get(name=EVENT_MANAGERS).pk)],
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    entries = [e for e in entries_for(person) if e.actor == superuser]
    changes = {}
    for entry in entries:
        changes.update(entry.changes_dict)
    assert changes["is_verified_regulator"] == ["False", "True"]
    assert changes["full_name"] == [HIDDEN, HIDDEN]  # that it changed, not what it was
    assert changes["groups"]["objects"] == [EVENT_MANAGERS]
    stored = json.dumps([e.changes for e in LogEntry.objects.all()], ensure_ascii=False)
    assert "Amara" not in stored
    assert "amara@example.org" not in stored


def test_the_profile_a_person_edits_themselves_is_recorded_with_them_as_the_actor(client):
    person = UserFactory(country="KE")
    client.force_login(person)
    response = client.post(
        reverse("accounts:profile"),
        {
            "full_name": person.full_name,
            "organisation": person.organisation,
            "organisation_type": person.organisation_type,
            "job_title": person.job_title,
            "country": "SN",
            "preferred_language": "fr",
            "time_zone": "",
        },
    )
    assert response.status_code == 302
    entry = last_entry(person)
    assert entry.actor == person
    assert entry.changes_dict["country"] == ["KE", "SN"]
    assert entry.changes_dict["preferred_language"] == ["en", "fr"]


def test_a_registration_approved_in_the_admin_is_recorded_and_links_to_its_status_history(
    client, superuser
):
    registration = RegistrationFactory(status=Registration.Status.PENDING, user__full_name="Ana")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:events_registration_changelist"),
        {"action": "approve", "_selected_action": [registration.pk]},
    )
    assert response.status_code == 302
    entry = last_entry(registration)
    assert entry.actor == superuser
    assert entry.changes_dict == {"status": ["pending", "confirmed"]}

    page = client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk]))
    registration_url = reverse("admin:events_registration_change", args=[registration.pk])
    assert registration_url in page.content.decode()
    assert "status history" in page.content.decode()
    # The registration's page, linked from the trail, shows who changed its status and why.
    history = client.get(registration_url).content.decode()
    assert "approved" in history


def test_a_change_by_a_service_outside_a_request_is_recorded_with_no_actor():
    # As when a background task fills the seats freed by a cancellation.
    event = EventFactory(capacity=1)
    waiting = RegistrationFactory(event=event, status=Registration.Status.WAITLISTED)
    assert event_fill_from_waiting_list(event=event) == [waiting]
    entry = last_entry(waiting)
    assert entry.actor is None
    assert entry.changes_dict["status"] == ["waitlisted", "confirmed"]


def test_a_management_command_records_its_changes_with_no_actor():
    ended = timezone.now() - timedelta(days=800)
    old = RegistrationFactory(
        event=EventFactory(start=ended - timedelta(days=1), end=ended), user__full_name="Old One"
    )
    LogEntry.objects.all().delete()
    call_command("anonymise_registrations", "--older-than-days", "730")
    (entry,) = entries_for(old)
    assert entry.actor is None
    assert entry.changes_dict["anonymised_at"][0] == "None"
    assert "Old One" not in entry.object_repr


# --- What is never stored -----------------------------------------------------------------------


def test_secret_and_bulky_fields_are_never_stored():
    person = UserFactory()
    person.set_password("a-new-secret-password-42")
    person.save()
    person.last_login = timezone.now()
    person.save(update_fields=["last_login"])  # every sign-in: no entry
    resource = ResourceFactory()
    file = ResourceFileFactory(resource=resource)
    file.extracted_text = "confidential words inside the file"
    file.save()
    event = EventFactory()
    event.banner_renditions = {"480": "events/banners/x-480.webp"}
    event.save()

    stored = json.dumps(
        [entry.changes for entry in LogEntry.objects.all()]
        + [entry.serialized_data for entry in LogEntry.objects.all()],
        ensure_ascii=False,
    )
    for secret in ("password", "pbkdf2", "md5$", "last_login", "extracted_text", "confidential"):
        assert secret not in stored
    for bulky in ("search_full", "search_metadata", "banner_renditions", "x-480.webp"):
        assert bulky not in stored
    # Saving only what is not tracked leaves no entry at all.
    assert len(entries_for(file)) == 1
    assert not [e for e in entries_for(person) if "last_login" in (e.changes_dict or {})]


def test_registrations_record_their_status_not_the_answers_or_the_profile_snapshot():
    registration = RegistrationFactory(
        user__full_name="Zainab Okafor", answers={"1": {"answer": "My private reason"}}
    )
    (created,) = entries_for(registration)
    assert set(created.changes_dict) <= {
        "event",
        "user",
        "status",
        "invitation",
        "waitlisted_at",
        "attended",
        "anonymised_at",
    }
    assert "private reason" not in json.dumps(created.changes)


def test_deleting_an_account_leaves_no_name_or_email_of_the_person_in_the_trail(superuser):
    person = UserFactory(full_name="Kwame Mensah", email="kwame@example.org", is_staff=True)
    registration = RegistrationFactory(user=person, full_name="Kwame Mensah")
    with set_actor(person):  # the person made a change as staff
        EventFactory(title="Edited by Kwame's team")
    assert any("Kwame" in entry.object_repr for entry in LogEntry.objects.all())

    user_delete_account(user=person, password=PASSWORD)

    for entry in LogEntry.objects.all():
        text = json.dumps([entry.object_repr, entry.changes, entry.actor_email], ensure_ascii=False)
        assert "Kwame Mensah" not in text
        assert "kwame@example.org" not in text
    assert last_entry(registration).changes_dict["anonymised_at"][0] == "None"
    assert entries_for(person)  # the entries stay, without the personal data


# --- The admin of the trail ----------------------------------------------------------------------


def test_only_superusers_see_the_trail_even_with_the_view_permission(client):
    manager = staff_in(EVENT_MANAGERS)
    manager.user_permissions.add(
        Permission.objects.get(codename="view_logentry", content_type__app_label="auditlog")
    )
    entry = LogEntry.objects.get_for_object(manager).first()
    client.force_login(manager)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:auditlog_logentry_change", args=[entry.pk])).status_code == 403
    assert "auditlog" not in client.get(reverse("admin:index")).content.decode()


def test_nobody_adds_changes_or_deletes_entries_from_the_admin(client, superuser):
    event = EventFactory()
    entry = last_entry(event)
    client.force_login(superuser)
    change_url = reverse("admin:auditlog_logentry_change", args=[entry.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(change_url, {"object_repr": "forged"}).status_code == 403
    delete_url = reverse("admin:auditlog_logentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403
    response = client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"}
    )
    assert LogEntry.objects.filter(pk=entry.pk, object_repr=entry.object_repr).exists()
    assert response.status_code in (200, 302)


def test_the_trail_is_searchable_and_filterable_by_model_actor_and_date(client, superuser):
    manager = staff_in(EVENT_MANAGERS)
    with set_actor(manager):
        EventFactory(title="Week of Quality 2027")
    ResourceFactory(title="Guidance on sterile products")
    client.force_login(superuser)

    def shown(**params) -> str:
        response = client.get(CHANGELIST, params)
        assert response.status_code == 200
        return response.content.decode()

    assert "Week of Quality 2027" in shown(q="Week of Quality")
    assert "Guidance on sterile products" not in shown(q="Week of Quality")
    event_type = ContentType.objects.get_for_model(Event)
    by_model = shown(model=event_type.pk)
    assert "Week of Quality 2027" in by_model
    assert "Guidance on sterile products" not in by_model
    by_actor = shown(actor=manager.pk)
    assert "Week of Quality 2027" in by_actor
    assert "Guidance on sterile products" not in by_actor
    assert "Guidance on sterile products" in shown(actor="none")
    today = timezone.localdate()
    assert "Guidance on sterile products" in shown(
        timestamp__year=today.year, timestamp__month=today.month, timestamp__day=today.day
    )
    assert "Guidance on sterile products" not in shown(timestamp__year=today.year - 1)
    assert shown(model="not-a-number")  # a bad filter value shows nothing, not an error


def test_the_trail_changelist_queries_do_not_grow_with_entries(
    client, superuser, django_assert_max_num_queries
):
    people = UserFactory.create_batch(5, is_staff=True)
    for index in range(60):
        with set_actor(people[index % 5]):
            event = EventFactory()
            SessionFactory(event=event)
            RegistrationFactory(event=event)
            ResourceFileFactory()
    assert LogEntry.objects.count() > 300
    client.force_login(superuser)
    client.get(CHANGELIST)  # content types are cached after the first page
    # session, user, the filters' staff and model lists, the date hierarchy, the page of rows
    with django_assert_max_num_queries(8):
        response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.content.decode().count('class="field-object_link"') == 50
    with django_assert_max_num_queries(8):
        response = client.get(CHANGELIST, {"model": ContentType.objects.get_for_model(Session).pk})
    assert response.status_code == 200


def test_the_trail_speaks_the_language_of_the_admin(client, superuser):
    event = EventFactory(status=Event.Status.DRAFT, published_at=None)
    event.status = Event.Status.PUBLISHED
    event.save()
    client.force_login(superuser)
    detail_url = reverse("admin:auditlog_logentry_change", args=[last_entry(event).pk])
    # override() puts the language of the tests back after the requests switched to French.
    with translation.override("en"):
        page = client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        detail = client.get(detail_url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Journal d’audit" in page
    assert "modifié" in page
    assert "Avant (ou action)" in detail
    assert "Statut" in detail or "statut" in detail


def test_a_correlation_header_from_the_visitor_is_ignored(client):
    person = UserFactory(country="KE")
    client.force_login(person)
    response = client.post(
        reverse("accounts:profile"),
        {
            "full_name": person.full_name,
            "organisation": person.organisation,
            "organisation_type": person.organisation_type,
            "job_title": person.job_title,
            "country": "NP",
            "preferred_language": "en",
            "time_zone": "",
        },
        HTTP_X_CORRELATION_ID="x" * 300,
    )
    assert response.status_code == 302
    entry = last_entry(person)
    assert entry.changes_dict["country"] == ["KE", "NP"]
    assert entry.cid is None


def test_attendance_marked_by_staff_is_recorded_on_the_registration(superuser):
    # Under way: attendance is recorded only for sessions that have started.
    event = EventFactory(sessions_required=1, start=timezone.now() - timedelta(hours=1))
    session = SessionFactory(event=event)
    registration = RegistrationFactory(event=event)
    with set_actor(superuser):
        attendance_mark(registrations=[registration], sessions=[session], by=superuser)
    entry = last_entry(registration)
    assert entry.actor == superuser
    assert entry.changes_dict == {"attended": ["False", "True"]}


def test_the_text_extraction_of_a_background_task_is_recorded_without_the_text():
    resource = ResourceFactory()
    with set_actor(UserFactory(is_staff=True)):  # the upload is a person's; the task is not
        resource_file = resource_file_add(
            resource=resource,
            file=upload("qa.pdf", pdf_bytes("Sterility assurance secrets")),
            language="en",
        )
    # The task runs after the commit (by a worker in production); here it is called directly.
    resource_file_text_extract(file_id=resource_file.pk)
    entry = last_entry(resource_file)
    assert entry.actor is None
    assert entry.changes_dict["extraction_status"][1] == "done"
    assert entry.changes_dict["page_count"][1] == "1"
    assert "Sterility" not in json.dumps([e.changes for e in LogEntry.objects.all()])
