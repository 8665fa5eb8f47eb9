"""The admin of events, one module per family of models: events and sessions, registrations
and attendance, messages and emails, feedback, alerts. Importing the package registers them."""

from events.admin import alerts, events, feedback, messages, registrations  # noqa: F401
