"""The visitor's paths on a phone (390 × 844) and a laptop (1366 × 768), measured in Chromium
with getBoundingClientRect: the results and the registration box in the first screen, the
filters folded on a phone and beside the results on a wide screen, the flagship one click away,
registrations that read like a diary, times as the visitor reads them, sign-up that returns to
the event, and requests for restricted files; axe-core on every page."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from events.models import RegistrationOpeningNotice
from repository.models import AccessLevel, AccessRequest
from tests.factories import (
    PASSWORD,
    EventFactory,
    ProgrammeFactory,
    RegistrationFactory,
    ResourceFactory,
    ResourceFileFactory,
    SessionFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

SCREENS = {390: 844, 1366: 768}
WIDTHS = pytest.mark.parametrize("width", list(SCREENS))


def _screen(page, width):
    page.set_viewport_size({"width": width, "height": SCREENS[width]})
    return SCREENS[width]


def _box(page, selector: str) -> dict:
    """The element's box in the first screen (the page as loaded, not scrolled)."""
    box = page.evaluate(
        """(selector) => {
            const element = document.querySelector(selector);
            if (!element) return null;
            const r = element.getBoundingClientRect();
            return {top: r.top + window.scrollY, bottom: r.bottom + window.scrollY,
                    left: r.left, right: r.right, width: r.width, height: r.height};
        }""",
        selector,
    )
    assert box is not None, f"{selector} not on {page.url}"
    return box


def _sign_in(page, user):
    page.goto("/en/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/en/accounts/$"))


def _catalogue():
    """Events in the African Region and elsewhere, with long topic names, as the demo has."""
    broad = TopicFactory(name="Quality management systems and the pharmaceutical quality system")
    narrow = TopicFactory(
        name="Temperature-sensitive supply chains and the cold chain", parent=broad
    )
    workshops = ProgrammeFactory(name="Regional training workshops")
    start = timezone.now() + timedelta(days=20)
    events = []
    for number in range(3):
        event = EventFactory(
            programme=workshops,
            title=f"Regional workshop {number + 1} in Nairobi",
            format="in_person",
            region="AFRO",
            city="Nairobi",
            country="KE",
            time_zone="Africa/Nairobi",
            start=start + timedelta(days=number),
            end=start + timedelta(days=number, hours=8),
            capacity=30,
        )
        event.topics.add(broad, narrow)
        events.append(event)
    EventFactory(title="Global webinar", start=start)
    EventFactory(
        title="An archived workshop", region="AFRO", start=timezone.now() - timedelta(days=800)
    )
    return events


# --- Lists: results before filters ------------------------------------------------------------


@WIDTHS
def test_event_list_results_come_first_and_the_filters_fold_away(page, axe_check, width):
    _catalogue()
    height = _screen(page, width)
    page.goto("/en/events/?region=AFRO")
    header = _box(page, ".site-header")
    search = _box(page, "#filter-q")
    first = _box(page, ".results .card-list > li .card__title")
    # A compact header, the search box, then the first result, all in the first screen.
    assert header["height"] <= (110 if width == 390 else 130), header
    assert search["bottom"] <= height
    assert first["bottom"] <= height, first
    panel_open = page.evaluate("document.querySelector('.filters__panel').open")
    assert panel_open is (width == 1366)
    # The registration state reads at a glance on every card.
    assert page.locator(".results .event-card__state .badge").first.inner_text() == (
        "Registration open"
    )
    axe_check(page)

    if width == 390:
        assert search["bottom"] < first["top"]
        page.locator(".filters__panel > summary").click()
    else:
        # A sidebar beside the results.
        assert _box(page, ".filters")["right"] <= _box(page, ".results")["left"]
    # Options that give nothing are not offered: no year of the archive among upcoming events.
    archived_year = str((timezone.now() - timedelta(days=800)).year)
    assert page.locator(f'input[name="year"][value="{archived_year}"]').count() == 0
    # Long option labels wrap inside the panel rather than being cut off.
    page.locator(".facet > summary", has_text="Topic").click()
    labels = page.evaluate(
        """() => {
            const panel = document.querySelector('.filters').getBoundingClientRect();
            const labels = document.querySelectorAll('.facet[open] .facet__options label');
            return [...labels].map(label => {
                const r = label.getBoundingClientRect();
                const inside = r.right <= panel.right + 0.5 && r.left >= panel.left - 0.5;
                const whole = label.scrollWidth <= label.clientWidth + 1;
                return {text: label.textContent.trim(), fits: inside && whole};
            });
        }"""
    )
    assert labels and all(label["fits"] for label in labels), labels
    assert any("cold chain" in label["text"] for label in labels)
    # A checkbox's label sits beside its box, not under it.
    box = _box(page, "#filter-open")
    label = _box(page, 'label[for="filter-open"]')
    assert label["left"] >= box["right"] and label["top"] < box["bottom"], (box, label)
    axe_check(page)

    page.locator(".facet > summary", has_text="Format").click()
    page.get_by_label(re.compile(r"^In person")).check()
    page.get_by_role("button", name="Show events").click()
    page.wait_for_url(re.compile(r"format=in_person"))
    assert page.get_by_role("heading", name="3 events").is_visible()


