"""The whole life of an account: sign-up, verification, log-in, profile, data download, deletion."""

import json
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.models import User

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "Grace.Manufacturer@Example.org",
    "password1": "a-long-and-unusual-passphrase",
    "password2": "a-long-and-unusual-passphrase",
    "full_name": "Grace Okafor",
    "organisation": "Example Vaccines Ltd",
    "organisation_type": "manufacturer",
    "job_title": "QA lead",
    "country": "NG",
    "preferred_language": "en",
    "accept_privacy": "on",
}


def _url(name, language="en", **kwargs):
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


def _confirmation_link(message) -> str:
    return re.search(r"https?://\S+/confirm-email/\S+/", message.body).group(0)


def test_signup_verify_login_profile_export_delete(client):
    # Sign up: the profile is saved, with the WHO region derived from the country.
    response = client.post(_url("account_signup"), SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="grace.manufacturer@example.org")
    assert user.full_name == "Grace Okafor"
    assert user.country.code == "NG"
    assert user.who_region == "AFRO"
    assert user.privacy_accepted_at is not None

    # Verification is mandatory: one email with a link, and no log-in before it is followed.
    assert len(mail.outbox) == 1
    link = _confirmation_link(mail.outbox[0])
    client.logout()
    response = client.post(
        _url("account_login"),
        {"login": SIGNUP["email"], "password": SIGNUP["password1"]},
    )
    assert "_auth_user_id" not in client.session
    assert not EmailAddress.objects.get(user=user).verified

    path = re.sub(r"^https?://[^/]+", "", link)
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified

    # Log in with the email address, in any letter case.
    client.logout()
    response = client.post(
        _url("account_login"),
        {"login": "GRACE.manufacturer@example.org", "password": SIGNUP["password1"]},
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)

    # My account shows the profile; editing the country moves the region along.
    response = client.get(_url("accounts:overview"))
    assert response.status_code == 200
    assert "Grace Okafor" in response.content.decode()
    response = client.post(
        _url("accounts:profile"),
        {
            "full_name": "Grace A. Okafor",
            "organisation": "Example Vaccines Ltd",
            "organisation_type": "manufacturer",
            "job_title": "Head of QA",
            "country": "ID",
            "preferred_language": "fr",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.country.code, user.who_region) == ("Grace A. Okafor", "ID", "WPRO")
    assert user.preferred_language == "fr"

    # The data download holds everything about the person.
    response = client.get(_url("accounts:data_export"))
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == "grace.manufacturer@example.org"
    assert data["account"]["full_name"] == "Grace A. Okafor"
    assert data["account"]["who_region"] == "WPRO"
    assert data["email_addresses"] == [
        {"email": "grace.manufacturer@example.org", "verified": True, "primary": True}
    ]

    # Deletion with a wrong password changes nothing.
    response = client.post(_url("accounts:delete"), {"password": "not-my-password"})
    assert response.status_code == 200
    assert "password is not correct" in response.content.decode()
    user.refresh_from_db()
    assert user.email == "grace.manufacturer@example.org" and user.is_active

    # Deletion removes personal data, keeps the anonymous row, and signs the person out.
    response = client.post(_url("accounts:delete"), {"password": SIGNUP["password1"]})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    user.refresh_from_db()
    assert user.full_name == "" and user.organisation == "" and user.job_title == ""
    assert "grace" not in user.email
    assert not user.is_active and not user.has_usable_password()
    assert (user.country.code, user.who_region, user.organisation_type) == (
        "ID",
        "WPRO",
        "manufacturer",
    )
    assert not EmailAddress.objects.filter(email__iexact=SIGNUP["email"]).exists()
    response = client.post(
        _url("account_login"), {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    )
    assert "_auth_user_id" not in client.session

    # The address is free again for a new sign-up.
    mail.outbox.clear()
    response = client.post(_url("account_signup"), SIGNUP)
    assert response.status_code == 302
    assert User.objects.filter(email="grace.manufacturer@example.org", is_active=True).exists()


def test_signup_requires_privacy_acceptance_and_profile(client):
    data = {**SIGNUP, "accept_privacy": "", "organisation_type": "", "country": ""}
    response = client.post(_url("account_signup"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Please accept the privacy notice" in page
    assert 'aria-invalid="true"' in page
    assert not User.objects.exists()
    assert mail.outbox == []


def test_signup_rejects_a_taken_email_without_creating_anything(client, user):
    response = client.post(_url("account_signup"), {**SIGNUP, "email": user.email.upper()})
    # allauth does not reveal that the address is taken: it sends a note to its owner instead.
    assert User.objects.filter(email__iexact=user.email).count() == 1
    assert response.status_code in (200, 302)


def test_verification_email_is_in_the_preferred_language(client):
    client.post(_url("account_signup", "en"), {**SIGNUP, "preferred_language": "fr"})
    assert len(mail.outbox) == 1
    assert "Confirmez votre adresse" in mail.outbox[0].subject


def test_signup_form_offers_country_names_in_the_page_language(client):
    english = client.get(_url("account_signup", "en")).content.decode()
    french = client.get(_url("account_signup", "fr")).content.decode()
    assert ">Germany<" in english
    assert ">Allemagne<" in french


def test_account_pages_need_login(client):
    for name in (
        "accounts:overview",
        "accounts:profile",
        "accounts:data_export",
        "accounts:delete",
    ):
        response = client.get(_url(name))
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_password_reset_sends_a_link(client, user):
    response = client.post(_url("account_reset_password"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/password/reset/key/" in mail.outbox[0].body


def test_login_is_rate_limited(client, user):
    from tests.factories import PASSWORD

    for attempt in range(5):
        client.post(_url("account_login"), {"login": user.email, "password": f"wrong-{attempt}"})
    # After five failures for this account even the right password is refused for a while.
    response = client.post(_url("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()


def test_data_download_includes_registrations(client):
    from tests.factories import RegistrationFactory

    registration = RegistrationFactory(answers={"1": {"question": "Role?", "answer": "QA lead"}})
    client.force_login(registration.user)
    data = json.loads(client.get(_url("accounts:data_export")).content)
    assert data["registrations"][0]["event"] == registration.event.title
    assert data["registrations"][0]["answers"]["1"]["answer"] == "QA lead"


def test_deleting_an_account_erases_the_personal_data_of_its_registrations(client):
    from events.models import Certificate, Registration
    from tests.factories import PASSWORD, RegistrationFactory

    registration = RegistrationFactory(
        full_name="Grace Okafor", organisation="Example Ltd", answers={"1": {"answer": "x"}}
    )
    registration.attended = True
    registration.save()
    Certificate.objects.create(
        registration=registration,
        code="ABCD-EFGH-JKLM",
        full_name="Grace Okafor",
        event_title="E",
        event_dates="d",
        sessions_attended=1,
        sessions_total=1,
    )
    client.force_login(registration.user)
    client.post(_url("accounts:delete"), {"password": PASSWORD})
    registration = Registration.objects.get(pk=registration.pk)
    assert (registration.full_name, registration.organisation, registration.answers) == ("", "", {})
    assert registration.country.code == "KE" and registration.attended
    certificate = Certificate.objects.get()
    assert certificate.full_name != "Grace Okafor" and certificate.revoked_at is not None
