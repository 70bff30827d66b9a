"""Password rules for staff (等保 8.1.4.1 b): long or varied, not one of the last five, changed
every PORTAL_PASSWORD_MAX_AGE_DAYS (90; 0 = never), and changed at the first sign-in of an
account an administrator created or gave a password to.

Enterprise staff keep Django's rules alone. The validators take part in every password set
through a form (the account page, the admin) by AUTH_PASSWORD_VALIDATORS."""

from __future__ import annotations

import string
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.organizations.models import Role, User

from .models import PasswordHistory

HISTORY = 5


def is_staff_account(user: Any) -> bool:
    """Anyone but enterprise staff: liaisons, officers, supervisors, administrators."""
    if user is None:
        return True
    return bool(getattr(user, "is_superuser", False)) or getattr(user, "role", "") != Role.ENTERPRISE


def character_classes(password: str) -> int:
    classes = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() or c in string.punctuation for c in password),
    ]
    return sum(classes)


class StaffPasswordStrengthValidator:
    """Staff: at least 12 characters, or three of lower case, upper case, digits and symbols."""

    def __init__(self, min_length: int = 12, min_classes: int = 3) -> None:
        self.min_length = min_length
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if not is_staff_account(user):
            return
        if len(password) >= self.min_length or character_classes(password) >= self.min_classes:
            return
        raise ValidationError(
            _(
                "Staff passwords need at least %(length)d characters, or three of: lower-case letters, "
                "capitals, digits and symbols."
            )
            % {"length": self.min_length},
            code="password_too_weak_for_staff",
        )

    def get_help_text(self) -> str:
        return _(
            "Staff: at least %(length)d characters, or three of: lower-case letters, capitals, digits "
            "and symbols."
        ) % {"length": self.min_length}


class PasswordHistoryValidator:
    """None of the person's last five passwords again (the current one included); each new
    password is remembered when it is set."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None or not is_staff_account(user):
            return
        # Each password is remembered as it is set, the current one included; one set before
        # this rule came in is not there yet.
        hashes = list(
            PasswordHistory.objects.filter(user=user)
            .order_by("-pk")
            .values_list("password", flat=True)[:HISTORY]
        )
        if user.password and user.password not in hashes:
            hashes = [user.password, *hashes[: HISTORY - 1]]
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                _("Choose a password you have not used for your last %(count)d passwords.")
                % {"count": HISTORY},
                code="password_reused",
            )

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None or not user.password:
            return
        PasswordHistory.objects.create(user=user, password=user.password, changed_at=timezone.now())
        stale = PasswordHistory.objects.filter(user=user).order_by("-pk").values_list("pk", flat=True)
        PasswordHistory.objects.filter(pk__in=list(stale[HISTORY:])).delete()

    def get_help_text(self) -> str:
        return _("Not one of your last %(count)d passwords.") % {"count": HISTORY}


def max_age() -> timedelta | None:
    days = int(getattr(settings, "PORTAL_PASSWORD_MAX_AGE_DAYS", 90))
    return timedelta(days=days) if days > 0 else None


def change_required(user: User) -> str | None:
    """Why this person must choose a new password before going on ("first_sign_in" or
    "expired"), or None."""
    if user.must_change_password:
        return "first_sign_in"
    age = max_age()
    if age is None or not is_staff_account(user) or not user.has_usable_password():
        return None
    changed = user.password_changed_at or user.date_joined
    if changed is not None and timezone.now() - changed > age:
        return "expired"
    return None
