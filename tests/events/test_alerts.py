"""Alerts: who hears of a new event or resource, once, by email or weekly digest; the pages of
My account; unsubscribing from an email without signing in."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import user_data_export, user_delete_account
from events.alerts import (
    MAX_SUBSCRIPTIONS,
    alert_subscription_create,
    alerts_send,
    unsubscribe_token,
    week_start,
)
from events.models import Alert, AlertSubscription, EmailDelivery, RegistrationOpeningNotice
from repository.models import AccessLevel, ProductArea, Region
from repository.services import resource_publish
from tests.factories import (
    PASSWORD,
    EventFactory,
    ProgrammeFactory,
    ResourceFactory,
    SessionFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _subscribe(user=None, **choices):
    defaults = {
        "new_events": True,
        "new_resources": True,
        "frequency": "immediate",
        "programmes": [],
        "topics": [],
        "regions": [],
        "product_areas": [],
    }
    regions = choices.pop("region_codes", [])
    if regions:
        choices["regions"] = list(Region.objects.filter(code__in=regions))
    return alert_subscription_create(user=user or UserFactory(), **(defaults | choices))


def _run(capture, **kwargs):
    with capture(execute=True):
        return alerts_send(**kwargs)


def _recipients() -> set[str]:
    return {message.to[0] for message in mail.outbox}


@pytest.fixture
def integrity():
    return TopicFactory(name="Data integrity", slug="data-integrity")


# --- Who hears of what --------------------------------------------------------------------------


def test_an_event_in_afro_on_data_integrity_reaches_subscribers_to_afro_or_to_the_topic(
    integrity, django_capture_on_commit_callbacks
):
    other_topic = TopicFactory(name="Sterile manufacturing", slug="sterile")
    to_afro = _subscribe(region_codes=["AFRO"])
    to_topic = _subscribe(topics=[integrity])
    to_both = _subscribe(region_codes=["AFRO"], topics=[integrity])
    to_euro = _subscribe(region_codes=["EURO"])
    to_other_topic = _subscribe(topics=[other_topic])
    to_afro_other_topic = _subscribe(region_codes=["AFRO"], topics=[other_topic])
    to_resources_only = _subscribe(new_events=False)
    event = EventFactory(region="AFRO", title="Data integrity in Africa")
    event.topics.add(integrity)

    run = _run(django_capture_on_commit_callbacks)

    assert run.events == 1
    assert _recipients() == {to_afro.user.email, to_topic.user.email, to_both.user.email}
    assert not _recipients() & {
        s.user.email for s in (to_euro, to_other_topic, to_afro_other_topic, to_resources_only)
    }
    assert all("Data integrity in Africa" in message.subject for message in mail.outbox)


def test_a_global_event_concerns_every_region_and_a_broad_topic_its_narrower_ones(
    integrity, django_capture_on_commit_callbacks
):
    narrower = TopicFactory(name="Audit trails", slug="audit-trails", parent=integrity)
    to_euro = _subscribe(region_codes=["EURO"])
    to_broad_topic = _subscribe(topics=[integrity])
    event = EventFactory(region="GLOBAL")
    event.topics.add(narrower)

    _run(django_capture_on_commit_callbacks)

    assert _recipients() == {to_euro.user.email, to_broad_topic.user.email}


def test_programme_and_product_area_narrow_the_alert(django_capture_on_commit_callbacks):
    marathon = ProgrammeFactory(slug="marathon")
    vaccines = ProductArea.objects.get(code="vaccines")
    to_marathon_vaccines = _subscribe(programmes=[marathon], product_areas=[vaccines])
    to_marathon_devices = _subscribe(
        programmes=[marathon], product_areas=[ProductArea.objects.get(code="devices")]
    )
    to_other_programme = _subscribe(programmes=[ProgrammeFactory(slug="other")])
    event = EventFactory(programme=marathon)
    event.product_areas.add(vaccines)

    _run(django_capture_on_commit_callbacks)

    assert _recipients() == {to_marathon_vaccines.user.email}
    assert not _recipients() & {to_marathon_devices.user.email, to_other_programme.user.email}


def test_a_resource_published_on_a_topic_reaches_that_topics_subscribers(
    integrity, django_capture_on_commit_callbacks
):
    to_topic = _subscribe(topics=[integrity])
    to_topic_events_only = _subscribe(topics=[integrity], new_resources=False)
    to_other_topic = _subscribe(topics=[TopicFactory(slug="other")])
    draft = ResourceFactory(status="draft", published_at=None, title="Data integrity guide")
    draft.topics.add(integrity)

    _run(django_capture_on_commit_callbacks)
    assert mail.outbox == []  # a draft is nobody's news

    resource_publish(resource=draft)
    run = _run(django_capture_on_commit_callbacks)

    assert run.resources == 1
    assert _recipients() == {to_topic.user.email}
    assert not _recipients() & {to_topic_events_only.user.email, to_other_topic.user.email}
    assert mail.outbox[0].subject == "New resource: Data integrity guide"
    assert draft.get_absolute_url() in mail.outbox[0].body


def test_a_resource_reaches_a_programme_through_the_events_that_use_it(
    django_capture_on_commit_callbacks,
):
    marathon = ProgrammeFactory(slug="marathon")
    to_marathon = _subscribe(programmes=[marathon])
    to_other = _subscribe(programmes=[ProgrammeFactory(slug="other")])
    session = SessionFactory(event=EventFactory(programme=marathon))
    _run(django_capture_on_commit_callbacks)  # the event itself
    mail.outbox.clear()
    resource = ResourceFactory(status="draft", published_at=None)
    session.resources.add(resource)

    resource_publish(resource=resource)
    _run(django_capture_on_commit_callbacks)

    assert _recipients() == {to_marathon.user.email}
    assert to_other.user.email not in _recipients()


def test_a_restricted_resource_goes_only_to_people_who_may_open_it(
    django_capture_on_commit_callbacks,
):
    registered = _subscribe()
    regulator = _subscribe(user=UserFactory(is_verified_regulator=True))
    ResourceFactory(access_level=AccessLevel.REGULATORS, title="For regulators only")
    ResourceFactory(access_level=AccessLevel.REGISTERED, title="For signed-in people")

    _run(django_capture_on_commit_callbacks)

    received = {(message.to[0], message.subject) for message in mail.outbox}
    assert received == {
        (registered.user.email, "New resource: For signed-in people"),
        (regulator.user.email, "New resource: For signed-in people"),
        (regulator.user.email, "New resource: For regulators only"),
    }
    regulators_only = [m for m in mail.outbox if "regulators only" in m.subject]
    assert all(m.to == [regulator.user.email] for m in regulators_only)


def test_an_embargoed_resource_is_alerted_when_its_embargo_ends(
    django_capture_on_commit_callbacks,
):
    subscription = _subscribe()
    now = timezone.now()
    ResourceFactory(embargo_until=now + timedelta(days=2))

    assert _run(django_capture_on_commit_callbacks, now=now).resources == 0
    assert mail.outbox == []

    run = _run(django_capture_on_commit_callbacks, now=now + timedelta(days=2, minutes=5))
    assert run.resources == 1
    assert _recipients() == {subscription.user.email}


def test_items_published_before_the_alert_was_created_are_not_sent(
    django_capture_on_commit_callbacks,
):
    EventFactory(published_at=timezone.now() - timedelta(hours=1))
    _subscribe()

    _run(django_capture_on_commit_callbacks)

    assert mail.outbox == []


def test_people_who_deleted_their_account_get_nothing(django_capture_on_commit_callbacks):
    subscription = _subscribe()
    user_delete_account(user=subscription.user, password=PASSWORD)
    EventFactory()

    _run(django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert not AlertSubscription.objects.exists()


# --- Once, ever ---------------------------------------------------------------------------------


def test_each_item_is_sent_once_even_when_the_command_runs_twice_or_it_is_republished(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    _subscribe(user=user)
    _subscribe(user=user, new_resources=False)  # overlaps: still one email per item
    event = EventFactory()
    ResourceFactory()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_alerts", stdout=open("/dev/null", "w"))  # noqa: SIM115
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_alerts", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(mail.outbox) == 2

    event.status = "draft"
    event.save()
    event.status = "published"
    event.published_at = timezone.now()  # even with a new publication date
    event.save()
    _run(django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 2
    assert Alert.objects.filter(user=user).count() == 2


def test_the_unique_constraint_refuses_a_second_alert_of_the_same_item():
    _subscribe()
    EventFactory()
    alerts_send()
    alert = Alert.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(user=alert.user, item=alert.item, frequency="weekly")


def test_a_dry_run_counts_and_changes_nothing(capsys):
    _subscribe()
    EventFactory()

    call_command("send_alerts", "--dry-run")

    assert "New events: 1" in capsys.readouterr().out
    assert not Alert.objects.exists() and not EmailDelivery.objects.exists()
    assert alerts_send().emails == 1  # still to be sent for real


# --- Weekly digest ------------------------------------------------------------------------------


def test_the_weekly_digest_groups_the_items_and_is_sent_once_a_week(
    django_capture_on_commit_callbacks,
):
    weekly = _subscribe(frequency="weekly")
    immediate = _subscribe()
    now = timezone.now()
    EventFactory(title="First event", published_at=now)
    ResourceFactory(title="A new tool", published_at=now)
    _run(django_capture_on_commit_callbacks, now=now + timedelta(minutes=1))
    assert _recipients() == {immediate.user.email}  # the digest waits for the week to end
    mail.outbox.clear()

    next_week = week_start(now) + timedelta(days=7, minutes=3)
    _run(django_capture_on_commit_callbacks, now=next_week)
    _run(django_capture_on_commit_callbacks, now=next_week + timedelta(hours=5))

    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [weekly.user.email]
    assert digest.subject == "Your weekly alert: 2 new items on the LPA Portal"
    assert "First event" in digest.body and "A new tool" in digest.body
    html = digest.alternatives[0][0]
    assert "First event" in html and "A new tool" in html
    assert "List-Unsubscribe" in digest.extra_headers


def test_what_comes_after_a_digest_waits_for_the_next_week(django_capture_on_commit_callbacks):
    weekly = _subscribe(frequency="weekly")
    now = timezone.now()
    monday = week_start(now) + timedelta(days=7)
    EventFactory(published_at=now)
    _run(django_capture_on_commit_callbacks, now=now + timedelta(minutes=1))
    _run(django_capture_on_commit_callbacks, now=monday + timedelta(minutes=1))
    assert len(mail.outbox) == 1

    EventFactory(title="Tuesday's event", published_at=monday + timedelta(days=1))
    _run(django_capture_on_commit_callbacks, now=monday + timedelta(days=1, minutes=5))
    _run(django_capture_on_commit_callbacks, now=monday + timedelta(days=6))
    assert len(mail.outbox) == 1

    _run(django_capture_on_commit_callbacks, now=monday + timedelta(days=7, minutes=1))
    assert len(mail.outbox) == 2
    assert "Tuesday's event" in mail.outbox[1].body
    assert mail.outbox[1].to == [weekly.user.email]


def test_a_digest_leaves_out_what_was_withdrawn_in_the_meantime(
    django_capture_on_commit_callbacks,
):
    _subscribe(frequency="weekly")
    now = timezone.now()
    resource = ResourceFactory(title="Withdrawn later", published_at=now)
    EventFactory(title="Still on", published_at=now)
    _run(django_capture_on_commit_callbacks, now=now + timedelta(minutes=1))
    resource.status = "withdrawn"
    resource.save()

    _run(django_capture_on_commit_callbacks, now=week_start(now) + timedelta(days=7, minutes=1))

    assert len(mail.outbox) == 1
    assert "Still on" in mail.outbox[0].body
    assert "Withdrawn later" not in mail.outbox[0].body


# --- The email ----------------------------------------------------------------------------------


def test_the_email_is_in_the_persons_language_with_text_html_and_unsubscribe_headers(
    django_capture_on_commit_callbacks,
):
    subscription = _subscribe(user=UserFactory(preferred_language="fr"))
    event = EventFactory(title="Atelier BPF")

    _run(django_capture_on_commit_callbacks)

    message = mail.outbox[0]
    assert message.subject == "Nouvel événement : Atelier BPF"
    assert message.body.startswith("Bonjour ")
    html = message.alternatives[0][0]
    assert 'lang="fr"' in html and f"/fr/events/{event.slug}/" in html
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<http") and header.endswith(">")
    assert "/alerts/unsubscribe/" in header
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header[1:-1] in message.body
    # The header is sent: it is in the message as it goes out.
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in message.message().as_string()
    assert subscription.user.email in message.to


# --- Unsubscribing ------------------------------------------------------------------------------


def _unsubscribe_path(subscription) -> str:
    token = unsubscribe_token(subscriptions=[subscription])
    return reverse("events:alerts_unsubscribe", kwargs={"token": token})


def test_the_unsubscribe_link_asks_first_then_works_without_signing_in():
    subscription = _subscribe()
    kept = _subscribe(user=subscription.user, frequency="weekly")
    client = Client(enforce_csrf_checks=True)
    path = _unsubscribe_path(subscription)

    page = client.get(path)
    assert page.status_code == 200
    assert b"Unsubscribe</button>" in page.content
    assert AlertSubscription.objects.filter(pk=subscription.pk).exists()  # a GET changes nothing

    done = client.post(path)
    assert done.status_code == 200
    assert b"You are unsubscribed" in done.content
    assert not AlertSubscription.objects.filter(pk=subscription.pk).exists()
    assert AlertSubscription.objects.filter(pk=kept.pk).exists()

    again = client.post(path)
    assert again.status_code == 200 and b"already unsubscribed" in again.content
    assert b"already unsubscribed" in client.get(path).content


def test_the_one_click_post_of_a_mail_program_unsubscribes_without_a_csrf_token():
    subscription = _subscribe()
    response = Client(enforce_csrf_checks=True).post(
        _unsubscribe_path(subscription),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not AlertSubscription.objects.filter(pk=subscription.pk).exists()


def test_a_tampered_unsubscribe_token_is_refused_with_a_clear_message():
    subscription = _subscribe()
    other = _subscribe()
    token = unsubscribe_token(subscriptions=[subscription])
    _payload, signature = token.rsplit(":", 1)
    forged = unsubscribe_token(subscriptions=[other])
    forged_payload = forged.rsplit(":", 1)[0]
    client = Client(enforce_csrf_checks=True)

    for bad in (forged_payload + ":" + signature, token[:-3] + "abc", "nonsense"):
        path = reverse("events:alerts_unsubscribe", kwargs={"token": bad})
        for response in (client.get(path), client.post(path)):
            assert response.status_code == 400
            assert b"This unsubscribe link is not valid" in response.content
    assert AlertSubscription.objects.count() == 2


def test_the_link_from_an_email_unsubscribes(django_capture_on_commit_callbacks):
    subscription = _subscribe()
    EventFactory()
    _run(django_capture_on_commit_callbacks)
    url = mail.outbox[0].extra_headers["List-Unsubscribe"][1:-1]

    Client().post(url.replace("http://127.0.0.1:8000", ""))

    assert not AlertSubscription.objects.filter(pk=subscription.pk).exists()


# --- My account pages ---------------------------------------------------------------------------


def test_my_account_links_to_the_alerts_page(client, user):
    client.force_login(user)
    page = client.get(reverse("accounts:overview"))
    assert reverse("events:alerts").encode() in page.content


def test_the_alerts_page_needs_a_sign_in(client):
    response = client.get(reverse("events:alerts"))
    assert response.status_code == 302 and "login" in response.url


def test_the_alerts_pages_query_count_does_not_grow_with_data(
    client, user, django_assert_max_num_queries
):
    topics = [TopicFactory() for _index in range(15)]
    programmes = [ProgrammeFactory() for _index in range(10)]
    for _index in range(12):
        _subscribe(
            user=user,
            topics=topics,
            programmes=programmes,
            region_codes=["AFRO", "EURO"],
            product_areas=list(ProductArea.objects.all()),
        )
    for _index in range(5):
        _subscribe()  # other people's
    for _index in range(6):
        RegistrationOpeningNotice.objects.create(event=EventFactory(), user=user)
    client.force_login(user)

    # And one query for the events the person waits to hear about when registration opens.
    with django_assert_max_num_queries(8):
        page = client.get(reverse("events:alerts"))
    assert page.status_code == 200
    assert page.content.count(b"Edit alert") == 12
    assert page.content.count(b"No longer") == 6

    with django_assert_max_num_queries(6):
        assert client.get(reverse("events:alert_create")).status_code == 200
    subscription = user.alert_subscriptions.first()
    with django_assert_max_num_queries(11):
        page = client.get(reverse("events:alert_edit", kwargs={"pk": subscription.pk}))
    assert page.status_code == 200


def test_an_alert_is_created_edited_and_deleted_from_my_account(client, user, integrity):
    client.force_login(user)
    afro = Region.objects.get(code="AFRO")
    form = client.get(reverse("events:alert_create"))
    assert form.status_code == 200
    assert b"<fieldset" in form.content and b"<legend>Topics" in form.content

    response = client.post(
        reverse("events:alert_create"),
        {
            "content": ["events"],
            "topics": [integrity.pk],
            "regions": [afro.pk],
            "frequency": "weekly",
        },
    )
    assert response.status_code == 302 and response.url == reverse("events:alerts")
    subscription = AlertSubscription.objects.get(user=user)
    assert (subscription.new_events, subscription.new_resources) == (True, False)
    assert list(subscription.topics.all()) == [integrity]
    assert list(subscription.regions.all()) == [afro]
    assert subscription.frequency == "weekly"
    listing = client.get(reverse("events:alerts")).content.decode()
    assert "Data integrity" in listing and "One email a week" in listing

    edit = reverse("events:alert_edit", kwargs={"pk": subscription.pk})
    assert 'value="events"' in client.get(edit).content.decode()
    client.post(edit, {"content": ["events", "resources"], "frequency": "immediate"})
    subscription.refresh_from_db()
    assert subscription.new_resources and subscription.frequency == "immediate"
    assert not subscription.topics.exists() and not subscription.regions.exists()

    delete = reverse("events:alert_delete", kwargs={"pk": subscription.pk})
    assert b"Delete the alert" in client.get(delete).content
    assert AlertSubscription.objects.filter(pk=subscription.pk).exists()
    client.post(delete)
    assert not AlertSubscription.objects.filter(pk=subscription.pk).exists()


def test_a_form_without_events_or_resources_says_so_by_the_field_and_saves_nothing(client, user):
    client.force_login(user)
    response = client.post(
        reverse("events:alert_create"), {"frequency": "immediate", "topics": ["999999"]}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose new events, new resources or both." in html
    assert 'id="id_content_error"' in html
    assert 'aria-describedby="id_content_error"' in html or "id_content_error" in html
    assert "Select a valid choice" in html
    assert not AlertSubscription.objects.exists()


def test_a_person_keeps_at_most_the_maximum_of_alerts(client, user):
    for _index in range(MAX_SUBSCRIPTIONS):
        _subscribe(user=user)
    client.force_login(user)
    response = client.post(
        reverse("events:alert_create"), {"content": ["events"], "frequency": "immediate"}
    )
    assert response.status_code == 200
    assert b"the most alerts one person may keep" in response.content
    assert AlertSubscription.objects.filter(user=user).count() == MAX_SUBSCRIPTIONS


def test_nobody_edits_or_deletes_someone_elses_alert(client, user):
    theirs = _subscribe(frequency="weekly")
    client.force_login(user)
    for name in ("events:alert_edit", "events:alert_delete"):
        path = reverse(name, kwargs={"pk": theirs.pk})
        assert client.get(path).status_code == 404
        assert client.post(path, {"content": ["events"], "frequency": "immediate"}).status_code == (
            404
        )
    theirs.refresh_from_db()
    assert theirs.frequency == "weekly" and theirs.new_resources


def test_the_alert_forms_refuse_a_post_without_the_csrf_token(user):
    subscription = _subscribe(user=user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    data = {"content": ["resources"], "frequency": "weekly"}
    for path in (
        reverse("events:alert_create"),
        reverse("events:alert_edit", kwargs={"pk": subscription.pk}),
        reverse("events:alert_delete", kwargs={"pk": subscription.pk}),
    ):
        assert b'name="csrfmiddlewaretoken"' in client.get(path).content
        assert client.post(path, data).status_code == 403
    subscription.refresh_from_db()
    assert subscription.frequency == "immediate"
    assert AlertSubscription.objects.count() == 1


# --- Staff, personal data -----------------------------------------------------------------------


def test_staff_see_the_subscriptions_read_only(client, staff_user, integrity):
    subscription = _subscribe(topics=[integrity])
    client.force_login(staff_user)
    listing = client.get(reverse("admin:events_alertsubscription_changelist"))
    assert listing.status_code == 200
    change = reverse("admin:events_alertsubscription_change", args=[subscription.pk])
    assert change in listing.content.decode() and "Data integrity" in listing.content.decode()
    assert client.get(reverse("admin:events_alertsubscription_add")).status_code == 403
    page = client.get(change)
    assert page.status_code == 200 and b'name="frequency"' not in page.content
    delete = reverse("admin:events_alertsubscription_delete", args=[subscription.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def test_the_admin_list_and_the_unsubscribe_page_query_counts_do_not_grow(
    client, staff_user, django_assert_max_num_queries
):
    topics = [TopicFactory() for _index in range(5)]
    user = UserFactory()
    subscriptions = [
        _subscribe(user=user, topics=topics, region_codes=["AFRO", "SEARO"]) for _index in range(15)
    ]
    for _index in range(15):
        _subscribe(programmes=[ProgrammeFactory()], product_areas=list(ProductArea.objects.all()))

    token = unsubscribe_token(subscriptions=subscriptions)
    with django_assert_max_num_queries(5):
        page = Client().get(reverse("events:alerts_unsubscribe", kwargs={"token": token}))
    assert page.status_code == 200 and b"Stop these 15 alerts?" in page.content

    client.force_login(staff_user)
    with django_assert_max_num_queries(8):
        listing = client.get(reverse("admin:events_alertsubscription_changelist"))
    assert listing.status_code == 200 and listing.content.count(b"<tr") > 30


def test_alerts_are_in_the_personal_data_download(integrity):
    subscription = _subscribe(topics=[integrity], frequency="weekly")
    data = user_data_export(user=subscription.user)
    assert data["alerts"] == [
        {
            "new_events": True,
            "new_resources": True,
            "frequency": "weekly",
            "programmes": [],
            "topics": ["data-integrity"],
            "regions": [],
            "product_areas": [],
            "created_at": subscription.created_at.isoformat(),
        }
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_runs_at_the_same_time_on_several_machines_send_each_alert_and_digest_once():
    import threading

    from django.db import connections

    people = [_subscribe() for _index in range(3)] + [
        _subscribe(frequency="weekly") for _index in range(3)
    ]
    now = timezone.now()
    for _index in range(3):
        EventFactory(published_at=now)
        ResourceFactory(published_at=now)
    errors = []

    def run(moment):
        barrier.wait(timeout=30)
        try:
            alerts_send(now=moment)
        except Exception as error:  # any error is a failure of the rule
            errors.append(repr(error))
        finally:
            connections.close_all()

    for moment in (now + timedelta(minutes=1), week_start(now) + timedelta(days=7, minutes=1)):
        barrier = threading.Barrier(4)
        threads = [threading.Thread(target=run, args=(moment,)) for _index in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    assert errors == []
    assert Alert.objects.count() == 6 * len(people)
    immediate = EmailDelivery.objects.filter(key__startswith="alert:")
    assert immediate.count() == 6 * 3
    digests = EmailDelivery.objects.filter(key__startswith="alerts-weekly:")
    assert digests.count() == 3
    assert len(mail.outbox) == 6 * 3 + 3
