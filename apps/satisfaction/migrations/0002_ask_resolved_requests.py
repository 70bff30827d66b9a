"""Requests resolved before ratings existed and not closed yet are asked for their rating like
any new resolution (from now, not from their resolution: nobody could rate them before)."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def ask(apps, schema_editor):  # type: ignore[no-untyped-def]
    db = schema_editor.connection.alias
    ServiceRequest = apps.get_model("casework", "ServiceRequest")
    RequestEvent = apps.get_model("casework", "RequestEvent")
    Rating = apps.get_model("satisfaction", "Rating")
    authority_column = {"park": "park_id", "district": "district_id", "municipal": "municipal_id", "provincial": "provincial_id"}
    default_at = timezone.now() + timedelta(days=settings.PORTAL["RATING_DEFAULT_AFTER_DAYS"])
    rows = []
    for request in ServiceRequest.objects.using(db).filter(state="resolved").iterator():
        resolution = (
            RequestEvent.objects.using(db)
            .filter(request_id=request.pk, kind="resolved")
            .order_by("-created_at", "-id")
            .first()
        )
        if resolution is None or Rating.objects.using(db).filter(resolution_id=resolution.pk).exists():
            continue
        rows.append(
            Rating(
                request_id=request.pk,
                resolution_id=resolution.pk,
                tier=request.tier,
                authority_id=getattr(request, authority_column[request.tier]),
                department_id=request.department_id,
                resolved_by_id=resolution.actor_id,
                resolved_at=resolution.created_at,
                default_at=max(default_at, resolution.created_at),
            )
        )
    Rating.objects.using(db).bulk_create(rows, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("satisfaction", "0001_initial"), ("casework", "0011_alter_requestevent_kind")]

    operations = [migrations.RunPython(ask, migrations.RunPython.noop)]