@WIDTHS
def test_the_archive_link_keeps_the_search_and_filters(page, width):
    _catalogue()
    _screen(page, width)
    page.goto("/en/events/?region=AFRO&q=archived")
    page.get_by_role("link", name="Look in the archive of past events").click()
    page.wait_for_url(re.compile(r"when=past"))
    assert "region=AFRO" in page.url and "q=archived" in page.url
    assert page.get_by_role("link", name="An archived workshop").is_visible()


@WIDTHS
def test_repository_search_results_come_first(page, axe_check, width):
    for number in range(4):
        resource = ResourceFactory(
            title=f"WHO guidelines on technology transfer, part {number + 1}",
            summary="Technology transfer in pharmaceutical manufacturing.",
            reference_number=f"WHO TRS 1044, Annex {number + 1}",
        )
        ResourceFileFactory(resource=resource)
    height = _screen(page, width)
    page.goto("/en/resources/?q=technology+transfer")
    first = _box(page, ".results .card-list > li .card__title")
    assert first["bottom"] <= height, first
    assert _box(page, "#filter-q")["bottom"] <= first["top"] or width == 1366
    # "0 downloads" says nothing useful: not shown.
    assert "0 downloads" not in page.locator(".results").inner_text()
    axe_check(page)


# --- The event page: the registration box in the first screen -----------------------------------


@WIDTHS
def test_the_register_button_and_the_state_are_in_the_first_screen(page, axe_check, width):
    (event, *_others) = _catalogue()
    for day in range(3):
        SessionFactory(
            event=event,
            title=f"Hands-on day {day + 1}",
            start=event.start + timedelta(hours=day),
            end=event.start + timedelta(hours=day + 1),
        )
    height = _screen(page, width)
    page.goto(event.get_absolute_url())
    button = _box(page, ".registration-box .button")
    assert page.locator(".registration-box .button").inner_text() == "Sign in to register"
    assert button["bottom"] <= height, button
    axe_check(page)

    # Signed in: the form's Register button itself.
    user = UserFactory()
    _sign_in(page, user)
    page.goto(event.get_absolute_url())
    submit = _box(page, ".registration-form button[type=submit]")
    assert submit["bottom"] <= height, submit
    page.get_by_label(re.compile("I agree that the organisers")).check()
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    state = _box(page, ".registration-box__state")
    assert state["bottom"] <= height
    assert page.locator(".registration-box__state").inner_text() == (
        "You are registered: your place is confirmed."
    )
    axe_check(page)


@WIDTHS
def test_notify_me_when_registration_opens(page, axe_check, width):
    opens = timezone.now() + timedelta(days=12)
    event = EventFactory(
        title="Week of Quality 2099",
        registration_opens=opens,
        start=opens + timedelta(days=40),
        end=opens + timedelta(days=44),
    )
    height = _screen(page, width)
    user = UserFactory()
    _sign_in(page, user)
    page.goto(event.get_absolute_url())
    state = page.locator(".registration-box__state").inner_text()
    assert state.startswith("Registration opens on") and "Geneva time (CE" in state
    assert "UTC (UTC)" not in state
    button = _box(page, ".registration-box button.button")
    assert button["bottom"] <= height
    page.get_by_role("button", name="Notify me when registration opens").click()
    page.wait_for_load_state()
    assert page.get_by_text("We will email you when registration opens.").is_visible()
    assert RegistrationOpeningNotice.objects.filter(event=event, user=user).exists()
    axe_check(page)


