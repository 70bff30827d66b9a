"""gunicorn settings for every way the portal is served (`make run`, the production image,
`make bench`); gunicorn reads this file from the working directory, and command-line flags win.

Sizing: a request spends most of its time in Python, so one worker per core is what runs at
once; the threads (4 per worker) cover the moments a worker waits on the database or a slow
client. `WEB_WORKERS` defaults to the number of cores; README.md ("Sizing") says how to choose it
and the database for a province.
"""

import os

bind = os.environ.get("WEB_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_WORKERS", os.cpu_count() or 2))
threads = int(os.environ.get("WEB_THREADS", 4))
timeout = 30
graceful_timeout = 10
# A worker is replaced after this many requests (with jitter, so that not all at once): memory a
# long-lived Python process gathers is given back.
max_requests = 5000
max_requests_jitter = 500
# X-Forwarded-Proto is believed from the same proxies as X-Forwarded-For in Django
# (DJANGO_TRUSTED_PROXIES, portal/client_ip.py); gunicorn's own default otherwise (localhost).
if os.environ.get("DJANGO_TRUSTED_PROXIES", "").strip():
    forwarded_allow_ips = os.environ["DJANGO_TRUSTED_PROXIES"]


def post_worker_init(worker: object) -> None:
    """Load the assistant's dictionary and glossary (about two seconds, once) and the task
    producer before the worker takes requests, so that nobody's first suggestion or first
    notification waits for them."""
    from apps.assist.text import glossary, translations
    from portal.celery import load_the_producer

    translations()
    glossary()
    load_the_producer()
