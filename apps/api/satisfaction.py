"""好差评 over the API: the rating of a request's latest resolution, and the rectification a bad
review opens (apps/satisfaction has the rules and the actions).

- `POST /api/v1/requests/{id}/rate/`, `GET /api/v1/requests/{id}/rating/`,
  `GET /api/v1/requests/{id}/rectifications/`;
- `GET /api/v1/rectifications/` (the caller's work list), `GET /api/v1/rectifications/{id}/`, and
  `POST …/rectify/`, `…/appeal/`, `…/decide/`, `…/rate/` on one.

A rating or a rectification is seen exactly by whoever sees its request; who rated is shown only
to the enterprise's side (`rules.sees_rater`), and the appeal, an internal matter, is shown to the
enterprise only as the rectification's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.casework import selectors as casework_selectors
from apps.casework.filters import OptionalMultipleChoiceFilter, StrictBooleanFilter
from apps.casework.models import TEXT_MAX_LENGTH, ServiceRequest
from apps.deadlines.time_left import TimeLeft, time_left
from apps.organizations.models import Organization, Tier, User
from apps.satisfaction import actions, rules, selectors
from apps.satisfaction.actions import COMMENT_MAX_LENGTH
from apps.satisfaction.models import (
    UNFINISHED,
    AppealDecision,
    FollowUpMethod,
    Rating,
    Rectification,
    RectificationState,
    Source,
)
from apps.satisfaction.texts import score_label

from .serializers import (
    EARLIEST_MOMENT,
    LATEST_MOMENT,
    StrictCharField,
    UserSummarySerializer,
    WholeNumberField,
)


def _caller(context: Mapping[str, Any]) -> User:
    return context["request"].user  # type: ignore[no-any-return]


def _unit_name(department: Organization | None, authority: Organization) -> str:
    """Whose answer it is: the department, else the authority, in the reader's language."""
    return (department or authority).display_name


# --- input -------------------------------------------------------------------------------------
class ScoreField(WholeNumberField):
    """A whole number from 1 to 5: a number in JSON (a string of digits in a form post, where
    everything is a string); never true or false, nor 4.5."""

    default_error_messages = {
        "invalid": _("Choose a score from 1 (very dissatisfied) to 5 (very satisfied)."),
        "max_value": _("Choose a score from 1 (very dissatisfied) to 5 (very satisfied)."),
        "min_value": _("Choose a score from 1 (very dissatisfied) to 5 (very satisfied)."),
        "required": _("Choose a score from 1 (very dissatisfied) to 5 (very satisfied)."),
        "null": _("Choose a score from 1 (very dissatisfied) to 5 (very satisfied)."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 5)
        kwargs.setdefault("help_text", "1 (very dissatisfied, 非常不满意) to 5 (very satisfied, 非常满意).")
        super().__init__(**kwargs)


class RateInputSerializer(serializers.Serializer):
    score = ScoreField()
    comment = StrictCharField(max_length=COMMENT_MAX_LENGTH, required=False, allow_blank=True, default="")


def _within_supported_years(moment: datetime) -> None:
    if not EARLIEST_MOMENT <= moment < LATEST_MOMENT:
        raise serializers.ValidationError(_("Give the date and time, e.g. 2026-12-01 15:30."))


class StrictDateTimeField(serializers.DateTimeField):
    """An ISO-8601 date and time, given as a string."""

    default_error_messages = {"invalid": _("Give the date and time, e.g. 2026-12-01 15:30.")}

    def to_internal_value(self, value: Any) -> datetime:
        if not isinstance(value, str):
            self.fail("invalid")
        return super().to_internal_value(value)  # type: ignore[no-any-return]


class RectifyInputSerializer(serializers.Serializer):
    action_taken = StrictCharField(max_length=TEXT_MAX_LENGTH, help_text="What was done about the review.")
    followed_up_at = StrictDateTimeField(
        validators=[_within_supported_years],
        help_text="When the enterprise was followed up (回访), ISO-8601; not in the future.",
    )
    follow_up_method = serializers.ChoiceField(choices=FollowUpMethod.choices)
    follow_up_notes = StrictCharField(max_length=TEXT_MAX_LENGTH, help_text="What the enterprise said.")


class AppealInputSerializer(serializers.Serializer):
    reason = StrictCharField(
        max_length=TEXT_MAX_LENGTH, help_text="Why the review is mistaken or malicious (internal)."
    )


class DecideInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=AppealDecision.choices,
        help_text="`upheld`: the rectification goes on, its deadline unchanged; `set_aside`: the "
        "figures leave the review out.",
    )
    reason = StrictCharField(max_length=TEXT_MAX_LENGTH, help_text="Why (internal).")