def test_your_time_in_the_visitors_zone_on_the_24_hour_clock(browser, live_server):
    """A visitor in Nairobi whose browser says en-US: the event's Geneva times, then theirs,
    both on the 24-hour clock the page uses, named by the zone's abbreviation."""
    start = (timezone.now() + timedelta(days=30)).replace(hour=11, minute=0, second=0)
    event = EventFactory(time_zone="Europe/Zurich", start=start, end=start + timedelta(hours=2))
    SessionFactory(event=event, title="Opening", start=start, end=start + timedelta(hours=2))
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",
        timezone_id="Africa/Nairobi",
        viewport={"width": 390, "height": 844},
    )
    page = context.new_page()
    page.goto(event.get_absolute_url())
    page.wait_for_selector("[data-local-start]:not([hidden])")
    line = " ".join(page.locator(".agenda__time").first.inner_text().split())
    assert re.fullmatch(
        r"\d\d:\d\d–\d\d:\d\d CES?T · your time \d\d:\d\d–\d\d:\d\d (EAT|UTC\+3)", line
    ), line
    assert "AM" not in line and "PM" not in line and "(" not in line
    assert "Times are in Geneva time (CE" in page.locator(".agenda .meta").first.inner_text()
    context.close()


# --- The flagship path ---------------------------------------------------------------------------


@WIDTHS
def test_the_flagship_is_one_click_from_the_home_page(page, axe_check, width):
    marathon = ProgrammeFactory(
        name="Virtual cGMP Training Marathon",
        slug="virtual-cgmp-training-marathon",
        is_flagship=True,
    )
    soon = timezone.now() + timedelta(days=5)
    for number in range(4):
        EventFactory(title=f"Sooner training {number}", start=soon + timedelta(days=number))
    edition = EventFactory(
        programme=marathon, title="Marathon 2099", start=timezone.now() + timedelta(days=200)
    )
    EventFactory(
        programme=marathon,
        title="Marathon 2020",
        edition_year=2020,
        start=timezone.now() - timedelta(days=1500),
    )
    height = _screen(page, width)
    page.goto("/en/")
    card = page.locator(".programme-card", has_text="Virtual cGMP Training Marathon")
    assert card.get_by_role("link", name="Marathon 2099").is_visible()
    axe_check(page)
    card.get_by_role("link", name="Virtual cGMP Training Marathon").click()
    page.wait_for_url(re.compile(r"/programmes/virtual-cgmp-training-marathon/$"))
    next_edition = _box(page, ".programme__next .card__title")
    assert next_edition["bottom"] <= height
    assert _box(page, "#editions-heading")["top"] > next_edition["bottom"]  # the past below
    axe_check(page)
    page.get_by_role("link", name="Marathon 2099").click()
    page.wait_for_url(re.compile(edition.get_absolute_url()))

    # The About page leads there too.
    page.goto("/en/about/")
    assert (
        page.get_by_role("link", name="Every edition of the Virtual cGMP Training Marathon").count()
        == 1
    )
    axe_check(page)


# --- My registrations ---------------------------------------------------------------------------


@WIDTHS
def test_my_registrations_read_like_a_diary(page, axe_check, width):
    user = UserFactory()
    now = timezone.now()
    soon = EventFactory(title="Soon webinar", start=now + timedelta(days=3))
    later = EventFactory(title="Later workshop", start=now + timedelta(days=40))
    past = EventFactory(title="Past marathon", start=now - timedelta(days=60))
    RegistrationFactory(event=later, user=user)
    RegistrationFactory(event=soon, user=user)
    RegistrationFactory(event=past, user=user, attended=True)
    _screen(page, width)
    _sign_in(page, user)
    page.goto("/en/my/registrations/")
    order = [_box(page, f'a[href="{event.get_absolute_url()}"]')["top"] for event in (soon, later)]
    assert order == sorted(order)
    assert _box(page, "#past-heading")["top"] > order[-1]
    past_card = page.locator(".my-registration", has_text="Past marathon")
    assert past_card.get_by_role("link", name=re.compile("Cancel")).count() == 0
    assert past_card.get_by_role("link", name=re.compile("Calendar")).count() == 0
    assert past_card.get_by_role("link", name="Give feedback").count() == 1
    axe_check(page)


# --- Sign-up returns to the event -----------------------------------------------------------------


