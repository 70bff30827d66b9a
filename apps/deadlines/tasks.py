from celery import shared_task
from django.utils import timezone

from .scan import scan


@shared_task(name="deadlines.scan")
def scan_deadlines() -> str:
    return str(scan(timezone.now()))
