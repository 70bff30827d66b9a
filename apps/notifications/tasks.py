from celery import shared_task

from . import services


@shared_task(name="notifications.deliver_emails", acks_late=True)
def deliver_emails(ids: list[int]) -> int:
    return services.deliver(ids)
