"""The audit trail for the auditor (and the emergency superuser): a period's records, filtered,
and their export as CSV or XLSX. Nobody else may read it."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from apps.audit import export as audit_export
from apps.audit.models import Result
from portal.csv_download import csv_response


class PeriodForm(forms.Form):
    since = forms.DateField(label=_("First day"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Last day (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))
    event = forms.CharField(label=_("Event"), max_length=60, required=False)
    person = forms.CharField(label=_("Person (username)"), max_length=150, required=False)
    result = forms.ChoiceField(label=_("Result"), choices=[("", _("any")), *Result.choices], required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until:
            if since > until:
                raise forms.ValidationError(_("The period ends before it begins."))
            if (until - since).days > 366:
                raise forms.ValidationError(_("Choose a period of at most a year."))
        return data


def _form(request: HttpRequest) -> PeriodForm:
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("since", (today - timedelta(days=6)).isoformat())
    data.setdefault("until", today.isoformat())
    return PeriodForm(data)


def _may_read(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


@login_required
@require_safe
def trail_page(request: HttpRequest) -> HttpResponse:
    _may_read(request, "audit.view_auditrecord")
    form = _form(request)
    page = None
    if form.is_valid():
        queryset = audit_export.records(**form.cleaned_data).order_by("-seq")
        page = Paginator(queryset, 100).get_page(request.GET.get("page"))
    status = 200 if form.is_valid() else 400
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/audit_trail.html",
        {"form": form, "page": page, "query": query.urlencode()},
        status=status,
    )


@login_required
@require_safe
def export_trail(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    _may_read(request, "audit.export_auditrecord")
    form = _form(request)
    if fmt not in ("csv", "xlsx") or not form.is_valid():
        return render(request, "web/audit_trail.html", {"form": form, "page": None, "query": ""}, status=400)
    data = form.cleaned_data
    queryset = audit_export.records(**data)
    name = f"audit-{data['since']:%Y%m%d}-{data['until']:%Y%m%d}.{fmt}"
    if fmt == "csv":
        return csv_response(name, [code for code, _label in audit_export.HEADER], audit_export.rows(queryset))
    response = HttpResponse(audit_export.xlsx_bytes(queryset), content_type=audit_export.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
