"""Messages from staff to one event's registrants: who gets them, once, through the outbox."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.groups import CONTENT_EDITORS, EVENT_MANAGERS
from events import messages as message_services
from events.emails import emails_send_pending
from events.exceptions import MessageAlreadySent, NoRecipients, RecipientsChanged
from events.messages import (
    message_create,
    message_preview,
    message_queue_batch,
    message_recipients,
    message_send,
    message_update,
    messages_resume,
)
from events.models import EmailDelivery, Message
from tests.factories import EventFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:events_message_changelist")
ADD = reverse("admin:events_message_add")


def staff_in(group_name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def manager():
    return staff_in(EVENT_MANAGERS)


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def event_with_everyone():
    """One registration of each kind, plus people who must never get the event's messages."""
    event = EventFactory(title="Regulatory Week")
    people = {
        "attended": RegistrationFactory(event=event, attended=True),
        "absent": RegistrationFactory(event=event),
        "waitlisted": RegistrationFactory(event=event, status="waitlisted"),
        "pending": RegistrationFactory(event=event, status="pending"),
        "cancelled": RegistrationFactory(event=event, status="cancelled"),
        "rejected": RegistrationFactory(event=event, status="rejected"),
        "deleted_account": RegistrationFactory(event=event, user__is_active=False),
    }
    RegistrationFactory(event=EventFactory())  # someone else's event
    return event, people


def draft(event, *, recipients="confirmed", subject="Change of room", body="See you **soon**."):
    return message_create(
        event=event, recipients=recipients, subject=subject, body=body, by=UserFactory()
    )


def send(message, by=None, **kwargs):
    return message_send(message=message, by=by or UserFactory(), **kwargs)


def recipients_of(event, recipients) -> set[int]:
    return set(message_recipients(event=event, recipients=recipients).values_list("pk", flat=True))


# --- who gets it ----------------------------------------------------------------------------------


def test_recipients_are_exactly_those_of_the_filter(event_with_everyone):
    event, people = event_with_everyone

    def pks(*names):
        return {people[name].pk for name in names}

    assert recipients_of(event, "confirmed") == pks("attended", "absent")
    assert recipients_of(event, "attended") == pks("attended")
    assert recipients_of(event, "confirmed_absent") == pks("absent")
    assert recipients_of(event, "waitlisted") == pks("waitlisted")
    assert recipients_of(event, "pending") == pks("pending")
    assert recipients_of(event, "active") == pks("attended", "absent", "waitlisted", "pending")


@pytest.mark.parametrize(
    ("recipients", "names"),
    [
        ("confirmed", ["attended", "absent"]),
        ("attended", ["attended"]),
        ("waitlisted", ["waitlisted"]),
    ],
)
def test_each_recipient_gets_one_email_and_nobody_else_any(
    event_with_everyone, recipients, names, django_capture_on_commit_callbacks
):
    event, people = event_with_everyone
    message = draft(event, recipients=recipients)
    with django_capture_on_commit_callbacks(execute=True):
        send(message)

    expected = sorted(people[name].user.email for name in names)
    assert sorted(email.to[0] for email in mail.outbox) == expected
    assert all(len(email.to) == 1 for email in mail.outbox)
    message.refresh_from_db()
    assert (message.status, message.recipient_count, message.queued_count) == (
        "sent",
        len(names),
        len(names),
    )
    deliveries = EmailDelivery.objects.filter(message=message)
    assert sorted(deliveries.values_list("registration_id", flat=True)) == sorted(
        people[name].pk for name in names
    )
    assert set(deliveries.values_list("status", flat=True)) == {"sent"}


def test_the_emails_are_queued_in_batches_by_the_task(
    monkeypatch, django_capture_on_commit_callbacks
):
    event = EventFactory()
    RegistrationFactory.create_batch(5, event=event)
    monkeypatch.setattr(message_services, "BATCH_SIZE", 2)
    runs = []
    real_batch = message_services.message_queue_batch

    def counting_batch(**kwargs):
        runs.append(real_batch(**kwargs))
        return runs[-1]

    monkeypatch.setattr("events.tasks.message_queue_batch", counting_batch)
    message = draft(event)
    with django_capture_on_commit_callbacks(execute=True):
        send(message)

    assert runs == [2, 2, 1]
    assert len(mail.outbox) == 5
    assert Message.objects.get(pk=message.pk).status == "sent"


