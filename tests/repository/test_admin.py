"""The repository admin of Content editors: uploads validated as form errors, workflow actions,
the CSV import page and the search report."""

import csv
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.groups import CONTENT_EDITORS, EVENT_MANAGERS
from repository.admin import search_report
from repository.models import DownloadEvent, Resource, ResourceFile, SearchQuery
from tests.factories import (
    QAItemFactory,
    ResourceFactory,
    ResourceFileFactory,
    TopicFactory,
    UserFactory,
)
from tests.repository.test_uploads import MZ, pdf_bytes, stored_files

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:repository_resource_changelist")
ADD = reverse("admin:repository_resource_add")


def staff_in(group_name: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def editor(client):
    client.force_login(staff_in(CONTENT_EDITORS))
    return client


def inline_management(prefix: str, total=0, initial=0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def resource_form(**overrides) -> dict:
    data = {
        "title": "WHO good manufacturing practices: main principles",
        "slug": "gmp-main-principles",
        "kind": "guidance",
        "status": "draft",
        "summary": "",
        "body": "",
        "reference_number": "TRS 986, Annex 2",
        "isbn": "",
        "publisher": "World Health Organization",
        "publication_date": "2014-01-01",
        "date_precision": "year",
        "licence": "",
        "citation": "",
        "access_level": "0",
        "embargo_until_0": "",
        "embargo_until_1": "",
        "supersedes": "",
        **inline_management("files"),
        **inline_management("qa_items"),
    }
    data.update(overrides)
    return data


def with_file(data: dict, name: str, content: bytes, language="en") -> dict:
    return {
        **data,
        **inline_management("files", total=1),
        "files-0-language": language,
        "files-0-title": "",
        "files-0-file": SimpleUploadedFile(name, content, content_type="application/pdf"),
        "files-0-external_url": "",
        "files-0-order": "0",
    }


# --- Permissions -------------------------------------------------------------------------------


def test_event_managers_cannot_open_the_resource_admin(client):
    client.force_login(staff_in(EVENT_MANAGERS))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:repository_resource_import_csv")).status_code == 403
    assert client.get(reverse("admin:repository_searchquery_search_report")).status_code == 403


def test_content_editors_see_the_list_with_its_filters(editor):
    ResourceFactory(title="Data integrity guideline", download_count=42)
    ResourceFileFactory(extraction_status="no_text")
    response = editor.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Data integrity guideline" in html and "42" in html
    assert reverse("admin:repository_resource_import_csv") in html
    response = editor.get(CHANGELIST, {"files__extraction_status__exact": "no_text"})
    assert response.context["cl"].result_count == 1


def test_the_list_needs_few_queries(editor, django_assert_max_num_queries):
    for number in range(30):
        resource = ResourceFactory(title=f"Resource {number}")
        resource.topics.add(TopicFactory())
    with django_assert_max_num_queries(12):
        assert editor.get(CHANGELIST).status_code == 200


def test_the_change_page_with_files_and_questions(editor, django_assert_max_num_queries):
    resource = ResourceFactory()
    for language in ("en", "fr", "es", "ar", "ru", "zh") * 2:
        ResourceFileFactory(resource=resource, language=language)
    QAItemFactory.create_batch(20, resource=resource, topic=TopicFactory())
    with django_assert_max_num_queries(20):
        response = editor.get(reverse("admin:repository_resource_change", args=[resource.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("application/pdf") == 12
    assert "Text extraction" in html and "SHA-256" in html


# --- Uploads through the admin -----------------------------------------------------------------


def test_a_pdf_uploaded_in_the_admin_is_stored_and_its_text_extracted(
    editor, django_capture_on_commit_callbacks
):
    data = with_file(resource_form(), "Main principles.pdf", pdf_bytes("Quality risk management"))
    with (
        mock.patch("repository.search.resource_search_index_update") as index,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = editor.post(ADD, data)
    assert response.status_code == 302, response.context["errors"]
    resource_file = ResourceFile.objects.get()
    assert resource_file.mime_type == "application/pdf"
    assert resource_file.file.name.endswith("/main-principles.pdf")
    assert resource_file.extraction_status == ResourceFile.Extraction.DONE
    assert "Quality risk management" in resource_file.extracted_text
    assert resource_file.page_count == 1
    assert len(stored_files()) == 1
    index.assert_any_call(resource_ids=[resource_file.resource_id])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", MZ, "program"),
        ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
    ],
)
def test_a_refused_upload_is_a_form_error_and_stores_nothing(editor, name, content, message):
    response = editor.post(ADD, with_file(resource_form(), name, content))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Resource.objects.exists()
    assert not ResourceFile.objects.exists()
    assert stored_files() == []


def test_a_failure_after_the_upload_was_stored_leaves_no_file(editor):
    data = with_file(resource_form(), "a.pdf", pdf_bytes("Text"))
    with (
        mock.patch(
            "repository.admin.search_index_update_on_commit", side_effect=RuntimeError("boom")
        ),
        pytest.raises(RuntimeError),
    ):
        editor.post(ADD, data)
    assert not Resource.objects.exists()
    assert stored_files() == []


def test_replacing_and_deleting_a_file_removes_the_old_one_after_commit(
    editor, django_capture_on_commit_callbacks
):
    resource = ResourceFactory(slug="gmp-main-principles")
    old = ResourceFileFactory(resource=resource)
    old_name = old.file.name
    data = resource_form(
        status="published",
        **inline_management("files", total=1, initial=1),
        **{
            "files-0-id": str(old.pk),
            "files-0-resource": str(resource.pk),
            "files-0-language": "en",
            "files-0-title": "",
            "files-0-file": SimpleUploadedFile("new.pdf", pdf_bytes("New edition")),
            "files-0-external_url": "",
            "files-0-order": "0",
        },
    )
    url = reverse("admin:repository_resource_change", args=[resource.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(url, data)
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.file.name != old_name and old.file.name.endswith("/new.pdf")
    assert [path.name for path in stored_files()] == ["new.pdf"]
    data.update({"files-0-DELETE": "on", "files-0-file": ""})
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(url, data)
    assert response.status_code == 302
    assert not ResourceFile.objects.exists()
    assert stored_files() == []


def test_a_file_cleared_for_a_link_leaves_nothing_of_it(editor, django_capture_on_commit_callbacks):
    resource = ResourceFactory(slug="gmp-main-principles")
    old = ResourceFileFactory(resource=resource, extracted_text="Old text", page_count=3)
    data = resource_form(
        status="published",
        **inline_management("files", total=1, initial=1),
        **{
            "files-0-id": str(old.pk),
            "files-0-resource": str(resource.pk),
            "files-0-language": "en",
            "files-0-title": "",
            "files-0-file-clear": "on",
            "files-0-external_url": "https://www.who.int/publications/i/item/9789241209861",
            "files-0-order": "0",
        },
    )
    url = reverse("admin:repository_resource_change", args=[resource.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(url, data)
    assert response.status_code == 302
    old.refresh_from_db()
    assert not old.file and old.external_url.endswith("9789241209861")
    assert (old.mime_type, old.size, old.page_count, old.extracted_text) == ("", None, None, "")
    assert stored_files() == []


def test_deleting_resources_deletes_their_stored_files(editor, django_capture_on_commit_callbacks):
    kept = ResourceFileFactory()
    doomed = ResourceFileFactory.create_batch(2)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            CHANGELIST,
            {
                "action": "delete_selected",
                "_selected_action": [str(f.resource_id) for f in doomed],
                "post": "yes",
            },
        )
    assert response.status_code == 302
    assert Resource.objects.get() == kept.resource
    assert [path.name for path in stored_files()] == [kept.file.name.rsplit("/", 1)[1]]


# --- Workflow actions --------------------------------------------------------------------------


def act(client, action: str, resources) -> object:
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(resource.pk) for resource in resources]},
        follow=True,
    )


def test_a_content_editor_publishes_and_withdraws(editor):
    drafts = ResourceFactory.create_batch(2, status="draft", published_at=None)
    response = act(editor, "publish", drafts)
    assert "Published 2 resources." in response.content.decode()
    for resource in drafts:
        resource.refresh_from_db()
        assert resource.status == "published" and resource.published_at is not None
    response = act(editor, "withdraw", drafts[:1])
    assert "Withdrew 1 resource." in response.content.decode()
    drafts[0].refresh_from_db()
    assert drafts[0].status == "withdrawn"


def test_sending_to_review_and_refusals_are_reported(editor):
    draft = ResourceFactory(status="draft", title="A draft")
    published = ResourceFactory(status="published", title="Already out")
    html = act(editor, "send_to_review", [draft, published]).content.decode()
    assert "Sent 1 resource to review." in html
    assert "Not changed:" in html and "Already out" in html
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.status, published.status) == ("in_review", "published")


def test_the_form_refuses_a_status_the_workflow_does_not_allow(editor):
    resource = ResourceFactory(slug="gmp-main-principles", status="published")
    url = reverse("admin:repository_resource_change", args=[resource.pk])
    response = editor.post(url, resource_form(status="draft"))
    assert response.status_code == 200
    assert "cannot become" in response.content.decode()


def test_publishing_in_the_form_sets_the_publication_moment(editor):
    response = editor.post(ADD, resource_form(status="published"))
    assert response.status_code == 302
    assert Resource.objects.get().published_at is not None


def test_extract_text_again(editor, django_capture_on_commit_callbacks):
    resource_file = ResourceFileFactory(
        file=SimpleUploadedFile("a.pdf", pdf_bytes("Cleaning validation")),
        extraction_status="failed",
    )
    ResourceFileFactory(resource=resource_file.resource, link=True, language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        response = act(editor, "extract_text_again", [resource_file.resource])
    assert "Text extraction queued for 1 PDF." in response.content.decode()
    resource_file.refresh_from_db()
    assert resource_file.extraction_status == "done"
    assert "Cleaning validation" in resource_file.extracted_text


# --- CSV import --------------------------------------------------------------------------------


def test_the_import_page_creates_records(editor):
    url = reverse("admin:repository_resource_import_csv")
    assert editor.get(url).status_code == 200
    upload = SimpleUploadedFile("r.csv", b"title,kind\nTool one,tool\nTool two,tool\n")
    response = editor.post(url, {"file": upload})
    assert response.status_code == 200
    assert "2 resources were created" in response.content.decode()
    assert Resource.objects.filter(kind="tool", status="draft").count() == 2


def test_the_import_page_lists_problems_and_creates_nothing(editor):
    url = reverse("admin:repository_resource_import_csv")
    upload = SimpleUploadedFile("r.csv", b"title,kind\nTool one,tool\n,tool\nX,nonsense\n")
    html = editor.post(url, {"file": upload}).content.decode()
    assert "Nothing was imported" in html
    assert "Line 3: The title is empty." in html
    assert "Line 4: Unknown type" in html
    assert not Resource.objects.exists()


# --- Search report -----------------------------------------------------------------------------


@pytest.fixture
def searches(db):
    now = timezone.now()
    rows = [
        # (query, results, days ago)
        ("data integrity", 12, 1),
        ("data integrity", 10, 2),
        ("data integrity", 0, 3),
        ("hvac", 4, 5),
        ("cold chain", 0, 6),
        ("cold chain", 0, 20),
        ("mrna", 0, 25),
        ("water systems", 3, 60),
        ("old query", 0, 100),
    ]
    for query, results, days in rows:
        SearchQuery.objects.create(
            query=query, results=results, created_at=now - timedelta(days=days)
        )
    return now


def test_search_report_figures(searches):
    week = search_report(days=7, now=searches)
    assert week["totals"] == {"searches": 5, "zero": 2, "queries": 3}
    assert [(r["query"], r["searches"], r["zero"]) for r in week["top"]] == [
        ("data integrity", 3, 1),
        ("cold chain", 1, 1),
        ("hvac", 1, 0),
    ]
    assert [(r["query"], r["searches"]) for r in week["zero_results"]] == [
        ("cold chain", 1),
        ("data integrity", 1),
    ]
    month = search_report(days=30, now=searches)
    assert month["totals"] == {"searches": 7, "zero": 4, "queries": 4}
    assert month["zero_results"][0]["query"] == "cold chain"
    assert month["zero_results"][0]["searches"] == 2
    assert month["zero_share"] == 57
    quarter = search_report(days=90, now=searches)
    assert quarter["totals"]["searches"] == 8


def test_search_report_page_and_csv(editor, searches):
    url = reverse("admin:repository_searchquery_search_report")
    response = editor.get(url, {"days": "7"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "data integrity" in html and "mrna" not in html
    assert response.context["report"]["days"] == 7
    response = editor.get(url, {"days": "30", "format": "csv"})
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["query", "searches", "searches without results"]
    assert rows[1][:3] == ["data integrity", "3", "1"]
    assert {row[0] for row in rows[1:]} == {"data integrity", "cold chain", "hvac", "mrna"}
    # An unknown period falls back to 30 days.
    assert editor.get(url, {"days": "365"}).context["report"]["days"] == 30


def test_search_queries_and_downloads_are_read_only(editor):
    SearchQuery.objects.create(query="gmp", results=1)
    DownloadEvent.objects.create(resource=ResourceFactory(), visitor_hash="0" * 64)
    for model in ("searchquery", "downloadevent"):
        assert editor.get(reverse(f"admin:repository_{model}_changelist")).status_code == 200
        assert editor.get(reverse(f"admin:repository_{model}_add")).status_code == 403
    html = editor.get(reverse("admin:repository_downloadevent_changelist")).content.decode()
    assert "0" * 64 not in html
