"""`/api/v1/views/`: the caller's saved views of the queue (apps/desk/saved_views.py has the
rules), with the built-in views of their role first."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.desk import saved_views
from apps.desk.models import NAME_MAX_LENGTH, SavedView


class SavedViewSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        allow_null=True, read_only=True, help_text="The saved view's id; null for a built-in view."
    )
    key = serializers.CharField(
        read_only=True,
        help_text="What `?view=` of the home page takes: a word for a built-in view, else the id.",
    )
    name = serializers.CharField(read_only=True)
    query = serializers.CharField(
        read_only=True,
        help_text="The queue's filters as a query string, e.g. `state=park_review&overdue=true`.",
    )
    shared = serializers.BooleanField(read_only=True, help_text="Shared with everyone in the organisation.")
    builtin = serializers.BooleanField(
        read_only=True, help_text="Built in for the role: always there, never deleted."
    )
    owner = serializers.CharField(
        source="owner_name",
        allow_null=True,
        read_only=True,
        help_text="Who saved it; null for a built-in view.",
    )
    url = serializers.CharField(read_only=True, help_text="The home page opened on this view.")
    api_url = serializers.CharField(read_only=True, help_text="The request list with these filters.")


class SavedViewInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    query = serializers.CharField(
        max_length=saved_views.QUERY_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "The filters of `GET /api/v1/requests/` as a query string (`state`, `category`, "
            "`product_type`, `tier`, `green_channel`, `overdue`, `due`, `assignee`, `search`, "
            "`ordering`; `state=all` for every state). Other parameters are dropped; values the "
            "filters refuse are refused."
        ),
    )
    shared = serializers.BooleanField(
        required=False, default=False, help_text="Share with the organisation (supervisors only)."
    )


class SavedViewViewSet(viewsets.GenericViewSet):
    """The caller's views of the queue: built in for their role, their own, and those shared in
    their organisation."""

    queryset = SavedView.objects.none()  # for the schema; the rules decide
    lookup_value_regex = r"[0-9]+"
    serializer_class = SavedViewSerializer
    pagination_class = None
    filterset_class = None

    @extend_schema(responses={200: SavedViewSerializer(many=True)})
    def list(self, request: Request) -> Response:
        views = saved_views.views_for(request.user)  # type: ignore[arg-type]
        return Response(SavedViewSerializer(views, many=True).data)

    @extend_schema(
        request=SavedViewInputSerializer,
        responses={
            201: SavedViewSerializer,
            403: OpenApiResponse(
                description="No queue to save views of (enterprise staff), or sharing without being a supervisor."
            ),
        },
    )
    def create(self, request: Request) -> Response:
        data = SavedViewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values: dict[str, Any] = dict(data.validated_data)
        row = saved_views.save_view(request.user, **values)  # type: ignore[arg-type]
        view = saved_views.view_of(row)
        return Response(SavedViewSerializer(view).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            204: None,
            403: OpenApiResponse(description="A view shared with you that is not yours to delete."),
            404: OpenApiResponse(description="No such saved view, or not visible to you."),
        }
    )
    def destroy(self, request: Request, pk: str) -> Response:
        saved_views.delete_view(request.user, pk)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
