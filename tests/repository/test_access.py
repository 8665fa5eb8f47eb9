"""Who sees which resource record, who may open its content, and that search never leaks it.

The matrix: four visitors × five resources. A record is shown when published and past its
embargo (staff: always, as a preview); its files, Q&A items and extracted text only to visitors
whose access level reaches the resource's.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from repository.search import search_index_rebuild
from tests.factories import QAItemFactory, ResourceFactory, ResourceFileFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/en/resources/"
VISITORS = ["anonymous", "registered", "regulator", "staff"]

# resource -> (words found only inside its file and Q&A, the visitors who see the record, the
# visitors who may open its content)
MATRIX = {
    "public": ("quokka", set(VISITORS), set(VISITORS)),
    "registered": ("wombat", set(VISITORS), {"registered", "regulator", "staff"}),
    "regulators": ("platypus", set(VISITORS), {"regulator", "staff"}),
    "embargoed": ("echidna", {"staff"}, {"staff"}),
    "draft": ("bilby", {"staff"}, {"staff"}),
}
QA_WORDS = {
    "public": "kookaburra",
    "registered": "galah",
    "regulators": "cassowary",
    "embargoed": "lorikeet",
    "draft": "currawong",
}


@pytest.fixture(autouse=True)
def _english():
    translation.activate("en")


@pytest.fixture
def resources(db):
    settings = {
        "public": {},
        "registered": {"access_level": 1},
        "regulators": {"access_level": 2},
        "embargoed": {"embargo_until": timezone.now() + timedelta(days=10)},
        "draft": {"status": "draft"},
    }
    made = {}
    for name, fields in settings.items():
        resource = ResourceFactory(
            title=f"Handbook {name}",
            summary="A handbook on sterility assurance.",
            kind="qa_report",
            **fields,
        )
        ResourceFileFactory(
            resource=resource,
            extracted_text=f"Inside the file: {MATRIX[name][0]} and sterility assurance.",
        )
        QAItemFactory(
            resource=resource,
            question=f"What about the {QA_WORDS[name]}?",
            answer="Sterility assurance applies.",
        )
        made[name] = resource
    search_index_rebuild()
    return made


@pytest.fixture
def visit(client):
    def login(visitor: str):
        if visitor == "registered":
            client.force_login(UserFactory())
        elif visitor == "regulator":
            client.force_login(
                UserFactory(is_verified_regulator=True, organisation_type="regulator")
            )
        elif visitor == "staff":
            client.force_login(UserFactory(is_staff=True))
        return client

    return login


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("name", list(MATRIX))
def test_detail_page(visit, resources, visitor, name):
    client = visit(visitor)
    resource = resources[name]
    word, sees, opens = MATRIX[name]
    response = client.get(resource.get_absolute_url())
    if visitor not in sees:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    html = response.content.decode()
    assert resource.title in html
    download = re.compile(rf"/resources/{resource.slug}/files/\d+/download/")
    if visitor in opens:
        assert download.search(html)
        assert QA_WORDS[name] in html
        assert 'id="q-' in html
        assert "Sign in to open the files" not in html
    else:
        assert not download.search(html)
        assert QA_WORDS[name] not in html
        assert 'id="q-' not in html
        assert word not in html
        # The metadata stays: what the document is, in which languages, how long.
        assert "A handbook on sterility assurance." in html
        assert "English" in html and "PDF" in html
        if visitor == "anonymous":
            assert "Sign in to open the files" in html
            assert "/accounts/login/?next=" in html
        else:
            assert "Only verified regulators and WHO staff can open these files" in html
    if name in ("embargoed", "draft"):
        assert "Preview" in html
        assert 'name="robots" content="noindex' in html


@pytest.mark.parametrize("visitor", VISITORS)
def test_search_finds_words_inside_content_only_for_those_who_may_open_it(
    visit, resources, visitor
):
    client = visit(visitor)
    for name, (word, sees, opens) in MATRIX.items():
        for term in (word, QA_WORDS[name]):
            found = [r.slug for r in client.get(LIST, {"q": term}).context["resources"]]
            expected = [resources[name].slug] if visitor in opens and visitor in sees else []
            assert found == expected, (name, term)


@pytest.mark.parametrize("visitor", VISITORS)
def test_metadata_search_lists_the_visible_records(visit, resources, visitor):
    client = visit(visitor)
    found = {r.slug for r in client.get(LIST, {"q": "handbook"}).context["resources"]}
    assert found == {
        resources[name].slug for name, (_w, sees, _o) in MATRIX.items() if visitor in sees
    }
    listed = {r.slug for r in client.get(LIST).context["resources"]}
    assert listed == found


@pytest.mark.parametrize("visitor", VISITORS)
def test_no_restricted_word_in_results_or_snippets(visit, resources, visitor):
    client = visit(visitor)
    hidden = [
        word
        for name, (file_word, _sees, opens) in MATRIX.items()
        if visitor not in opens
        for word in (file_word, QA_WORDS[name])
    ]
    # "sterility" is in every summary, file and Q&A item: every visible record matches, and a
    # snippet cut from restricted text would show the hidden words around it.
    for query in ("sterility assurance", "handbook"):
        response = client.get(LIST, {"q": query})
        html = response.content.decode()
        for word in hidden:
            assert word not in html, (query, word)
        for resource in response.context["resources"]:
            for word in hidden:
                assert word not in resource.snippet


@pytest.mark.postgres
@pytest.mark.parametrize("visitor", VISITORS)
def test_no_restricted_word_highlighted_by_an_or_query(visit, resources, visitor):
    client = visit(visitor)
    words = [w for name in MATRIX for w in (MATRIX[name][0], QA_WORDS[name])]
    response = client.get(LIST, {"q": " OR ".join(["handbook", *words])})
    # The page repeats the query itself; the results are what must not show the words.
    html = response.content.decode()
    html = html[html.index('<ul class="card-list') :]
    html = html[: html.index("</ul>")]
    for name, (file_word, sees, opens) in MATRIX.items():
        if visitor in sees and visitor not in opens:
            assert file_word not in html
            assert QA_WORDS[name] not in html
            assert resources[name].slug in html  # found by its metadata only
    for resource in response.context["resources"]:
        assert "<mark>" in resource.snippet or "Handbook" in resource.title


def test_topic_pages_feeds_and_sitemap_show_public_records_only(client, resources):
    from tests.factories import TopicFactory

    topic = TopicFactory(slug="sterility")
    for resource in resources.values():
        resource.topics.add(topic)
    public = {"public", "registered", "regulators"}
    for url in ("/en/topics/sterility/", "/en/resources/feed/", "/en/topics/sterility/feed/"):
        html = client.get(url).content.decode()
        for name, resource in resources.items():
            assert (resource.get_absolute_url() in html) == (name in public), (url, name)
    sitemap = client.get("/sitemap.xml").content.decode()
    for name, resource in resources.items():
        assert (f"/en/resources/{resource.slug}/" in sitemap) == (name in public)


def test_withdrawn_and_in_review_records_are_staff_previews(client, db):
    withdrawn = ResourceFactory(status="withdrawn")
    review = ResourceFactory(status="in_review")
    for resource in (withdrawn, review):
        assert client.get(resource.get_absolute_url()).status_code == 404
    client.force_login(UserFactory(is_staff=True))
    for resource in (withdrawn, review):
        html = client.get(resource.get_absolute_url()).content.decode()
        assert "Preview: this resource is not published" in html


def test_embargo_lifts_by_itself(client, db):
    resource = ResourceFactory(embargo_until=timezone.now() - timedelta(minutes=1))
    assert client.get(resource.get_absolute_url()).status_code == 200
