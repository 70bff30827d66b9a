"""Signing in: the password, then, for people with a second factor, a code from their
authenticator app (or a backup code). The person is signed in only once both are right; in
between, the session holds who passed the password, for a few minutes."""

from __future__ import annotations

import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from apps.organizations import lockout
from apps.organizations.models import User
from apps.security import two_factor

from . import forms

PENDING = "_portal_password_passed"
PENDING_SECONDS = 300


class SignInView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not two_factor.is_enrolled(user):
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": getattr(user, "backend", ""),
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("login-code")


def _pending(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user_id = pending.get("user")
    if not isinstance(user_id, int):
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    return (user, pending) if user is not None else None


@never_cache
@csrf_protect
def code_step(request: HttpRequest) -> HttpResponse:
    found = _pending(request)
    if found is None:
        messages.info(request, _("Sign in with your username and password first."))
        return redirect("login")
    user, pending = found
    credentials = {"username": user.get_username()}
    form = forms.CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not AxesProxyHandler.is_allowed(request, credentials):
            request.session.pop(PENDING, None)
            return lockout.lockout_response(request, None, credentials)
        wait = two_factor.seconds_to_wait(user)
        if wait and form.is_valid():
            form.add_error(
                "code",
                ngettext(
                    "After a wrong code the next one is checked a moment later: wait %(seconds)d second "
                    "and type the code shown then.",
                    "After wrong codes the next one is checked a moment later: wait %(seconds)d seconds "
                    "and type the code shown then.",
                    wait,
                )
                % {"seconds": wait},
            )
        elif form.is_valid():
            device = two_factor.verify(user, form.cleaned_data["code"], request=request)
            if device is not None:
                request.session.pop(PENDING, None)
                user.backend = pending["backend"]
                # django-otp marks the session as passed with this device as it signs in.
                user.otp_device = device  # type: ignore[attr-defined]
                login(request, user)
                return redirect(pending["next"])
            if getattr(request, "axes_locked_out", False):
                request.session.pop(PENDING, None)
                return lockout.lockout_response(request, None, credentials)
            form.add_error(
                "code", _("That code is not right. Codes change every 30 seconds: try the one shown now.")
            )
        status = 400
    return render(request, "registration/login_code.html", {"form": form}, status=status)
