"""Demo programmes, partners, speakers and events for a local run (`manage.py seed_demo`).

The past events are the real history of LPA's programmes: dates and figures come from the
project's content notes, and where a fact is missing (exact dates, agendas) the event says that
what is shown is demo content. The upcoming events are demo editions, named "(demo)" and dated
relative to the day the seed first runs, so that a fresh database always has upcoming events.
Speakers and session titles are demo content throughout.

Every row is looked up by slug (or name) and created once together with its relations; later runs
create nothing and change nothing, so the demo editions keep the dates of their first run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from textwrap import dedent
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import OrganisationType, User
from events.attendance import attendance_mark
from events.models import (
    Certificate,
    Event,
    Message,
    Partner,
    Programme,
    Registration,
    RegistrationStatusChange,
    Session,
    Speaker,
)
from events.services import registration_profile_snapshot
from repository.demo import QA_REPORT_2021
from repository.models import Audience, Language, ProductArea, Resource, Topic

# Geneva keeps Swiss time: the IANA time zone database has Europe/Zurich and no Europe/Geneva.
GENEVA = "Europe/Zurich"
MONDAY, TUESDAY, THURSDAY = 0, 1, 3
ONLINE, IN_PERSON, HYBRID = Event.Format.ONLINE, Event.Format.IN_PERSON, Event.Format.HYBRID
PUBLISHED, CANCELLED, DRAFT = Event.Status.PUBLISHED, Event.Status.CANCELLED, Event.Status.DRAFT
OPEN, APPROVAL = Event.RegistrationMode.OPEN, Event.RegistrationMode.APPROVAL

# The audiences of each strand, as the content notes give them.
MARATHON_AUDIENCES = ["manufacturer", "regulator", "government"]
WEEK_OF_QUALITY_AUDIENCES = ["manufacturer"]
WORKSHOP_AUDIENCES = ["manufacturer", "regulator"]

PAST_SESSION_NOTE = "Demo session: its title and content are demo content; the real agenda of this edition is not in our sources."
DEMO_SESSION_NOTE = "Demo session of a demo event."


def _md(text: str) -> str:
    return dedent(text).strip()


PROGRAMMES = [
    ("virtual-cgmp-training-marathon", "Virtual cGMP Training Marathon",
     "A yearly series of free online sessions on selected cGMP topics, facility design, technology transfer and quality management systems.",
     _md("""
        The Virtual cGMP Training Marathon is a yearly series of online sessions on selected current
        good manufacturing practice (cGMP) topics, facility design, technology transfer and quality
        management systems. Sessions usually run twice a week over four to six weeks.

        The Marathon is free; registration is required. It is for:

        - manufacturers;
        - national regulatory authorities (NRAs);
        - ministries of health and of industry.

        The first edition, in 2020, covered pharmaceuticals; the 2021 to 2023 editions focused on
        vaccine manufacturing.
     """)),
    ("week-of-quality", "Week of Quality",
     "An annual online event on quality and CMC standards for the pharmaceutical and IVD industries, with financial support from the Bill & Melinda Gates Foundation.",
     _md("""
        The Week of Quality is an annual online event on quality and chemistry, manufacturing and
        controls (CMC) standards for the pharmaceutical and in vitro diagnostics (IVD) industries.

        It is held with financial support from the Bill & Melinda Gates Foundation. The 2023 edition,
        *On the origin of specifications*, ran separate tracks for:

        - vaccines;
        - medicines;
        - in vitro diagnostics.
     """)),
    ("regional-training-workshops", "Regional training workshops",
     "In-person, hands-on workshops for manufacturers and regulators in the six WHO regions, often with partners.",
     _md("""
        Regional training workshops are in-person, hands-on workshops for manufacturers and regulators
        in the six WHO regions.

        They are often organized with partners, among them:

        - the Global Fund;
        - UNICEF;
        - UNDP;
        - UNCTAD;
        - the Medicines Patent Pool.
     """)),
    ("cgxp-trainings", "cGxP trainings",
     "Short trainings on a single good-practice (cGxP) topic. This programme is demo content.",
     _md("""
        *This programme is demo content: it shows how the portal presents short trainings on a single
        topic. Its name and description do not come from a WHO source.*

        A cGxP training covers one good-practice topic, such as data integrity or cleaning
        validation, online, in person or both.
     """)),
]  # fmt: skip

# LPA's flagship programmes: the home page always shows their next edition.
FLAGSHIPS = {"virtual-cgmp-training-marathon", "week-of-quality"}

GATES = "Bill & Melinda Gates Foundation"
NEPAL_DDA = "Department of Drug Administration, Nepal"
PARTNERS = [GATES, "Global Fund", "UNICEF", "UNDP", "UNCTAD", "Medicines Patent Pool", NEPAL_DDA]

# (name, role, organisation): fictitious people, for the demo only.
SPEAKERS = [
    ("Demo Speaker A", "Technical officer (demo)", "WHO LPA (demo)"),
    ("Demo Speaker B", "GMP inspector (demo)", "Demo National Regulatory Authority (demo)"),
    ("Demo Speaker C", "Head of quality assurance (demo)", "Demo Vaccine Manufacturer (demo)"),
    ("Demo Speaker D", "Validation lead (demo)", "Demo Pharmaceutical Manufacturer (demo)"),
    ("Demo Speaker E", "QC laboratory manager (demo)", "Demo Diagnostics Manufacturer (demo)"),
    ("Demo Speaker F", "Lecturer in pharmaceutical sciences (demo)", "Demo University (demo)"),
]  # fmt: skip


@dataclass
class DemoEvent:
    slug: str
    programme: str
    title: str
    summary: str
    description: str
    format: str
    first_day: date
    last_day: date
    hours: tuple[str, str] = ("13:00", "15:00")
    time_zone: str = GENEVA
    region: str = Event.GLOBAL
    country: str = ""
    city: str = ""
    venue: str = ""
    status: str = PUBLISHED
    registration_mode: str = OPEN
    registration_opens: datetime | None = None
    registration_closes: datetime | None = None
    capacity: int | None = None
    meeting_url: str = ""
    participants_count: int | None = None
    countries_count: int | None = None
    outcome_note: str = ""
    audiences: list[str] = field(default_factory=lambda: list(MARATHON_AUDIENCES))
    product_areas: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: ["en"])
    partners: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)
    # (day, start "HH:MM", end "HH:MM", title, topic slug), in the event's time zone
    sessions: list[tuple[date, str, str, str, str]] = field(default_factory=list)
    session_note: str = PAST_SESSION_NOTE


def _local(day: date, hhmm: str, zone: str) -> datetime:
    """The moment `day` at `hhmm` in `zone`, in UTC as the database stores it."""
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _online(*sessions: tuple[date, str, str]) -> list[tuple[date, str, str, str, str]]:
    """Online sessions at the Marathon's usual 13:00–15:00 Geneva time."""
    return [(day, "13:00", "15:00", title, topic) for day, title, topic in sessions]