def test_the_email_is_in_the_recipients_language_with_the_text_as_written(
    django_capture_on_commit_callbacks,
):
    event = EventFactory(title="Semaine réglementaire")
    french = RegistrationFactory(event=event, user__preferred_language="fr", user__full_name="Awa")
    english = RegistrationFactory(event=event, user__full_name="Ben")
    body = (
        "Room **B12** changed.\n\n[Map](https://example.org/map) "
        '<script>alert("x")</script> [bad](javascript:alert(1))'
    )
    message = draft(event, subject="Salle changée / Room changed", body=body)
    with django_capture_on_commit_callbacks(execute=True):
        send(message)

    by_person = {email.to[0]: email for email in mail.outbox}
    to_french, to_english = by_person[french.user.email], by_person[english.user.email]
    for email, language in ((to_french, "fr"), (to_english, "en")):
        # The event's page in the recipient's language.
        with translation.override(language):
            event_url = f"http://127.0.0.1:8000{event.get_absolute_url()}"
        assert f"/{language}/" in event_url
        assert email.subject == "Salle changée / Room changed"
        assert "Room **B12** changed." in email.body
        assert event_url in email.body
        html = email.alternatives[0][0]
        assert email.alternatives[0][1] == "text/html"
        assert "<strong>B12</strong>" in html
        assert 'href="https://example.org/map"' in html
        assert "<script" not in html and "javascript:" not in html
        assert f'href="{event_url}"' in html
    assert "Bonjour Awa," in to_french.body
    assert "de l’équipe organisatrice en raison de votre inscription" in to_french.body
    assert "Page de l’événement" in to_french.body
    assert '<html lang="fr" dir="ltr">' in to_french.alternatives[0][0]
    assert "Dear Ben," in to_english.body
    assert "Event page:" in to_english.body


def test_an_email_to_an_arabic_reader_reads_right_to_left(django_capture_on_commit_callbacks):
    event = EventFactory()
    arabic = RegistrationFactory(event=event, user__preferred_language="ar")
    message = draft(event, subject="Room changed", body="Room **B12** changed.")
    with django_capture_on_commit_callbacks(execute=True):
        send(message)

    (email,) = [email for email in mail.outbox if email.to == [arabic.user.email]]
    assert '<html lang="ar" dir="rtl">' in email.alternatives[0][0]


# --- once, and only once --------------------------------------------------------------------------


