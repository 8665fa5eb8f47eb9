"""Reads of the public event pages: what a visitor may see, with what each template needs."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby

from django.core.paginator import Page, Paginator
from django.core.validators import EMPTY_VALUES
from django.db.models import (
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.content_languages import translated, translation_columns
from accounts.facet_index import Bitsets, Filtered, Total, stored_bitsets
from events.filters import EventFilter, event_search_condition
from events.models import (
    Event,
    Partner,
    Programme,
    Registration,
    RegistrationStatus,
    RegistrationStatusChange,
    Session,
    Speaker,
)
from events.structured_data import event_json_ld, json_ld_script
from events.times import in_zone, zone_short
from repository.models import Audience, Language, ProductArea, Resource, Topic
from repository.search import search_correction
from repository.selectors import topic_slugs

PAGE_SIZE = 12
EVENT_BITSETS = "events"  # the name of the list's bitsets (accounts.facet_index)

# facet parameter -> the value it is grouped by in the database
FACET_FIELDS = {
    "programme": "programme__slug",
    "format": "format",
    "region": "region",
    "topic": "topics__slug",
    "audience": "audiences__code",
    "product_area": "product_areas__code",
    "language": "languages__code",
    "year": "edition_year",
}


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    level: int = 0


@dataclass
class Facet:
    name: str
    label: str
    options: list[FacetOption] = field(default_factory=list)

    @property
    def selected(self) -> FacetOption | None:
        return next((option for option in self.options if option.selected), None)

    @property
    def visible_options(self) -> list[FacetOption]:
        """The options worth offering: those that give results, and the one chosen."""
        return [option for option in self.options if option.count or option.selected]


@dataclass
class EventList:
    filterset: EventFilter
    page: Page
    facets: list[Facet]
    when: str
    total: int
    # With search words, among upcoming events: how many past events match them too.
    past_matches: int = 0
    # The words found nothing: the closest words that the portal knows were searched for.
    corrected: str = ""

    @property
    def active_facets(self) -> list[Facet]:
        return [facet for facet in self.facets if facet.selected]


def _visible_events(user) -> QuerySet[Event]:
    return Event.objects.published()


def event_list_when(*, params: QueryDict) -> str:
    """Which list the parameters ask for: "upcoming" (the default) or "past" (the archive)."""
    return "past" if params.get("when") == "past" else "upcoming"


def event_list(*, params: QueryDict, user) -> EventList:
    """The filtered, paginated list, upcoming first (soonest first) or the archive (latest first).

    Each facet counts the events its options would give together with every *other* active
    filter: from the list's bitsets (`event_bitsets`, built once per content version), else, while
    they are outdated, in one grouped query per facet. Either way the number of queries never
    grows with the data.
    """
    params = params.copy()
    when = event_list_when(params=params)
    params["when"] = when
    base = _visible_events(user)
    bitsets = stored_event_bitsets()
    if bitsets is not None:
        filterset = EventFilter(params, queryset=base)
        if filterset.is_valid():
            return _event_list_from_bitsets(bitsets, base, params, filterset, when)
    corrected = ""
    listed = _listed(base, params, when)
    query = listed.filterset.form.cleaned_data.get("q", "") if listed.valid else ""
    past_matches = _matching(base, params, query, "past") if query and when == "upcoming" else 0
    if query and not listed.total and not past_matches:
        # Nothing, upcoming or past, has these words: the closest words that the portal knows.
        corrected = search_correction(query)
        if corrected:
            params["q"] = corrected
            listed = _listed(base, params, when)
            if when == "upcoming":
                past_matches = _matching(base, params, corrected, "past")
    return EventList(
        filterset=listed.filterset,
        page=listed.page,
        facets=_facets(params, base, listed.filterset) if listed.valid else [],
        when=when,
        total=listed.total,
        past_matches=past_matches,
        corrected=corrected,
    )


def _event_masks(bitsets: Bitsets, base: QuerySet, cleaned: dict, query: str) -> Filtered:
    """The events that pass the search words and "open for registration" (not facets), and
    each facet's active filter ("when" among them), as bitsets."""
    passing = bitsets.everything
    if query:
        found = base.filter(event_search_condition(query)).values_list("pk", flat=True)
        passing &= bitsets.of_ids(found)
    if cleaned.get("open") is not None:
        opened = bitsets.of_ids(Event.objects.open_for_registration().values_list("pk", flat=True))
        passing &= opened if cleaned["open"] else bitsets.everything ^ opened
    active = {
        name: cleaned.get(name)
        for name in ("when", *FACET_FIELDS)
        if cleaned.get(name) not in EMPTY_VALUES
    }
    return Filtered(bitsets, bitsets.filter_masks(active), passing)


