"""The signed-in user's own account: password, language, API token, log out everywhere."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.organizations import accounts
from apps.organizations.models import User

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

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
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
