"""`/api/v1/requests/{id}/watch/`: follow a request (POST) or stop following it (DELETE), to
hear of its changes (apps/desk/watching.py says who hears of what)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.casework import selectors
from apps.desk import watching
from apps.organizations.models import User


class WatchSerializer(serializers.Serializer):
    watching = serializers.BooleanField(
        read_only=True, help_text="Whether the caller follows the request now."
    )


_NOT_VISIBLE = OpenApiResponse(description="No such request, or one the caller may not see.")


class WatchView(APIView):
    """Follow a request the caller may see; following twice is following once, and stopping
    when not following is no error."""

    @extend_schema(request=None, responses={200: WatchSerializer, 404: _NOT_VISIBLE})
    def post(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        watching.follow(user, selectors.get_visible_request(user, pk))
        return Response({"watching": True})

    @extend_schema(request=None, responses={200: WatchSerializer, 404: _NOT_VISIBLE})
    def delete(self, request: Request, pk: int) -> Response:
        user: User = request.user  # type: ignore[assignment]
        watching.unfollow(user, selectors.get_visible_request(user, pk))
        return Response({"watching": False})
