"""What a signed-in browser session must satisfy before each page: it has not outlived its
limits, it was signed in with the second factor its owner needs, and the password is not one
that must be changed first. One middleware, in that order, after django-otp's (which says
whether the session passed the second factor)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.audit import trail

from . import passwords, sessions, two_factor

# Pages a person may still open while a step is owed: the step itself, signing out, the
# language switch.
STEP_VIEWS = {
    "account-two-factor",
    "account-two-factor-confirm",
    "account-password",
    "logout",
    "set_language",
}


class AccountPolicyMiddleware:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not hasattr(request, "session"):
            return self.get_response(request)
        reason = sessions.expired(request.session)
        if reason is not None:
            return self._end(request, reason)
        sessions.touch(request)
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.resolver_match is None:
            return None
        if request.resolver_match.view_name in STEP_VIEWS:
            return None
        if two_factor.required(user) and not user.is_verified():
            if two_factor.is_enrolled(user):
                # Signed in before the second factor was set up elsewhere: sign in again with it.
                logout(request)
                return self._to_login(request, _("Sign in again with your authenticator code."))
            return self._owe(
                request,
                "account-two-factor",
                "otp_enrolment_required",
                _("Your role signs in with a second factor: set up your authenticator app to go on."),
            )
        why = passwords.change_required(user)
        if why is not None:
            message = (
                _("Your password has expired: choose a new one to go on.")
                if why == "expired"
                else _("Choose a password of your own to go on.")
            )
            return self._owe(request, "account-password", "password_change_required", message)
        return None

    def _owe(self, request: HttpRequest, view: str, code: str, message: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": code}, status=403)
        messages.warning(request, message)
        return redirect(view)

    def _end(self, request: HttpRequest, reason: str) -> HttpResponse:
        user = request.user
        trail.record("session_expired", actor=user, request=request, obj=user, detail={"reason": reason})
        logout(request)
        if request.path.startswith("/api/"):
            # The API answers as for anyone signed out (401/403) from here on.
            return self.get_response(request)
        if reason == sessions.IDLE:
            message = _("You were signed out after %(minutes)d minutes without activity.") % {
                "minutes": int(sessions.idle_limit().total_seconds() // 60)
            }
        else:
            message = _("You were signed out: a session lasts at most %(hours)g hours.") % {
                "hours": sessions.lifetime_limit().total_seconds() / 3600
            }
        return self._to_login(request, message)

    @staticmethod
    def _to_login(request: HttpRequest, message: str) -> HttpResponse:
        messages.info(request, message)
        target = reverse("login")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
