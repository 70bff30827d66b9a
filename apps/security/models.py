"""What the sign-in rules keep: the sessions people are signed in with, and their old passwords."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SignedInSession(models.Model):
    """One browser session of a person, for the account page's list (device, address, last
    seen) and its "end this session". The session itself lives in Django's session store; this
    row follows it by key."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    user_agent = models.CharField(_("device"), max_length=300, blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    second_factor = models.BooleanField(_("signed in with a second factor"), default=False)
    signed_in_at = models.DateTimeField(_("signed in"))
    last_seen_at = models.DateTimeField(_("last seen"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")
        indexes = [
            models.Index(fields=["user", "-last_seen_at"], name="session_open", condition=Q(ended_at=None))
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.device}"

    @property
    def device(self) -> str:
        """The browser and system, as a person names them ("Chrome on Windows"), from the
        User-Agent header; the header itself when neither is known."""
        agent = self.user_agent
        browser = next((name for marker, name in _BROWSERS if marker in agent), "")
        system = next((name for marker, name in _SYSTEMS if marker in agent), "")
        if browser and system:
            return f"{browser} · {system}"
        return browser or system or agent[:60]


# Looked for in this order (Edge and WeChat say "Chrome" and "Safari" too; Chrome says "Safari").
_BROWSERS = [
    ("MicroMessenger", "WeChat"),
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("HeadlessChrome", "Headless Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
]
_SYSTEMS = [
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
]


class PasswordHistory(models.Model):
    """A password a person had (its hash), so that the last few are not chosen again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    password = models.CharField(max_length=128)
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user_id} {self.changed_at:%Y-%m-%d}"