def test_sending_again_retrying_or_resuming_sends_nothing_twice(
    django_capture_on_commit_callbacks,
):
    event = EventFactory()
    RegistrationFactory.create_batch(3, event=event)
    message = draft(event)
    with django_capture_on_commit_callbacks(execute=True):
        send(message)
    assert len(mail.outbox) == 3

    with pytest.raises(MessageAlreadySent), django_capture_on_commit_callbacks(execute=True):
        send(message)
    from events.tasks import queue_message_batch, send_email

    with django_capture_on_commit_callbacks(execute=True):
        assert message_queue_batch(message_id=message.pk) == 0
        queue_message_batch.call(message.pk)
        for delivery in EmailDelivery.objects.filter(message=message):
            send_email.call(delivery.pk)
        messages_resume()
        call_command("send_pending_emails", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(mail.outbox) == 3
    assert EmailDelivery.objects.filter(message=message).count() == 3


def test_a_batch_run_twice_at_once_does_not_queue_an_email_twice(
    django_capture_on_commit_callbacks,
):
    event = EventFactory()
    RegistrationFactory.create_batch(4, event=event)
    message = draft(event)
    with django_capture_on_commit_callbacks(execute=False):
        send(message)  # the batches are not started: the callbacks are dropped
    message_queue_batch(message_id=message.pk, batch_size=3)
    # A second run that read the progress before the first one saved it.
    Message.objects.filter(pk=message.pk).update(queued_count=0)
    with django_capture_on_commit_callbacks(execute=True):
        message_queue_batch(message_id=message.pk, batch_size=10)

    assert EmailDelivery.objects.filter(message=message).count() == 4
    assert Message.objects.get(pk=message.pk).status == "sent"


def test_someone_who_deletes_their_account_before_their_batch_is_not_written_to(
    django_capture_on_commit_callbacks,
):
    event = EventFactory()
    staying, leaving = RegistrationFactory.create_batch(2, event=event)
    message = draft(event)
    with django_capture_on_commit_callbacks(execute=False):
        send(message)
    leaving.user.is_active = False
    leaving.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        message_queue_batch(message_id=message.pk)

    assert [email.to for email in mail.outbox] == [[staying.user.email]]
    assert Message.objects.get(pk=message.pk).status == "sent"


def test_a_failing_mail_server_keeps_the_emails_for_a_retry(
    settings, django_capture_on_commit_callbacks
):
    event = EventFactory()
    RegistrationFactory.create_batch(2, event=event)
    message = draft(event)
    settings.EMAIL_BACKEND = "tests.events.failing_backend.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        send(message)

    deliveries = EmailDelivery.objects.filter(message=message)
    assert [(d.status, d.attempts) for d in deliveries] == [("failed", 1), ("failed", 1)]
    assert all("SMTPServerDisconnected" in d.last_error for d in deliveries)
    assert Message.objects.get(pk=message.pk).status == "sent"  # every email is in the outbox

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = timezone.now() + timedelta(hours=1)
    assert emails_send_pending(now=later) == {"sent": 2}
    assert emails_send_pending(now=later) == {}
    assert len(mail.outbox) == 2
    assert set(deliveries.values_list("status", flat=True)) == {"sent"}


def test_when_the_task_queue_is_down_the_message_is_resumed_later(
    monkeypatch, django_capture_on_commit_callbacks
):
    event = EventFactory()
    RegistrationFactory.create_batch(2, event=event)
    message = draft(event)

    class QueueDown:
        def enqueue(self, *args, **kwargs):
            raise ConnectionError("queue down")

    monkeypatch.setattr("events.tasks.queue_message_batch", QueueDown())
    with django_capture_on_commit_callbacks(execute=True):
        send(message)
    message.refresh_from_db()
    assert (message.status, message.queued_count, len(mail.outbox)) == ("sending", 0, 0)

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_pending_emails", stdout=open("/dev/null", "w"))  # noqa: SIM115
    message.refresh_from_db()
    assert (message.status, message.queued_count, len(mail.outbox)) == ("sent", 2, 2)


def test_a_list_changed_since_the_confirmation_is_not_sent():
    event = EventFactory()
    RegistrationFactory(event=event)
    message = draft(event)
    confirmed = message_preview(message=message)["fingerprint"]
    RegistrationFactory(event=event)

    with pytest.raises(RecipientsChanged):
        send(message, fingerprint=confirmed)
    assert Message.objects.get(pk=message.pk).status == "draft"
    assert not EmailDelivery.objects.exists()
    send(message, fingerprint=message_preview(message=message)["fingerprint"])
    assert Message.objects.get(pk=message.pk).recipient_count == 2


def test_a_message_to_nobody_is_refused():
    event = EventFactory()
    RegistrationFactory(event=event)
    message = draft(event, recipients="waitlisted")
    with pytest.raises(NoRecipients):
        send(message)
    assert Message.objects.get(pk=message.pk).status == "draft"


def test_a_sent_message_cannot_be_changed():
    event = EventFactory()
    RegistrationFactory(event=event)
    message = draft(event)
    send(message)
    with pytest.raises(MessageAlreadySent):
        message_update(
            message=message, event=event, recipients="confirmed", subject="Oops", body="Oops"
        )
    assert Message.objects.get(pk=message.pk).subject == "Change of room"


def test_preview_counts_and_renders_for_the_chosen_recipient(event_with_everyone):
    event, people = event_with_everyone
    people["absent"].user.preferred_language = "fr"
    people["absent"].user.save()
    message = draft(event)

    preview = message_preview(message=message)
    assert preview["count"] == 2
    assert [r.pk for r in preview["recipients"]] == [people["attended"].pk, people["absent"].pk]
    assert preview["sample"] == people["attended"]
    chosen = message_preview(message=message, recipient_id=people["absent"].pk)
    assert chosen["sample"] == people["absent"]
    assert "Bonjour" in chosen["email"]["body_text"]
    assert "<strong>soon</strong>" in chosen["email"]["body_fragment"]
    # Someone who is not a recipient is not previewed: the first recipient is.
    stranger = message_preview(message=message, recipient_id=people["waitlisted"].pk)
    assert stranger["sample"] == people["attended"]


# --- admin: who may -----------------------------------------------------------------------------


def admin_urls(message) -> list[str]:
    return [
        CHANGELIST,
        ADD,
        reverse("admin:events_message_change", args=[message.pk]),
        reverse("admin:events_message_preview", args=[message.pk]),
        reverse("admin:events_message_send", args=[message.pk]),
    ]


def test_only_staff_who_may_send_messages_see_them(client):
    event = EventFactory()
    RegistrationFactory(event=event)
    message = draft(event)
    plain_staff = UserFactory(is_staff=True)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_message"),
        Permission.objects.get(codename="change_message"),
    )
    for person in (staff_in(CONTENT_EDITORS), plain_staff, viewer):
        assert not person.has_perm("events.send_message")
        client.force_login(person)
        for url in admin_urls(message):
            assert client.get(url).status_code == 403, (person, url)
        send_url = reverse("admin:events_message_send", args=[message.pk])
        fingerprint = message_preview(message=message)["fingerprint"]
        assert client.post(send_url, {"fingerprint": fingerprint}).status_code == 403
        assert client.post(ADD, {"event": event.pk, "subject": "x", "body": "x"}).status_code == 403
    assert Message.objects.get(pk=message.pk).status == "draft"
    assert Message.objects.count() == 1
    assert mail.outbox == []


