import os

from celery import Celery

# Production unless told otherwise (bin/dev-run says development): a deployment that forgets
# the setting fails closed, refusing to start without DJANGO_SECRET_KEY, never in DEBUG.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
