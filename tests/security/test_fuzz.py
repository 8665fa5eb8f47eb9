"""Property-based: no combination of filter and search parameters makes a list page fail.

Each test builds its data once; hypothesis then tries its examples within that test's
transaction.
"""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import OrganisationType
from events.models import Event
from repository.filters import SORT_CHOICES
from repository.models import Resource
from tests.factories import EventFactory, ProgrammeFactory, ResourceFactory, TopicFactory

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,  # no example database left in the working tree
)

# Surrogates cannot be encoded in a URL at all.
TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300)
NUMBERS = st.integers(min_value=-(10**30), max_value=10**30).map(str)


def _values(*valid):
    """A known value most of the time, otherwise any text or number."""
    return st.one_of(st.sampled_from([*valid, ""]), TEXT, NUMBERS)


def _codes(choices):
    return [code for code, _label in choices]


COMMON = {
    "q": st.one_of(TEXT, st.sampled_from(["gmp", "cleaning validation", '"water', "a | b & !c"])),
    "topic": _values("cleaning", "no-such-topic"),
    "audience": _values(*_codes(OrganisationType.choices)),
    "product_area": _values("medicines", "vaccines"),
    "language": _values("en", "fr", "zh-hans"),
    "region": _values(*_codes(Event.REGION_CHOICES)),
    "year": _values("2024", "1900", "2100", "1e309", "NaN"),
    "page": _values("1", "2", "last", "0", "-1"),
    "sort": _values(*_codes(SORT_CHOICES), "-title", "__class__"),
}
EVENT_PARAMS = {
    **COMMON,
    "programme": _values("marathon", "no-such-programme"),
    "format": _values(*_codes(Event.Format.choices)),
    "open": _values("true", "false", "1", "0", "on", "maybe"),
    "when": _values("upcoming", "past"),
}
RESOURCE_PARAMS = {
    **COMMON,
    "type": _values(*_codes(Resource.Kind.choices)),
    "format": _values("pdf", "video", "link"),
}


def _query_strings(params):
    pairs = st.sampled_from(sorted(params)).flatmap(
        lambda name: st.tuples(st.just(name), params[name])
    )
    return st.lists(pairs, max_size=12).map(lambda items: urlencode(items))


@pytest.fixture
def listed(db):
    topic = TopicFactory(slug="cleaning", name="Cleaning validation")
    programme = ProgrammeFactory(slug="marathon")
    for index in range(3):
        event = EventFactory(programme=programme, title=f"Cleaning validation {index}")
        event.topics.add(topic)
        resource = ResourceFactory(title=f"GMP cleaning validation {index}")
        resource.topics.add(topic)


@FUZZ
@given(query_string=_query_strings(EVENT_PARAMS))
def test_the_event_list_never_fails(client, listed, query_string):
    response = client.get("/en/events/", QUERY_STRING=query_string)
    assert response.status_code < 500, query_string


@FUZZ
@given(query_string=_query_strings(RESOURCE_PARAMS))
def test_the_resource_list_never_fails(client, listed, query_string):
    response = client.get("/en/resources/", QUERY_STRING=query_string)
    assert response.status_code < 500, query_string


@FUZZ
@given(params=st.dictionaries(st.sampled_from(sorted(EVENT_PARAMS)), TEXT, max_size=8))
def test_the_event_list_never_fails_with_any_text(client, listed, params):
    assert client.get("/en/events/", params).status_code < 500, params


@FUZZ
@given(params=st.dictionaries(st.sampled_from(sorted(RESOURCE_PARAMS)), TEXT, max_size=8))
def test_the_resource_list_never_fails_with_any_text(client, listed, params):
    assert client.get("/en/resources/", params).status_code < 500, params


@FUZZ
@given(query_string=st.text(alphabet="%&=+;?#/abcxyz0123456789ffe", max_size=200))
@pytest.mark.parametrize("path", ["/en/events/", "/en/resources/"])
def test_malformed_query_strings_never_fail(client, listed, path, query_string):
    assert client.get(path, QUERY_STRING=query_string).status_code < 500, query_string
