""" "Request access" to a restricted file: the request reaches staff with the person's profile,
staff grant or refuse it in one click, the person is told by email, and a grant opens that
file only, for a time, through the one rule (`Resource.can_open_files`): download, resource
page and search."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.groups import CONTENT_EDITORS
from accounts.services import user_data_export
from repository.access_requests import GRANT_DAYS, access_request_decide
from repository.models import AccessLevel, AccessRequest
from repository.search import search_index_rebuild
from tests.factories import QAItemFactory, ResourceFactory, ResourceFileFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:repository_accessrequest_changelist")


@pytest.fixture
def restricted():
    resource = ResourceFactory(
        title="Inspection findings of sterile sites",
        access_level=AccessLevel.REGULATORS,
        kind="qa_report",
    )
    english = ResourceFileFactory(
        resource=resource, language="en", extracted_text="lyophiliser leak findings"
    )
    french = ResourceFileFactory(resource=resource, language="fr")
    QAItemFactory(resource=resource, question="What did the inspectors find on the lyophiliser?")
    search_index_rebuild()
    return resource, english, french


@pytest.fixture
def editor():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=CONTENT_EDITORS))
    client = Client()
    client.force_login(user)
    return client


def _request_url(file):
    return reverse(
        "repository:access_request", kwargs={"slug": file.resource.slug, "file_id": file.pk}
    )


def _download(client, file):
    return client.get(
        reverse("repository:download", kwargs={"slug": file.resource.slug, "file_id": file.pk})
    )


def test_a_person_asks_for_a_file_with_a_reason_and_sees_where_it_stands(client, restricted):
    resource, english, _french = restricted
    anonymous = client.get(resource.get_absolute_url()).content.decode()
    assert "Request access" not in anonymous and "Sign in to open the files" in anonymous

    person = UserFactory(full_name="Amina Diallo", organisation="Example Labs")
    client.force_login(person)
    page = client.get(resource.get_absolute_url()).content.decode()
    assert page.count(">Request access<") == 2 and _request_url(english) in page
    form = client.get(_request_url(english)).content.decode()
    assert "Amina Diallo" in form and "Example Labs" in form
    assert f"for {GRANT_DAYS} days" in form

    # No reason: nothing is sent, and the form says why.
    response = client.post(_request_url(english), {"reason": "  "})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not AccessRequest.objects.exists()

    response = client.post(
        _request_url(english), {"reason": "Preparing an inspection"}, follow=True
    )
    assert "Your request is sent" in response.content.decode()
    request = AccessRequest.objects.get()
    assert (request.user, request.file, request.status) == (person, english, "pending")
    page = client.get(resource.get_absolute_url()).content.decode()
    assert "Access requested on" in page
    # Asking again for the same file: nothing new.
    response = client.post(_request_url(english), {"reason": "Again"}, follow=True)
    assert "You have already asked for this file" in response.content.decode()
    assert AccessRequest.objects.count() == 1


def test_who_may_ask(client, restricted):
    resource, english, _french = restricted
    assert client.get(_request_url(english)).status_code == 302  # sign in first
    regulator = UserFactory(is_verified_regulator=True, organisation_type="regulator")
    client.force_login(regulator)
    response = client.post(_request_url(english), {"reason": "I may open it"}, follow=True)
    assert "You can already open this file" in response.content.decode()
    draft = ResourceFactory(status="draft", access_level=AccessLevel.REGULATORS)
    hidden = ResourceFileFactory(resource=draft)
    client.force_login(UserFactory())
    assert client.get(_request_url(hidden)).status_code == 404
    other = ResourceFileFactory()  # a file of another resource, under this one's slug
    bad = reverse("repository:access_request", kwargs={"slug": resource.slug, "file_id": other.pk})
    assert client.get(bad).status_code == 404


def test_staff_grant_in_one_click_and_the_grant_opens_that_file_only(
    client, editor, restricted, django_capture_on_commit_callbacks
):
    resource, english, french = restricted
    person = UserFactory(preferred_language="fr")
    request = AccessRequest.objects.create(user=person, file=english, reason="Inspection")
    page = editor.get(f"{CHANGELIST}?status__exact=pending").content.decode()
    assert person.email in page and person.organisation in page and "Inspection" in page
    grant_url = reverse("admin:repository_accessrequest_grant", args=[request.pk])
    assert f'formaction="{grant_url}"' in page
    assert editor.get(grant_url).status_code == 405  # a click posts; a link changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(grant_url)
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "granted"
    assert request.expires_at > timezone.now() + timedelta(days=GRANT_DAYS - 1)
    (email,) = mail.outbox
    assert email.to == [person.email] and email.subject.startswith("Accès accordé")
    assert f"/files/{english.pk}/download/" in email.body

    client.force_login(person)
    assert _download(client, english).status_code == 200
    assert _download(client, french).status_code == 403
    page = client.get(resource.get_absolute_url()).content.decode()
    assert f"/files/{english.pk}/download/" in page
    assert f"/files/{french.pk}/download/" not in page
    # The Q&A items open with the whole content only.
    assert "What did the inspectors find" not in page
    # A second click on a decided request changes nothing and sends nothing.
    editor.post(grant_url)
    assert len(mail.outbox) == 1


def test_a_refusal_is_told_and_opens_nothing(
    client, editor, restricted, django_capture_on_commit_callbacks
):
    _resource, english, _french = restricted
    person = UserFactory()
    request = AccessRequest.objects.create(user=person, file=english, reason="Curious")
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(reverse("admin:repository_accessrequest_refuse", args=[request.pk]))
    request.refresh_from_db()
    assert request.status == "refused"
    assert mail.outbox[0].subject.startswith("Your request for")
    client.force_login(person)
    assert _download(client, english).status_code == 403


def test_a_grant_ends_when_it_expires(client, restricted):
    _resource, english, _french = restricted
    person = UserFactory()
    request = AccessRequest.objects.create(user=person, file=english, reason="x")
    staff = UserFactory(is_staff=True)
    access_request_decide(
        access_request=request,
        by=staff,
        grant=True,
        now=timezone.now() - timedelta(days=GRANT_DAYS + 1),
    )
    client.force_login(person)
    assert _download(client, english).status_code == 403
    assert (
        "Your access ended on" in client.get(english.resource.get_absolute_url()).content.decode()
    )


def test_search_reads_the_content_of_what_a_grant_opens(client, restricted):
    resource, english, french = restricted
    person = UserFactory()
    client.force_login(person)
    list_url = reverse("repository:list")

    def found():
        return resource.title in client.get(list_url, {"q": "lyophiliser"}).content.decode()

    assert not found()
    staff = UserFactory(is_staff=True)
    for file in (english, french):
        request = AccessRequest.objects.create(user=person, file=file, reason="x")
        access_request_decide(access_request=request, by=staff, grant=True)
    # Every file granted: the content opens, for this person only.
    assert found()
    page = client.get(resource.get_absolute_url()).content.decode()
    assert "What did the inspectors find" in page
    other = Client()
    other.force_login(UserFactory())
    assert resource.title not in other.get(list_url, {"q": "lyophiliser"}).content.decode()


def test_the_kept_parts_of_the_page_never_mix_two_people(restricted, settings):
    settings.FRAGMENT_CACHE_SECONDS = 120
    resource, english, _french = restricted
    granted, other = UserFactory(), UserFactory()
    request = AccessRequest.objects.create(user=granted, file=english, reason="x")
    access_request_decide(access_request=request, by=UserFactory(is_staff=True), grant=True)
    link = f"/files/{english.pk}/download/"
    first, second = Client(), Client()
    first.force_login(granted)
    second.force_login(other)
    # Either order: the person with a grant sees the link, the other person does not.
    assert link in first.get(resource.get_absolute_url()).content.decode()
    assert link not in second.get(resource.get_absolute_url()).content.decode()
    first, second = Client(), Client()
    first.force_login(other)
    second.force_login(granted)
    assert link not in first.get(resource.get_absolute_url()).content.decode()
    assert link in second.get(resource.get_absolute_url()).content.decode()


def test_the_admin_list_query_count(editor, restricted, django_assert_max_num_queries):
    _resource, english, _french = restricted
    for _index in range(30):
        AccessRequest.objects.create(user=UserFactory(), file=english, reason="x")
    with django_assert_max_num_queries(12):
        response = editor.get(f"{CHANGELIST}?status__exact=pending")
    assert response.content.decode().count('value="grant"') == 30


def test_the_resource_page_query_count_with_requests(
    client, restricted, django_assert_max_num_queries
):
    resource, english, french = restricted
    person = UserFactory()
    for file in (english, french):
        AccessRequest.objects.create(user=person, file=file, reason="x")
    client.force_login(person)
    # session, user, the resource and what its page shows (see test_pages), the grants (2),
    # the person's requests
    with django_assert_max_num_queries(14):
        response = client.get(resource.get_absolute_url())
    assert response.content.decode().count("Access requested on") == 2


def test_requests_are_personal_data(restricted):
    _resource, english, _french = restricted
    person = UserFactory()
    AccessRequest.objects.create(user=person, file=english, reason="For an inspection")
    data = user_data_export(user=person)
    assert data["access_requests"][0]["reason"] == "For an inspection"


def test_the_staff_dashboard_links_to_the_requests_waiting(editor, restricted):
    resource, english, french = restricted
    for file in (english, french, english):
        AccessRequest.objects.create(user=UserFactory(), file=file, reason="x")
    decided = AccessRequest.objects.create(user=UserFactory(), file=french, reason="x")
    decided.status = "refused"
    decided.save()
    html = editor.get(reverse("admin:index")).content.decode()
    panel = html[html.index('id="dashboard-restricted-file-requests"') :]
    panel = panel[: panel.index("</section>")]
    assert resource.title in panel
    link = f"{CHANGELIST}?file__resource__id__exact={resource.pk}&amp;status__exact=pending"
    assert f'href="{link}">3</a>' in panel
    assert f'href="{CHANGELIST}?status__exact=pending"' in panel
    response = editor.get(link.replace("&amp;", "&"))
    assert len(response.context["cl"].result_list) == 3
