from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    """Consultation meetings booked inside a request: slots, proposals, bookings, minutes."""

    name = "apps.meetings"
    label = "meetings"
    verbose_name = _("Consultation meetings")
