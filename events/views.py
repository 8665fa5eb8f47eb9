"""Public event pages (the list with its filters, an event, a programme) and the pages of a
person: registrations, feedback, alerts."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import DetailView, FormView, TemplateView

from accounts.ratelimits import client_address, client_ip
from events import alerts, selectors, services
from events.attendance import (
    FeedbackAlreadyGiven,
    FeedbackError,
    certificate_issue,
    certificate_normalise_code,
    feedback_check,
    feedback_submit,
)
from events.certificates import certificate_by_code, certificate_pdf
from events.exceptions import CertificateNotYet, RegistrationError
from events.forms import (
    AlertSubscriptionForm,
    CancelForm,
    CertificateLookupForm,
    FeedbackForm,
    RegistrationForm,
)
from events.models import AlertSubscription, Event, Programme, Registration

REGISTERED_MESSAGES = {
    Registration.Status.CONFIRMED: _("You are registered. We have sent you a confirmation email."),
    Registration.Status.WAITLISTED: _(
        "The event is full: you are on the waiting list. We will email you if a place frees up."
    ),
    Registration.Status.PENDING: _(
        "Your request has been sent. The organisers will confirm your place by email."
    ),
}


class EventListView(TemplateView):
    """The list and its filters; made only when the template does not find it kept."""

    template_name = "events/event_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params, user = self.request.GET, self.request.user
        context.update(
            result=SimpleLazyObject(lambda: selectors.event_list(params=params, user=user)),
            when=selectors.event_list_when(params=params),
            query=params.get("q", ""),
            open_only=params.get("open") == "true",
        )
        return context


class EventDetailView(DetailView):
    """The event page; posting its registration form registers the signed-in visitor."""

    template_name = "events/event_detail.html"
    context_object_name = "event"

    def get_object(self, queryset=None):
        try:
            return selectors.event_detail(slug=self.kwargs["slug"], user=self.request.user)
        except Event.DoesNotExist as error:
            raise Http404 from error

    def post(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.object = event = self.get_object()
        form = self._registration_form(event, data=request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            registration = services.registration_create(
                event=event,
                user=request.user,
                answers=form.answers(),
                consent=form.cleaned_data["consent"],
                invitation_code=form.cleaned_data.get("invitation_code", ""),
                address=client_address(client_ip(request)),
            )
        except RegistrationError as error:
            messages.error(request, error.message)
            return redirect(event)
        messages.success(request, REGISTERED_MESSAGES[registration.status])
        return redirect(event)

    def _registration_form(self, event, data=None) -> RegistrationForm:
        return RegistrationForm(data, event=event, questions=list(event.questions.all()))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.object
        user = self.request.user
        registration = selectors.event_registration_state(event=event, user=user)
        if registration.can_register and user.is_authenticated and "form" not in kwargs:
            context["form"] = self._registration_form(event)
        visitor_zone = getattr(user, "time_zone", "") if user.is_authenticated else ""
        url = self.request.build_absolute_uri(event.get_absolute_url())
        # The header and body of the page, the same for every visitor of a kind: read only when
        # the template does not find them kept. The registration box is the visitor's own.
        context["page"] = SimpleLazyObject(
            lambda: selectors.event_page(event=event, user=user, visitor_zone=visitor_zone, url=url)
        )
        context.update(
            is_preview=event.status == Event.Status.DRAFT,
            registration=registration,
            visitor_zone=visitor_zone,
            ics_url=reverse("events:ics", kwargs={"slug": event.slug}),
        )
        return context


class RegistrationNoticeView(View):
    """ "Notify me when registration opens" (a POST from the registration box), or "no longer"."""

    def post(self, request, slug):
        event = get_object_or_404(Event.objects.published(), slug=slug)
        if not request.user.is_authenticated:
            return redirect_to_login(event.get_absolute_url())
        if request.POST.get("action") == "cancel":
            alerts.registration_opening_notice_cancel(event=event, user=request.user)
            messages.success(request, _("You will not get an email when registration opens."))
            return redirect(event)
        try:
            alerts.registration_opening_notice_request(event=event, user=request.user)
        except alerts.AlertError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("We will email you once when registration opens for this event.")
            )
        return redirect(event)

    def get(self, request, slug):
        return redirect("events:detail", slug=slug)


class ProgrammeDetailView(DetailView):
    template_name = "events/programme_detail.html"
    context_object_name = "programme"

    def get_object(self, queryset=None):
        try:
            return selectors.programme_detail(slug=self.kwargs["slug"])
        except Programme.DoesNotExist as error:
            raise Http404 from error

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["editions"] = selectors.programme_editions(programme=self.object)
        return context


class MyRegistrationsView(LoginRequiredMixin, TemplateView):
    template_name = "events/my_registrations.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["registrations"] = selectors.registrations_of_user(user=self.request.user)
        return context


class CancelRegistrationView(LoginRequiredMixin, FormView):
    template_name = "events/registration_cancel.html"
    form_class = CancelForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            # Someone else's registration is simply not found.
            self.registration = get_object_or_404(
                Registration.objects.select_related("event"),
                pk=kwargs["pk"],
                user=request.user,
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            registration=self.registration,
            can_cancel=self.registration.participant_may_cancel(),
            has_waiting_list=self.registration.event.has_waiting_list(),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            services.registration_cancel(
                registration=self.registration,
                by=self.request.user,
                reason=form.cleaned_data["reason"],
            )
        except RegistrationError as error:
            messages.error(self.request, error.message)
        else:
            messages.success(self.request, _("Your registration is cancelled."))
        return redirect("events:my_registrations")


class CertificateDownloadView(LoginRequiredMixin, View):
    """The participant's own certificate as a PDF, in their language: issued on the first
    download once the event has ended (`Event.has_ended`); never before, never when revoked."""

    def get(self, request, pk):
        registration = get_object_or_404(
            Registration.objects.select_related("event"),
            pk=pk,
            user=request.user,
            attended=True,
            status=Registration.Status.CONFIRMED,
        )
        try:
            certificate = certificate_issue(registration=registration)
        except CertificateNotYet as error:
            messages.info(request, error.message)
            return redirect("events:my_registrations")
        except ValueError as error:  # no name to print
            messages.error(request, str(error))
            return redirect("events:my_registrations")
        try:
            language = translation.get_supported_language_variant(request.user.preferred_language)
        except LookupError:  # a language the portal no longer offers
            language = get_language()
        with translation.override(language):
            # The QR code leads to the verification page in the certificate's language.
            verify_url = request.build_absolute_uri(certificate.verification_path())
        pdf = certificate_pdf(certificate=certificate, language=language, verify_url=verify_url)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="certificate-{certificate.code}.pdf"'
        )
        response["Cache-Control"] = "private, no-store"
        return response


class CertificateLookupView(TemplateView):
    """A GET form: the code, typed in any case, with or without dashes, leads to the
    verification page."""

    template_name = "events/certificate_lookup.html"

    def get(self, request, *args, **kwargs):
        form = CertificateLookupForm(request.GET if "code" in request.GET else None)
        if form.is_valid():
            code = certificate_normalise_code(form.cleaned_data["code"])
            if code:
                return redirect("events:certificate_verify", code=code)
            form.add_error(
                "code",
                _("A certificate code has 12 letters and digits, e.g. ABCD-2345-EFGH."),
            )
        return self.render_to_response(self.get_context_data(form=form))


class CertificateVerifyView(TemplateView):
    """Anyone can check a certificate: the page shows what the certificate states, no more."""

    template_name = "events/certificate_verify.html"

    def get(self, request, code):
        certificate = certificate_by_code(code=code)
        context = self.get_context_data(
            certificate=certificate,
            code=code,
            # A certificate wrongly issued before its event ended does not say "valid".
            not_yet=certificate is not None
            and certificate.revoked_at is None
            and not certificate.is_valid(),
        )
        return self.render_to_response(context, status=200 if certificate else 404)


class FeedbackView(LoginRequiredMixin, FormView):
    """The survey after an event, for the participant's own attended registration."""

    template_name = "events/feedback_form.html"
    form_class = FeedbackForm

    def dispatch(self, request, *args, **kwargs):
        self.problem = None
        if request.user.is_authenticated:
            self.registration = get_object_or_404(
                Registration.objects.select_related("event"), pk=kwargs["pk"], user=request.user
            )
            try:
                feedback_check(registration=self.registration)
            except FeedbackAlreadyGiven as error:
                messages.info(request, error.message)
                return redirect("events:my_registrations")
            except FeedbackError as error:
                # Not attended, or not ended yet: the page says so, without the form.
                self.problem = error.message
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if self.problem:
            return self.render_to_response(
                {"registration": self.registration, "problem": self.problem}
            )
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.problem:
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "event": self.registration.event}

    def get_context_data(self, **kwargs):
        return super().get_context_data(registration=self.registration, **kwargs)

    def form_valid(self, form):
        try:
            feedback_submit(registration=self.registration, **form.cleaned_data)
        except FeedbackAlreadyGiven as error:
            messages.info(self.request, error.message)
            return redirect("events:my_registrations")
        except FeedbackError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("Thank you for your feedback."))
        return redirect("events:my_registrations")


