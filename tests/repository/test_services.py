"""Services of the repository: the publication workflow and the CSV import of records."""

from datetime import date, timedelta
from io import BytesIO
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from repository.models import Resource
from repository.services import resource_publish, resource_status_set, resources_import_csv
from tests.factories import ResourceFactory, TopicFactory

pytestmark = pytest.mark.django_db


# --- Workflow ----------------------------------------------------------------------------------


def test_publishing_sets_the_publication_moment_once():
    resource = ResourceFactory(status="draft", published_at=None)
    resource_publish(resource=resource)
    resource.refresh_from_db()
    first = resource.published_at
    assert resource.status == "published" and first is not None
    resource_status_set(resource=resource, status="withdrawn")
    resource_publish(resource=resource)
    resource.refresh_from_db()
    assert resource.status == "published"
    assert resource.published_at == first


def test_an_embargoed_resource_may_be_published_and_stays_hidden():
    resource = ResourceFactory(
        status="draft", published_at=None, embargo_until=timezone.now() + timedelta(days=3)
    )
    resource_publish(resource=resource)
    assert resource.status == "published"
    assert resource not in Resource.objects.published()


@pytest.mark.parametrize("missing", ["title", "kind"])
def test_a_resource_without_title_or_type_is_not_published(missing):
    resource = ResourceFactory(status="draft", published_at=None, **{missing: ""})
    with pytest.raises(ValidationError):
        resource_publish(resource=resource)
    resource.refresh_from_db()
    assert resource.status == "draft" and resource.published_at is None


def test_the_workflow():
    resource = ResourceFactory(status="draft", published_at=None)
    for status in ("in_review", "draft", "in_review", "published", "withdrawn", "draft"):
        resource_status_set(resource=resource, status=status)
        resource.refresh_from_db()
        assert resource.status == status


@pytest.mark.parametrize(("start", "target"), [("published", "draft"), ("published", "in_review")])
def test_a_published_resource_is_withdrawn_not_sent_back(start, target):
    resource = ResourceFactory(status=start)
    with pytest.raises(ValidationError) as refused:
        resource_status_set(resource=resource, status=target)
    assert "cannot become" in refused.value.messages[0]
    resource.refresh_from_db()
    assert resource.status == start


def test_an_unknown_status_is_refused():
    with pytest.raises(ValidationError):
        resource_status_set(resource=ResourceFactory(), status="archived")


def test_status_changes_update_the_search_index(django_capture_on_commit_callbacks):
    resource = ResourceFactory(status="draft")
    with (
        mock.patch("repository.search.resource_search_index_update") as update,
        django_capture_on_commit_callbacks(execute=True),
    ):
        resource_publish(resource=resource)
    update.assert_called_once_with(resource_ids=[resource.pk])


# --- CSV import --------------------------------------------------------------------------------


def csv_file(text: str, *, bom=False, encoding="utf-8") -> BytesIO:
    return BytesIO(("\ufeff" if bom else "").encode(encoding) + text.encode(encoding))


GOOD = """title,slug,kind,summary,reference_number,isbn,publisher,publication_date,topics,audiences,product_areas,regions,access_level,status
WHO guidelines on technology transfer,,guidance,Transfer of processes.,"WHO TRS 1044, Annex 4",,,2022,tech-transfer,manufacturer;regulator,medicines,AFRO;SEARO,,
Guideline on data integrity,data-integrity,Guidance,,"TRS 1033, Annex 4",,,2021-03,data-integrity,,,,registered,published
Marathon Q&A,,Q&A report,"Questions, and answers",WHO/MHP/RPQ/LPA/2022.1,978-92-4-000000-0,WHO,2022-01-15,,,vaccines,,regulators,in_review
"""  # noqa: E501


@pytest.fixture
def topics(db):
    return [
        TopicFactory(slug="tech-transfer", name="Technology transfer"),
        TopicFactory(slug="data-integrity", name="Data integrity"),
    ]