def _event_list_from_bitsets(
    bitsets: Bitsets, base: QuerySet, params: QueryDict, filterset: EventFilter, when: str
) -> EventList:
    query = filterset.form.cleaned_data.get("q", "")
    masks = _event_masks(bitsets, base, filterset.form.cleaned_data, query)
    corrected = ""

    def past_matches() -> int:
        if not query or when != "upcoming":
            return 0
        return masks.within(when=bitsets.mask("when", "past")).bit_count()

    total, past = masks.within().bit_count(), past_matches()
    if query and not total and not past:
        # Nothing, upcoming or past, has these words: the closest words that the portal knows.
        corrected = search_correction(query)
        if corrected:
            params["q"] = query = corrected
            filterset = EventFilter(params, queryset=base)
            filterset.is_valid()
            masks = _event_masks(bitsets, base, filterset.form.cleaned_data, query)
            total, past = masks.within().bit_count(), past_matches()
    paginator = Paginator(Total(total), PAGE_SIZE)
    page = paginator.get_page(params.get("page"))
    start = (page.number - 1) * PAGE_SIZE
    ids = bitsets.ids_in_order(masks.within(), start, start + PAGE_SIZE, reverse=when == "past")
    events = Event.objects.filter(pk__in=ids).for_cards()
    found = {event.pk: event for event in events}
    page.object_list = [found[pk] for pk in ids if pk in found]

    years = sorted(bitsets.values("year"), key=int, reverse=True)
    return EventList(
        filterset=filterset,
        page=page,
        facets=_facets(params, base, filterset, counts=masks.counts, years=years),
        when=when,
        total=total,
        past_matches=past,
        corrected=corrected,
    )


def stored_event_bitsets() -> Bitsets | None:
    """The list's bitsets, if they were built for the current content and no event has ended
    since; else None (the list counts for itself, and a new build is asked for)."""
    from events.tasks import event_bitsets_refresh_ask

    return stored_bitsets(EVENT_BITSETS, area="events", ask=event_bitsets_refresh_ask)


def event_bitsets(*, now: datetime | None = None) -> tuple[Bitsets, datetime | None]:
    """The bitsets of the list: every published event, soonest first, and for each facet's value
    (and "upcoming" and "past" as of `now`) the events that have it; a broad topic has the
    events of its narrower topics too. With the time they hold until: the end of the first
    upcoming event to end, when it moves to the archive."""
    now = now or timezone.now()
    events = Event.objects.published().order_by("start", "pk")
    rows = list(events.values_list("pk", "programme__slug", "format", "region", "edition_year"))
    upcoming = set(events.upcoming(now).values_list("pk", flat=True))
    valid_until = events.upcoming(now).order_by("end").values_list("end", flat=True).first()

    def related(field: str, target: str):
        through = Event._meta.get_field(field).remote_field.through
        return through.objects.values_list("event_id", f"{target}__code")

    values = {
        "when": ((pk, "upcoming" if pk in upcoming else "past") for pk, *_row in rows),
        "programme": ((pk, slug) for pk, slug, *_row in rows),
        "format": ((pk, row[1]) for pk, *row in rows),
        "region": ((pk, row[2]) for pk, *row in rows),
        "year": ((pk, str(row[3])) for pk, *row in rows if row[3] is not None),
        "topic": topic_slugs(Event.topics.through.objects.values_list("event_id", "topic_id")),
        "audience": related("audiences", "audience"),
        "product_area": related("product_areas", "productarea"),
        "language": related("languages", "language"),
    }
    return Bitsets.build([pk for pk, *_row in rows], values), valid_until


@dataclass
class _Listed:
    filterset: EventFilter
    valid: bool
    page: Page
    total: int


def _listed(base: QuerySet, params: QueryDict, when: str) -> _Listed:
    filterset = EventFilter(params, queryset=base)
    valid = filterset.is_valid()
    queryset = filterset.qs if valid else base.none()
    queryset = (
        queryset.for_cards()
        # The archive is the list in reverse: latest first.
        .order_by(*(("-start", "-pk") if when == "past" else ("start", "pk")))
    )
    paginator = Paginator(queryset, PAGE_SIZE)
    page = paginator.get_page(params.get("page"))
    return _Listed(filterset=filterset, valid=valid, page=page, total=paginator.count)


@dataclass
class EventSearchPreview:
    """The events that a search of the whole portal finds: upcoming first, then past."""

    upcoming: int
    past: int
    events: list[Event]


def event_search_preview(*, query: str, user, limit: int) -> EventSearchPreview:
    found = _visible_events(user).filter(event_search_condition(query))
    found = found.for_cards()
    upcoming = found.upcoming().order_by("start", "pk")
    past = found.past().order_by("-start", "pk")
    counts = {"upcoming": upcoming.count(), "past": past.count()}
    events = list(upcoming[:limit])
    if len(events) < limit and counts["past"]:
        events += list(past[: limit - len(events)])
    return EventSearchPreview(upcoming=counts["upcoming"], past=counts["past"], events=events)


