"""The short survey after an event: who may answer, the page, the summary, the invitations."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.attendance import (
    FeedbackAlreadyGiven,
    FeedbackError,
    FeedbackNotAttended,
    FeedbackNotYet,
    attendance_mark,
    feedback_submit,
    feedback_summary,
    survey_invitations_queue,
)
from events.models import EmailDelivery, Feedback
from tests.factories import EventFactory, RegistrationFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _event(*, ended_days_ago: float = 2, **fields):
    end = timezone.now() - timedelta(days=ended_days_ago)
    event = EventFactory(start=end - timedelta(days=3), end=end, **fields)
    SessionFactory(event=event, title="Aseptic processing", start=event.start)
    SessionFactory(event=event, title="Cleaning validation", start=event.start + timedelta(days=1))
    return event


@pytest.fixture
def event():
    return _event()


def _attended(event, **fields):
    registration = RegistrationFactory(event=event, **fields)
    attendance_mark(registrations=[registration], sessions=event.sessions.all())
    registration.refresh_from_db()
    return registration


# --- the rules ----------------------------------------------------------------------------------


def test_an_attended_registration_of_an_ended_event_answers_once(event):
    registration = _attended(event)
    session = event.sessions.get(title="Cleaning validation")

    feedback = feedback_submit(
        registration=registration,
        rating=4,
        most_useful_session=session,
        topics_wanted="  Water systems  ",
        comments="Very practical.",
    )

    assert (feedback.rating, feedback.most_useful_session, feedback.topics_wanted) == (
        4,
        session,
        "Water systems",
    )
    with pytest.raises(FeedbackAlreadyGiven):
        feedback_submit(registration=registration, rating=1)
    assert Feedback.objects.get().rating == 4


def test_only_attended_registrations_answer(event):
    with pytest.raises(FeedbackNotAttended):
        feedback_submit(registration=RegistrationFactory(event=event), rating=5)
    assert not Feedback.objects.exists()


def test_not_before_the_event_has_ended():
    running = _event(ended_days_ago=-1)  # ends tomorrow
    registration = _attended(running)
    assert registration.attended
    with pytest.raises(FeedbackNotYet):
        feedback_submit(registration=registration, rating=5)
    assert not Feedback.objects.exists()


def test_a_session_of_another_event_or_a_rating_out_of_range_is_refused(event):
    registration = _attended(event)
    other_session = SessionFactory()

    with pytest.raises(FeedbackError, match="session of this event"):
        feedback_submit(registration=registration, rating=5, most_useful_session=other_session)
    for rating in (0, 6):
        with pytest.raises(FeedbackError, match="from 1 to 5"):
            feedback_submit(registration=registration, rating=rating)
    assert not Feedback.objects.exists()


def test_the_summary_counts_in_the_database(event, django_assert_max_num_queries):
    aseptic = event.sessions.get(title="Aseptic processing")
    cleaning = event.sessions.get(title="Cleaning validation")
    answers = [
        (5, cleaning, "HVAC qualification", "Excellent"),
        (4, cleaning, "", "Too short"),
        (4, aseptic, "Water systems", ""),
        (2, None, "", ""),
    ]
    for rating, session, topics, comments in answers:
        feedback_submit(
            registration=_attended(event),
            rating=rating,
            most_useful_session=session,
            topics_wanted=topics,
            comments=comments,
        )
    feedback_submit(registration=_attended(_event()), rating=1)  # another event's

    with django_assert_max_num_queries(4):
        summary = feedback_summary(event=event)

    assert summary["count"] == 4
    assert summary["average"] == pytest.approx(3.75)
    assert summary["distribution"] == {1: 0, 2: 1, 3: 0, 4: 2, 5: 1}
    assert summary["most_useful"] == [("Cleaning validation", 2), ("Aseptic processing", 1)]
    assert summary["topics_wanted"] == ["HVAC qualification", "Water systems"]
    assert summary["comments"] == ["Excellent", "Too short"]


def test_the_summary_of_an_event_without_answers(event):
    summary = feedback_summary(event=event)
    assert (summary["count"], summary["average"], summary["most_useful"]) == (0, None, [])
    assert summary["distribution"] == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}


# --- the page -----------------------------------------------------------------------------------


def _url(registration) -> str:
    return reverse("events:feedback", kwargs={"pk": registration.pk})


def test_the_survey_page_asks_four_questions_and_records_the_answer(client, event):
    registration = _attended(event)
    SessionFactory(title="A session of another event")
    client.force_login(registration.user)

    html = client.get(_url(registration)).content.decode()

    assert "<fieldset" in html and "<legend>" in html
    assert html.count('type="radio"') == 5
    assert "Cleaning validation" in html
    assert "A session of another event" not in html
    assert 'name="topics_wanted"' in html and 'name="comments"' in html

    cleaning = event.sessions.get(title="Cleaning validation")
    response = client.post(
        _url(registration),
        {"rating": "5", "most_useful_session": cleaning.pk, "comments": "Thank you"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("events:my_registrations")
    assert "Thank you for your feedback." in response.content.decode()
    feedback = Feedback.objects.get(registration=registration)
    assert (feedback.rating, feedback.most_useful_session, feedback.comments) == (
        5,
        cleaning,
        "Thank you",
    )


def test_a_second_visit_goes_back_to_my_registrations(client, event):
    registration = _attended(event)
    feedback_submit(registration=registration, rating=3)
    client.force_login(registration.user)

    response = client.get(_url(registration), follow=True)

    assert response.redirect_chain[-1][0] == reverse("events:my_registrations")
    assert "already answered" in response.content.decode()
    response = client.post(_url(registration), {"rating": "1"})
    assert response.status_code == 302
    assert Feedback.objects.get().rating == 3


def test_a_missing_rating_is_explained(client, event):
    registration = _attended(event)
    client.force_login(registration.user)

    response = client.post(_url(registration), {"comments": "No rating given"})

    assert response.status_code == 200
    assert "error-summary" in response.content.decode()
    assert not Feedback.objects.exists()


def test_people_who_may_not_answer_are_told_why(client, event):
    not_attended = RegistrationFactory(event=event)
    client.force_login(not_attended.user)
    response = client.get(_url(not_attended))
    html = response.content.decode()
    assert response.status_code == 200
    assert "for people who attended the event" in html
    assert '<form method="post" class="form"' not in html
    assert client.post(_url(not_attended), {"rating": "5"}).status_code == 200
    assert not Feedback.objects.exists()

    running = _attended(_event(ended_days_ago=-1))
    client.force_login(running.user)
    assert "when the event has ended" in client.get(_url(running)).content.decode()


def test_the_page_is_only_for_the_registrant(client, event):
    registration = _attended(event)
    url = _url(registration)

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))

    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.post(url, {"rating": "1"}).status_code == 404
    assert not Feedback.objects.exists()


def test_the_survey_page_query_count(client, event, django_assert_max_num_queries):
    for _index in range(10):
        SessionFactory(event=event)
    registrations = [_attended(event) for _index in range(5)]
    client.force_login(registrations[0].user)

    # The session, the user, the registration, whether it has answered, the event's sessions.
    with django_assert_max_num_queries(5):
        response = client.get(_url(registrations[0]))

    assert response.status_code == 200


# --- the invitations ----------------------------------------------------------------------------


def test_the_invitation_goes_once_to_attendees_who_have_not_answered(
    event, mailoutbox, django_capture_on_commit_callbacks
):
    invited = _attended(event, user__preferred_language="en")
    answered = _attended(event)
    feedback_submit(registration=answered, rating=4)
    RegistrationFactory(event=event)  # registered, did not attend
    _attended(_event(ended_days_ago=20))  # ended too long ago
    _attended(_event(ended_days_ago=-1))  # not ended yet

    with django_capture_on_commit_callbacks(execute=True):
        assert survey_invitations_queue() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert survey_invitations_queue() == 0

    assert [message.to for message in mailoutbox] == [[invited.user.email]]
    assert event.title in mailoutbox[0].subject
    assert _url(invited) in mailoutbox[0].body
    assert list(EmailDelivery.objects.values_list("key", flat=True)) == [f"survey:{invited.pk}"]


def test_queueing_many_invitations_checks_the_sent_ones_at_once(event):
    for _index in range(3):
        _attended(event)
    survey_invitations_queue()
    for _index in range(20):
        _attended(event)
    with CaptureQueriesContext(connection) as before:
        survey_invitations_queue(dry_run=True)
    assert len(before.captured_queries) == 2


def test_the_command_has_a_dry_run(event, capsys):
    _attended(event)

    call_command("send_survey_invitations", "--dry-run")
    assert "1" in capsys.readouterr().out
    assert not EmailDelivery.objects.exists()

    call_command("send_survey_invitations")
    assert "queued: 1" in capsys.readouterr().out
    assert EmailDelivery.objects.filter(key__startswith="survey:").count() == 1