def test_event_managers_may_send_messages(manager_client, manager):
    assert manager.has_perm("events.send_message")
    event = EventFactory()
    RegistrationFactory(event=event)
    message = draft(event)
    for url in admin_urls(message):
        assert manager_client.get(url).status_code == 200, url


def test_the_event_page_and_summary_link_to_its_messages(manager_client):
    event = EventFactory()
    for url in (
        reverse("admin:events_event_change", args=[event.pk]),
        reverse("admin:events_event_summary", args=[event.pk]),
    ):
        html = manager_client.get(url).content.decode()
        assert f"{CHANGELIST}?event__id__exact={event.pk}" in html
        assert f"{ADD}?event={event.pk}" in html


# --- admin: write, preview, send, view ---------------------------------------------------------


def test_write_preview_and_send_in_the_admin(
    manager_client, manager, django_capture_on_commit_callbacks
):
    event = EventFactory()
    confirmed = RegistrationFactory.create_batch(2, event=event)
    RegistrationFactory(event=event, status="waitlisted")

    page = manager_client.get(f"{ADD}?event={event.pk}")
    assert page.context["adminform"].form.initial["event"] == str(event.pk)
    response = manager_client.post(
        ADD,
        {"event": event.pk, "recipients": "confirmed", "subject": "Agenda", "body": "New *agenda*"},
    )
    message = Message.objects.get()
    preview_url = reverse("admin:events_message_preview", args=[message.pk])
    assert response.status_code == 302 and response.url == preview_url
    assert (message.created_by, message.status) == (manager, "draft")

    preview = manager_client.get(preview_url)
    html = preview.content.decode()
    assert preview.context["preview"]["count"] == 2
    assert "2 recipients" in html
    for registration in confirmed:
        assert registration.user.email in html
    assert "<em>agenda</em>" in html

    send_url = reverse("admin:events_message_send", args=[message.pk])
    confirmation = manager_client.get(send_url)
    assert "Yes, send it to 2 people" in confirmation.content.decode()
    fingerprint = confirmation.context["form"].initial["fingerprint"]
    with django_capture_on_commit_callbacks(execute=True):
        first = manager_client.post(send_url, {"fingerprint": fingerprint})
        second = manager_client.post(send_url, {"fingerprint": fingerprint})  # a double click
    change_url = reverse("admin:events_message_change", args=[message.pk])
    assert first.status_code == 302 and first.url == change_url
    assert second.status_code == 302 and second.url == change_url
    reported = [str(m) for m in get_messages(second.wsgi_request)]
    assert "The message is being sent to 2 registrants." in reported
    assert "This message has already been sent; here is its delivery." in reported
    assert sorted(email.to[0] for email in mail.outbox) == sorted(r.user.email for r in confirmed)
    message.refresh_from_db()
    assert (message.status, message.sent_by) == ("sent", manager)


