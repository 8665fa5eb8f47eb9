"""The 503 page of a database outage in a real browser: WCAG 2.1 AA by axe-core, no CSP error."""

from unittest import mock

import pytest
from django.db import OperationalError

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_database_outage_page_is_accessible(page, axe_check):
    with mock.patch(
        "lpa_portal.views.event_selectors.upcoming_events",
        side_effect=OperationalError("server closed the connection unexpectedly"),
    ):
        response = page.goto("/fr/")
        assert response.status == 503
        assert response.headers["retry-after"] == "30"
        assert page.locator("h1").inner_text() == "Le portail est brièvement indisponible"
        # The browser reports the 503 itself as a console error; nothing else may appear.
        page.problems[:] = [p for p in page.problems if "status of 503" not in p]
        axe_check(page)