def _matching(base: QuerySet, params: QueryDict, query: str, when: str) -> int:
    """How many events, upcoming or past (`when`), the search words find with the other
    filters."""
    params = params.copy()
    params["q"], params["when"] = query, when
    params.pop("page", None)
    filterset = EventFilter(params, queryset=base)
    return filterset.qs.count() if filterset.is_valid() else 0


def _counts(base: QuerySet, filterset: EventFilter, name: str) -> dict[str, int]:
    # The valid filterset's filters but `name`, applied as FilterSet.filter_queryset does: a
    # new filterset per facet would copy every filter and validate the form again.
    queryset = base
    for other, value in filterset.form.cleaned_data.items():
        if other != name:
            queryset = filterset.filters[other].filter(queryset, value)
    queryset = queryset.order_by()
    key = FACET_FIELDS[name]
    if name == "topic":
        # A broad topic counts the events tagged with it or with one of its narrower topics.
        rows = list(
            queryset.values(key).annotate(n=Count("pk", distinct=True)).values_list(key, "n")
        )
        rows += list(
            queryset.annotate(group=Coalesce("topics__parent__slug", "topics__slug"))
            .values("group")
            .annotate(n=Count("pk", distinct=True))
            .values_list("group", "n")
        )
        counts: dict[str, int] = {}
        for slug, n in rows:
            counts[slug] = max(counts.get(slug, 0), n)
        return counts
    rows = queryset.values(key).annotate(n=Count("pk", distinct=True)).values_list(key, "n")
    return {str(value): n for value, n in rows if value is not None}


def _facets(
    params: QueryDict,
    base: QuerySet,
    filterset: EventFilter,
    *,
    counts: Callable[[str], dict[str, int]] | None = None,
    years: list[str] | None = None,
) -> list[Facet]:
    """The facets and their options, each option with the number of events it gives: from
    `counts` (the bitsets), else counted with SQL."""
    selected = {name: params.get(name, "") for name in FACET_FIELDS}
    facets = []

    def facet(name: str, options: list[tuple[str, str, int]]):
        counted = counts(name) if counts else _counts(base, filterset, name)
        facets.append(
            Facet(
                name=name,
                label=filterset.filters[name].label,
                options=[
                    FacetOption(
                        value=value,
                        label=str(label),
                        count=counted.get(value, 0),
                        selected=selected[name] == value,
                        level=level,
                    )
                    for value, label, level in options
                ],
            )
        )

    programmes = Programme.objects.only("slug", "name", *translation_columns(Programme, "name"))
    facet("programme", [(p.slug, translated(p, "name").value, 0) for p in programmes])
    facet("format", [(value, label, 0) for value, label in Event.Format.choices])
    facet("region", [(value, label, 0) for value, label in Event.REGION_CHOICES])
    facet("topic", _topic_options())
    for name in ("audience", "product_area", "language"):
        facet(
            name, [(value, label, 0) for value, label in filterset.filters[name].extra["choices"]]
        )
    if years is None:
        found = base.order_by().values_list("edition_year", flat=True).distinct()
        years = [str(year) for year in sorted(found, reverse=True)]
    facet("year", [(year, year, 0) for year in years])
    return facets


def _topic_options() -> list[tuple[str, str, int]]:
    topics = list(
        Topic.objects.only(
            "slug", "name", "parent_id", "order", *translation_columns(Topic, "name")
        )
    )
    children: dict[int | None, list[Topic]] = {}
    for topic in topics:
        children.setdefault(topic.parent_id, []).append(topic)
    options = []
    for parent in children.get(None, []):
        options.append((parent.slug, translated(parent, "name").value, 0))
        options += [
            (child.slug, translated(child, "name").value, 1)
            for child in children.get(parent.pk, [])
        ]
    return options


def programme_detail(*, slug: str) -> Programme:
    return Programme.objects.get(slug=slug)


@dataclass
class ProgrammeEditions:
    """A programme's published editions: the current or next one first, then the others that
    have not ended, then the past ones by year."""

    next: Event | None
    upcoming: list[Event]
    past: list[tuple[int, list[Event]]]  # newest year first


