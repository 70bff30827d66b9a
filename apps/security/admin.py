"""django-otp's own admin pages are left out: a second factor is set up by its owner on the
account page and reset by the security administrator from the person's row (the "Reset the
second factor" action), never edited by hand (a key typed into a form is a key leaked)."""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
