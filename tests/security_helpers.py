"""Signing in as people do, with a real authenticator's codes (RFC 6238, from the device's key)."""

from __future__ import annotations

import re
import time

from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.organizations.models import User

PASSWORD = "demo12345"


def code_for(device: TOTPDevice, at: float | None = None) -> str:
    """The six digits an authenticator app shows for this device now (or at `at`)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    return str(totp.token()).zfill(device.digits)


def code_from_page(html: str) -> str:
    """What a person's app shows after scanning the enrolment page: the code of the key the
    page printed (not read from the database)."""
    import base64

    from django_otp.oath import totp

    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)
    assert secret, "the enrolment page shows the key to type"
    key = secret.group(1).replace(" ", "")
    key += "=" * (-len(key) % 8)
    return str(totp(base64.b32decode(key))).zfill(6)


def enrol(client: Client) -> tuple[TOTPDevice, list[str]]:
    """Set up the authenticator through the account pages, as a person does; answers the
    device and the backup codes shown."""
    page = client.get("/account/two-factor/")
    assert page.status_code == 200
    confirmed = client.post("/account/two-factor/confirm/", {"code": code_from_page(page.content.decode())})
    assert confirmed.status_code == 200, confirmed.content.decode()[:500]
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", confirmed.content.decode())
    assert len(codes) == 10
    user = confirmed.wsgi_request.user
    device = TOTPDevice.objects.get(user_id=user.pk, confirmed=True)
    return device, codes


def password_step(client: Client, username: str, password: str = PASSWORD, next_url: str = ""):
    target = "/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(target, {"username": username, "password": password})


def sign_in_with_code(username: str, code: str, client: Client | None = None) -> Client:
    client = client or Client()
    first = password_step(client, username)
    assert first.status_code == 302 and first["Location"] == "/login/code/", first
    second = client.post("/login/code/", {"code": code})
    assert second.status_code == 302, second.content.decode()[:400]
    return client


def signed_in_as(client: Client) -> str | None:
    response = client.get("/api/v1/me/")
    return response.json()["username"] if response.status_code == 200 else None


def device_of(user: User) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=True)
