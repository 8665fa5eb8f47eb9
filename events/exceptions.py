"""Domain errors of events and registrations; each message is shown to the person as it is."""

from django.utils.translation import gettext_lazy as _


class RegistrationError(Exception):
    default_message = _("The registration could not be completed.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class RegistrationClosed(RegistrationError):
    default_message = _("Registration for this event is closed.")


class RegistrationNotOpenYet(RegistrationError):
    default_message = _("Registration for this event has not opened yet.")


class AlreadyRegistered(RegistrationError):
    default_message = _("You are already registered for this event.")


class NotInAudience(RegistrationError):
    default_message = _("This event is not open to your type of organisation.")


class InvitationRequired(RegistrationError):
    default_message = _("This event is by invitation only: enter the code you received.")


class InvalidInvitation(RegistrationError):
    default_message = _("This invitation code is not valid, has expired or has been used.")


class TooManyInvitationAttempts(RegistrationError):
    default_message = _(
        "Too many wrong invitation codes were tried. Try again in 15 minutes, or write to the "
        "organisers."
    )


class ConsentRequired(RegistrationError):
    default_message = _("Please agree to the use of your data for this event.")


class CancellationClosed(RegistrationError):
    default_message = _("This registration can no longer be cancelled.")


class NoSeatAvailable(RegistrationError):
    default_message = _("The event is full: no seat is free.")


class InvalidTransition(RegistrationError):
    default_message = _("This change is not possible for a registration in this state.")


class MessageError(Exception):
    """A message to registrants that cannot be changed or sent as asked."""

    default_message = _("The message could not be sent.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class MessageAlreadySent(MessageError):
    default_message = _("This message has already been sent; it cannot be changed or sent again.")


class NoRecipients(MessageError):
    default_message = _("No registrant matches the recipients chosen: there is nobody to send to.")


class RecipientsChanged(MessageError):
    default_message = _(
        "The recipients have changed since you checked them (someone registered, cancelled or "
        "attended). Check the new list and confirm again."
    )
