"""Settings of the Celery worker that `tests/test_faults.py` starts as a real process.

Production's settings (`base`: acks late, reject on worker lost, the broker timeouts), on the
test's database and broker given through the environment (`DATABASE_URL`, `CELERY_BROKER_URL`),
with what makes a crash observable within seconds: a short claim lease and hand-over grace, a
short Redis visibility timeout, every Redis key under the test's own prefix (so that parallel
runs sharing one Redis database never see each other's queues), and an email backend that
writes files and can be made to hang.
"""

import os
from typing import Any

from portal.settings.base import *  # noqa: F403
from portal.settings.base import CELERY_BROKER_URL, PORTAL, broker_transport_options

CLAIM_LEASE_SECONDS = 4
HANDOVER_GRACE_SECONDS = 1
VISIBILITY_TIMEOUT_SECONDS = 4


def transport_options(url: str, key_prefix: str) -> dict[str, Any]:
    """The worker's transport options; the test process publishes with the same ones."""
    options = broker_transport_options(url)
    if url.startswith("redis"):
        options.update(
            global_keyprefix=key_prefix,
            visibility_timeout=VISIBILITY_TIMEOUT_SECONDS,
            unacked_restore_interval=1,
            unacked_restore_throttle=1,
        )
    return options


PORTAL = {
    **PORTAL,
    "EMAIL_CLAIM_LEASE_SECONDS": CLAIM_LEASE_SECONDS,
    "OUTBOX_HANDOVER_GRACE_SECONDS": HANDOVER_GRACE_SECONDS,
}
CELERY_BROKER_TRANSPORT_OPTIONS = transport_options(
    CELERY_BROKER_URL, os.environ.get("FAULTS_KEY_PREFIX", "")
)
EMAIL_BACKEND = "tests.faults_mail.GatedFileBackend"
# How long the pool waits for a dead child's result before calling it lost (10 s by default).
CELERY_WORKER_LOST_WAIT = 1
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# base.py has no secret key of its own (portal/secret_key.py): the test's, for the tests only.
SECRET_KEY = "test-only-not-a-secret-" + "faults-worker-settings-key-0123456789"