# --- output ------------------------------------------------------------------------------------
class RatingSerializer(serializers.Serializer):
    """The rating of one resolution: empty (`score` null) until the enterprise rates it, or
    until `default_at`, when it counts as 5."""

    id = serializers.IntegerField(read_only=True)
    request = serializers.IntegerField(source="request_id", read_only=True)
    rated = serializers.BooleanField(read_only=True)
    score = serializers.IntegerField(read_only=True, allow_null=True, help_text="1 to 5; null until rated.")
    score_label = serializers.SerializerMethodField(help_text='e.g. "4 – Satisfied"; null until rated.')
    comment = serializers.CharField(read_only=True)
    # The metaclass pops declared fields, so this does not shadow Field.source at run time.
    source = serializers.SerializerMethodField(  # type: ignore[assignment]
        help_text="`enterprise`, `liaison` (recorded by the park for the enterprise) or `default` "
        "(not rated in time, counts as 5); null until rated."
    )
    rated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    rated_by = serializers.SerializerMethodField(
        help_text="Who gave or recorded it: shown to the enterprise, its park and admins only, "
        "null for everybody else (the rated staff never learn who rated)."
    )
    resolved_at = serializers.DateTimeField(read_only=True)
    default_at = serializers.DateTimeField(
        read_only=True, help_text="When it counts as 5 (`source: default`) if still unrated."
    )
    tier = serializers.ChoiceField(choices=Tier.choices, read_only=True)
    organization = serializers.SerializerMethodField(
        help_text="Whose answer is rated: the department, else the authority, in your language."
    )
    set_aside = serializers.BooleanField(
        read_only=True, help_text="Set aside on appeal: the figures leave it out."
    )
    rectification = serializers.SerializerMethodField(
        help_text="The rectification a bad review opened, if any."
    )

    def get_score_label(self, rating: Rating) -> str | None:
        return score_label(rating.score) if rating.score is not None else None

    @extend_schema_field(serializers.ChoiceField(choices=Source.choices, allow_null=True))
    def get_source(self, rating: Rating) -> str | None:
        return rating.source or None

    @extend_schema_field(UserSummarySerializer(allow_null=True))
    def get_rated_by(self, rating: Rating) -> dict[str, Any] | None:
        if rating.rated_by is None or not rules.sees_rater(rating.request, _caller(self.context)):
            return None
        return UserSummarySerializer(rating.rated_by).data  # type: ignore[no-any-return]

    def get_organization(self, rating: Rating) -> str:
        return _unit_name(rating.department, rating.authority)

    def get_rectification(self, rating: Rating) -> int | None:
        try:
            return rating.rectification.pk
        except Rectification.DoesNotExist:
            return None


