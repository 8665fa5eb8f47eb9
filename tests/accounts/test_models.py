import pytest

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_region_follows_the_country_on_every_save():
    user = UserFactory(country="NP")
    assert user.who_region == "SEARO"
    user.country = "ID"  # Indonesia: WPRO since the 78th World Health Assembly (2025)
    user.save(update_fields=["country"])
    user.refresh_from_db()
    assert user.who_region == "WPRO"


def test_a_country_outside_who_membership_has_no_region():
    assert UserFactory(country="TW").who_region == ""
    assert UserFactory(country="").who_region == ""


def test_email_is_the_login_and_is_unique_case_insensitively():
    user = User.objects.create_user(email="Someone@Example.ORG", password="x" * 12)
    assert user.email == "someone@example.org"
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username")


def test_create_superuser_needs_no_username():
    admin = User.objects.create_superuser(email="boss@example.org", password="x" * 12)
    assert admin.is_staff and admin.is_superuser
