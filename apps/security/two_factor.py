"""Two-factor sign-in: a password, then a code from an authenticator app (TOTP, RFC 6238) or one
of ten single-use backup codes.

Built on django-otp: its TOTP device keeps the secret, checks codes with a step of drift either
way, refuses a code used once already and slows down repeated failures; its static device holds
the backup codes. django-otp plugs into Django's own sign-in, sessions and admin, where
django-allauth's MFA would bring allauth's whole account system with it.

Every wrong code is also a failed sign-in (`user_login_failed`): the lock-out (django-axes)
counts it as it counts a wrong password, and the audit trail records it."""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass

import segno
from django.conf import settings
from django.contrib.auth import user_login_failed
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from apps.organizations.models import Role, User

BACKUP_CODE_COUNT = 10
AUTHENTICATOR = "authenticator"
BACKUP = "backup"


class TwoFactorError(Exception):
    """A step of enrolment refused: the message says what to do."""


def required(user: User) -> bool:
    """Whether this person must sign in with a second factor: staff of every kind (liaisons,
    officers, supervisors, administrators) when PORTAL_REQUIRE_2FA is on; enterprise staff may
    choose it."""
    if not getattr(settings, "PORTAL_REQUIRE_2FA", False):
        return False
    return user.is_superuser or user.role != Role.ENTERPRISE


def is_enrolled(user: User) -> bool:
    """A confirmed authenticator: every sign-in of this person asks for a code."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=BACKUP).count()


@dataclass(frozen=True)
class Enrolment:
    """An authenticator being added: its key lives in the person's session (server-side) until a
    first code confirms it; only then is there a device. Showing the page writes nothing."""

    user: User
    hex_key: str

    @property
    def device(self) -> TOTPDevice:
        """The device it will be (unsaved), for its otpauth:// address."""
        return TOTPDevice(user=self.user, name=AUTHENTICATOR, key=self.hex_key)

    @property
    def url(self) -> str:
        return str(self.device.config_url)

    @property
    def secret(self) -> str:
        """The key to type by hand, in base32 as authenticator apps take it, in groups of four."""
        key = base64.b32encode(self.device.bin_key).decode().rstrip("=")
        return " ".join(key[i : i + 4] for i in range(0, len(key), 4))

    @property
    def qr_svg(self) -> str:
        """The otpauth:// address as a QR code, drawn here as SVG markup (nothing leaves the
        machine: the secret is in it)."""
        return str(
            segno.make(self.url, error="m").svg_inline(scale=4, dark="#111", light="#fff", border=2, title="")
        )

    def matching_step(self, code: str) -> int | None:
        """The time step whose code this is (the one before and after count too, for a phone's
        clock a little off), or None."""
        token = _digits(code)
        if not token.isdigit():
            return None
        totp = TOTP(self.device.bin_key, step=30, t0=0, digits=6)
        for drift in (0, -1, 1):
            totp.drift = drift
            if totp.token() == int(token):
                return int(totp.t())
        return None


PENDING_KEY = "_portal_otp_enrolment_key"


def start_enrolment(user: User, session: SessionBase) -> Enrolment:
    """The authenticator being added: a new key the first time, the same one when the page is
    shown again (a code already scanned stays good until it is confirmed)."""
    hex_key = session.get(PENDING_KEY)
    if not isinstance(hex_key, str) or len(hex_key) != 40:
        hex_key = default_key()
        session[PENDING_KEY] = hex_key
    return Enrolment(user, hex_key)


def confirm_enrolment(user: User, session: SessionBase, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator being added with a first code from it; answers the device and
    the ten backup codes, shown once. Any earlier authenticator of the person is replaced."""
    hex_key = session.get(PENDING_KEY)
    if not isinstance(hex_key, str):
        raise TwoFactorError("no_enrolment")
    enrolment = Enrolment(user, hex_key)
    step = enrolment.matching_step(code)
    if step is None:
        raise TwoFactorError("wrong_code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        # The code just used may not sign in again (django-otp refuses steps up to last_t).
        device = TOTPDevice.objects.create(
            user=user, name=AUTHENTICATOR, key=hex_key, confirmed=True, last_t=step
        )
        codes = _new_backup_codes(user)
    session.pop(PENDING_KEY, None)
    return device, codes


def _new_backup_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def new_backup_codes(user: User) -> list[str]:
    """Ten fresh backup codes; the old ones stop working."""
    with transaction.atomic():
        return _new_backup_codes(user)


def _digits(code: str) -> str:
    """Codes as people type them: spaces and dashes between the digits do not count."""
    return "".join(ch for ch in str(code) if not ch.isspace() and ch != "-")


def verify(user: User, code: str, *, request: HttpRequest | None) -> Device | None:
    """The device that accepts this code (the authenticator, else a backup code, which is used
    up), or None. A wrong code is a failed sign-in for the lock-out and the audit trail."""
    token = _digits(code)
    device: Device | None = None
    if token:
        with transaction.atomic():
            candidates: list[Device] = [
                *TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True),
                *StaticDevice.objects.select_for_update().filter(user=user, confirmed=True),
            ]
            device = next((d for d in candidates if d.verify_token(token)), None)
    if device is None:
        user_login_failed.send(
            sender=__name__,
            credentials={"username": user.get_username(), "factor": "otp"},
            request=request,
        )
    return device


def seconds_to_wait(user: User) -> int:
    """How long the authenticator refuses to check a code after wrong ones in a row (1, 2, 4, …
    seconds: django-otp's throttling); 0 when it checks at once."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        return 0
    allowed, data = device.verify_is_allowed()
    if allowed or not data or "locked_until" not in data:
        return 0
    return max(1, math.ceil((data["locked_until"] - timezone.now()).total_seconds()))


def remove(user: User) -> bool:
    """Remove the person's second factor (authenticator and backup codes); True if there was
    one. Their sessions and API token end: whoever signed in with it is signed out."""
    from apps.organizations import accounts

    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        removed += StaticDevice.objects.filter(user=user).delete()[0]
        accounts.log_out_everywhere(user)
    return removed > 0