def programme_editions(*, programme: Programme, now: datetime | None = None) -> ProgrammeEditions:
    """One query: every published edition of the programme (cancelled and postponed ones too,
    which say so), with the seats their registration state needs."""
    now = now or timezone.now()
    events = list(
        Event.objects.published()
        .filter(programme=programme)
        .select_related("programme")
        .with_seats_taken()
        .order_by("start", "pk")
    )
    upcoming = [event for event in events if event.end >= now]
    following = next((e for e in upcoming if e.status == Event.Status.PUBLISHED), None)
    past = sorted(
        (event for event in events if event.end < now),
        key=lambda event: (-event.edition_year, event.start),
    )
    return ProgrammeEditions(
        next=following,
        upcoming=[event for event in upcoming if event is not following],
        past=[(year, list(group)) for year, group in groupby(past, key=lambda e: e.edition_year)],
    )


def programmes_with_next_edition(*, now: datetime | None = None) -> list[Programme]:
    """Every programme in its order, each with `next_edition`: its current or next published
    edition (one that has not ended), or None. Two queries, whatever the number of events."""
    now = now or timezone.now()
    following = (
        Event.objects.filter(programme=OuterRef("pk"), status=Event.Status.PUBLISHED, end__gte=now)
        .order_by("start", "pk")
        .values("pk")[:1]
    )
    programmes = list(Programme.objects.annotate(next_edition_id=Subquery(following)))
    ids = [programme.next_edition_id for programme in programmes if programme.next_edition_id]
    editions = Event.objects.filter(pk__in=ids).for_cards().in_bulk() if ids else {}
    for programme in programmes:
        programme.next_edition = editions.get(programme.next_edition_id)
    return programmes


def event_detail(*, slug: str, user) -> Event:
    """One event with its programme. Drafts only for staff (preview). What else its page shows
    is read by `event_page`, only when that part of the page is made."""
    queryset = Event.objects.all() if user.is_staff else Event.objects.published()
    return queryset.select_related("programme").get(slug=slug)


@dataclass
class AgendaItem:
    session: Session
    start: datetime  # in the event's time zone
    end: datetime
    zone: str = ""  # the event's zone after the time: 'CEST', 'UTC+5:45'
    # What the page prints of the times, worked out once: the wall-clock times in the event's
    # zone ('09:00'), and the moments as `<time datetime>` gives them (in the active zone).
    clock_start: str = ""
    clock_end: str = ""
    iso_start: str = ""
    iso_end: str = ""
    # The session's topic under its title, unless the title says it already.
    subtitle: Topic | None = None
    speakers: list[Speaker] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)  # those the visitor may see
    visitor_start: datetime | None = None  # in the visitor's time zone, when it differs
    visitor_end: datetime | None = None
    visitor_zone: str = ""  # 'EAT', 'UTC+5:45'
    visitor_other_day: bool = False  # the visitor's day is not the event's


@dataclass
class EventPage:
    """What the header and body of an event's page show (the same for every visitor of a kind),
    read as lists once so that the template walks them without asking the ORM again."""

    event: Event
    sessions: list[Session]
    agenda: list[tuple[date, list[AgendaItem]]]
    speakers: list[Speaker]
    topics: list[Topic]
    audiences: list[Audience]
    product_areas: list[ProductArea]
    languages: list[Language]
    partners: list[Partner]
    materials: list[Resource]  # those the visitor may see
    json_ld: str


def event_page(*, event: Event, user, visitor_zone: str, url: str) -> EventPage:
    """Everything the event's page shows beside the event itself, in four queries whatever its
    size: the sessions, their speakers, the resources of the sessions and of the event (only
    those the visitor may see: `Resource.objects.visible_to`), and its taxonomy and partners."""
    sessions = list(Session.objects.filter(event=event).select_related("topic"))
    speakers = _session_speakers(event) if sessions else {}
    resources = _event_resources(event=event, sessions=sessions, user=user)
    terms = _event_terms(event)
    agenda = event_agenda(
        event=event,
        sessions=sessions,
        visitor_zone=visitor_zone,
        speakers=speakers,
        resources=resources,
    )
    languages = terms["languages"]
    return EventPage(
        event=event,
        sessions=sessions,
        agenda=agenda,
        speakers=_in_order_of_appearance(sessions, speakers),
        topics=terms["topics"],
        audiences=terms["audiences"],
        product_areas=terms["product_areas"],
        languages=languages,
        partners=terms["partners"],
        materials=resources.get(None, []),
        json_ld=json_ld_script(
            event_json_ld(event=event, url=url, languages=[language.code for language in languages])
        ),
    )


def _session_speakers(event: Event) -> dict[int, list[Speaker]]:
    """Session pk -> its speakers by name; a speaker of several sessions is one object."""
    links = (
        Session.speakers.through.objects.filter(session__event=event)
        .select_related("speaker")
        .order_by("speaker__name", "speaker_id")
    )
    speakers: dict[int, Speaker] = {}
    by_session: dict[int, list[Speaker]] = {}
    for link in links:
        speaker = speakers.setdefault(link.speaker_id, link.speaker)
        by_session.setdefault(link.session_id, []).append(speaker)
    return by_session


