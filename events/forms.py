"""Forms of the registrant pages: they only validate input; the rules are in services."""

from django import forms
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.content_languages import marked, translated, translation_columns
from events.models import AlertSubscription, Event, Programme, Question
from repository.models import ProductArea, Region, Topic


class RegistrationForm(forms.Form):
    """The event's own questions, the consent, and an invitation code where one is needed."""

    invitation_code = forms.CharField(
        label=_("Invitation code"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that the organisers use my profile and answers to run this event and to "
            "report anonymous figures on it."
        ),
        error_messages={"required": _("Please agree to the use of your data for this event.")},
    )

    def __init__(self, *args, event: Event, questions: list[Question], **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.questions = questions
        if event.registration_mode == Event.RegistrationMode.INVITATION:
            self.fields["invitation_code"].required = True
        else:
            del self.fields["invitation_code"]
        fields = {}
        for question in questions:
            fields[f"q{question.pk}"] = _question_field(question)
        # The event's questions come first, then the code and the consent.
        self.fields = {**fields, **self.fields}

    def answers(self) -> dict[str, object]:
        """Answers keyed by question id, with the question's label kept beside each one."""
        return {
            str(question.pk): {
                "question": question.label,
                "answer": self.cleaned_data.get(f"q{question.pk}"),
            }
            for question in self.questions
        }


def _question_field(question: Question) -> forms.Field:
    common = {
        "label": marked(translated(question, "label")),
        "help_text": marked(translated(question, "help_text")),
        "required": question.required,
    }
    kind = Question.Kind
    if question.kind == kind.SHORT_TEXT:
        return forms.CharField(max_length=300, **common)
    if question.kind == kind.LONG_TEXT:
        return forms.CharField(max_length=3000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    if question.kind == kind.YES_NO:
        return forms.TypedChoiceField(
            choices=[("yes", _("Yes")), ("no", _("No"))],
            widget=forms.RadioSelect,
            coerce=lambda value: value == "yes",
            empty_value=None,
            **common,
        )
    choices = question.choice_options()
    if question.kind == kind.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        max_length=300,
        required=False,
        help_text=_("It helps the organisers plan the next editions."),
    )


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Overall, how useful was the event?"),
        choices=[
            (5, _("5 – very useful")),
            (4, _("4")),
            (3, _("3")),
            (2, _("2")),
            (1, _("1 – not useful")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    most_useful_session = forms.ModelChoiceField(
        label=_("Which session was the most useful to you?"),
        queryset=None,
        required=False,
        empty_label=_("No answer"),
    )
    topics_wanted = forms.CharField(
        label=_("Which topics would you like next?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    comments = forms.CharField(
        label=_("Other comments"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["most_useful_session"].queryset = event.sessions.all()


class CertificateLookupForm(forms.Form):
    code = forms.CharField(
        label=_("Certificate code"),
        max_length=20,
        help_text=_("As printed on the certificate, e.g. ABCD-2345-EFGH."),
    )


class _ProgrammeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return translated(obj, "name").value


class _TopicChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        # Narrower topics come after their broad topic and say which one it is.
        name = translated(obj, "name").value
        return f"{translated(obj.parent, 'name').value} › {name}" if obj.parent_id else name


class AlertSubscriptionForm(forms.Form):
    """What an alert follows; every list left empty means any."""

    CONTENT_CHOICES = [("events", _("New events")), ("resources", _("New resources"))]

    content = forms.MultipleChoiceField(
        label=_("Tell me about"),
        choices=CONTENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose new events, new resources or both.")},
    )
    programmes = _ProgrammeChoiceField(
        label=_("Programmes"),
        queryset=Programme.objects.only(
            "pk", "name", *translation_columns(Programme, "name")
        ).order_by("order", "name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "None ticked: any programme. A resource belongs to a programme when its events use it."
        ),
    )
    topics = _TopicChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.select_related("parent").order_by(
            Coalesce("parent__order", "order"),
            Coalesce("parent__name", "name"),
            F("parent").asc(nulls_first=True),
            "order",
            "name",
        ),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: any topic. A broad topic includes its narrower topics."),
    )
    regions = forms.ModelMultipleChoiceField(
        label=_("WHO regions"),
        queryset=Region.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "None ticked: any region. Global events and resources for every region are "
            "always included."
        ),
    )
    product_areas = forms.ModelMultipleChoiceField(
        label=_("Product areas"),
        queryset=ProductArea.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: any product area."),
    )
    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=AlertSubscription.Frequency.choices,
        initial=AlertSubscription.Frequency.IMMEDIATE,
        widget=forms.RadioSelect,
    )

    @classmethod
    def initial_for(cls, subscription: AlertSubscription) -> dict:
        content = [
            name
            for name, chosen in (
                ("events", subscription.new_events),
                ("resources", subscription.new_resources),
            )
            if chosen
        ]
        return {
            "content": content,
            "programmes": list(subscription.programmes.all()),
            "topics": list(subscription.topics.all()),
            "regions": list(subscription.regions.all()),
            "product_areas": list(subscription.product_areas.all()),
            "frequency": subscription.frequency,
        }

    def choices(self) -> dict:
        """The cleaned data as the keyword arguments of the alert services."""
        data = self.cleaned_data
        return {
            "new_events": "events" in data["content"],
            "new_resources": "resources" in data["content"],
            "frequency": data["frequency"],
            "programmes": data["programmes"],
            "topics": data["topics"],
            "regions": data["regions"],
            "product_areas": data["product_areas"],
        }
