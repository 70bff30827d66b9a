"""The offline assistant over the API (apps/assist has the index, the ranking and the rules):

- `GET /api/v1/requests/{id}/suggested-guidance/` and `GET …/{id}/similar/`: up to five
  suggestions, best first, each `{id, title or reference, score, why, matched}`;
- `POST /api/v1/assist/` `{title, description}`: the same for a request not yet filed, with the
  suggested category `{value, confidence}` (null below the threshold);
- `POST /api/v1/assist/feedback/` `{kind, target, request?, helpful}`: helpful or not.

Similar requests come only from what the caller may see; the index is asked first, visibility
decides (apps/assist/selectors.py).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.assist import actions, selectors
from apps.assist.models import Feedback
from apps.casework import selectors as casework_selectors
from apps.casework.models import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH, Category
from apps.organizations.models import User

from .serializers import StrictBooleanField, StrictCharField


class GuidanceSuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(source="label")
    score = serializers.FloatField(help_text=_("0 to 1: the share of what the text says found in it."))
    why = serializers.CharField()
    matched = serializers.ListField(child=serializers.CharField())
    url = serializers.SerializerMethodField()

    def get_url(self, suggestion: selectors.Suggestion) -> str:
        return reverse("guidance-detail", args=[suggestion.id])


class SimilarSuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField(source="label")
    score = serializers.FloatField()
    why = serializers.CharField()
    matched = serializers.ListField(child=serializers.CharField())
    resolution = serializers.CharField()
    state = serializers.SerializerMethodField()

    def get_state(self, suggestion: selectors.Suggestion) -> str:
        return str(suggestion.extra["state"])


class AssistInputSerializer(serializers.Serializer):
    title = StrictCharField(max_length=TITLE_MAX_LENGTH, required=False, allow_blank=True, default="")
    description = StrictCharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs["title"].strip() or attrs["description"].strip()):
            raise serializers.ValidationError(
                {"title": [_("Write a title or a description to get suggestions.")]}
            )
        return attrs


class FeedbackInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Feedback.Kind.choices)
    target = StrictCharField(
        max_length=32, help_text=_("The guidance id, the similar request's id or the category.")
    )
    request = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**62)
    helpful = StrictBooleanField()


_NOT_VISIBLE = OpenApiResponse(description="No such request, or one you may not see.")
_INPUT = OpenApiResponse(description="Invalid input, with a message per field; nothing was saved.")


class SuggestedGuidanceView(APIView):
    @extend_schema(responses={200: GuidanceSuggestionSerializer(many=True), 404: _NOT_VISIBLE})
    def get(self, request: Request, pk: int) -> Response:
        """Guidance documents on the request's subject, in either language, best first."""
        service_request = casework_selectors.get_visible_request(request.user, pk)  # type: ignore[arg-type]
        found = selectors.guidance_for_request(service_request)
        return Response(GuidanceSuggestionSerializer(found, many=True).data)


class SimilarView(APIView):
    @extend_schema(responses={200: SimilarSuggestionSerializer(many=True), 404: _NOT_VISIBLE})
    def get(self, request: Request, pk: int) -> Response:
        """Resolved requests on the same problem, with their resolutions, from those the caller
        may see (enterprise staff: their own enterprise's)."""
        user: User = request.user  # type: ignore[assignment]
        service_request = casework_selectors.get_visible_request(user, pk)
        found = selectors.similar_to_request(user, service_request)
        return Response(SimilarSuggestionSerializer(found, many=True).data)


class AssistView(APIView):
    @extend_schema(
        request=AssistInputSerializer,
        responses={
            200: inline_serializer(
                "AssistResult",
                {
                    "category": inline_serializer(
                        "CategorySuggestion",
                        {
                            "value": serializers.ChoiceField(choices=Category.choices),
                            "confidence": serializers.FloatField(),
                        },
                        allow_null=True,
                    ),
                    "guidance": GuidanceSuggestionSerializer(many=True),
                    "similar": SimilarSuggestionSerializer(many=True),
                },
            ),
            400: _INPUT,
        },
    )
    def post(self, request: Request) -> Response:
        """Suggestions for a request not yet filed: its category (null when the classifier is
        not confident enough), guidance, and similar resolved requests the caller may see."""
        data = AssistInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        title, description = data.validated_data["title"], data.validated_data["description"]
        found = selectors.for_text(request.user, title, description)  # type: ignore[arg-type]
        category = found.category
        return Response(
            {
                "category": {"value": category[0], "confidence": category[1]} if category else None,
                "guidance": GuidanceSuggestionSerializer(found.guidance, many=True).data,
                "similar": SimilarSuggestionSerializer(found.similar, many=True).data,
            }
        )


class FeedbackView(APIView):
    @extend_schema(
        request=FeedbackInputSerializer,
        responses={201: OpenApiResponse(description="Recorded (said again, it replaces)."), 400: _INPUT},
    )
    def post(self, request: Request) -> Response:
        """Say whether a suggestion helped; counted in the supervisors' figures."""
        data = FeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = actions.record_feedback(actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        return Response({"id": feedback.pk, "helpful": feedback.helpful}, status=status.HTTP_201_CREATED)
