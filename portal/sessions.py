"""Database sessions that refuse malformed keys before asking the database.

A cookie may carry anything, NUL bytes included (PostgreSQL answers those with an error);
Django's own keys are 32 lower-case letters and digits, so anything else is no session."""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        return key is not None and 8 <= len(key) <= 40 and key.isascii() and key.isalnum()