def _in_order_of_appearance(
    sessions: list[Session], speakers: dict[int, list[Speaker]]
) -> list[Speaker]:
    """Everyone who speaks at the event, once each, in order of first appearance."""
    seen: dict[int, Speaker] = {}
    for session in sessions:
        for speaker in speakers.get(session.pk, []):
            seen.setdefault(speaker.pk, speaker)
    return list(seen.values())


# What a link to a resource shows: its title in the page's language and what tells editions
# apart; not its long texts and search documents.
_RESOURCE_LINK_FIELDS = (
    "slug",
    "title",
    *translation_columns(Resource, "title"),
    "reference_number",
    "publication_date",
    "publication_year",
)


def _event_resources(
    *, event: Event, sessions: list[Session], user
) -> dict[int | None, list[Resource]]:
    """Session pk -> its resources, and None -> the event's materials: of each, those the
    visitor may see, in the resources' order. One query (a UNION of the two links)."""
    visible = Resource.objects.visible_to(user).only(*_RESOURCE_LINK_FIELDS).order_by()
    links = visible.filter(events=event).annotate(
        link_session=Value(None, output_field=IntegerField())
    )
    if sessions:
        of_sessions = visible.filter(sessions__in=[session.pk for session in sessions]).annotate(
            link_session=F("sessions")
        )
        links = links.union(of_sessions, all=True)
    by_link: dict[int | None, list[Resource]] = {}
    for resource in links.order_by("-publication_date", "title", "pk"):
        by_link.setdefault(resource.link_session, []).append(resource)
    return by_link


# The event's taxonomy and partners: its relation -> the link table's column of the term, and
# the term's model. Topics are named by staff (with translations); the vocabularies by a code
# whose label is translated in code; partners by their name.
_TERMS = {
    "topics": ("topic", Topic),
    "audiences": ("audience", Audience),
    "product_areas": ("productarea", ProductArea),
    "languages": ("language", Language),
    "partners": ("partner", Partner),
}
_NAME_TRANSLATIONS = translation_columns(Topic, "name")


def _event_terms(event: Event) -> dict[str, list]:
    """The event's topics, audiences, product areas, languages and partners, each in its
    model's order ((order, name), (order, code), name), in one query (a UNION of the five
    link tables) instead of five."""
    no_translation = Value(None, output_field=CharField())
    parts = []
    for kind, (link, model) in _TERMS.items():
        if model is Topic:
            order, name = F(f"{link}__order"), F(f"{link}__name")
            translations = [F(f"{link}__{column}") for column in _NAME_TRANSLATIONS]
        elif model is Partner:
            order, name = Value(0), F(f"{link}__name")
            translations = [no_translation] * len(_NAME_TRANSLATIONS)
        else:
            order, name = F(f"{link}__order"), F(f"{link}__code")
            translations = [no_translation] * len(_NAME_TRANSLATIONS)
        columns = {
            "kind": Value(kind, output_field=CharField()),
            "term_order": order,
            "term_name": name,
            **{
                f"term_{column}": value
                for column, value in zip(_NAME_TRANSLATIONS, translations, strict=True)
            },
        }
        links = getattr(Event, kind).through.objects.filter(event=event)
        parts.append(links.annotate(**columns).values_list(*columns))
    rows = parts[0].union(*parts[1:], all=True).order_by("kind", "term_order", "term_name")
    topic_columns = ["name", *_NAME_TRANSLATIONS]
    terms: dict[str, list] = {kind: [] for kind in _TERMS}
    for kind, _order, name, *translations in rows:
        model = _TERMS[kind][1]
        if model is Topic:
            # As the ORM loads a row (its other columns deferred): Topic(**columns) would work
            # out the default of every other column, in each language.
            term = Topic.from_db(rows.db, topic_columns, [name, *translations])
        elif model is Partner:
            term = Partner(name=name)
        else:
            term = model(code=name)
        terms[kind].append(term)
    return terms


