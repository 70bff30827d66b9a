"""Consultation meetings over the API (apps/meetings has the rules and the actions).

- `GET|POST /api/v1/slots/`, `GET /api/v1/slots/{id}/`, `POST /api/v1/slots/{id}/cancel/`:
  the slots of the caller's organisation (free times ahead, for enterprise staff);
- `GET|POST /api/v1/requests/{id}/meetings/`: a request's meetings; the tier holding it offers one;
- `GET /api/v1/meetings/{id}/`, `POST …/book/`, `…/another-time/`, `…/reschedule/`,
  `…/cancel/`, `…/minutes/`, `…/no-show/`, and `GET …/ics` (the invitation).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.casework import selectors as casework_selectors
from apps.casework.errors import TransitionNotAllowed
from apps.casework.models import TEXT_MAX_LENGTH, Category
from apps.meetings import actions, ics, selectors, slots
from apps.meetings.models import Meeting, Outcome, Slot
from apps.organizations.models import User

from .serializers import StrictBooleanField, StrictCharField, UserSummarySerializer, WholeNumberField


def _caller(request: Request) -> User:
    return request.user  # type: ignore[return-value]


# --- output ------------------------------------------------------------------------------------
class SlotSerializer(serializers.ModelSerializer):
    """A slot; how many places are taken only for the staff (an enterprise sees `free`)."""

    minutes = serializers.IntegerField(read_only=True)
    free = serializers.IntegerField(read_only=True)
    organization_name = serializers.SerializerMethodField()
    host = serializers.SerializerMethodField()
    cancelled = serializers.SerializerMethodField()

    class Meta:
        model = Slot
        fields = [
            "id",
            "organization",
            "organization_name",
            "host",
            "start",
            "end",
            "minutes",
            "capacity",
            "booked",
            "free",
            "place",
            "categories",
            "cancelled",
        ]

    def to_representation(self, instance: Slot) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if not selectors.sees_places_taken(self.context["request"].user):
            data.pop("booked")
            data.pop("capacity")
        return data

    def get_organization_name(self, slot: Slot) -> str:
        return slot.organization.display_name

    def get_host(self, slot: Slot) -> str:
        return slot.host.display_name

    def get_cancelled(self, slot: Slot) -> bool:
        return slot.cancelled_at is not None


class MeetingSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="request.reference", read_only=True)
    organization_name = serializers.SerializerMethodField()
    slots = serializers.SerializerMethodField()
    slot = serializers.SerializerMethodField()
    proposed_by = UserSummarySerializer(read_only=True)
    booked_by = UserSummarySerializer(read_only=True)
    minutes = serializers.SerializerMethodField()
    ics_url = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "request",
            "reference",
            "tier",
            "organization",
            "organization_name",
            "state",
            "slots",
            "slot",
            "starts_at",
            "ends_at",
            "note",
            "proposed_by",
            "proposed_at",
            "booked_by",
            "booked_at",
            "reason",
            "closed_at",
            "minutes",
            "outcome",
            "minutes_internal",
            "minutes_at",
            "ics_url",
        ]

    def get_organization_name(self, meeting: Meeting) -> str:
        return meeting.organization.display_name

    def get_slots(self, meeting: Meeting) -> Any:
        return SlotSerializer(meeting.slots.all(), many=True, context=self.context).data

    def get_slot(self, meeting: Meeting) -> Any:
        return None if meeting.slot is None else SlotSerializer(meeting.slot, context=self.context).data

    def get_minutes(self, meeting: Meeting) -> str:
        """Internal minutes reach no enterprise staff, by any route."""
        if meeting.minutes_internal and self.context["request"].user.is_enterprise:
            return ""
        return meeting.minutes

    def get_ics_url(self, meeting: Meeting) -> str | None:
        if meeting.slot is None:
            return None
        return reverse("api:meeting-ics", kwargs={"pk": meeting.pk})


# --- input -------------------------------------------------------------------------------------
class SlotCreateSerializer(serializers.Serializer):
    start = StrictCharField(
        help_text="ISO-8601, e.g. 2026-12-08T14:00:00+08:00 (Asia/Shanghai when no offset)."
    )
    minutes = WholeNumberField(min_value=slots.MIN_MINUTES, max_value=slots.MAX_MINUTES)
    capacity = WholeNumberField(min_value=1, max_value=slots.MAX_CAPACITY, required=False, default=1)
    place = StrictCharField(
        max_length=slots.PLACE_MAX_LENGTH, help_text="A room, an address or a video link."
    )
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices), required=False, default=list, max_length=10
    )


class SlotQuerySerializer(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day, YYYY-MM-DD.")
    end = serializers.DateField(required=False, help_text="Last day, YYYY-MM-DD.")
    organization = WholeNumberField(required=False, min_value=1)
    free = StrictBooleanField(required=False, allow_null=True, default=None)
    host = serializers.ChoiceField(choices=[("me", "me")], required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("start") and attrs.get("end") and attrs["end"] < attrs["start"]:
            raise ValidationError({"end": [_("The last day comes after the first.")]})
        return attrs


class MeetingOfferSerializer(serializers.Serializer):
    slots = serializers.ListField(
        child=WholeNumberField(min_value=1),
        required=False,
        default=list,
        max_length=actions.MAX_SLOTS_OFFERED,
    )
    next_free = StrictBooleanField(
        required=False, default=False, help_text="Offer the next free slot of your organisation instead."
    )
    note = StrictCharField(max_length=actions.NOTE_MAX_LENGTH, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["slots"] and not attrs["next_free"]:
            raise ValidationError({"slots": [_("Choose at least one time to offer.")]})
        return attrs


class MeetingBookSerializer(serializers.Serializer):
    slot = WholeNumberField(min_value=1)


class MeetingReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=actions.NOTE_MAX_LENGTH)


class MeetingRescheduleSerializer(MeetingBookSerializer):
    reason = StrictCharField(max_length=actions.NOTE_MAX_LENGTH)


class MeetingMinutesSerializer(serializers.Serializer):
    body = StrictCharField(max_length=TEXT_MAX_LENGTH)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    internal = StrictBooleanField(required=False, default=False)


class MeetingNoShowSerializer(serializers.Serializer):
    note = StrictCharField(max_length=actions.NOTE_MAX_LENGTH, required=False, allow_blank=True, default="")


# --- slots ---------------------------------------------------------------------------------------
_INPUT = OpenApiResponse(description="Invalid input, with a message per field; nothing was saved.")
_SLOT_FULL = OpenApiResponse(
    description="The slot's last place went to someone else (`code: slot_full`, with `next_free`: the "
    "organisation's next free times), or the meeting changed meanwhile."
)


class SlotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Consultation slots: officers and liaisons publish them for their organisation on the
    working-day calendar; enterprise staff see the free times of the units that serve them."""

    queryset = Slot.objects.none()  # for the schema; the selectors decide
    lookup_value_regex = r"[0-9]+"
    serializer_class = SlotSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        return selectors.visible_slots(_caller(self.request))

    def filter_queryset(self, queryset: Any) -> Any:
        if self.action != "list":
            return queryset
        query = SlotQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        found = selectors.slots_between(queryset, wanted.get("start"), wanted.get("end"))
        if not wanted.get("start"):
            found = found.filter(cancelled_at=None, end__gt=timezone.now())
        if wanted.get("organization"):
            found = found.filter(organization_id=wanted["organization"])
        if wanted.get("free") is True:
            found = found.filter(slots.free())
        if wanted.get("host") == "me":
            found = found.filter(host=_caller(self.request))
        return found.order_by("start", "pk")

    @extend_schema(
        parameters=[SlotQuerySerializer],
        responses={200: SlotSerializer(many=True), 400: _INPUT},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Slots soonest first: from today on (those not withdrawn), or the days from `start` to
        `end` (a week of a department's calendar). `free=true`: with a place left."""
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=SlotCreateSerializer,
        responses={
            201: SlotSerializer,
            400: _INPUT,
            403: OpenApiResponse(description="Only officers, supervisors and park liaisons publish slots."),
        },
    )
    def create(self, request: Request) -> Response:
        """Publish a slot of your organisation, hosted by you: in the future, on a working day of
        the official calendar (a make-up working day counts, a holiday does not), within that
        day, and clear of your other slots."""
        slots.check_may_host(_caller(request))
        data = SlotCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = slots.publish_slot(actor=_caller(request), **data.validated_data)
        return Response(
            SlotSerializer(slot, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=None,
        responses={
            200: SlotSerializer,
            403: OpenApiResponse(description="Not your organisation's slot."),
            409: OpenApiResponse(description="Withdrawn already, or booked."),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Withdraw a slot nobody has booked."""
        slot = slots.cancel_slot(self.get_object(), actor=_caller(request))
        return Response(SlotSerializer(slot, context={"request": request}).data)


# --- meetings ------------------------------------------------------------------------------------
_REQUEST_NOT_VISIBLE = OpenApiResponse(description="No such request, or one you may not see.")
_MEETING_NOT_VISIBLE = OpenApiResponse(description="No such meeting, or its request is not visible to you.")


def _slot_full(full: actions.SlotFull, request: Request) -> Response:
    return Response(
        {
            "detail": full.message,
            "code": full.code,
            "next_free": SlotSerializer(full.next_free, many=True, context={"request": request}).data,
        },
        status=status.HTTP_409_CONFLICT,
    )


class RequestMeetingsView(APIView):
    @extend_schema(responses={200: MeetingSerializer(many=True), 404: _REQUEST_NOT_VISIBLE})
    def get(self, request: Request, pk: int) -> Response:
        """The request's meetings, newest first."""
        service_request = casework_selectors.get_visible_request(_caller(request), pk)
        found = selectors.request_meetings(service_request)
        return Response(MeetingSerializer(found, many=True, context={"request": request}).data)

    @extend_schema(
        request=MeetingOfferSerializer,
        responses={
            201: MeetingSerializer,
            400: _INPUT,
            403: OpenApiResponse(
                description="Only the staff of the tier holding the request offer a meeting."
            ),
            404: _REQUEST_NOT_VISIBLE,
            409: OpenApiResponse(description="Not under review, or a meeting is offered or booked already."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Offer a meeting: `slots` of your organisation for the enterprise to choose from, or
        `next_free: true` for your organisation's next free slot."""
        user = _caller(request)
        service_request = casework_selectors.get_visible_request(user, pk)
        data = MeetingOfferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = actions.offer(service_request, actor=user, **data.validated_data)
        shown = selectors.request_meetings(service_request).get(pk=meeting.pk)
        return Response(
            MeetingSerializer(shown, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


def _acting_schema(input_serializer: Any, forbidden: str, conflict: OpenApiResponse | None = None) -> Any:
    return extend_schema(
        request=input_serializer,
        responses={
            200: MeetingSerializer,
            400: _INPUT,
            403: OpenApiResponse(description=forbidden),
            404: _MEETING_NOT_VISIBLE,
            409: conflict
            or OpenApiResponse(
                description="Not possible from the meeting's state, too close to its start, or it changed meanwhile."
            ),
        },
    )


_GUEST = "The enterprise's staff, or its park's liaison, answer the offer."
_EITHER = "Only the enterprise's side and the meeting's hosts change a meeting."
_HOSTS = "Only the meeting's hosts (the organisation that offered it) record what happened."


class MeetingViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A consultation meeting inside a request, seen by whoever sees the request."""

    queryset = Meeting.objects.none()  # for the schema; the selectors decide
    lookup_value_regex = r"[0-9]+"
    serializer_class = MeetingSerializer

    def get_object(self) -> Meeting:
        return selectors.get_visible_meeting(_caller(self.request), self.kwargs["pk"])

    def _shown(self, meeting: Meeting) -> Response:
        shown = selectors.request_meetings(meeting.request).get(pk=meeting.pk)
        return Response(MeetingSerializer(shown, context={"request": self.request}).data)

    def _act(self, input_serializer: Any, act: Any) -> Response:
        meeting = self.get_object()
        data = input_serializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        try:
            act(meeting, actor=_caller(self.request), **data.validated_data)
        except actions.SlotFull as full:
            return _slot_full(full, self.request)
        return self._shown(meeting)

    @extend_schema(responses={200: MeetingSerializer, 404: _MEETING_NOT_VISIBLE})
    def retrieve(self, request: Request, pk: str) -> Response:
        return self._shown(self.get_object())

    @_acting_schema(MeetingBookSerializer, _GUEST, _SLOT_FULL)
    @action(detail=True, methods=["post"])
    def book(self, request: Request, pk: str) -> Response:
        """Book one of the times offered. The booking is the tier's feedback: its clock stops."""
        return self._act(MeetingBookSerializer, actions.book)

    @_acting_schema(MeetingReasonSerializer, _GUEST)
    @action(detail=True, methods=["post"], url_path="another-time")
    def another_time(self, request: Request, pk: str) -> Response:
        """None of the times suits: say why, and the tier offers again."""
        return self._act(MeetingReasonSerializer, actions.ask_another_time)

    @_acting_schema(MeetingRescheduleSerializer, _EITHER, _SLOT_FULL)
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: str) -> Response:
        """Move a booked meeting to another free time of the same organisation, with a reason."""
        return self._act(MeetingRescheduleSerializer, actions.reschedule)

    @_acting_schema(MeetingReasonSerializer, _EITHER)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Call the meeting off, with a reason (until the notice before it starts)."""
        return self._act(MeetingReasonSerializer, actions.cancel)

    @_acting_schema(MeetingMinutesSerializer, _HOSTS)
    @action(detail=True, methods=["post"])
    def minutes(self, request: Request, pk: str) -> Response:
        """The minutes (会议纪要) and outcome, once the meeting has begun; on the request's
        timeline, seen by the enterprise unless `internal`."""
        return self._act(MeetingMinutesSerializer, actions.record_minutes)

    @_acting_schema(MeetingNoShowSerializer, _HOSTS)
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request: Request, pk: str) -> Response:
        """Nobody came for the enterprise."""
        return self._act(MeetingNoShowSerializer, actions.record_no_show)


@extend_schema(
    responses={
        (200, "text/calendar"): OpenApiTypes.STR,
        404: _MEETING_NOT_VISIBLE,
        409: OpenApiResponse(description="Not booked: no time to put in a calendar yet."),
    },
)
@api_view(["GET"])
def meeting_ics(request: Request, pk: int) -> HttpResponse:
    """The booked meeting as an iCalendar invitation (RFC 5545) that calendar programs open,
    in the caller's language; a cancelled one as its cancellation."""
    meeting = selectors.get_visible_meeting(_caller(request), pk)
    if meeting.slot is None:  # offered, or another time asked for: never booked
        raise TransitionNotAllowed(_("This meeting is not booked: it has no time for a calendar yet."))
    response = HttpResponse(ics.invitation(meeting), content_type=ics.CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{ics.filename(meeting)}"'
    return response
