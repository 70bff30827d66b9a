"""Schedule the deadline scan every minute in django-celery-beat (editable in the admin)."""

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Deadline scan: reminders, breaches, auto-close, email outbox",
        defaults={"task": "deadlines.scan", "interval": every_minute, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task="deadlines.scan").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("deadlines", "0003_deadlinepolicy_remove_tiervisit_visit_awaiting_due_and_more"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
