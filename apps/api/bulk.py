"""`POST /api/v1/requests/bulk/`: one action on up to 100 requests, each acted on alone
(apps/casework/bulk.py has the rules), one result per request."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.casework import bulk
from apps.organizations.models import User


class BulkInputSerializer(serializers.Serializer):
    """One action on up to 100 requests, with the text or the person it takes."""

    # (Checked by `run_bulk` itself, which answers 400 with these field names.)

    action = serializers.ChoiceField(choices=list(bulk.ACTIONS))
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=bulk.MAX_IDS,
        help_text=_(
            "The requests to act on, at most 100; repeated ids count once, in the order first given."
        ),
    )
    reason = serializers.CharField(required=False, help_text=_("Required to escalate or return."))
    body = serializers.CharField(
        required=False,
        help_text=_("The reply, to respond (or a template, or both: the text, then the template's)."),
    )
    template = serializers.IntegerField(
        required=False, help_text=_("A reply template offered to you (`respond`), filled in per request.")
    )
    assignee = serializers.IntegerField(
        required=False,
        help_text=_("To assign: one of the staff of your organisation or its departments."),
    )
    versions = serializers.DictField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        help_text=_(
            "Optional, by request id: the `version` you read. A request written since is skipped "
            "(`status: skipped`, changed meanwhile) and nothing is done to it."
        ),
    )


class BulkResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=[bulk.DONE, bulk.SKIPPED, bulk.NOT_ALLOWED, bulk.FORBIDDEN, bulk.NOT_FOUND],
        help_text=_(
            "`done`; `skipped` (changed meanwhile); `not_allowed` (not from its state, or not with "
            "this input); `forbidden` (you may see it but not do this); `not_found` (no such "
            "request, or none you may see: the two are answered alike)."
        ),
    )
    detail = serializers.CharField(help_text=_("What happened, in words, in your language."))
    reference = serializers.CharField(allow_null=True, help_text=_("Null for a request not found."))


class BulkResponseSerializer(serializers.Serializer):
    results = BulkResultSerializer(many=True)
    summary = serializers.CharField()


def _given(data: Any) -> dict[str, Any]:
    """The input as `run_bulk` takes it, from JSON or a form post (where ids repeat)."""
    if isinstance(data, QueryDict):
        values: dict[str, Any] = {key: data.get(key) for key in data}
        values["ids"] = data.getlist("ids")
        return values
    return dict(data) if isinstance(data, dict) else {"ids": None}


class BulkView(APIView):
    @extend_schema(
        request=BulkInputSerializer,
        responses={
            200: BulkResponseSerializer,
            400: OpenApiResponse(description="Invalid input, with a message per field; nothing was done."),
            403: OpenApiResponse(description="Enterprise staff take no bulk actions."),
        },
    )
    def post(self, request: Request) -> Response:
        """Claim, assign, escalate, return or respond to up to 100 requests at once. Each request
        goes through the same action as alone (its own guard, compare-and-swap, timeline and
        notifications); the answer is 200 with one result per distinct id, in the order given,
        and a one-line summary."""
        user: User = request.user  # type: ignore[assignment]
        bulk.check_may_bulk(user)
        given = _given(request.data)
        outcomes = bulk.run_bulk(
            user,
            given.get("action"),
            given.get("ids"),
            reason=given.get("reason"),
            body=given.get("body"),
            assignee=given.get("assignee"),
            template=given.get("template"),
            versions=given.get("versions"),
        )
        results = [
            {"id": o.id, "status": o.status, "detail": o.detail, "reference": o.reference} for o in outcomes
        ]
        return Response({"results": results, "summary": bulk.summary(given["action"], outcomes)})