class RectificationSerializer(serializers.Serializer):
    """整改: what the organisation that resolved a request does about a bad review of it (or its
    appeal, 申诉, against the review). The appeal is internal: enterprise staff get its reason,
    the decision's reason and who appealed or decided as null."""

    id = serializers.IntegerField(read_only=True)
    request = serializers.IntegerField(source="request_id", read_only=True)
    reference = serializers.CharField(source="request.reference", read_only=True)
    state = serializers.ChoiceField(choices=RectificationState.choices, read_only=True)
    tier = serializers.ChoiceField(choices=Tier.choices, read_only=True)
    organization = serializers.SerializerMethodField(
        help_text="Who owns it: the department, else the authority, in your language."
    )
    score = serializers.IntegerField(
        source="rating.score", read_only=True, help_text="The bad review's score."
    )
    score_label = serializers.SerializerMethodField()
    comment = serializers.CharField(
        source="rating.comment", read_only=True, help_text="The bad review's comment."
    )
    opened_at = serializers.DateTimeField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True)
    due_in = serializers.SerializerMethodField(
        help_text="Working seconds left to `due_at` on the official calendar, negative when "
        "overdue; null once rectified or set aside."
    )
    due_label = serializers.SerializerMethodField(
        help_text='The same in words, e.g. "due tomorrow 18:00"; null once rectified or set aside.'
    )
    overdue = serializers.SerializerMethodField(help_text="Still to be done and past `due_at`.")
    breached_at = serializers.DateTimeField(read_only=True, allow_null=True)
    action_taken = serializers.CharField(read_only=True)
    followed_up_at = serializers.DateTimeField(read_only=True, allow_null=True)
    follow_up_method = serializers.SerializerMethodField()
    follow_up_notes = serializers.CharField(read_only=True)
    rectified_at = serializers.DateTimeField(read_only=True, allow_null=True)
    on_time = serializers.BooleanField(
        read_only=True, allow_null=True, help_text="Rectified by `due_at`; null until rectified."
    )
    appeal_reason = serializers.SerializerMethodField(help_text="Null for enterprise staff.")
    appealed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    appealed_by = serializers.SerializerMethodField(help_text="Null for enterprise staff.")
    decision = serializers.SerializerMethodField()
    decision_reason = serializers.SerializerMethodField(help_text="Null for enterprise staff.")
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decided_by = serializers.SerializerMethodField(help_text="Null for enterprise staff.")
    fix_score = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The enterprise's rating of the fix, 1 to 5."
    )
    fix_comment = serializers.CharField(read_only=True)
    fix_rated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def _internal_shown(self) -> bool:
        return not _caller(self.context).is_enterprise

    def get_organization(self, rectification: Rectification) -> str:
        return _unit_name(rectification.department, rectification.authority)

    def get_score_label(self, rectification: Rectification) -> str:
        return score_label(rectification.rating.score)  # type: ignore[arg-type]

    def _time_left(self, rectification: Rectification) -> TimeLeft | None:
        """Worked out once per rectification shown (two fields read it)."""
        if rectification.state not in UNFINISHED:
            return None
        cache: dict[int, TimeLeft] = self.__dict__.setdefault("_time_left_cache", {})
        if rectification.pk not in cache:
            cache[rectification.pk] = time_left(rectification.due_at)
        return cache[rectification.pk]

    def get_due_in(self, rectification: Rectification) -> int | None:
        left = self._time_left(rectification)
        return left.seconds if left else None

    def get_due_label(self, rectification: Rectification) -> str | None:
        left = self._time_left(rectification)
        return left.label if left else None

    def get_overdue(self, rectification: Rectification) -> bool:
        return rectification.state in UNFINISHED and rectification.due_at <= timezone.now()

    @extend_schema_field(serializers.ChoiceField(choices=FollowUpMethod.choices, allow_null=True))
    def get_follow_up_method(self, rectification: Rectification) -> str | None:
        return rectification.follow_up_method or None

    @extend_schema_field(serializers.ChoiceField(choices=AppealDecision.choices, allow_null=True))
    def get_decision(self, rectification: Rectification) -> str | None:
        return rectification.decision or None

    def get_appeal_reason(self, rectification: Rectification) -> str | None:
        return rectification.appeal_reason if self._internal_shown() else None

    def get_decision_reason(self, rectification: Rectification) -> str | None:
        return rectification.decision_reason if self._internal_shown() else None

    @extend_schema_field(UserSummarySerializer(allow_null=True))
    def get_appealed_by(self, rectification: Rectification) -> dict[str, Any] | None:
        person = rectification.appealed_by
        return UserSummarySerializer(person).data if person and self._internal_shown() else None  # type: ignore[return-value]

    @extend_schema_field(UserSummarySerializer(allow_null=True))
    def get_decided_by(self, rectification: Rectification) -> dict[str, Any] | None:
        person = rectification.decided_by
        return UserSummarySerializer(person).data if person and self._internal_shown() else None  # type: ignore[return-value]


# --- the request's rating and rectifications ----------------------------------------------------
_REQUEST_NOT_VISIBLE = OpenApiResponse(description="No such request, or one you may not see.")
_INPUT = OpenApiResponse(description="Invalid input, with a message per field; nothing was saved.")
_RATE_403 = OpenApiResponse(
    description="Only the enterprise's staff rate its requests (its park's liaison may record their rating)."
)
_RATE_409 = OpenApiResponse(
    description="Not resolved, or this resolution was rated already (one rating per resolution), "
    "or it changed meanwhile."
)


def _requested(request: Request, pk: int) -> tuple[User, ServiceRequest]:
    user: User = request.user  # type: ignore[assignment]
    return user, casework_selectors.get_visible_request(user, pk)