def test_the_preview_shows_no_script_that_staff_typed(manager_client):
    event = EventFactory()
    RegistrationFactory(event=event)
    message = draft(event, subject="<b>Hi</b>", body='Hello <script>alert("x")</script> *you*')
    html = manager_client.get(reverse("admin:events_message_preview", args=[message.pk]))
    html = html.content.decode()
    assert "<em>you</em>" in html
    assert "<script>alert" not in html and "<b>Hi</b>" not in html
    # The plain-text version shows what was typed, as text.
    assert "Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; *you*" in html


def test_the_choices_and_admin_pages_are_in_french():
    with translation.override("fr"):
        assert str(Message.Recipients.ATTENDED.label) == "Personnes ayant participé"
        assert str(Message._meta.verbose_name_plural) == "messages aux personnes inscrites"


def test_the_outbox_shows_which_message_an_email_belongs_to(
    manager_client, django_capture_on_commit_callbacks
):
    event = EventFactory()
    RegistrationFactory(event=event)
    message = draft(event, subject="Bring your laptop")
    with django_capture_on_commit_callbacks(execute=True):
        send(message)
    delivery = EmailDelivery.objects.get(message=message)
    page = manager_client.get(reverse("admin:events_emaildelivery_change", args=[delivery.pk]))
    assert reverse("admin:events_message_change", args=[message.pk]) in page.content.decode()


def test_a_changed_list_or_a_bad_confirmation_sends_nothing(manager_client):
    event = EventFactory()
    RegistrationFactory(event=event)
    message = draft(event)
    send_url = reverse("admin:events_message_send", args=[message.pk])
    fingerprint = manager_client.get(send_url).context["form"].initial["fingerprint"]
    RegistrationFactory(event=event)

    response = manager_client.post(send_url, {"fingerprint": fingerprint})
    assert response.status_code == 200
    assert "The recipients have changed since you checked them" in response.content.decode()
    assert response.context["preview"]["count"] == 2
    assert manager_client.post(send_url, {}).status_code == 200
    assert Message.objects.get(pk=message.pk).status == "draft"
    assert not EmailDelivery.objects.exists()


def test_a_sent_message_is_read_only_and_shows_each_delivery(
    manager_client, settings, django_capture_on_commit_callbacks
):
    event = EventFactory()
    ok = RegistrationFactory(event=event, full_name="Amara Diallo")
    message = draft(event)
    with django_capture_on_commit_callbacks(execute=True):
        send(message)
    settings.EMAIL_BACKEND = "tests.events.failing_backend.FailingBackend"
    late = RegistrationFactory(event=event, full_name="Li Wei")
    other = draft(event, subject="Second")
    with django_capture_on_commit_callbacks(execute=True):
        send(other)

    change_url = reverse("admin:events_message_change", args=[other.pk])
    response = manager_client.get(change_url)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="subject"' not in html and 'name="body"' not in html
    assert "Amara Diallo" in html and "Li Wei" in html
    assert "Failed (will be retried)" in html and "SMTPServerDisconnected" in html
    statuses = {str(label): count for label, count in response.context["report"]["by_status"]}
    assert statuses["Failed (will be retried)"] == 2
    assert {d.registration for d in response.context["deliveries_page"]} == {ok, late}

    response = manager_client.post(
        change_url,
        {"event": event.pk, "recipients": "confirmed", "subject": "Changed", "body": "Changed"},
    )
    assert response.status_code == 403
    delete_url = reverse("admin:events_message_delete", args=[other.pk])
    assert manager_client.post(delete_url, {"post": "yes"}).status_code == 403
    preview = manager_client.get(reverse("admin:events_message_preview", args=[other.pk]))
    assert preview.status_code == 302 and preview.url == change_url
    assert Message.objects.get(pk=other.pk).subject == "Second"