def event_agenda(
    *,
    event: Event,
    sessions: list[Session],
    visitor_zone: str = "",
    speakers: dict[int, list[Speaker]] | None = None,
    resources: dict[int | None, list[Resource]] | None = None,
) -> list[tuple[date, list[AgendaItem]]]:
    """The sessions grouped by day, as the day falls in the event's own time zone, each with the
    visitor's time beside it where their clock says something else, and its speakers and
    resources (session pk -> list) where given."""
    zone = event.tz
    visitor = zoneinfo.ZoneInfo(visitor_zone) if visitor_zone else None
    if visitor is not None and visitor.key == zone.key:
        visitor = None
    speakers, resources = speakers or {}, resources or {}
    items = []
    for session in sessions:
        start, end, topic = in_zone(session.start, zone), in_zone(session.end, zone), session.topic
        item = AgendaItem(
            session=session,
            start=start,
            end=end,
            zone=zone_short(session.start, zone),
            clock_start=f"{start:%H:%M}",
            clock_end=f"{end:%H:%M}",
            iso_start=timezone.localtime(session.start).isoformat(),
            iso_end=timezone.localtime(session.end).isoformat(),
            subtitle=topic if topic and topic.name.lower() not in session.title.lower() else None,
            speakers=speakers.get(session.pk, []),
            resources=resources.get(session.pk, []),
        )
        if visitor is not None and session.start.astimezone(visitor).utcoffset() != (
            start.utcoffset()
        ):
            item.visitor_start = in_zone(session.start, visitor)
            item.visitor_end = in_zone(session.end, visitor)
            item.visitor_zone = zone_short(session.start, visitor)
            item.visitor_other_day = item.visitor_start.date() != start.date()
        items.append(item)
    return [(day, list(group)) for day, group in groupby(items, key=lambda item: item.start.date())]


WHEN_LABELS = {"upcoming": _("Upcoming events"), "past": _("Past events")}


@dataclass
class RegistrationState:
    """What the registration box tells this visitor now."""

    # cancelled, postponed, ended, no_registration, invitation, not_yet, closed, external, open,
    # full, and for someone already registered: confirmed, waitlisted, pending
    code: str
    message: str
    opens: datetime | None = None
    closes: datetime | None = None
    url: str = ""
    registration: Registration | None = None
    position: int | None = None
    can_register: bool = False
    can_cancel: bool = False
    # Registration has not opened: whether the visitor asked for an email when it does.
    notice_requested: bool = False


def event_registration_state(
    *, event: Event, user, now: datetime | None = None
) -> RegistrationState:
    """The registration box: the event's `registration_status` (one rule with the cards), and
    what concerns this visitor (their registration, their unverified type of organisation)."""
    now = now or timezone.now()
    registration = active_registration(event=event, user=user)
    if registration is not None:
        return _registered_state(event, registration, now)
    status = event.registration_status(now)
    S = RegistrationStatus
    if status == S.CANCELLED:
        return RegistrationState("cancelled", _("This event has been cancelled."))
    if status == S.POSTPONED:
        return RegistrationState(
            "postponed", _("This event has been postponed. New dates will be announced.")
        )
    if status == S.ENDED:
        return RegistrationState("ended", _("This event has ended."))
    if status == S.NO_REGISTRATION:
        return RegistrationState("no_registration", _("Registration is not open for this event."))
    if status == S.NOT_YET:
        # The template says "Registration opens on <date>", and offers to email the visitor then.
        from events.alerts import registration_opening_notice_requested

        return RegistrationState(
            "not_yet",
            "",
            opens=event.registration_opens,
            notice_requested=registration_opening_notice_requested(event=event, user=user),
        )
    if status == S.CLOSED:
        return RegistrationState("closed", _("Registration is closed."))
    if status == S.EXTERNAL:
        return RegistrationState(
            "external",
            _("Registration is on the organiser's website."),
            url=event.external_registration_url,
            closes=event.registration_closes,
        )
    can_register = event.status == Event.Status.PUBLISHED
    if status == S.INVITATION:
        return RegistrationState(
            "invitation",
            _("This event is by invitation only. Register with the code you received."),
            closes=event.registration_closes,
            can_register=can_register,
        )
    unverified = user.is_authenticated and event.audience_fit(user) == Event.AUDIENCE_UNVERIFIED
    if unverified:
        message = _(
            "Registration is open. Your type of organisation has not been verified by the LPA "
            "team yet, so the organisers confirm your place."
        )
    elif status == S.APPROVAL:
        message = _("Registration is open. Places are confirmed by the organisers.")
    elif status == S.FULL:
        return RegistrationState(
            "full",
            _("The event is full. You can join the waiting list: free places go to it in order."),
            closes=event.registration_closes,
            can_register=can_register,
        )
    elif status == S.FEW_LEFT:
        left = event.seats_left()
        message = ngettext(
            "Registration is open. Only %(count)s place is left.",
            "Registration is open. Only %(count)s places are left.",
            left,
        ) % {"count": left}
    else:
        message = _("Registration is open.")
    return RegistrationState(
        "open", message, closes=event.registration_closes, can_register=can_register
    )