def _twice_weekly(first_tuesday: date, *sessions: tuple[str, str]):
    """Sessions on Tuesdays and Thursdays from `first_tuesday`, two a week."""
    return _online(
        *(
            (first_tuesday + timedelta(weeks=i // 2, days=2 * (i % 2)), title, topic)
            for i, (title, topic) in enumerate(sessions)
        )
    )


def _next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _next_yearly(today: date, *, month: int, weekday: int, lead_days: int) -> date:
    """The second `weekday` of `month` in the first year where it is `lead_days` away or more.

    Never before 2026: the real editions up to 2025 are in the demo already.
    """
    year = max(today.year, 2026)
    while True:
        day = _next_weekday(date(year, month, 1), weekday) + timedelta(weeks=1)
        if day >= today + timedelta(days=lead_days):
            return day
        year += 1


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _history() -> list[DemoEvent]:
    """The real past editions; only their sessions (and two editions' dates) are demo content."""
    d = date
    return [
        DemoEvent(
            slug="virtual-cgmp-training-marathon-2020",
            programme="virtual-cgmp-training-marathon",
            title="Virtual cGMP Training Marathon 2020",
            summary="The first Virtual cGMP Training Marathon, on good manufacturing practices for pharmaceuticals: over 6,000 registered from over 90 countries.",
            description=_md("""
                The first edition of the Virtual cGMP Training Marathon covered current good
                manufacturing practices (cGMP) for pharmaceuticals. Over 6,000 people registered,
                from over 90 countries.

                The sessions were for:

                - pharmaceutical manufacturers;
                - national regulatory authorities;
                - ministries of health and of industry.

                *Demo note: the exact dates of this edition are not in our sources; the dates shown
                are approximate, for the demo. The sessions listed are demo content.*
            """),
            format=ONLINE, first_day=d(2020, 9, 15), last_day=d(2020, 10, 22),
            participants_count=6000, countries_count=90,
            outcome_note="over 6,000 registered from over 90 countries",
            product_areas=["medicines"],
            sessions=_online(
                (d(2020, 9, 15), "The pharmaceutical quality system: foundations", "quality-management-systems"),
                (d(2020, 9, 24), "Quality risk management in daily operations", "quality-risk-management"),
                (d(2020, 10, 6), "Premises and HVAC for non-sterile products", "utilities-water-hvac"),
                (d(2020, 10, 13), "Data integrity on the shop floor and in the laboratory", "data-integrity"),
                (d(2020, 10, 22), "Process validation across the product life cycle", "process-validation"),
            ),
        ),
        DemoEvent(
            slug="virtual-cgmp-training-marathon-2021",
            programme="virtual-cgmp-training-marathon",
            title="Virtual cGMP Training Marathon 2021 for Vaccine Manufacturing",
            summary="Twelve cGMP topics for vaccine manufacturing, online from 5 October to 11 November 2021: over 900 attendees from 60+ countries.",
            description=_md("""
                The 2021 Marathon, **for Vaccine Manufacturing**, ran online from 5 October to
                11 November 2021 and covered 12 topics. It drew over 900 attendees from more than
                60 countries.

                The questions asked during the sessions were published with their answers as
                *Virtual cGMP Training Marathon for Vaccine Manufacturing: Questions & Answers*
                (WHO/MHP/RPQ/LPA/2022.1), listed with the materials of this event.

                - Format: online sessions
                - Topics: 12
                - Registration: free

                *Demo note: the sessions listed are demo content; the real agenda is not in our
                sources.*
            """),
            format=ONLINE, first_day=d(2021, 10, 5), last_day=d(2021, 11, 11),
            participants_count=900, countries_count=60,
            outcome_note="over 900 attendees from 60+ countries; 12 topics",
            product_areas=["vaccines"],
            materials=[QA_REPORT_2021],
            sessions=_online(
                (d(2021, 10, 5), "Quality management systems for vaccine manufacturers", "quality-management-systems"),
                (d(2021, 10, 14), "Facility and plant design for vaccine production", "premises-facility-design"),
                (d(2021, 10, 21), "Aseptic processing and sterility assurance", "sterile-manufacturing-aseptic-processing"),
                (d(2021, 10, 28), "Qualification of equipment", "equipment-qualification"),
                (d(2021, 11, 4), "Cleaning validation and contamination control", "cleaning-validation-contamination-control"),
                (d(2021, 11, 11), "Technology transfer of vaccine processes", "technology-transfer"),
            ),
        ),
        DemoEvent(
            slug="virtual-cgmp-training-marathon-2022",
            programme="virtual-cgmp-training-marathon",
            title="Virtual cGMP Training Marathon 2022 — Vaccine Manufacturing: Sustaining a GMP-compliant Environment",
            summary="Online sessions from 8 November to 1 December 2022 on sustaining a GMP-compliant environment in vaccine manufacturing, followed by a hands-on workshop for 40 selected participants.",
            description=_md("""
                The 2022 Marathon, **Vaccine Manufacturing: Sustaining a GMP-compliant
                Environment**, ran online from 8 November to 1 December 2022.

                It was followed by a hands-on workshop for 40 selected participants:

                - online sessions: 8 November – 1 December 2022;
                - hands-on workshop: 6–8 December 2022, for 40 selected participants.

                *Demo note: the sessions listed are demo content; the real agenda, and the place of
                the hands-on workshop, are not in our sources.*
            """),
            format=ONLINE, first_day=d(2022, 11, 8), last_day=d(2022, 12, 1),
            outcome_note="followed by a hands-on workshop on 6–8 December 2022 for 40 selected participants",
            product_areas=["vaccines"],
            sessions=_online(
                (d(2022, 11, 8), "Sustaining the pharmaceutical quality system", "quality-management-systems"),
                (d(2022, 11, 15), "CAPA and investigations that prevent recurrence", "capa-investigation-management"),
                (d(2022, 11, 22), "Water systems and HVAC for biologicals", "utilities-water-hvac"),
                (d(2022, 11, 24), "Contamination control in aseptic areas", "cleaning-validation-contamination-control"),
                (d(2022, 12, 1), "Data integrity in a GMP-compliant environment", "data-integrity"),
            ),
        ),
        DemoEvent(
            slug="virtual-cgmp-training-marathon-2023",
            programme="virtual-cgmp-training-marathon",
            title="Virtual cGMP Training Marathon 2023 — Vaccine Manufacturing: Principles into Practice",
            summary="The 2023 Marathon on vaccine manufacturing: putting cGMP principles into practice.",
            description=_md("""
                The 2023 Marathon, **Vaccine Manufacturing: Principles into Practice**, took the
                principles of current good manufacturing practices into the daily work of vaccine
                manufacturers.

                - Format: online sessions
                - Registration: free

                *Demo note: the dates of this edition are not in our sources; the dates shown are
                approximate, for the demo. The sessions listed are demo content.*
            """),
            format=ONLINE, first_day=d(2023, 9, 12), last_day=d(2023, 10, 12),
            product_areas=["vaccines"],
            sessions=_online(
                (d(2023, 9, 12), "Quality risk management in practice", "quality-risk-management"),
                (d(2023, 9, 21), "Upstream and downstream processing", "upstream-downstream-processing"),
                (d(2023, 9, 28), "Bio-analytical methods in the QC laboratory", "bioanalytical-methods"),
                (d(2023, 10, 5), "Process validation for vaccines", "process-validation"),
                (d(2023, 10, 12), "Cold chain and temperature-sensitive supply", "cold-chain"),
            ),
        ),
        DemoEvent(
            slug="virtual-cgmp-training-marathon-2024",
            programme="virtual-cgmp-training-marathon",
            title="Virtual cGMP Training Marathon 2024 — Institutionalizing Compliance and Continued Improvement",
            summary="Online from 10 September to 10 October 2024: about 1,550 participants on average from about 90 countries.",
            description=_md("""
                The 2024 Marathon, **Institutionalizing Compliance and Continued Improvement**, ran
                online from 10 September to 10 October 2024.

                About 1,550 participants on average followed the sessions, from about 90 countries.

                - Format: online sessions
                - Registration: free

                *Demo note: the sessions listed are demo content; the real agenda is not in our
                sources.*
            """),
            format=ONLINE, first_day=d(2024, 9, 10), last_day=d(2024, 10, 10),
            participants_count=1550, countries_count=90,
            outcome_note="about 1,550 participants on average from about 90 countries",
            sessions=_online(
                (d(2024, 9, 10), "Institutionalizing the quality management system", "quality-management-systems"),
                (d(2024, 9, 19), "Supplier qualification and material management", "supplier-qualification"),
                (d(2024, 9, 26), "Documentation: the site master file and the CTD", "documentation"),
                (d(2024, 10, 3), "CAPA effectiveness and continued improvement", "capa-investigation-management"),
                (d(2024, 10, 10), "Preparing for WHO prequalification", "prequalification-emergency-use-listing"),
            ),
        ),
        DemoEvent(
            slug="virtual-cgmp-training-marathon-2025",
            programme="virtual-cgmp-training-marathon",
            title="Virtual cGMP Training Marathon 2025 — Building Blocks for Sustained Excellence",
            summary="Eight online sessions over four weeks, from 9 September to 2 October 2025.",
            description=_md("""
                The 2025 Marathon, **Building Blocks for Sustained Excellence**, ran online from
                9 September to 2 October 2025: 8 sessions over 4 weeks.

                - Format: online sessions, two a week
                - Sessions: 8
                - Registration: free

                *Demo note: the session titles are demo content; the real agenda is not in our
                sources.*
            """),
            format=ONLINE, first_day=d(2025, 9, 9), last_day=d(2025, 10, 2),
            sessions=_twice_weekly(
                d(2025, 9, 9),
                ("The pharmaceutical quality system as a building block", "quality-management-systems"),
                ("Quality risk management", "quality-risk-management"),
                ("Premises and facility design", "premises-facility-design"),
                ("Utilities: water systems and HVAC", "utilities-water-hvac"),
                ("Equipment qualification", "equipment-qualification"),
                ("Process validation", "process-validation"),
                ("Data integrity", "data-integrity"),
                ("Technology transfer", "technology-transfer"),
            ),
        ),
        DemoEvent(
            slug="week-of-quality-2023",
            programme="week-of-quality",
            title="Week of Quality 2023 — On the origin of specifications",
            summary="Five days online, 12–16 June 2023, on where specifications come from, with tracks for vaccines, medicines and IVDs: participants from about 90 countries.",
            description=_md("""
                The 2023 Week of Quality, **On the origin of specifications**, ran online from 12 to
                16 June 2023, with financial support from the Bill & Melinda Gates Foundation.

                It had separate tracks for:

                - vaccines;
                - medicines;
                - in vitro diagnostics (IVDs).

                Participants joined from about 90 countries.

                *Demo note: the sessions listed are demo content; the real agenda is not in our
                sources.*
            """),
            format=ONLINE, first_day=d(2023, 6, 12), last_day=d(2023, 6, 16),
            countries_count=90, outcome_note="participants from about 90 countries",
            audiences=WEEK_OF_QUALITY_AUDIENCES,
            product_areas=["medicines", "vaccines", "diagnostics"],
            topics=["specifications-control-strategy", "cmc"],
            partners=[GATES],
            sessions=_online(
                (d(2023, 6, 12), "Where specifications come from", "specifications-control-strategy"),
                (d(2023, 6, 13), "Vaccines track: specifications and control strategy", "specifications-control-strategy"),
                (d(2023, 6, 14), "Medicines track: CMC and specifications", "cmc"),
                (d(2023, 6, 15), "IVDs track: design validation and specifications", "ivd-design-validation"),
                (d(2023, 6, 16), "From specifications to release", "qc-laboratory-compliance"),
            ),
        ),
        DemoEvent(
            slug="week-of-quality-2024",
            programme="week-of-quality",
            title="Week of Quality 2024",
            summary="The 2024 edition of the Week of Quality. Its details are not in our sources: the dates shown are placeholders for the demo.",
            description=_md("""
                An edition of the Week of Quality took place in 2024, with financial support from the
                Bill & Melinda Gates Foundation.

                *Demo note: its dates, theme, agenda and figures are not in our sources. The dates
                shown are placeholders for the demo.*
            """),
            format=ONLINE, first_day=d(2024, 6, 10), last_day=d(2024, 6, 14),
            audiences=WEEK_OF_QUALITY_AUDIENCES,
            product_areas=["medicines", "vaccines", "diagnostics"],
            partners=[GATES],
        ),
        DemoEvent(
            slug="regional-training-workshop-bangkok-2019",
            programme="regional-training-workshops",
            title="Regional training workshop — Bangkok, Thailand",
            summary="A hands-on workshop for manufacturers and regulators in the South-East Asia Region, Bangkok, 26–28 November 2019: over 90 participants.",
            description=_md("""
                A three-day, in-person, hands-on workshop for manufacturers and regulators, held in
                Bangkok, Thailand, from 26 to 28 November 2019. Over 90 participants took part.

                - Region: South-East Asia Region (SEARO)
                - Format: in person

                *Demo note: the agenda and the venue are not in our sources; the daily times shown
                are indicative.*
            """),
            format=IN_PERSON, first_day=d(2019, 11, 26), last_day=d(2019, 11, 28),
            hours=("09:00", "17:00"), time_zone="Asia/Bangkok",
            region="SEARO", country="TH", city="Bangkok",
            registration_mode=APPROVAL,
            participants_count=90, outcome_note="over 90 participants",
            audiences=WORKSHOP_AUDIENCES,
        ),
        DemoEvent(
            slug="regional-training-workshop-kathmandu-2024",
            programme="regional-training-workshops",
            title="Regional training workshop — Kathmandu, Nepal",
            summary="A hands-on workshop with Nepal's Department of Drug Administration, Kathmandu, 21–23 May 2024: over 65 participants.",
            description=_md("""
                A three-day, in-person, hands-on workshop for manufacturers and regulators, held in
                Kathmandu, Nepal, from 21 to 23 May 2024 with the national Department of Drug
                Administration. Over 65 participants took part.

                - Region: South-East Asia Region (SEARO)
                - Partner: Department of Drug Administration, Nepal
                - Format: in person

                *Demo note: the agenda and the venue are not in our sources; the daily times shown
                are indicative.*
            """),
            format=IN_PERSON, first_day=d(2024, 5, 21), last_day=d(2024, 5, 23),
            hours=("09:00", "17:00"), time_zone="Asia/Kathmandu",
            region="SEARO", country="NP", city="Kathmandu",
            registration_mode=APPROVAL,
            participants_count=65, outcome_note="over 65 participants",
            audiences=WORKSHOP_AUDIENCES,
            partners=[NEPAL_DDA],
        ),
        DemoEvent(
            slug="regional-training-workshop-addis-ababa-2025",
            programme="regional-training-workshops",
            title="Regional training workshop — Addis Ababa, Ethiopia",
            summary="A hands-on workshop in Addis Ababa, 22–23 July 2025: 26 participants from 7 East African Community states.",
            description=_md("""
                A two-day, in-person, hands-on workshop held in Addis Ababa, Ethiopia, on 22 and
                23 July 2025. It brought together 26 participants from 7 East African Community
                states.

                - Region: African Region (AFRO)
                - Format: in person

                *Demo note: the agenda and the venue are not in our sources; the daily times shown
                are indicative.*
            """),
            format=IN_PERSON, first_day=d(2025, 7, 22), last_day=d(2025, 7, 23),
            hours=("09:00", "17:00"), time_zone="Africa/Addis_Ababa",
            region="AFRO", country="ET", city="Addis Ababa",
            registration_mode=APPROVAL,
            participants_count=26, countries_count=7,
            outcome_note="26 participants from 7 East African Community states",
            audiences=WORKSHOP_AUDIENCES,
        ),
    ]  # fmt: skip


def _demo_editions(today: date) -> list[DemoEvent]:
    """Made-up upcoming editions (plus a cancelled one and a draft), dated from `today`."""
    open_since = _midnight(today - timedelta(days=7))

    marathon = _next_yearly(today, month=9, weekday=TUESDAY, lead_days=21)
    marathon_sessions = _twice_weekly(
        marathon,
        ("Specifications and control strategy", "specifications-control-strategy"),
        ("CMC for vaccine dossiers", "cmc"),
        ("Aseptic processing and sterility assurance", "sterile-manufacturing-aseptic-processing"),
        (
            "Cleaning validation and contamination control",
            "cleaning-validation-contamination-control",
        ),
        ("Bio-analytical methods", "bioanalytical-methods"),
        ("Supplier qualification and material management", "supplier-qualification"),
        ("Temperature-sensitive supply chains", "cold-chain"),
        (
            "WHO prequalification and emergency use listing",
            "prequalification-emergency-use-listing",
        ),
    )
    week_of_quality = _next_yearly(today, month=6, weekday=MONDAY, lead_days=60)
    nairobi = _next_weekday(today + timedelta(days=70), TUESDAY)
    cairo = _next_weekday(today + timedelta(days=35), TUESDAY)
    cancelled = _next_weekday(today + timedelta(days=49), THURSDAY)
    manila = _next_weekday(today + timedelta(days=150), TUESDAY)

    return [
        DemoEvent(
            slug="virtual-cgmp-training-marathon-demo",
            programme="virtual-cgmp-training-marathon",
            title=f"Virtual cGMP Training Marathon {marathon.year} (demo)",
            summary="A demo edition of the Marathon: eight online sessions, two a week over four weeks. Registration is open.",
            description=_md("""
                *This edition is demo content: it shows how an upcoming Marathon looks on the portal.*

                Eight online sessions, two a week over four weeks, from 13:00 to 15:00 Geneva time.
                Each session combines a presentation with questions and answers.

                - Free; registration required
                - For manufacturers, national regulatory authorities and ministries
                - The meeting link is sent to registered participants
            """),
            format=ONLINE, first_day=marathon, last_day=marathon_sessions[-1][0],
            registration_opens=open_since,
            registration_closes=_local(marathon_sessions[-1][0], "15:00", GENEVA),
            meeting_url="https://meeting.lpa-portal.example/demo-marathon",
            product_areas=["vaccines", "medicines"],
            sessions=marathon_sessions, session_note=DEMO_SESSION_NOTE,
        ),
        DemoEvent(
            slug="week-of-quality-demo",
            programme="week-of-quality",
            title="Week of Quality (demo edition)",
            summary="A demo edition of the Week of Quality, online, with tracks for vaccines, medicines and IVDs. Registration opens soon.",
            description=_md("""
                *This edition is demo content: it shows an event whose registration has not opened yet.*

                Five days online, one session a day, with tracks for:

                - vaccines;
                - medicines;
                - in vitro diagnostics (IVDs).
            """),
            format=ONLINE, first_day=week_of_quality, last_day=week_of_quality + timedelta(days=4),
            registration_opens=_midnight(week_of_quality - timedelta(days=42)),
            registration_closes=_local(week_of_quality + timedelta(days=4), "15:00", GENEVA),
            meeting_url="https://meeting.lpa-portal.example/demo-week-of-quality",
            audiences=WEEK_OF_QUALITY_AUDIENCES,
            product_areas=["medicines", "vaccines", "diagnostics"],
            partners=[GATES],
            sessions=_online(
                (week_of_quality, "Opening: quality by design (demo)", "specifications-control-strategy"),
                (week_of_quality + timedelta(days=1), "Vaccines track (demo)", "vaccine-technology-platforms"),
                (week_of_quality + timedelta(days=2), "Medicines track (demo)", "cmc"),
                (week_of_quality + timedelta(days=3), "IVDs track (demo)", "ivd-design-validation"),
                (week_of_quality + timedelta(days=4), "Closing: from development to release (demo)", "qc-laboratory-compliance"),
            ),
            session_note=DEMO_SESSION_NOTE,
        ),
        DemoEvent(
            slug="regional-training-workshop-demo-nairobi",
            programme="regional-training-workshops",
            title="Regional training workshop (demo) — Nairobi, Kenya",
            summary="A demo in-person workshop for manufacturers and regulators in the African Region: 26 places, approval required.",
            description=_md("""
                *This workshop is demo content, and so are the partners listed: it shows an in-person
                event with a limited number of places.*

                Three days of hands-on work on cleaning validation and process validation, in English
                and French.

                - 26 places; each registration is approved by the organizers
                - For manufacturers and national regulatory authorities
                - Venue and directions are sent with the confirmation
            """),
            format=IN_PERSON, first_day=nairobi, last_day=nairobi + timedelta(days=2),
            hours=("09:00", "17:00"), time_zone="Africa/Nairobi",
            region="AFRO", country="KE", city="Nairobi", venue="Venue to be confirmed (demo)",
            registration_mode=APPROVAL, capacity=26,
            registration_opens=open_since,
            registration_closes=_midnight(nairobi - timedelta(days=21)),
            audiences=WORKSHOP_AUDIENCES,
            product_areas=["medicines"],
            languages=["en", "fr"],
            partners=["Global Fund", "UNICEF"],
            sessions=[
                (nairobi, "09:00", "17:00", "Cleaning validation: principles and practice (demo)", "cleaning-validation-contamination-control"),
                (nairobi + timedelta(days=1), "09:00", "17:00", "Process validation: hands-on case study (demo)", "process-validation"),
                (nairobi + timedelta(days=2), "09:00", "17:00", "Equipment qualification on the shop floor (demo)", "equipment-qualification"),
            ],
            session_note=DEMO_SESSION_NOTE,
        ),
        DemoEvent(
            slug="cgxp-training-demo-data-integrity",
            programme="cgxp-trainings",
            title="cGxP training (demo): data integrity",
            summary="A demo two-day training on data integrity, in Cairo and online.",
            description=_md("""
                *This training is demo content: it shows a hybrid event.*

                Two days on data integrity in manufacturing and in the QC laboratory. Join in Cairo
                or online.

                - Day 1: principles and the data life cycle
                - Day 2: audit trails and computerized systems
            """),
            format=HYBRID, first_day=cairo, last_day=cairo + timedelta(days=1),
            hours=("09:00", "16:00"), time_zone="Africa/Cairo",
            region="EMRO", country="EG", city="Cairo", venue="Venue to be confirmed (demo)",
            registration_opens=open_since,
            registration_closes=_midnight(cairo - timedelta(days=3)),
            capacity=60,
            meeting_url="https://meeting.lpa-portal.example/demo-data-integrity",
            audiences=WORKSHOP_AUDIENCES,
            product_areas=["medicines", "vaccines"],
            sessions=[
                (cairo, "09:00", "16:00", "Data integrity principles and the data life cycle (demo)", "data-integrity"),
                (cairo + timedelta(days=1), "09:00", "16:00", "Audit trails and computerized systems (demo)", "data-integrity"),
            ],
            session_note=DEMO_SESSION_NOTE,
        ),
        DemoEvent(
            slug="cgxp-training-demo-cleaning-validation-cancelled",
            programme="cgxp-trainings",
            title="cGxP training (demo): cleaning validation",
            summary="A demo online training that has been cancelled.",
            description=_md("""
                *This training is demo content: it shows how a cancelled event looks.*

                A two-hour online session on cleaning validation.
            """),
            format=ONLINE, first_day=cancelled, last_day=cancelled,
            status=CANCELLED,
            audiences=WORKSHOP_AUDIENCES,
            product_areas=["medicines"],
            topics=["cleaning-validation-contamination-control"],
        ),
        DemoEvent(
            slug="regional-training-workshop-demo-manila-draft",
            programme="regional-training-workshops",
            title="Regional training workshop (demo draft) — Manila, Philippines",
            summary="A demo draft, not yet published: only staff can see it.",
            description=_md("""
                *This workshop is demo content: a draft that staff can preview before it is published.*

                Three days on technology transfer for manufacturers and regulators.
            """),
            format=IN_PERSON, first_day=manila, last_day=manila + timedelta(days=2),
            hours=("09:00", "17:00"), time_zone="Asia/Manila",
            region="WPRO", country="PH", city="Manila",
            status=DRAFT, registration_mode=APPROVAL, capacity=30,
            audiences=WORKSHOP_AUDIENCES,
            topics=["technology-transfer"],
        ),
    ]  # fmt: skip


class _Lookups:
    """The rows the events link to, each read once."""

    def __init__(self):
        self.programmes = Programme.objects.in_bulk(field_name="slug")
        self.partners = Partner.objects.in_bulk(field_name="name")
        self.speakers = list(Speaker.objects.filter(name__in=[s[0] for s in SPEAKERS]))
        self.topics = Topic.objects.in_bulk(field_name="slug")
        self.audiences = Audience.objects.in_bulk(field_name="code")
        self.product_areas = ProductArea.objects.in_bulk(field_name="code")
        self.languages = Language.objects.in_bulk(field_name="code")
        self.resources = Resource.objects.in_bulk(field_name="slug")
        self.resources_by_topic: dict[int, list[Resource]] = {}
        for resource in Resource.objects.published().prefetch_related("topics"):
            for topic in resource.topics.all():
                self.resources_by_topic.setdefault(topic.pk, []).append(resource)


def _create_event(spec: DemoEvent, lookups: _Lookups, now: datetime) -> None:
    start = _local(spec.first_day, spec.hours[0], spec.time_zone)
    published_at = None
    if spec.status != DRAFT:
        published_at = min(now, start - timedelta(weeks=8))
        if spec.registration_opens:
            published_at = min(published_at, spec.registration_opens)
    event = Event.objects.create(
        programme=lookups.programmes[spec.programme],
        slug=spec.slug,
        title=spec.title,
        edition_year=spec.first_day.year,
        summary=spec.summary,
        description=spec.description,
        format=spec.format,
        region=spec.region,
        country=spec.country,
        city=spec.city,
        venue=spec.venue,
        time_zone=spec.time_zone,
        start=start,
        end=_local(spec.last_day, spec.hours[1], spec.time_zone),
        registration_opens=spec.registration_opens,
        registration_closes=spec.registration_closes,
        capacity=spec.capacity,
        registration_mode=spec.registration_mode,
        status=spec.status,
        meeting_url=spec.meeting_url,
        participants_count=spec.participants_count,
        countries_count=spec.countries_count,
        outcome_note=spec.outcome_note,
        published_at=published_at,
    )
    topic_slugs = dict.fromkeys([*spec.topics, *(session[4] for session in spec.sessions)])
    event.topics.set([lookups.topics[slug] for slug in topic_slugs])
    event.audiences.set([lookups.audiences[code] for code in spec.audiences])
    event.product_areas.set([lookups.product_areas[code] for code in spec.product_areas])
    event.languages.set([lookups.languages[code] for code in spec.languages])
    event.partners.set([lookups.partners[name] for name in spec.partners])
    event.materials.set([lookups.resources[slug] for slug in spec.materials])

    speakers = lookups.speakers
    for index, (day, begins, ends, title, topic_slug) in enumerate(spec.sessions):
        topic = lookups.topics[topic_slug]
        session = Session.objects.create(
            event=event,
            title=title,
            start=_local(day, begins, spec.time_zone),
            end=_local(day, ends, spec.time_zone),
            topic=topic,
            description=spec.session_note,
        )
        # One or two demo speakers each, in turn, so that every demo speaker has sessions.
        session.speakers.set(
            [speakers[index % len(speakers)], speakers[(index + 1) % len(speakers)]][
                : 1 + index % 2
            ]
        )
        session.resources.set(lookups.resources_by_topic.get(topic.pk, []))


def seed_demo_events() -> dict[str, int]:
    """Create the programmes, partners, demo speakers, the real past events and the demo
    editions (idempotent: rows are found by slug or name and never changed once there).

    Needs the topics and resources of `repository.demo.seed_demo_repository()`.
    """
    for order, (slug, name, summary, description) in enumerate(PROGRAMMES):
        Programme.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "summary": summary,
                "description": description,
                "order": order,
                "is_flagship": slug in FLAGSHIPS,
            },
        )
    for name in PARTNERS:
        Partner.objects.get_or_create(name=name)
    for name, title, organisation in SPEAKERS:
        Speaker.objects.get_or_create(
            name=name,
            defaults={
                "title": title,
                "organisation": organisation,
                "bio": "A fictitious speaker of the demo content.",
            },
        )

    now = timezone.now()
    existing = set(Event.objects.values_list("slug", flat=True))
    specs = [spec for spec in _history() + _demo_editions(now.date()) if spec.slug not in existing]
    if specs:
        lookups = _Lookups()
        for spec in specs:
            _create_event(spec, lookups, now)

    _seed_registrations(now)
    _seed_marathon_reach()
    return {
        "programmes": Programme.objects.count(),
        "partners": Partner.objects.count(),
        "speakers": Speaker.objects.count(),
        "events": Event.objects.count(),
        "sessions": Session.objects.count(),
        "registrations": Registration.objects.count(),
        "certificates": Certificate.objects.count(),
    }