def test_a_draft_can_be_edited_and_deleted(manager_client):
    event = EventFactory()
    message = draft(event)
    change_url = reverse("admin:events_message_change", args=[message.pk])
    response = manager_client.post(
        change_url,
        {"event": event.pk, "recipients": "waitlisted", "subject": "New", "body": "Text"},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.recipients, message.subject) == ("waitlisted", "New")
    invalid = manager_client.post(
        change_url, {"event": event.pk, "recipients": "everyone", "subject": "", "body": "x"}
    )
    assert invalid.status_code == 200
    assert invalid.context["adminform"].form.errors.keys() == {"recipients", "subject"}
    delete_url = reverse("admin:events_message_delete", args=[message.pk])
    assert manager_client.post(delete_url, {"post": "yes"}).status_code == 302
    assert not Message.objects.exists()


# --- admin: query counts ------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_preview_and_send_pages_do_not_grow_with_registrations(
    manager_client, django_assert_max_num_queries
):
    event = EventFactory()
    RegistrationFactory(event=event)
    message = draft(event)
    urls = [
        reverse("admin:events_message_preview", args=[message.pk]),
        reverse("admin:events_message_send", args=[message.pk]),
    ]
    few = [count_queries(manager_client, url) for url in urls]
    RegistrationFactory.create_batch(60, event=event)
    RegistrationFactory.create_batch(10, event=event, status="waitlisted")
    for url, queries in zip(urls, few, strict=True):
        with django_assert_max_num_queries(queries):
            response = manager_client.get(url)
        assert response.context["preview"]["count"] == 61


def test_sent_message_page_and_list_do_not_grow_with_deliveries(
    manager_client, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    event = EventFactory()
    RegistrationFactory(event=event)
    first = draft(event)
    with django_capture_on_commit_callbacks(execute=True):
        send(first)
    change_url = reverse("admin:events_message_change", args=[first.pk])
    few = count_queries(manager_client, change_url)
    few_list = count_queries(manager_client, CHANGELIST)

    RegistrationFactory.create_batch(60, event=event)
    many = draft(event)
    with django_capture_on_commit_callbacks(execute=True):
        send(many)
    for other in range(30):
        draft(EventFactory(), subject=f"Draft {other}")
    with django_assert_max_num_queries(few):
        response = manager_client.get(reverse("admin:events_message_change", args=[many.pk]))
    assert len(response.context["deliveries_page"]) == 61
    with django_assert_max_num_queries(few_list):
        response = manager_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 32


def test_delivery_report_pages_through_many_recipients(
    manager_client, monkeypatch, django_capture_on_commit_callbacks
):
    from events.admin.messages import MessageAdmin

    monkeypatch.setattr(MessageAdmin, "DELIVERIES_PER_PAGE", 5)
    event = EventFactory()
    RegistrationFactory.create_batch(7, event=event)
    message = draft(event)
    with django_capture_on_commit_callbacks(execute=True):
        send(message)
    change_url = reverse("admin:events_message_change", args=[message.pk])
    second = manager_client.get(f"{change_url}?page=2")
    assert len(second.context["deliveries_page"]) == 2
    assert "Page 2 of 2" in second.content.decode()


# --- at the same moment (PostgreSQL's row locks) ------------------------------------------------


def run_at_once(count: int, work) -> list:
    import threading

    from django.db import connections

    barrier = threading.Barrier(count)
    outcomes = []

    def run():
        try:
            barrier.wait(timeout=30)
            outcomes.append(work())
        except Exception as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_clicks_at_the_same_moment_send_the_message_once():
    assert connection.vendor == "postgresql"
    event = EventFactory()
    RegistrationFactory.create_batch(3, event=event)
    message = draft(event)
    by = UserFactory()

    outcomes = run_at_once(4, lambda: message_send(message=message, by=by))

    sent = [outcome for outcome in outcomes if isinstance(outcome, Message)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, MessageAlreadySent)]
    assert (len(sent), len(refused)) == (1, 3), outcomes
    assert len(mail.outbox) == 3
    assert EmailDelivery.objects.filter(message=message, status="sent").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_batches_run_at_the_same_moment_share_the_work(monkeypatch):
    assert connection.vendor == "postgresql"
    event = EventFactory()
    registrations = RegistrationFactory.create_batch(9, event=event)
    message = draft(event)
    monkeypatch.setattr("events.messages._enqueue_batch", lambda message_id: None)
    send(message)

    outcomes = run_at_once(3, lambda: message_queue_batch(message_id=message.pk, batch_size=3))

    assert sorted(outcomes) == [3, 3, 3]
    assert sorted(
        EmailDelivery.objects.filter(message=message).values_list("registration_id", flat=True)
    ) == sorted(registration.pk for registration in registrations)
    assert Message.objects.get(pk=message.pk).status == "sent"
    assert len(mail.outbox) == 9


