"""Pages: thin views over the same selectors and actions as the API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.casework import selectors


def index(request: HttpRequest) -> HttpResponse:
    return redirect("home" if request.user.is_authenticated else "login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    requests = selectors.request_list(request.user).order_by("-created_at", "-id")[:25]  # type: ignore[arg-type]
    return render(request, "web/home.html", {"requests": requests})
