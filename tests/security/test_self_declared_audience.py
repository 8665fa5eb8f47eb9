"""Attack 8 of the outside review: a manufacturer edited their organisation type to "national
regulatory authority" and registered for a regulators-only event.

Restricted events confirm only people whose type of organisation staff verified; a
self-declared one goes to the organisers for approval. Changing one's type makes it
self-declared again. The profile page says which."""

import pytest
from django.urls import reverse

from events.models import Registration
from repository.models import Audience
from tests.factories import EventFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def regulators_only():
    event = EventFactory(audience_restricted=True, title="Inspection workshop for regulators")
    event.audiences.add(Audience.objects.get(code="regulator"))
    return event


def _profile(user, **changes) -> dict:
    data = {
        "full_name": user.full_name,
        "organisation": user.organisation,
        "organisation_type": user.organisation_type,
        "job_title": user.job_title,
        "country": user.country.code,
        "preferred_language": user.preferred_language,
        "time_zone": user.time_zone,
    }
    data.update(changes)
    return data


def test_a_manufacturer_who_declares_itself_a_regulator_is_not_confirmed(client, regulators_only):
    manufacturer = UserFactory(organisation_type="manufacturer", organisation_type_verified=True)
    client.force_login(manufacturer)
    response = client.post(
        reverse("accounts:profile"), _profile(manufacturer, organisation_type="regulator")
    )
    assert response.status_code == 302
    manufacturer.refresh_from_db()
    assert manufacturer.organisation_type == "regulator"
    assert not manufacturer.organisation_type_is_verified

    page = client.get(regulators_only.get_absolute_url()).content.decode()
    assert "not been verified" in page
    client.post(regulators_only.get_absolute_url(), {"consent": "on"})

    registration = Registration.objects.get(user=manufacturer)
    assert registration.status == "pending"  # the organisers decide, not the profile


def test_a_verified_regulator_is_confirmed(client, regulators_only):
    regulator = UserFactory(organisation_type="regulator", is_verified_regulator=True)
    client.force_login(regulator)
    client.post(regulators_only.get_absolute_url(), {"consent": "on"})
    assert Registration.objects.get(user=regulator).status == "confirmed"


def test_a_type_verified_by_staff_is_confirmed(client):
    event = EventFactory(audience_restricted=True)
    event.audiences.add(Audience.objects.get(code="manufacturer"))
    person = UserFactory(organisation_type="manufacturer", organisation_type_verified=True)
    client.force_login(person)
    client.post(event.get_absolute_url(), {"consent": "on"})
    assert Registration.objects.get(user=person).status == "confirmed"


def test_outside_the_audience_is_refused(client, regulators_only):
    person = UserFactory(organisation_type="manufacturer")
    client.force_login(person)
    page = client.post(regulators_only.get_absolute_url(), {"consent": "on"}, follow=True)
    assert "This event is only for" in page.content.decode()
    assert not Registration.objects.filter(user=person).exists()


def test_changing_the_type_drops_what_staff_verified(client):
    regulator = UserFactory(
        organisation_type="regulator", is_verified_regulator=True, organisation_type_verified=True
    )
    client.force_login(regulator)
    client.post(reverse("accounts:profile"), _profile(regulator, organisation_type="government"))
    regulator.refresh_from_db()
    assert not regulator.organisation_type_verified
    assert not regulator.is_verified_regulator
    # Other profile changes keep it.
    verified = UserFactory(organisation_type="manufacturer", organisation_type_verified=True)
    client.force_login(verified)
    client.post(reverse("accounts:profile"), _profile(verified, job_title="QA director"))
    verified.refresh_from_db()
    assert verified.organisation_type_verified


def test_the_profile_page_says_whether_the_type_is_verified(client):
    person = UserFactory(organisation_type="manufacturer")
    client.force_login(person)
    assert "self-declared" in client.get(reverse("accounts:overview")).content.decode()
    person.organisation_type_verified = True
    person.save()
    assert "verified by the LPA team" in client.get(reverse("accounts:overview")).content.decode()
