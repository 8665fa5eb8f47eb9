"""Domain errors of events and registrations; each message is shown to the person as it is.

Every error of the app derives from `EventsError`, which carries that message; views and admin
actions show `error.message` and change nothing.
"""

from django.utils.translation import gettext_lazy as _

from accounts.exceptions import MessageError


class EventsError(MessageError):
    """An error whose message is meant for the person who asked (translated, plain text)."""


class RegistrationError(EventsError):
    default_message = _("The registration could not be completed.")


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


class MessageError(EventsError):
    """A message to registrants that cannot be changed or sent as asked."""

    default_message = _("The message could not be sent.")


class MessageAlreadySent(MessageError):
    default_message = _("This message has already been sent; it cannot be changed or sent again.")


class NoRecipients(MessageError):
    default_message = _("No registrant matches the recipients chosen: there is nobody to send to.")


class RecipientsChanged(MessageError):
    default_message = _(
        "The recipients have changed since you checked them (someone registered, cancelled or "
        "attended). Check the new list and confirm again."
    )


# --- Attendance and certificates ----------------------------------------------------------------


class AttendanceError(EventsError):
    """Attendance that cannot be recorded as asked."""

    default_message = _("The attendance could not be recorded.")


class SessionNotStarted(AttendanceError):
    default_message = _("Attendance can be recorded only for sessions that have started.")


class AttendanceImportError(AttendanceError):
    """The file cannot be imported at all; the message says why, for the person who sent it."""

    default_message = _("The file could not be imported.")


class CertificateNotYet(EventsError):
    default_message = _("Certificates of attendance are issued once the event has ended.")


# --- Feedback -------------------------------------------------------------------------------------


class FeedbackError(EventsError):
    """Feedback that cannot be recorded."""

    default_message = _("Your feedback could not be recorded.")


class FeedbackNotAttended(FeedbackError):
    default_message = _(
        "The survey is for people who attended the event. If you did, the organisers may not "
        "have recorded your attendance yet."
    )


class FeedbackNotYet(FeedbackError):
    default_message = _("The survey opens when the event has ended.")


class FeedbackAlreadyGiven(FeedbackError):
    default_message = _("You have already answered the survey for this event. Thank you!")


# --- Alerts -------------------------------------------------------------------------------------


class AlertError(EventsError):
    default_message = _("The alert could not be saved.")


class TooManyAlerts(AlertError):
    default_message = _("You already have the most alerts one person may keep (20).")


class NothingChosen(AlertError):
    default_message = _("Choose new events, new resources or both.")


class RegistrationAlreadyOpen(AlertError):
    default_message = _(
        "Registration for this event is not waiting to open: there is nothing to tell you."
    )


class InvalidUnsubscribeLink(AlertError):
    default_message = _(
        "This unsubscribe link is not valid: it may have been cut or changed when it was "
        "copied. Open the link from the email again, or manage your alerts in My account."
    )
