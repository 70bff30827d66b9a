from celery import shared_task

from . import services


# Acknowledged after it ran, and given back to the queue when the worker process running it
# dies (killed, out of memory): a delivery is never lost with its worker. Running it twice is
# safe, since `deliver` claims each email before sending it; an email the dead worker had
# claimed goes when its lease runs out (see services.deliver).
@shared_task(name="notifications.deliver_emails", acks_late=True, reject_on_worker_lost=True)
def deliver_emails(ids: list[int]) -> int:
    return services.deliver(ids)