class RateView(APIView):
    @extend_schema(
        request=RateInputSerializer,
        responses={
            201: RatingSerializer,
            400: _INPUT,
            403: _RATE_403,
            404: _REQUEST_NOT_VISIBLE,
            409: _RATE_409,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Rate the answer of a resolved request, 1 to 5, once per resolution (the enterprise's
        staff; its park's liaison records a rating the enterprise gave, `source: liaison`). A
        score of 1 or 2 is a bad review and opens a rectification."""
        user, service_request = _requested(request, pk)
        data = RateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rating = actions.rate(service_request, actor=user, **data.validated_data)
        shown = RatingSerializer(selectors.rating_of(rating.request), context={"request": request})
        return Response(shown.data, status=status.HTTP_201_CREATED)


class RatingView(APIView):
    @extend_schema(
        responses={
            200: RatingSerializer,
            404: OpenApiResponse(
                description="No such request or one you may not see; or no resolution to rate: "
                "never resolved, or reopened since (`code: not_rated`)."
            ),
        }
    )
    def get(self, request: Request, pk: int) -> Response:
        """The rating of the request's latest resolution, rated or still waiting."""
        _user, service_request = _requested(request, pk)
        return Response(
            RatingSerializer(selectors.rating_of(service_request), context={"request": request}).data
        )


class RequestRectificationsView(APIView):
    @extend_schema(responses={200: RectificationSerializer(many=True), 404: _REQUEST_NOT_VISIBLE})
    def get(self, request: Request, pk: int) -> Response:
        """The request's rectifications, one per bad review, newest first."""
        _user, service_request = _requested(request, pk)
        found = selectors.request_rectifications(service_request)
        return Response(RectificationSerializer(found, many=True, context={"request": request}).data)


# --- rectifications ----------------------------------------------------------------------------
class RectificationFilter(filters.FilterSet):
    state = OptionalMultipleChoiceFilter(label=_("State"), choices=RectificationState.choices, distinct=False)
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("Overdue"))

    class Meta:
        model = Rectification
        fields = ["state"]

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        overdue = Q(state__in=UNFINISHED, due_at__lte=timezone.now())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


_NOT_VISIBLE = OpenApiResponse(description="No such rectification, or its request is not visible to you.")
_OWNER_403 = OpenApiResponse(
    description="Only the staff of the organisation whose answer was rated work on its rectification."
)
_STATE_409 = OpenApiResponse(
    description="Not possible from the rectification's state (already rectified, under appeal, "
    "decided), or it changed meanwhile."
)


def _acting_schema(input_serializer: type[serializers.Serializer], forbidden: OpenApiResponse) -> Any:
    return extend_schema(
        request=input_serializer,
        responses={
            200: RectificationSerializer,
            400: _INPUT,
            403: forbidden,
            404: _NOT_VISIBLE,
            409: _STATE_409,
        },
    )


class RectificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Rectifications (整改) of bad reviews, seen by whoever sees their request."""

    queryset = Rectification.objects.none()  # for the schema; the selectors decide
    lookup_value_regex = r"[0-9]+"
    serializer_class = RectificationSerializer
    filterset_class = RectificationFilter

    def get_queryset(self) -> QuerySet[Rectification]:
        return selectors.work_list(self.request.user)  # type: ignore[arg-type]

    def _rectification(self) -> Rectification:
        return selectors.get_visible_rectification(self.request.user, self.kwargs["pk"])  # type: ignore[arg-type]

    def _shown(self) -> Response:
        return Response(
            RectificationSerializer(self._rectification(), context={"request": self.request}).data
        )

    def _act(self, input_serializer: type[serializers.Serializer], act: Any) -> Response:
        rectification = self._rectification()
        data = input_serializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        act(rectification, actor=self.request.user, **data.validated_data)
        return self._shown()

    @extend_schema(responses={200: RectificationSerializer(many=True)})
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The caller's work list, newest first: for the staff of a park, an authority or a
        department, the rectifications their organisation owns; for enterprise staff, those of
        their requests. `overdue=true`: still to be done (or decided) and past `due_at`."""
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: RectificationSerializer, 404: _NOT_VISIBLE})
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._shown()

    @_acting_schema(RectifyInputSerializer, _OWNER_403)
    @action(detail=True, methods=["post"])
    def rectify(self, request: Request, pk: str) -> Response:
        """Record what was done about the bad review and the follow-up (回访) with the
        enterprise. The enterprise may then rate the fix."""
        return self._act(RectifyInputSerializer, actions.rectify)

    @_acting_schema(AppealInputSerializer, _OWNER_403)
    @action(detail=True, methods=["post"])
    def appeal(self, request: Request, pk: str) -> Response:
        """Contest the review (申诉) as mistaken or malicious, instead of rectifying: a
        supervisor of the organisation decides. Internal: the enterprise sees only the state."""
        return self._act(AppealInputSerializer, actions.appeal)

    @_acting_schema(
        DecideInputSerializer,
        OpenApiResponse(
            description="An appeal is decided by a supervisor of the organisation, other than the person who appealed."
        ),
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        """Uphold the review (the rectification goes on) or set it aside (the figures leave it out)."""
        return self._act(DecideInputSerializer, actions.decide_appeal)

    @_acting_schema(
        RateInputSerializer,
        OpenApiResponse(
            description="Only the enterprise's staff, or its park's liaison for them, rate a rectification."
        ),
    )
    @action(detail=True, methods=["post"])
    def rate(self, request: Request, pk: str) -> Response:
        """The enterprise rates what was done about its bad review, once."""
        return self._act(RateInputSerializer, actions.rate_fix)
