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
