from datetime import date, timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import OrganisationType, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    organisation = factory.Faker("company")
    organisation_type = OrganisationType.MANUFACTURER
    job_title = "Quality assurance manager"
    country = "KE"
    preferred_language = "en"
    privacy_accepted_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):
        if create:
            obj.save()
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "repository.Topic"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "events.Programme"
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")
    summary = "A programme of trainings."


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "events.Event"

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Training event {n}")
    slug = factory.Sequence(lambda n: f"training-event-{n}")
    edition_year = factory.LazyAttribute(lambda o: o.start.year)
    summary = "A training on good manufacturing practices."
    format = "online"
    region = "GLOBAL"
    # Geneva keeps Swiss time; the IANA database has no Europe/Geneva.
    time_zone = "Europe/Zurich"
    start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    end = factory.LazyAttribute(lambda o: o.start + timedelta(days=2))
    status = "published"
    published_at = factory.LazyFunction(timezone.now)


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "events.Speaker"

    name = factory.Sequence(lambda n: f"Speaker {n}")
    organisation = "Example Agency"


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "events.Session"

    event = factory.SubFactory(EventFactory)
    title = factory.Sequence(lambda n: f"Session {n}")
    start = factory.LazyAttribute(lambda o: o.event.start)
    end = factory.LazyAttribute(lambda o: o.start + timedelta(hours=2))


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "events.Registration"

    event = factory.SubFactory(EventFactory)
    user = factory.SubFactory(UserFactory)
    status = "confirmed"
    consent_at = factory.LazyFunction(timezone.now)
    full_name = factory.LazyAttribute(lambda o: o.user.full_name)
    organisation = factory.LazyAttribute(lambda o: o.user.organisation)
    organisation_type = factory.LazyAttribute(lambda o: o.user.organisation_type)
    country = factory.LazyAttribute(lambda o: o.user.country)
    who_region = factory.LazyAttribute(lambda o: o.user.who_region)
    waitlisted_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == "waitlisted" else None
    )


class ResourceFactory(factory.django.DjangoModelFactory):
    """A published, public guidance document."""

    class Meta:
        model = "repository.Resource"

    title = factory.Sequence(lambda n: f"Guidance document {n}")
    slug = factory.Sequence(lambda n: f"guidance-document-{n}")
    kind = "guidance"
    summary = "Guidance for manufacturers of medical products."
    status = "published"
    access_level = 0
    publication_date = factory.Sequence(lambda n: date(2020, 1, 1) + timedelta(days=n))
    date_precision = "day"
    published_at = factory.LazyFunction(timezone.now)


# A few bytes that look like a PDF to anything that sniffs the first line.
SMALL_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


class ResourceFileFactory(factory.django.DjangoModelFactory):
    """An uploaded PDF in English; `ResourceFileFactory(link=True)` for a link elsewhere."""

    class Meta:
        model = "repository.ResourceFile"

    class Params:
        link = factory.Trait(
            file="",
            external_url="https://www.who.int/publications/i/item/example",
            mime_type="",
            size=None,
            page_count=None,
        )

    resource = factory.SubFactory(ResourceFactory)
    language = "en"
    file = factory.django.FileField(filename="document.pdf", data=SMALL_PDF)
    mime_type = "application/pdf"
    size = len(SMALL_PDF)
    page_count = 1


class QAItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "repository.QAItem"

    resource = factory.SubFactory(ResourceFactory, kind="qa_report")
    number = factory.Sequence(lambda n: n + 1)
    question = factory.Sequence(lambda n: f"Question {n} about good practice?")
    answer = "The answer, as given by the speakers."
