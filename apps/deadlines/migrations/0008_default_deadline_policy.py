"""The deadline policy's one row, with the defaults of settings.PORTAL, so that the admin's
"Deadline policy" opens on the rules in force instead of an empty list."""

from datetime import time
from decimal import Decimal

from django.conf import settings
from django.db import migrations


def clock(name: str) -> time:
    hours, minutes = settings.PORTAL[name].split(":")
    return time(int(hours), int(minutes))


def create_default_policy(apps, schema_editor):  # type: ignore[no-untyped-def]
    DeadlinePolicy = apps.get_model("deadlines", "DeadlinePolicy")
    DeadlinePolicy.objects.using(schema_editor.connection.alias).get_or_create(
        pk=1,
        defaults={
            "start_of_business": clock("START_OF_BUSINESS"),
            "end_of_business": clock("END_OF_BUSINESS"),
            "green_channel_cutoff": clock("GREEN_CHANNEL_CUTOFF"),
            "green_channel_late_due": clock("GREEN_CHANNEL_LATE_DUE"),
            "reminder_working_hours": Decimal(str(settings.PORTAL["REMINDER_WORKING_HOURS"])),
            "reopen_within_days": settings.PORTAL["REOPEN_WITHIN_DAYS"],
            "auto_close_after_days": settings.PORTAL["AUTO_CLOSE_AFTER_DAYS"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("deadlines", "0007_figures_covering_indexes")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
