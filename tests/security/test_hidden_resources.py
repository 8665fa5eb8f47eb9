"""Attack 4 of the outside review: titles of draft, embargoed and withdrawn resources showed on
public event pages (an event's materials, a session's resources) and in My registrations.

"Who may see a resource" is one queryset method and one model method
(`Resource.objects.visible_to(user)`, `resource.is_visible_to(user)`), used everywhere."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from repository.models import Resource
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    ResourceFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HIDDEN = {
    "draft": {"status": "draft"},
    "in review": {"status": "in_review"},
    "withdrawn": {"status": "withdrawn"},
    "embargoed": {"embargo_until": timezone.now() + timedelta(days=30)},
}


@pytest.fixture
def event_with_resources():
    event = EventFactory()
    session = SessionFactory(event=event)
    resources = {
        name: ResourceFactory(title=f"Secret {name} title", **fields)
        for name, fields in HIDDEN.items()
    }
    public = ResourceFactory(title="Public guidance title")
    event.materials.add(public, *resources.values())
    session.resources.add(public, *resources.values())
    return event


@pytest.mark.parametrize("visitor", ["anonymous", "registered", "verified regulator"])
def test_an_event_page_never_shows_resources_the_visitor_may_not_see(
    client, event_with_resources, visitor
):
    if visitor == "registered":
        client.force_login(UserFactory())
    elif visitor == "verified regulator":
        client.force_login(UserFactory(organisation_type="regulator", is_verified_regulator=True))
    html = client.get(event_with_resources.get_absolute_url()).content.decode()
    assert "Public guidance title" in html
    assert "Secret" not in html


def test_staff_see_them_as_previews(client, event_with_resources):
    client.force_login(UserFactory(is_staff=True))
    html = client.get(event_with_resources.get_absolute_url()).content.decode()
    for name in HIDDEN:
        assert f"Secret {name} title" in html


def test_my_registrations_never_shows_hidden_materials(client, event_with_resources):
    registration = RegistrationFactory(event=event_with_resources)
    client.force_login(registration.user)
    html = client.get(reverse("events:my_registrations")).content.decode()
    assert "Public guidance title" in html
    assert "Secret" not in html


def test_an_embargo_that_ended_shows_the_resource(client):
    event = EventFactory()
    ended = ResourceFactory(
        title="Embargo over", embargo_until=timezone.now() - timedelta(minutes=1)
    )
    event.materials.add(ended)
    assert "Embargo over" in client.get(event.get_absolute_url()).content.decode()


@pytest.mark.parametrize("name", list(HIDDEN))
def test_the_one_rule_agrees_with_itself(name):
    """The model method and the queryset method give the same answer for every visitor."""
    resource = ResourceFactory(**HIDDEN[name])
    public = ResourceFactory()
    for user in (UserFactory(), UserFactory(is_staff=True)):
        visible = set(Resource.objects.visible_to(user).values_list("pk", flat=True))
        for item in (resource, public):
            assert item.is_visible_to(user) == (item.pk in visible)
