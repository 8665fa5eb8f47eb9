"""Demo accounts for a local run (`manage.py seed_demo`). Every address is under .example."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.groups import CONTENT_EDITORS, EVENT_MANAGERS
from accounts.models import OrganisationType, User

DEMO_STAFF_EMAIL = "staff@lpa-portal.example"
DEMO_STAFF_PASSWORD = "lpa-demo-staff"  # noqa: S105 - a published demo credential
DEMO_USER_PASSWORD = "lpa-demo-user"  # noqa: S105 - a published demo credential

# (email, full name, organisation, type, job title, country, language); names are demo-only.
DEMO_USERS = [
    ("amina.manufacturer@demo.example", "Amina Demo", "Demo Pharma Ltd (demo)", OrganisationType.MANUFACTURER, "Head of quality assurance", "KE", "en"),
    ("kwame.manufacturer@demo.example", "Kwame Demo", "Demo Vaccines Plc (demo)", OrganisationType.MANUFACTURER, "Production manager", "GH", "en"),
    ("priya.manufacturer@demo.example", "Priya Demo", "Demo Biologicals (demo)", OrganisationType.MANUFACTURER, "Validation engineer", "IN", "en"),
    ("fatou.regulator@demo.example", "Fatou Demo", "Demo National Medicines Agency (demo)", OrganisationType.REGULATOR, "GMP inspector", "SN", "fr"),
    ("bikash.regulator@demo.example", "Bikash Demo", "Demo Drug Administration (demo)", OrganisationType.REGULATOR, "Senior drug administrator", "NP", "en"),
    ("lucia.government@demo.example", "Lucía Demo", "Demo Ministry of Health (demo)", OrganisationType.GOVERNMENT, "Pharmaceutical policy adviser", "BO", "en"),
    ("jean.academia@demo.example", "Jean Demo", "Demo University School of Pharmacy (demo)", OrganisationType.ACADEMIA, "Lecturer", "CM", "fr"),
    ("somchai.partner@demo.example", "Somchai Demo", "Demo Development Partner (demo)", OrganisationType.PARTNER, "Programme officer", "TH", "en"),
    ("ana.other@demo.example", "Ana Demo", "Demo Consultancy (demo)", OrganisationType.OTHER, "Consultant", "PH", "en"),
]  # fmt: skip

DEMO_STAFF = [
    ("events@lpa-portal.example", "Demo Event Manager", EVENT_MANAGERS),
    ("content@lpa-portal.example", "Demo Content Editor", CONTENT_EDITORS),
]  # fmt: skip


def _ensure_user(email: str, password: str, **fields) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, privacy_accepted_at=timezone.now(), **fields)
        user.set_password(password)
        user.save()
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed_demo_accounts() -> dict[str, int]:
    """Create the demo staff, the demo staff of each group and demo users (idempotent)."""
    _ensure_user(
        DEMO_STAFF_EMAIL,
        DEMO_STAFF_PASSWORD,
        full_name="Demo Staff (LPA)",
        organisation="WHO Local Production & Assistance Unit (demo account)",
        organisation_type=OrganisationType.OTHER,
        country="CH",
        is_staff=True,
        is_superuser=True,
    )
    for email, name, group_name in DEMO_STAFF:
        staff = _ensure_user(
            email,
            DEMO_STAFF_PASSWORD,
            full_name=name,
            organisation="WHO Local Production & Assistance Unit (demo account)",
            organisation_type=OrganisationType.OTHER,
            country="CH",
            is_staff=True,
        )
        staff.groups.add(Group.objects.get(name=group_name))
    for email, name, organisation, kind, job, country, language in DEMO_USERS:
        _ensure_user(
            email,
            DEMO_USER_PASSWORD,
            full_name=name,
            organisation=organisation,
            organisation_type=kind,
            job_title=job,
            country=country,
            preferred_language=language,
            is_verified_regulator=kind == OrganisationType.REGULATOR,
        )
    return {"users": User.objects.count()}
