"""Development on a developer's machine: `make run` (bin/dev-run), `manage.py`, `make bench`.

The base settings with a secret key of this machine's own: DJANGO_SECRET_KEY when set, otherwise
one made the first time and kept in var/secret_key (mode 0600). DEBUG stays off unless a
developer asks for it (DJANGO_DEBUG=1, see base.py).
"""

import os

from portal.secret_key import development_secret_key

from .base import *  # noqa: F403
from .base import VAR_DIR

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or development_secret_key(VAR_DIR / "secret_key")
