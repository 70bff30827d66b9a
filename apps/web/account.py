"""The signed-in user's own account: password, second factor, sessions, language, API token,
log out everywhere."""

from __future__ import annotations

from typing import Any

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.audit import trail
from apps.organizations import accounts
from apps.organizations.models import User
from apps.security import sessions, two_factor

from . import forms


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "web/account.html",
        {
            "token": accounts.api_token(user),
            "two_factor": {
                "enrolled": two_factor.is_enrolled(user),
                "required": two_factor.required(user),
                "backup_codes_left": two_factor.backup_codes_left(user),
            },
            "sessions": sessions.active_sessions(user, request.session),
            "this_session": request.session.get(sessions.RECORD),
            # The saved language (that of the emails), not merely the one this page is shown in.
            "language_form": forms.LanguageForm(initial={"language": user.language}),
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (old password, then the new one twice, checked by
    AUTH_PASSWORD_VALIDATORS). This session stays signed in; every other session ends (the
    session hash covers the password) and the API token is revoked (User.save)."""

    template_name = "web/account_password.html"
    success_url = reverse_lazy("account")

    def form_invalid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = 400
        return response

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        user = _user(self.request)
        user.must_change_password = False
        response = super().form_valid(form)
        messages.success(
            self.request,
            _(
                "Your password is changed. You stay signed in here; other devices are signed out and "
                "your API token is revoked."
            ),
        )
        return response


@login_required
@require_POST
def log_out_everywhere(request: HttpRequest) -> HttpResponse:
    accounts.log_out_everywhere(_user(request))
    logout(request)
    messages.success(
        request, _("You are logged out on every device, this one included, and your API token is revoked.")
    )
    return redirect("login")


@login_required
@require_POST
def revoke_token(request: HttpRequest) -> HttpResponse:
    if accounts.revoke_api_token(_user(request)):
        messages.success(request, _("Your API token is revoked. Programs using it can no longer sign in."))
    else:
        messages.info(request, _("You had no API token."))
    return redirect("account")


@login_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language of the pages (as the header's switch) and of the emails the user receives."""
    form = forms.LanguageForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the languages offered."))
        return redirect("account")
    language: str = form.cleaned_data["language"]
    user = _user(request)
    user.language = language
    user.save(update_fields=["language"])
    translation.activate(language)
    messages.success(request, _("Language saved for pages and emails."))
    response = redirect("account")
    cookie: dict[str, Any] = {
        "max_age": settings.LANGUAGE_COOKIE_AGE,
        "path": settings.LANGUAGE_COOKIE_PATH,
        "domain": settings.LANGUAGE_COOKIE_DOMAIN,
        "secure": settings.LANGUAGE_COOKIE_SECURE,
        "httponly": settings.LANGUAGE_COOKIE_HTTPONLY,
        "samesite": settings.LANGUAGE_COOKIE_SAMESITE,
    }
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, **cookie)
    return response


def _end_other_ways_in(request: HttpRequest, user: User) -> None:
    """Every other session and the API token were signed in without the second factor: end
    them, and keep this one (which just passed it)."""
    accounts.log_out_everywhere(user)
    update_session_auth_hash(request, user)


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app (a QR code and the key to type), or see the one there is."""
    user = _user(request)
    if two_factor.is_enrolled(user):
        return render(
            request,
            "web/account_two_factor.html",
            {
                "enrolled": True,
                "required": two_factor.required(user),
                "backup_codes_left": two_factor.backup_codes_left(user),
                "off_form": forms.CodeForm(prefix="off"),
            },
        )
    return _enrolment_page(request, forms.CodeForm())


def _enrolment_page(request: HttpRequest, form: forms.CodeForm, status: int = 200) -> HttpResponse:
    user = _user(request)
    return render(
        request,
        "web/account_two_factor.html",
        {
            "enrolled": False,
            "required": two_factor.required(user),
            "enrolment": two_factor.start_enrolment(user, request.session),
            "form": form,
        },
        status=status,
    )


@login_required
@require_POST
def two_factor_confirm(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = forms.CodeForm(request.POST)
    if not form.is_valid():
        return _enrolment_page(request, form, status=400)
    try:
        device, codes = two_factor.confirm_enrolment(user, request.session, form.cleaned_data["code"])
    except two_factor.TwoFactorError:
        form.add_error("code", _("That code is not right. Type the six digits the app shows now."))
        return _enrolment_page(request, form, status=400)
    _end_other_ways_in(request, user)
    django_otp.login(request, device)
    trail.record("second_factor_enrolled", actor=user, request=request, obj=user)
    messages.success(
        request,
        _("Two-factor sign-in is on. Your other sessions are signed out and your API token is revoked."),
    )
    return render(request, "web/account_backup_codes.html", {"codes": codes})


@login_required
@require_POST
def backup_codes(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not two_factor.is_enrolled(user):
        return redirect("account-two-factor")
    codes = two_factor.new_backup_codes(user)
    trail.record("backup_codes_renewed", actor=user, request=request, obj=user)
    messages.success(request, _("New backup codes: the old ones no longer work."))
    return render(request, "web/account_backup_codes.html", {"codes": codes})


@login_required
@require_POST
def two_factor_off(request: HttpRequest) -> HttpResponse:
    """Turn the second factor off, with a current code; not for roles that must keep it."""
    user = _user(request)
    if two_factor.required(user) or not two_factor.is_enrolled(user):
        messages.error(request, _("Your role signs in with a second factor: it cannot be turned off."))
        return redirect("account-two-factor")
    form = forms.CodeForm(request.POST, prefix="off")
    device = two_factor.verify(user, form.cleaned_data["code"], request=request) if form.is_valid() else None
    if device is None:
        messages.error(request, _("That code is not right: two-factor sign-in stays on."))
        return redirect("account-two-factor")
    two_factor.remove(user)
    logout(request)
    trail.record("second_factor_removed", actor=user, request=request, obj=user)
    messages.success(request, _("Two-factor sign-in is off. Sign in again with your password."))
    return redirect("login")


@login_required
@require_POST
def end_session(request: HttpRequest, session_id: int) -> HttpResponse:
    user = _user(request)
    if not sessions.end_session(user, session_id):
        raise Http404
    trail.record("session_ended", actor=user, request=request, obj=user, detail={"session": session_id})
    if request.session.get(sessions.RECORD) == session_id:
        logout(request)
        return redirect("login")
    messages.success(request, _("That session is ended: the device using it is signed out."))
    return redirect("account")
