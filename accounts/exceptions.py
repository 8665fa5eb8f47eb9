"""The one base of the portal's domain errors: each carries a message meant for the person who
asked (translated, plain text), which views and admin actions show as it is, changing nothing.
Every app's errors derive from it (`events.exceptions.EventsError`,
`repository.access_requests.AccessRequestError`, `AccountError` below)."""

from django.utils.translation import gettext_lazy as _


class MessageError(Exception):
    """An error whose message is meant for the person who asked."""

    default_message = _("This could not be done.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class AccountError(MessageError):
    """A rule about accounts was broken; the message is shown to the user."""


class WrongPassword(AccountError):
    pass
