"""The flagship path: from the home page to a programme's page and its current or next edition,
whatever other events come sooner; the About page leads there too."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import EventFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marathon():
    return ProgrammeFactory(
        name="Virtual cGMP Training Marathon",
        slug="virtual-cgmp-training-marathon",
        is_flagship=True,
        order=0,
    )


def test_home_shows_the_next_flagship_edition_even_when_others_come_sooner(client, marathon):
    now = timezone.now()
    workshops = ProgrammeFactory(name="Regional training workshops", order=2)
    for days in range(5, 10):
        EventFactory(
            programme=workshops, title=f"Workshop in {days} days", start=now + timedelta(days=days)
        )
    EventFactory(programme=marathon, title="Marathon 2099", start=now + timedelta(days=200))
    EventFactory(programme=marathon, title="Marathon 2100", start=now + timedelta(days=565))
    EventFactory(
        programme=marathon, title="Marathon draft", start=now + timedelta(days=1), status="draft"
    )
    html = client.get(reverse("home")).content.decode()
    assert "Marathon 2099" in html and "Marathon 2100" not in html
    assert "Marathon draft" not in html
    # Every programme card goes to its programme page, never to the About page.
    assert f'href="{marathon.get_absolute_url()}"' in html
    assert f'href="{workshops.get_absolute_url()}"' in html
    assert "#marathon" not in html
    # The soonest other events still have their list.
    assert "Workshop in 5 days" in html


def test_a_flagship_without_an_announced_edition_says_so(client, marathon):
    EventFactory(programme=marathon, start=timezone.now() - timedelta(days=300))
    html = client.get(reverse("home")).content.decode()
    assert "The next edition will be announced here." in html


def test_the_programme_page_puts_the_current_or_next_edition_first(client, marathon):
    now = timezone.now()
    EventFactory(
        programme=marathon,
        title="Marathon 2020",
        edition_year=2020,
        start=now - timedelta(days=1500),
    )
    EventFactory(
        programme=marathon,
        title="Marathon 2024",
        edition_year=2024,
        start=now - timedelta(days=300),
    )
    EventFactory(
        programme=marathon,
        title="Marathon cancelled",
        start=now + timedelta(days=20),
        status="cancelled",
    )
    EventFactory(programme=marathon, title="Marathon next", start=now + timedelta(days=40))
    EventFactory(programme=marathon, title="Marathon after", start=now + timedelta(days=400))
    response = client.get(marathon.get_absolute_url())
    editions = response.context["editions"]
    assert editions.next.title == "Marathon next"
    assert [event.title for event in editions.upcoming] == ["Marathon cancelled", "Marathon after"]
    assert [year for year, _events in editions.past] == [2024, 2020]
    html = response.content.decode()
    order = [
        html.index(title)
        for title in ("Marathon next", "Marathon after", "Marathon 2024", "Marathon 2020")
    ]
    assert order == sorted(order)
    assert 'data-state="open"' in html


def test_a_running_edition_is_the_current_one(client, marathon):
    now = timezone.now()
    EventFactory(
        programme=marathon,
        title="Running now",
        start=now - timedelta(days=3),
        end=now + timedelta(days=20),
    )
    EventFactory(programme=marathon, title="Later", start=now + timedelta(days=300))
    response = client.get(marathon.get_absolute_url())
    assert response.context["editions"].next.title == "Running now"
    assert "Current edition" in response.content.decode()


def test_the_about_page_leads_to_the_programmes_and_their_next_edition(client, marathon):
    event = EventFactory(
        programme=marathon, title="Marathon 2099", start=timezone.now() + timedelta(days=60)
    )
    html = client.get(reverse("about")).content.decode()
    assert f'href="{marathon.get_absolute_url()}"' in html
    assert f'href="{event.get_absolute_url()}"' in html


def test_home_and_programme_page_query_counts(client, marathon, django_assert_max_num_queries):
    other = ProgrammeFactory(is_flagship=True)
    for programme in (marathon, other):
        for days in range(10, 40, 3):
            EventFactory(
                programme=programme, start=timezone.now() + timedelta(days=days), capacity=50
            )
    # programmes with their next edition, the editions, the other upcoming events, the resources
    with django_assert_max_num_queries(4):
        client.get(reverse("home"))
    # the programme, its editions
    with django_assert_max_num_queries(2):
        client.get(marathon.get_absolute_url())
    with django_assert_max_num_queries(2):
        client.get(reverse("about"))