def _registered_state(event: Event, registration: Registration, now: datetime) -> RegistrationState:
    registration.event = event
    can_cancel = registration.participant_may_cancel(now)
    status = Registration.Status
    if registration.status == status.CONFIRMED:
        return RegistrationState(
            "confirmed",
            _("You are registered: your place is confirmed."),
            registration=registration,
            can_cancel=can_cancel,
        )
    if registration.status == status.WAITLISTED:
        return RegistrationState(
            "waitlisted",
            _("You are on the waiting list."),
            registration=registration,
            position=waiting_list_position(registration=registration),
            can_cancel=can_cancel,
        )
    return RegistrationState(
        "pending",
        _("Your request is waiting for the organisers' approval."),
        registration=registration,
        can_cancel=can_cancel,
    )


def active_registration(*, event: Event, user) -> Registration | None:
    if not user.is_authenticated:
        return None
    return Registration.objects.filter(
        event=event, user=user, status__in=Registration.ACTIVE
    ).first()


def waiting_list_position(*, registration: Registration) -> int | None:
    """1 for the next person to get a free place."""
    if registration.status != Registration.Status.WAITLISTED:
        return None
    return (
        _ahead_on_waiting_list().filter(pk=registration.pk).values_list("ahead", flat=True)[0] + 1
    )