def test_a_good_file_creates_every_record(topics, django_capture_on_commit_callbacks):
    with (
        mock.patch("repository.search.resource_search_index_update") as update,
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = resources_import_csv(file=csv_file(GOOD, bom=True))
    assert report.ok, report.problems
    assert len(report.created) == 3
    transfer = Resource.objects.get(slug="who-guidelines-on-technology-transfer")
    assert transfer.kind == "guidance"
    assert transfer.status == "draft" and transfer.published_at is None
    assert transfer.reference_number == "WHO TRS 1044, Annex 4"
    assert transfer.publisher == "World Health Organization"
    assert (transfer.publication_date, transfer.date_precision) == (date(2022, 1, 1), "year")
    assert transfer.publication_year == 2022
    assert list(transfer.topics.values_list("slug", flat=True)) == ["tech-transfer"]
    assert set(transfer.audiences.values_list("code", flat=True)) == {"manufacturer", "regulator"}
    assert list(transfer.product_areas.values_list("code", flat=True)) == ["medicines"]
    assert set(transfer.regions.values_list("code", flat=True)) == {"AFRO", "SEARO"}
    assert transfer.access_level == 0
    integrity = Resource.objects.get(slug="data-integrity")
    assert (integrity.publication_date, integrity.date_precision) == (date(2021, 3, 1), "month")
    assert integrity.access_level == 1
    assert integrity.status == "published" and integrity.published_at is not None
    qa = Resource.objects.get(slug="marathon-qa")
    assert qa.kind == "qa_report"  # from its English label
    assert qa.summary == "Questions, and answers"
    assert (qa.publication_date, qa.date_precision) == (date(2022, 1, 15), "day")
    assert (qa.access_level, qa.status, qa.publisher) == (2, "in_review", "WHO")
    assert sorted(update.call_args.kwargs["resource_ids"]) == sorted(
        resource.pk for resource in report.created
    )


def test_semicolons_and_no_bom(topics):
    text = (
        "Title;Kind;Topics;Publication date\n"
        'Validation guide;guidance;"tech-transfer;data-integrity";2019-04-01\n'
    )
    report = resources_import_csv(file=csv_file(text))
    assert report.ok, report.problems
    resource = report.created[0]
    assert resource.topics.count() == 2
    assert resource.publication_date == date(2019, 4, 1)


def test_generated_slugs_do_not_collide():
    ResourceFactory(slug="annual-report")
    text = "title,kind\nAnnual report,report\nAnnual report,report\n"
    report = resources_import_csv(file=csv_file(text))
    assert report.ok, report.problems
    assert [r.slug for r in report.created] == ["annual-report-2", "annual-report-3"]


def test_any_bad_row_creates_nothing_and_every_problem_has_its_line(topics):
    ResourceFactory(slug="taken")
    text = (
        "title,slug,kind,publication_date,topics,regions,access_level,status\n"
        "Fine resource,,guidance,2020,,,,\n"  # line 2: fine
        ",,guidance,,,,,\n"  # line 3: no title
        'Unknown type,,brochure,"2020\n-05",,,,\n'  # lines 4-5: a cell over two lines
        "Bad date,,tool,20-05-2020,,,,\n"  # line 6
        "Unknown topic,,tool,,no-such-topic,MARS,,\n"  # line 7: topic and region
        "Taken slug,taken,tool,,,,everyone,archived\n"  # line 8
        "Duplicate,twice,tool,,,,,\n"  # line 9
        "Duplicate again,twice,tool,,,,,\n"  # line 10
    )
    report = resources_import_csv(file=csv_file(text))
    assert not report.ok
    assert Resource.objects.count() == 1  # only the existing one
    lines = {problem.line for problem in report.problems}
    assert lines == {3, 4, 6, 7, 8, 10}
    messages = [str(problem) for problem in report.problems]
    assert "Line 3: The title is empty." in messages
    assert any(m.startswith("Line 4: Unknown type “brochure”") for m in messages)
    assert any(m.startswith("Line 6: The publication date “20-05-2020”") for m in messages)
    assert "Line 7: Unknown topic: no-such-topic." in messages
    assert "Line 7: Unknown WHO region: MARS." in messages
    assert any(m.startswith("Line 8: Unknown access level “everyone”") for m in messages)
    assert any(m.startswith("Line 8: Unknown status “archived”") for m in messages)
    assert "Line 8: A resource with the slug “taken” exists." in messages
    assert "Line 10: The slug “twice” is also on line 9." in messages


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"title,kind\n", "no rows"),
        (b"title,type\nA,guidance\n", "Unknown columns: type"),
        (b"title\nA\n", "Missing columns: kind"),
        ("title,kind\nDonnées,guidance\n".encode("latin-1"), "not UTF-8"),
        (b"title,kind\nA,guidance,extra\n", "more cells"),
    ],
)
def test_files_that_cannot_be_imported_say_why(content, message):
    report = resources_import_csv(file=BytesIO(content))
    assert not report.ok
    assert message in str(report.problems[0])
    assert not Resource.objects.exists()


def test_too_long_values_are_problems_not_errors():
    text = f"title,kind,isbn\n{'T' * 301},guidance,{'9' * 21}\n"
    report = resources_import_csv(file=csv_file(text))
    assert not report.ok
    assert {problem.line for problem in report.problems} == {2}
    assert len(report.problems) == 2
    assert not Resource.objects.exists()


def test_a_dry_run_creates_nothing(topics):
    report = resources_import_csv(file=csv_file(GOOD), dry_run=True)
    assert report.ok and report.rows == 3
    assert report.created == []
    assert not Resource.objects.exists()


# --- Command -----------------------------------------------------------------------------------


def test_rebuild_search_index_command_reports_the_count(capsys):
    ResourceFactory.create_batch(3)
    call_command("rebuild_search_index")
    expected = 3 if connection.vendor == "postgresql" else 0
    assert f"Search documents of {expected} resources rebuilt." in capsys.readouterr().out