# --- Alerts (My account) ------------------------------------------------------------------------


class AlertListView(LoginRequiredMixin, TemplateView):
    template_name = "events/alerts.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subscriptions"] = alerts.alert_subscriptions_of_user(user=self.request.user)
        context["opening_notices"] = alerts.registration_opening_notices_of_user(
            user=self.request.user
        )
        context["max_subscriptions"] = alerts.MAX_SUBSCRIPTIONS
        return context


class AlertCreateView(LoginRequiredMixin, FormView):
    template_name = "events/alert_form.html"
    form_class = AlertSubscriptionForm

    def form_valid(self, form):
        try:
            alerts.alert_subscription_create(user=self.request.user, **form.choices())
        except alerts.AlertError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("Your alert is saved."))
        return redirect("events:alerts")


class AlertEditView(LoginRequiredMixin, FormView):
    template_name = "events/alert_form.html"
    form_class = AlertSubscriptionForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            # Someone else's alert is simply not found.
            self.subscription = get_object_or_404(
                AlertSubscription, pk=kwargs["pk"], user=request.user
            )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return AlertSubscriptionForm.initial_for(self.subscription)

    def get_context_data(self, **kwargs):
        return super().get_context_data(subscription=self.subscription, **kwargs)

    def form_valid(self, form):
        try:
            alerts.alert_subscription_update(subscription=self.subscription, **form.choices())
        except alerts.AlertError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        messages.success(self.request, _("Your alert is saved."))
        return redirect("events:alerts")


