from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Events")

    def ready(self):
        from accounts.services import data_section_register, personal_data_eraser_register
        from events.alerts import (
            alert_subscriptions_erase_for_user,
            alert_subscriptions_export,
            registration_opening_notices_erase_for_user,
            registration_opening_notices_export,
        )
        from events.privacy import registrations_erase_for_user
        from events.selectors import registrations_export

        # A person's registrations, answers, attendance and certificates belong in their data
        # download; accounts cannot import events, so events hands it the section.
        data_section_register(name="registrations", exporter=registrations_export)
        personal_data_eraser_register(name="registrations", eraser=registrations_erase_for_user)
        # Likewise the alerts they follow.
        data_section_register(name="alerts", exporter=alert_subscriptions_export)
        personal_data_eraser_register(name="alerts", eraser=alert_subscriptions_erase_for_user)
        # And the events they asked to hear about when registration opens.
        data_section_register(
            name="registration_opening_notices", exporter=registration_opening_notices_export
        )
        personal_data_eraser_register(
            name="registration_opening_notices", eraser=registration_opening_notices_erase_for_user
        )
        # The outcome of a request for a restricted file goes through the outbox too.
        from events.emails import access_decision_email_queue
        from repository.access_requests import access_request_mailer_register

        access_request_mailer_register(access_decision_email_queue)
