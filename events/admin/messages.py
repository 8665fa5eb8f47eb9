"""The admin of messages to registrants and of the outbox of emails."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.content_languages import TranslationsAdminMixin, translation_columns
from events.admin.base import ReadOnlyAdminMixin
from events.admin.forms import MessageAdminForm, MessageSendForm
from events.emails import email_delivery_send
from events.exceptions import MessageError
from events.messages import (
    message_create,
    message_delivery_report,
    message_preview,
    message_send,
    message_send_test,
    message_update,
)
from events.models import EmailDelivery, Message


@admin.register(Message)
class MessageAdmin(TranslationsAdminMixin, admin.ModelAdmin):
    """Messages to the registrants of one event: written and previewed as drafts, sent once
    after a confirmation, then read-only with the delivery of each email. Only staff who may send
    messages (events.send_message, held by Event managers) see them at all."""

    form = MessageAdminForm
    list_display = (
        "subject",
        "event",
        "recipients",
        "status",
        "recipient_count",
        "created_by",
        "sent_at",
    )
    list_filter = ("status", "recipients", ("event", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("event", "created_by")
    search_fields = ("subject", "event__title")
    ordering = ("-created_at", "-pk")
    list_per_page = 100
    show_full_result_count = False
    DRAFT_FIELDS = ("event", "recipients", "subject", "reply_to", "body")
    SENT_FIELDS = (
        "event",
        "recipients",
        "subject",
        "reply_to",
        "body",
        "status",
        "recipient_count",
        "queued_count",
        "created_by",
        "created_at",
        "sent_by",
        "sent_at",
    )
    DELIVERIES_PER_PAGE = 200

    def _may_send(self, request) -> bool:
        return request.user.has_perm("events.send_message")

    def has_module_permission(self, request):
        return self._may_send(request)

    def has_view_permission(self, request, obj=None):
        return self._may_send(request)

    def has_add_permission(self, request):
        return self._may_send(request)

    def has_change_permission(self, request, obj=None):
        # Once sending has begun the message is what its recipients got: read-only.
        return self._may_send(request) and (obj is None or obj.is_draft)

    def has_delete_permission(self, request, obj=None):
        return self._may_send(request) and (obj is None or obj.is_draft)

    def get_actions(self, request):
        # A sent message and its deliveries are the record of what people were told.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_fields(self, request, obj=None):
        return self.DRAFT_FIELDS if obj is None or obj.is_draft else self.SENT_FIELDS

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.is_draft:
            return ()
        return (*self.SENT_FIELDS, *translation_columns(Message))

    def get_queryset(self, request):
        # The frozen list of recipients can be long; the pages show its count instead.
        return (
            super()
            .get_queryset(request)
            .select_related("event", "created_by", "sent_by")
            .defer("recipient_ids")
        )

    def get_changeform_initial_data(self, request):
        # Replies reach the person who writes, unless they say otherwise.
        return {"reply_to": request.user.email, **super().get_changeform_initial_data(request)}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Each message is written, previewed and sent on its own: no "Save and add another".
        extra_context = {**(extra_context or {}), "show_save_and_add_another": False}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in self.DRAFT_FIELDS}
        data["translations"] = {
            name: form.cleaned_data[name]
            for name in translation_columns(Message)
            if name in form.cleaned_data
        }
        try:
            if change:
                message_update(message=obj, **data)
                return
            created = message_create(by=request.user, **data)
        except MessageError as error:
            # Sent by someone else while this form was open: the sent text stays as it was.
            raise PermissionDenied(str(error.message)) from error
        obj.pk, obj.created_by, obj.created_at = created.pk, created.created_by, created.created_at
        obj._state.adding = False

    def _preview_redirect(self, request, obj):
        self.message_user(
            request,
            gettext("The draft is saved. Check the email and its recipients, then send it."),
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._url("preview", obj.pk))

    def response_add(self, request, obj, post_url_continue=None):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        return self._preview_redirect(request, obj)

    def response_change(self, request, obj):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_change(request, obj)
        return self._preview_redirect(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        message = self.get_object(request, unquote(object_id))
        if message is not None and not message.is_draft and self._may_send(request):
            report = message_delivery_report(message=message)
            paginator = Paginator(report["deliveries"], self.DELIVERIES_PER_PAGE)
            extra_context["report"] = report
            extra_context["deliveries_page"] = paginator.get_page(request.GET.get("page"))
        return super().change_view(request, object_id, form_url, extra_context)

    # --- Preview and send -------------------------------------------------------------------

    def _url(self, name: str, pk) -> str:
        return reverse(f"admin:events_message_{name}", args=[pk])

    def get_urls(self):
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="events_message_preview",
            ),
            path(
                "<path:object_id>/send/",
                self.admin_site.admin_view(self.send_view),
                name="events_message_send",
            ),
            path(
                "<path:object_id>/test/",
                self.admin_site.admin_view(self.test_view),
                name="events_message_test",
            ),
            *super().get_urls(),
        ]

    def _draft_for(self, request, object_id: str) -> Message | HttpResponseRedirect:
        if not self._may_send(request):
            raise PermissionDenied
        message = self.get_object(request, unquote(object_id))
        if message is None:
            raise Http404(_("No message with this id."))
        if not message.is_draft:
            self.message_user(
                request,
                gettext("This message has already been sent; here is its delivery."),
                messages.WARNING,
            )
            return HttpResponseRedirect(self._url("change", message.pk))
        return message

    def _page_context(self, request, message: Message, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": message,
            "title": title,
            "subtitle": str(message),
            "change_url": self._url("change", message.pk),
            "preview_url": self._url("preview", message.pk),
            "send_url": self._url("send", message.pk),
            "test_url": self._url("test", message.pk),
        }

    def preview_view(self, request, object_id: str):
        message = self._draft_for(request, object_id)
        if isinstance(message, HttpResponseRedirect):
            return message
        recipient = request.GET.get("recipient", "")
        preview = message_preview(
            message=message, recipient_id=int(recipient) if recipient.isdigit() else None
        )
        context = self._page_context(request, message, gettext("Preview of the message"))
        context["preview"] = preview
        return TemplateResponse(request, "admin/events/message/preview.html", context)

    def test_view(self, request, object_id: str):
        """Send the draft to oneself, as the recipient shown in the preview will get it."""
        message = self._draft_for(request, object_id)
        if isinstance(message, HttpResponseRedirect):
            return message
        recipient = request.POST.get("recipient", "")
        preview_url = self._url("preview", message.pk)
        if recipient.isdigit():
            preview_url += f"?recipient={recipient}"
        if request.method != "POST":
            return HttpResponseRedirect(preview_url)
        delivery = message_send_test(
            message=message,
            by=request.user,
            recipient_id=int(recipient) if recipient.isdigit() else None,
        )
        self.message_user(
            request,
            gettext("A test was sent to %(email)s; the registrants got nothing.")
            % {"email": delivery.to},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(preview_url)

    def send_view(self, request, object_id: str):
        message = self._draft_for(request, object_id)
        if isinstance(message, HttpResponseRedirect):
            return message
        error = None
        if request.method == "POST":
            form = MessageSendForm(request.POST)
            if form.is_valid():
                try:
                    sent = message_send(
                        message=message,
                        by=request.user,
                        fingerprint=form.cleaned_data["fingerprint"],
                    )
                except MessageError as refused:
                    error = refused.message
                else:
                    self.message_user(
                        request,
                        ngettext(
                            "The message is being sent to %(count)d registrant.",
                            "The message is being sent to %(count)d registrants.",
                            sent.recipient_count,
                        )
                        % {"count": sent.recipient_count},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._url("change", message.pk))
            else:
                error = gettext("The confirmation was not understood; confirm again.")
        preview = message_preview(message=message)
        context = self._page_context(request, message, gettext("Send the message"))
        context.update(
            preview=preview,
            error=error,
            form=MessageSendForm(initial={"fingerprint": preview["fingerprint"]}),
        )
        return TemplateResponse(request, "admin/events/message/send.html", context)


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox of emails to registrants, to answer "did I get the email?"; read-only."""

    list_display = ("to", "subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status",)
    search_fields = ("to", "subject")
    date_hierarchy = "created_at"
    list_per_page = 100
    show_full_result_count = False
    fields = (
        "to",
        "subject",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "registration",
        "message",
        "body_text",
    )
    readonly_fields = fields
    actions = ("retry_now",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("registration__event")

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("events.change_emaildelivery")

    @admin.action(permissions=["retry"], description=_("Retry sending now"))
    def retry_now(self, request, queryset):
        retryable = (EmailDelivery.Status.PENDING, EmailDelivery.Status.FAILED)
        outcomes: dict[str, int] = defaultdict(int)
        skipped = 0
        for delivery_id, status in queryset.values_list("pk", "status"):
            if status not in retryable:
                skipped += 1
                continue
            outcomes[email_delivery_send(delivery_id=delivery_id)] += 1
        sent = outcomes.pop(EmailDelivery.Status.SENT, 0)
        if sent:
            self.message_user(
                request,
                ngettext("Sent %(count)d email.", "Sent %(count)d emails.", sent) % {"count": sent},
                messages.SUCCESS,
            )
        failed = sum(outcomes.values())
        if failed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d email could not be sent; see its last error.",
                    "%(count)d emails could not be sent; see their last error.",
                    failed,
                )
                % {"count": failed},
                messages.WARNING,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d email was left alone: only waiting or failed emails are retried.",
                    "%(count)d emails were left alone: only waiting or failed emails are retried.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
