import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.groups import CONTENT_EDITORS, EVENT_MANAGERS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_admin_needs_staff(client, user):
    assert client.get("/admin/").status_code == 302
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_is_titled_for_the_portal(client, staff_user):
    client.force_login(staff_user)
    assert "LPA Portal administration" in client.get("/admin/").content.decode()


def test_staff_groups_exist_with_sensible_permissions():
    managers = Group.objects.get(name=EVENT_MANAGERS)
    editors = Group.objects.get(name=CONTENT_EDITORS)
    manager_perms = set(managers.permissions.values_list("codename", flat=True))
    editor_perms = set(editors.permissions.values_list("codename", flat=True))
    assert "view_user" in manager_perms
    assert "change_user" not in manager_perms
    assert "view_user" not in editor_perms  # content editors see no personal data


def test_user_admin_filters_and_search(client, staff_user):
    UserFactory(full_name="Amara Regulator", country="SN", organisation_type="regulator")
    UserFactory(full_name="Bo Manufacturer", country="VN", organisation_type="manufacturer")
    client.force_login(staff_user)
    url = reverse("admin:accounts_user_changelist")
    html = client.get(url, {"who_region__exact": "AFRO"}).content.decode()
    assert "Amara Regulator" in html and "Bo Manufacturer" not in html
    html = client.get(url, {"organisation_type__exact": "manufacturer"}).content.decode()
    assert "Bo Manufacturer" in html and "Amara Regulator" not in html
    html = client.get(url, {"country__exact": "VN"}).content.decode()
    assert "Bo Manufacturer" in html and "Amara Regulator" not in html
    html = client.get(url, {"q": "Amara"}).content.decode()
    assert "Amara Regulator" in html and "Bo Manufacturer" not in html


def test_staff_can_mark_a_verified_regulator(client, staff_user):
    person = UserFactory(organisation_type="regulator")
    client.force_login(staff_user)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    page = client.get(url)
    assert "is_verified_regulator" in page.content.decode()
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and key not in ("groups", "user_permissions", "last_login")
    }
    data.update(
        country="SN",
        date_joined_0=person.date_joined.strftime("%Y-%m-%d"),
        date_joined_1=person.date_joined.strftime("%H:%M:%S"),
        is_verified_regulator="on",
        is_active="on",
    )
    data.pop("date_joined", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    person.refresh_from_db()
    assert person.is_verified_regulator
    assert person.who_region == "AFRO"


def test_user_changelist_query_count(client, staff_user, django_assert_max_num_queries):
    UserFactory.create_batch(60)
    client.force_login(staff_user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 200