FULL_EVENT_SLUG = "hands-on-clinic-demo-aseptic-gowning-full"
PAST_EVENT_SLUG = "virtual-cgmp-training-marathon-2025"


def _register(event: Event, user: User, status: str, when: datetime) -> Registration:
    """A demo registration as the registration service would have written it, without emails."""
    registration = Registration.objects.create(
        event=event,
        user=user,
        status=status,
        **registration_profile_snapshot(user=user),
        consent_at=when,
        created_at=when,
        waitlisted_at=when if status == Registration.Status.WAITLISTED else None,
    )
    RegistrationStatusChange.objects.create(
        registration=registration,
        to_status=status,
        changed_by=user,
        reason="registered",
        created_at=when,
    )
    return registration


def _seed_registrations(now: datetime) -> None:
    """Demo registrations: a small event that is full with people waiting, and a past Marathon
    with attendance and certificates. Created once; later runs leave them as they are."""
    users = list(User.objects.filter(email__endswith="@demo.example").order_by("email"))
    if not users:
        return
    programme = Programme.objects.get(slug="cgxp-trainings")
    start = _midnight(now.date() + timedelta(days=40)) + timedelta(hours=13)
    full, created = Event.objects.get_or_create(
        slug=FULL_EVENT_SLUG,
        defaults={
            "programme": programme,
            "title": "Hands-on clinic (demo): aseptic gowning — full, with a waiting list",
            "edition_year": start.year,
            "summary": "A demo online clinic with four places, to show a full event and its waiting list.",
            "description": "*This event is demo content.*",
            "format": Event.Format.ONLINE,
            "region": Event.GLOBAL,
            "time_zone": "Europe/Zurich",
            "start": start,
            "end": start + timedelta(hours=2),
            "capacity": 4,
            "registration_mode": Event.RegistrationMode.OPEN,
            "meeting_url": "https://meeting.lpa-portal.example/demo-gowning-clinic",
            "status": Event.Status.PUBLISHED,
            "published_at": now,
        },
    )
    if created:
        Session.objects.create(
            event=full,
            title="Gowning for grade A/B cleanrooms (demo)",
            start=full.start,
            end=full.end,
        )
        for position, user in enumerate(users[:7]):
            status = (
                Registration.Status.CONFIRMED if position < 4 else Registration.Status.WAITLISTED
            )
            _register(full, user, status, now - timedelta(hours=10 - position))
        # A draft to preview in the admin (Messages to registrants); the demo sends nothing.
        Message.objects.create(
            event=full,
            recipients=Message.Recipients.WAITLISTED,
            subject="Places may free up before the clinic (demo)",
            body=(
                "Thank you for your patience. Places often free up in the last week: if one "
                "does, it goes to the next person on the list and you get an email at once.\n\n"
                "*This message is demo content.*"
            ),
        )

    past = Event.objects.filter(slug=PAST_EVENT_SLUG).first()
    if past is None or Registration.objects.filter(event=past).exists():
        return
    past.sessions_required = 6
    past.save(update_fields=["sessions_required"])
    registrations = [
        _register(past, user, Registration.Status.CONFIRMED, past.start - timedelta(days=20 - n))
        for n, user in enumerate(users)
    ]
    # Most attended every session, some only a few: those get no certificate. Only sessions
    # that have started have attendance (a demo loaded before the Marathon has none yet).
    sessions = list(past.sessions.started(now).order_by("start"))
    if sessions:
        attendance_mark(registrations=registrations[:6], sessions=sessions)
        attendance_mark(registrations=registrations[6:], sessions=sessions[:3])


