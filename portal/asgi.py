import os

from django.core.asgi import get_asgi_application

# Production unless told otherwise (bin/dev-run says development): a deployment that forgets
# the setting fails closed, refusing to start without DJANGO_SECRET_KEY, never in DEBUG.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")
application = get_asgi_application()