def test_the_demo_has_a_draft_to_preview():
    from lpa_portal.demo import seed_demo

    seed_demo()
    seed_demo()
    message = Message.objects.get()
    assert message.is_draft and message.recipients == "waitlisted"
    waiting = message.event.registrations.filter(status="waitlisted").count()
    assert waiting > 0
    assert message_preview(message=message)["count"] == waiting


@pytest.mark.django_db(transaction=True)
def test_a_worker_of_the_database_queue_sends_the_message_in_batches(monkeypatch):
    from django_tasks_db.models import DBTaskResult

    monkeypatch.setattr(message_services, "BATCH_SIZE", 2)
    event = EventFactory()
    RegistrationFactory.create_batch(3, event=event)
    message = draft(event)
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        send(message)
        assert mail.outbox == []
        assert DBTaskResult.objects.count() == 1  # the first batch
        call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    # Two batches and one send task per email, each run once.
    assert DBTaskResult.objects.count() == 2 + 3
    assert len(mail.outbox) == 3
    message.refresh_from_db()
    assert (message.status, message.queued_count) == ("sent", 3)


# --- a test to oneself, and where replies go ------------------------------------------------------


def test_a_test_to_myself_goes_to_me_alone_as_the_chosen_recipient_gets_it(
    manager_client, manager, event_with_everyone, django_capture_on_commit_callbacks
):
    event, people = event_with_everyone
    people["absent"].user.preferred_language = "fr"
    people["absent"].user.save()
    message = draft(event, subject="Salle 12")
    test_url = reverse("admin:events_message_test", args=[message.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(test_url, {"recipient": people["absent"].pk})

    preview_url = reverse("admin:events_message_preview", args=[message.pk])
    assert response.status_code == 302
    assert response.url == f"{preview_url}?recipient={people['absent'].pk}"
    assert [email.to for email in mail.outbox] == [[manager.email]]
    assert mail.outbox[0].subject == "[Test] Salle 12"
    # The greeting names the recipient chosen in the preview, in their language.
    assert people["absent"].user.full_name in mail.outbox[0].body
    assert people["attended"].user.full_name not in mail.outbox[0].body
    message.refresh_from_db()
    assert message.status == "draft"
    assert not EmailDelivery.objects.filter(message=message).exists()
    reported = [str(m) for m in get_messages(response.wsgi_request)]
    assert f"A test was sent to {manager.email}; the registrants got nothing." in reported


def test_the_preview_offers_a_test_to_myself(manager_client, event_with_everyone):
    event, _people = event_with_everyone
    message = draft(event)

    html = manager_client.get(
        reverse("admin:events_message_preview", args=[message.pk])
    ).content.decode()

    assert f'action="{reverse("admin:events_message_test", args=[message.pk])}"' in html
    assert "Send a test to myself" in html


def test_replies_go_to_the_address_of_the_message(
    manager_client, manager, django_capture_on_commit_callbacks
):
    event = EventFactory()
    RegistrationFactory(event=event)

    page = manager_client.get(f"{ADD}?event={event.pk}")
    assert page.context["adminform"].form.initial["reply_to"] == manager.email
    assert "Save and add another" not in page.content.decode()
    manager_client.post(
        ADD,
        {
            "event": event.pk,
            "recipients": "confirmed",
            "subject": "Agenda",
            "reply_to": "lpa-team@example.org",
            "body": "New agenda",
        },
    )
    message = Message.objects.get()
    assert message.reply_to == "lpa-team@example.org"
    with django_capture_on_commit_callbacks(execute=True):
        send(message)

    assert mail.outbox[0].extra_headers["Reply-To"] == "lpa-team@example.org"
    assert mail.outbox[0].message()["Reply-To"] == "lpa-team@example.org"


def test_a_reply_to_address_that_is_not_one_is_refused(manager_client):
    event = EventFactory()

    response = manager_client.post(
        ADD,
        {
            "event": event.pk,
            "recipients": "confirmed",
            "subject": "Agenda",
            "reply_to": "not an address",
            "body": "x",
        },
    )

    assert response.status_code == 200
    assert "reply_to" in response.context["adminform"].form.errors
    assert not Message.objects.exists()


# --- one version per language -------------------------------------------------------------------


def test_each_recipient_gets_the_version_in_their_language_or_the_source(
    manager_client, django_capture_on_commit_callbacks
):
    event = EventFactory(title="Regulatory Week", title_fr="Semaine réglementaire")
    french = RegistrationFactory(event=event, user__preferred_language="fr")
    spanish = RegistrationFactory(event=event, user__preferred_language="es")
    english = RegistrationFactory(event=event, user__preferred_language="en")
    response = manager_client.post(
        ADD,
        {
            "event": event.pk,
            "recipients": "confirmed",
            "subject": "Room changed",
            "body": "Room **B12**.",
            "subject_fr": "Changement de salle",
            "body_fr": "Salle **B12**.",
            # A subject alone is no version: the Spanish recipient gets the source.
            "subject_es": "Cambio de sala",
        },
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.subject, message.subject_fr) == ("Room changed", "Changement de salle")

    preview = manager_client.get(reverse("admin:events_message_preview", args=[message.pk]))
    versions = preview.context["preview"]["versions"]
    assert [(v["language"], v["subject"]) for v in versions] == [
        ("en", "Room changed"),
        ("fr", "Changement de salle"),
    ]
    html = preview.content.decode()
    assert "Salle <strong>B12</strong>." in html and "Room <strong>B12</strong>." in html

    with django_capture_on_commit_callbacks(execute=True):
        send(message)
    by_person = {email.to[0]: email for email in mail.outbox}
    to_french = by_person[french.user.email]
    assert to_french.subject == "Changement de salle"
    assert "Salle **B12**." in to_french.body and "Room" not in to_french.body
    assert "Semaine réglementaire" in to_french.body
    assert '<div lang="fr"><p>Salle <strong>B12</strong>.</p></div>' in to_french.alternatives[0][0]
    for registration in (spanish, english):
        email = by_person[registration.user.email]
        assert email.subject == "Room changed" and "Room **B12**." in email.body
        assert '<div lang="en"><p>Room' in email.alternatives[0][0]


def test_a_sent_message_keeps_its_versions_as_sent(
    manager_client, django_capture_on_commit_callbacks
):
    event = EventFactory()
    RegistrationFactory(event=event)
    message = draft(event)
    message_update(
        message=message,
        event=event,
        recipients="confirmed",
        subject="Change of room",
        body="See you **soon**.",
        translations={"subject_fr": "Changement de salle", "body_fr": "À bientôt."},
    )
    with django_capture_on_commit_callbacks(execute=True):
        send(message)
    change = manager_client.get(reverse("admin:events_message_change", args=[message.pk]))
    assert 'name="body_fr"' not in change.content.decode()
    assert "À bientôt." in change.content.decode()


def test_registration_emails_name_the_event_in_the_recipients_language(
    client, django_capture_on_commit_callbacks
):
    event = EventFactory(title="Week of Quality", title_fr="Semaine de la qualité", capacity=5)
    user = UserFactory(preferred_language="fr")
    client.force_login(user)
    # The page's language stays active after the request: restored with the override's end.
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        assert client.post(event.get_absolute_url(), {"consent": "on"}).status_code == 302
    (email,) = mail.outbox
    assert "Semaine de la qualité" in email.subject
    assert "Semaine de la qualité" in email.body and "Week of Quality" not in email.body