# Made-up participants of the 2023 and 2024 Marathons, so that the reach reports have two
# editions to compare. They are not the real participants (the event pages give the real
# figures), have demo names and cannot sign in.
REACH_DOMAIN = "participants.demo.example"
REACH_COUNTRIES = [
    "KE", "GH", "NG", "SN", "ET", "TZ", "UG", "ZA", "CM", "RW", "CI", "ZM",  # AFRO
    "IN", "NP", "BD", "LK", "TH",  # SEARO
    "EG", "PK", "JO", "MA",  # EMRO
    "BR", "BO", "MX", "PE",  # AMRO
    "PH", "VN", "ID",  # WPRO
    "UA", "KZ",  # EURO
]  # fmt: skip
# Marathon -> the demo participants who registered (a range of their numbers): 14 of them
# took part in both years.
REACH_EDITIONS = {
    "virtual-cgmp-training-marathon-2023": range(0, 24),
    "virtual-cgmp-training-marathon-2024": range(10, 60),
}


def _reach_participant(number: int) -> User:
    email = f"participant-{number + 1:02d}@{REACH_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        kinds = list(OrganisationType)
        user = User(
            email=email,
            full_name=f"Demo participant {number + 1}",
            organisation=f"Demo organisation {number + 1} (demo)",
            organisation_type=kinds[number % len(kinds)],
            job_title="Quality professional (demo)",
            country=REACH_COUNTRIES[number % len(REACH_COUNTRIES)],
            privacy_accepted_at=timezone.now(),
        )
        user.set_unusable_password()
        user.save()
    return user


def _seed_marathon_reach() -> None:
    """Registrations and attendance of made-up participants for two past Marathons: most
    attended enough sessions for a certificate, a few attended one or none. Created once."""
    for slug, numbers in REACH_EDITIONS.items():
        event = Event.objects.filter(slug=slug).first()
        if event is None or Registration.objects.filter(event=event).exists():
            continue
        sessions = list(event.sessions.started().order_by("start"))
        event.sessions_required = max(event.sessions.count() // 2, 1)
        event.save(update_fields=["sessions_required"])
        registrations = [
            _register(
                event,
                _reach_participant(number),
                Registration.Status.CONFIRMED,
                event.start - timedelta(days=30 - position % 30),
            )
            for position, number in enumerate(numbers)
        ]
        if sessions:
            attendance_mark(registrations=registrations[:-5], sessions=sessions)
            attendance_mark(registrations=registrations[-5:-2], sessions=sessions[:1])
