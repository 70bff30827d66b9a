"""The admin site for the superuser and the three administrators only (apps/security/duties.py),
signed in through the portal's own sign-in page, second factor included."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from .duties import may_use_admin


class PortalAdminSite(admin.AdminSite):
    site_header = _("Liaison portal administration")
    site_title = _("Liaison portal administration")

    def has_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if self.has_permission(request):
            return redirect(reverse("admin:index"))
        if request.user.is_authenticated:
            # Signed in, but not an administrator: the admin is not theirs.
            raise PermissionDenied
        target = request.GET.get("next") or reverse("admin:index")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:index")
        return redirect(reverse("login") + "?" + urlencode({"next": target}))
