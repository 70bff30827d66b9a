import os

from celery import Celery

# Production unless told otherwise (bin/dev-run says development): a deployment that forgets
# the setting fails closed, refusing to start without DJANGO_SECRET_KEY, never in DEBUG.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def load_the_producer() -> None:
    """Import what sending a task needs (the broker's transport, kombu's producer pool, the
    task registry) without connecting: about 200 ms a web worker would otherwise spend on the
    first notification it hands over, inside somebody's request."""
    app.connection_for_write().transport  # noqa: B018 (the attribute loads the transport)
    app.amqp.producer_pool  # noqa: B018
    app.finalize(auto=True)
