"""Retrain the category classifier every night at 02:30 in django-celery-beat (editable in the
admin), when the portal is quiet: on the newest 20,000 resolved requests it takes a minute."""

from django.db import migrations


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Asia/Shanghai"
    )
    PeriodicTask.objects.get_or_create(
        name="Assistant: retrain the suggested category",
        defaults={"task": "assist.train", "crontab": nightly, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task="assist.train").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assist", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