def _ahead_on_waiting_list():
    ahead = (
        Registration.objects.filter(event=OuterRef("event"), status=Registration.Status.WAITLISTED)
        .filter(
            Q(waitlisted_at__lt=OuterRef("waitlisted_at"))
            | Q(waitlisted_at=OuterRef("waitlisted_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("event")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Registration.objects.annotate(ahead=Coalesce(Subquery(ahead), 0))


@dataclass
class EventRegistrations:
    """One event in My registrations: the person's registration that counts (the active one,
    else the latest) and the history of all their registrations for it, oldest first."""

    event: Event
    registration: Registration
    history: list[RegistrationStatusChange]
    is_upcoming: bool

    @property
    def can_download_certificate(self) -> bool:
        """Attended, confirmed, and the event is over: the certificate is issued on download
        (`events.attendance.certificate_issue`)."""
        registration = self.registration
        return (
            registration.attended
            and registration.status == Registration.Status.CONFIRMED
            and self.event.has_ended()
        )

    @property
    def can_give_feedback(self) -> bool:
        return (
            self.registration.attended
            and not self.is_upcoming
            and getattr(self.registration, "feedback", None) is None
        )


@dataclass
class MyRegistrations:
    upcoming: list[EventRegistrations]
    past: list[EventRegistrations]

    def __bool__(self) -> bool:
        return bool(self.upcoming or self.past)


def registrations_of_user(*, user, now: datetime | None = None) -> MyRegistrations:
    """My registrations, one entry per event: upcoming events soonest first, then past events
    latest first. Each has the registration that counts with its waiting-list position and
    whether the person may still cancel it, the certificate, and the history of every
    registration for the event (a cancelled one and a new one read as one story). A fixed
    number of queries."""
    now = now or timezone.now()
    registrations = list(
        _ahead_on_waiting_list()
        .filter(user=user)
        .select_related("event", "event__programme", "certificate", "feedback")
        .prefetch_related(
            Prefetch("event__materials", queryset=Resource.objects.visible_to(user)),
            Prefetch(
                "status_changes", queryset=RegistrationStatusChange.objects.order_by("created_at")
            ),
        )
        .order_by("created_at", "pk")
    )
    by_event: dict[int, list[Registration]] = {}
    for registration in registrations:
        by_event.setdefault(registration.event_id, []).append(registration)
    upcoming, past = [], []
    for group in by_event.values():
        active = [registration for registration in group if registration.is_active]
        current = active[-1] if active else group[-1]
        event = current.event
        for registration in group:
            registration.event = event
        current.position = (
            current.ahead + 1 if current.status == Registration.Status.WAITLISTED else None
        )
        current.can_cancel = current.participant_may_cancel(now)
        history = sorted(
            (change for registration in group for change in registration.status_changes.all()),
            key=lambda change: (change.created_at, change.pk),
        )
        entry = EventRegistrations(
            event=event, registration=current, history=history, is_upcoming=event.end >= now
        )
        (upcoming if entry.is_upcoming else past).append(entry)
    upcoming.sort(key=lambda entry: (entry.event.start, entry.event.pk))
    past.sort(key=lambda entry: (entry.event.start, entry.event.pk), reverse=True)
    return MyRegistrations(upcoming=upcoming, past=past)


def upcoming_events(*, limit: int, exclude: list[int] | None = None) -> list[Event]:
    """The next published events, soonest first (home page), but those in `exclude` (the
    flagship editions the page shows already)."""
    return list(
        Event.objects.filter(status=Event.Status.PUBLISHED)
        .upcoming()
        .exclude(pk__in=exclude or [])
        .for_cards()
        .order_by("start")[:limit]
    )


def registrations_export(user) -> list[dict]:
    """Everything about a person's registrations, for their personal-data download."""
    registrations = (
        Registration.objects.filter(user=user)
        .select_related("event", "certificate", "feedback")
        .prefetch_related("attendances__session", "status_changes")
        .order_by("created_at")
    )
    return [
        {
            "event": registration.event.title,
            "event_url": registration.event.get_absolute_url(),
            "status": registration.status,
            "registered_at": registration.created_at.isoformat(),
            "organisation": registration.organisation,
            "organisation_type": registration.organisation_type,
            "job_title": registration.job_title,
            "country": registration.country.code or "",
            "answers": registration.answers,
            "consent_at": registration.consent_at.isoformat(),
            "attended": registration.attended,
            "sessions_attended": [a.session.title for a in registration.attendances.all()],
            "certificate": getattr(getattr(registration, "certificate", None), "code", None),
            "feedback": (
                {"rating": registration.feedback.rating, "comments": registration.feedback.comments}
                if hasattr(registration, "feedback")
                else None
            ),
            "history": [
                {"from": c.from_status, "to": c.to_status, "at": c.created_at.isoformat()}
                for c in registration.status_changes.all()
            ],
        }
        for registration in registrations
    ]


# --- Staff pages --------------------------------------------------------------------------------


@dataclass
class EditionMove:
    label: str
    before: datetime | None  # in the event's time zone
    after: datetime | None


@dataclass
class EditionCopySummary:
    """What moved when an edition was copied: each date before and after, and the agenda."""

    source: Event
    copy: Event
    days: int
    moves: list[EditionMove]
    sessions: int
    weekdays_before: list[str]
    weekdays_after: list[str]

    @property
    def weekdays_kept(self) -> bool:
        return self.weekdays_before == self.weekdays_after


def edition_copy_summary(*, source: Event, copy: Event) -> EditionCopySummary:
    """Compare a copied edition with the one it was copied from, for the staff's summary."""
    from django.utils.formats import date_format

    tz = source.tz
    fields = [
        ("start", _("Start")),
        ("end", _("End")),
        ("registration_opens", _("Registration opens")),
        ("registration_closes", _("Registration closes")),
        ("cancellation_deadline", _("Cancellation deadline")),
    ]
    moves = [
        EditionMove(
            label=str(label),
            before=in_zone(getattr(source, name), tz) if getattr(source, name) else None,
            after=in_zone(getattr(copy, name), tz) if getattr(copy, name) else None,
        )
        for name, label in fields
        if getattr(source, name) or getattr(copy, name)
    ]

    def weekdays(event: Event) -> list[str]:
        days = sorted({in_zone(s.start, tz).weekday() for s in event.sessions.all()})
        # 4 January 2021 was a Monday: its week names the days in the active language.
        return [date_format(date(2021, 1, 4 + day), "l") for day in days]

    first = timezone.localtime(source.start, tz).date()
    return EditionCopySummary(
        source=source,
        copy=copy,
        days=(timezone.localtime(copy.start, tz).date() - first).days,
        moves=moves,
        sessions=copy.sessions.count(),
        weekdays_before=weekdays(source),
        weekdays_after=weekdays(copy),
    )


# --- The staff dashboard ------------------------------------------------------------------------


def pending_requests_by_event(*, limit: int = 10) -> list[Event]:
    """Events with registration requests waiting for approval, each with `pending_count`,
    soonest first. One query."""
    return list(
        Event.objects.filter(registrations__status=Registration.Status.PENDING)
        .annotate(pending_count=Count("registrations", filter=Q(registrations__status="pending")))
        .only("pk", "title", "start", "time_zone")
        .order_by("start", "pk")[:limit]
    )


def events_open_with_fill(*, now: datetime | None = None, limit: int = 10) -> list[Event]:
    """Events taking registrations now (`Event.registration_is_open`), soonest first, each with
    its confirmed seats (read by `Event.seats_left`) and `waiting_count`. One query."""
    return list(
        Event.objects.registration_open(now)
        .with_seats_taken()
        .annotate(
            waiting_count=Count("registrations", filter=Q(registrations__status="waitlisted"))
        )
        .only("pk", "title", "start", "time_zone", "capacity")
        .order_by("start", "pk")[:limit]
    )


def failed_emails_by_status() -> dict[str, int]:
    """Emails that failed: waiting for a retry, and given up. One query."""
    from events.models import EmailDelivery

    failing = (EmailDelivery.Status.FAILED, EmailDelivery.Status.GAVE_UP)
    counts = dict(
        EmailDelivery.objects.filter(status__in=failing)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in failing}


def recent_feedback(*, limit: int = 5) -> list:
    """The latest survey answers with their event. One query."""
    from events.models import Feedback

    return list(
        Feedback.objects.select_related("registration__event").order_by("-created_at", "-pk")[
            :limit
        ]
    )