@WIDTHS
def test_sign_up_from_an_event_returns_to_it(page, live_server, axe_check, width):
    event = EventFactory(title="Data integrity masterclass")
    _screen(page, width)
    page.goto(event.get_absolute_url())
    page.get_by_role("link", name="Create one").click()
    page.wait_for_url(re.compile(r"/accounts/signup/"))
    assert page.get_by_role("heading", name="Create an account").is_visible()
    page.get_by_label("Email").fill("ngozi@example.org")
    page.get_by_label("Password", exact=False).first.fill("a-long-unusual-passphrase")
    page.get_by_label("Password (again)").fill("a-long-unusual-passphrase")
    page.get_by_label("Full name").fill("Ngozi Adeyemi")
    page.get_by_label("Organisation", exact=False).first.fill("Example Pharma")
    page.get_by_label("Type of organisation").select_option("manufacturer")
    page.get_by_label("Country").select_option(label="Viet Nam")
    page.get_by_label("I have read and accept").check()
    page.get_by_role("button", name="Create an account").click()
    page.wait_for_url(re.compile(r"/confirm-email/"))
    assert page.get_by_role("heading", name="Verify your email address").is_visible()
    assert page.get_by_role("button", name="Send the email again").is_visible()
    axe_check(page)

    link = re.search(r"https?://\S+/confirm-email/\S+", mail.outbox[0].body).group(0)
    page.goto(re.sub(r"^https?://[^/]+", live_server.url, link))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(re.escape(event.get_absolute_url()) + "$"))
    assert page.get_by_role("heading", name="Data integrity masterclass").is_visible()
    assert page.get_by_role("button", name="Register").is_visible()


# --- Requests for restricted files ---------------------------------------------------------------


@WIDTHS
def test_request_access_to_a_restricted_file_and_staff_grant_it(
    browser, live_server, axe_check, width
):
    resource = ResourceFactory(
        title="Inspection findings of sterile sites", access_level=AccessLevel.REGULATORS
    )
    ResourceFileFactory(resource=resource)
    person, staff = UserFactory(), UserFactory(is_staff=True, is_superuser=True)
    viewport = {"width": width, "height": SCREENS[width]}

    def context():
        new = browser.new_context(base_url=live_server.url, viewport=viewport, locale="en-GB")
        page = new.new_page()
        page.problems = []
        page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
        return new, page

    person_context, page = context()
    _sign_in(page, person)
    page.goto(resource.get_absolute_url())
    page.get_by_role("link", name=re.compile("Request access")).click()
    page.wait_for_url(re.compile(r"/request-access/$"))
    axe_check(page)
    page.get_by_label("Why do you need this file?").fill(
        "Preparing an inspection of a sterile site"
    )
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url(re.compile(re.escape(resource.get_absolute_url()) + "$"))
    assert page.get_by_text("Your request is sent.").is_visible()
    assert page.get_by_text(re.compile("Access requested on")).is_visible()
    axe_check(page)

    staff_context, admin = context()
    _sign_in(admin, staff)
    admin.goto("/admin/repository/accessrequest/?status__exact=pending")
    row = admin.locator("#result_list tbody tr", has_text=person.email)
    assert "Preparing an inspection" in row.inner_text()
    row.get_by_role("button", name="Grant").click()  # one click
    admin.wait_for_load_state()
    assert AccessRequest.objects.get().status == "granted"
    assert mail.outbox[-1].to == [person.email]

    page.goto(resource.get_absolute_url())
    with page.expect_download() as download:
        page.get_by_role("link", name=resource.title).last.click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert page.get_by_text(re.compile("Open to you until")).is_visible()
    person_context.close()
    staff_context.close()


@WIDTHS
def test_the_header_stays_compact_in_french(page, axe_check, width):
    _catalogue()
    height = _screen(page, width)
    page.goto("/fr/events/?region=AFRO")
    header = _box(page, ".site-header")
    assert header["height"] <= (110 if width == 390 else 130), header
    # The main navigation keeps to one line.
    links = page.locator(".main-nav a")
    tops = {round(_box(page, f".main-nav li:nth-child({n}) a")["top"]) for n in range(1, 4)}
    assert links.count() == 3 and len(tops) == 1, tops
    assert _box(page, ".results .card-list > li .card__title")["bottom"] <= height
    axe_check(page)


@WIDTHS
def test_the_header_stays_compact_with_six_languages(page, axe_check, width, settings):
    settings.LANGUAGES = [
        (code, name)
        for code, name in [
            ("en", "English"),
            ("fr", "French"),
            ("es", "Spanish"),
            ("ar", "Arabic"),
            ("ru", "Russian"),
            ("zh-hans", "Chinese"),
        ]
    ]
    _catalogue()
    height = _screen(page, width)
    page.goto("/es/events/?region=AFRO")
    header = _box(page, ".site-header")
    assert header["height"] <= (110 if width == 390 else 130), header
    assert _box(page, ".results .card-list > li .card__title")["bottom"] <= height
    # The languages fold into a menu that opens without a script.
    page.locator(".lang-menu > summary").click()
    page.get_by_role("link", name="русский").click()
    page.wait_for_url(re.compile(r"/ru/events/"))
    axe_check(page)