class AlertDeleteView(LoginRequiredMixin, TemplateView):
    template_name = "events/alert_delete.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.subscription = get_object_or_404(
                AlertSubscription.objects.prefetch_related(
                    "programmes", "topics__parent", "regions", "product_areas"
                ),
                pk=kwargs["pk"],
                user=request.user,
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(subscription=self.subscription, **kwargs)

    def post(self, request, *args, **kwargs):
        alerts.alert_subscription_delete(subscription=self.subscription)
        messages.success(request, _("The alert is deleted: you will get no more emails from it."))
        return redirect("events:alerts")


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class AlertUnsubscribeView(TemplateView):
    """The link in every alert email, for people who are not signed in.

    A GET (a person, or a mail scanner following links) only asks to confirm; a POST stops the
    alerts: the confirm button, or the mail program's one-click unsubscribe (RFC 8058), which
    sends no CSRF token. The signed token is what authorises the change, not a session.
    """

    template_name = "events/alert_unsubscribe.html"

    def get(self, request, token):
        try:
            subscriptions = list(
                alerts.unsubscribe_subscriptions(token=token).prefetch_related(
                    "programmes", "topics__parent", "regions", "product_areas"
                )
            )
        except alerts.InvalidUnsubscribeLink as error:
            return self.render_to_response({"error": error.message}, status=400)
        return self.render_to_response({"subscriptions": subscriptions, "token": token})

    def post(self, request, token):
        try:
            stopped = alerts.alert_unsubscribe(token=token)
        except alerts.InvalidUnsubscribeLink as error:
            return self.render_to_response({"error": error.message}, status=400)
        return self.render_to_response({"done": True, "stopped": stopped})
