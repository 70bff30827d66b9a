"""Input serializers validate what a client sends; output serializers shape what it reads.
Neither changes anything: that is the actions' job."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.assist.models import Feedback
from apps.casework.actions import MAX_FILES_AT_ONCE, SHARE_DEPARTMENT_REFUSED
from apps.casework.models import (
    TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Attachment,
    Category,
    Message,
    ProductType,
    RequestEvent,
    ServiceRequest,
)
from apps.casework.selectors import assign_candidates, available_transitions, share_departments
from apps.casework.selectors import attachments as visible_attachments
from apps.desk.watching import is_watching
from apps.guidance.models import Guidance
from apps.guidance.selectors import render_markdown
from apps.notifications.models import Notification
from apps.notifications.services import render as render_notification
from apps.notifications.services import severity as notification_severity
from apps.organizations.models import KeyProject, Organization, OrgKind, User
from apps.organizations.selectors import fileable_enterprises, visible_key_projects

from .read_plan import ReadPlan


class StrictCharField(serializers.CharField):
    """A string, and only a string: 123 or true is a client error, not a title."""

    default_error_messages = {"invalid": _("Not a valid string.")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false (or their spelling in a form post), nothing else."""

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if isinstance(data, str) and data.lower() in ("true", "false"):
            return data.lower() == "true"
        self.fail("invalid", input=data)
        raise AssertionError  # pragma: no cover


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """The id of one of the objects the caller may choose, and only those (`scope`, worked out
    from the serializer's context: the caller, and the request acted on): an id that exists
    outside them answers exactly like one that does not exist, with one message that names
    neither. `queryset` is the unscoped kind, for the schema."""

    def __init__(
        self, *, scope: Callable[[Mapping[str, Any]], QuerySet[Any]], not_found: Any, **kwargs: Any
    ) -> None:
        self.scope = scope
        kwargs["error_messages"] = {"does_not_exist": not_found, **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return self.scope(self.context)


def _caller(context: Mapping[str, Any]) -> User | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if isinstance(user, User) else None


def _fileable_enterprises(context: Mapping[str, Any]) -> QuerySet[Organization]:
    user = _caller(context)
    return fileable_enterprises(user) if user else Organization.objects.none()


def _visible_key_projects(context: Mapping[str, Any]) -> QuerySet[KeyProject]:
    user = _caller(context)
    return visible_key_projects(user) if user else KeyProject.objects.none()


def _assign_candidates(context: Mapping[str, Any]) -> QuerySet[User]:
    service_request = context.get("service_request")
    return assign_candidates(service_request) if service_request else User.objects.none()


def _share_departments(context: Mapping[str, Any]) -> QuerySet[Organization]:
    service_request = context.get("service_request")
    return share_departments(service_request) if service_request else Organization.objects.none()


# --- output ----------------------------------------------------------------------------------
class OrganizationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "kind", "name", "name_zh", "parent", "code"]


class UserSummarySerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name"]

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.get_username()


class MeSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    role = serializers.CharField(source="effective_role")
    organization = OrganizationSerializer(allow_null=True)
    tier = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "name", "email", "role", "organization", "tier", "is_superuser"]

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.get_username()

    def get_tier(self, user: User) -> str | None:
        return user.organization.tier if user.organization else None


class RequestSerializer(ReadPlan, serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    park_name = serializers.CharField(source="park.name", read_only=True)
    department_name = serializers.CharField(
        source="department.name", read_only=True, allow_null=True, default=None
    )
    assignee_name = serializers.SerializerMethodField()
    created_by_name = serializers.SerializerMethodField()
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    feedback_due_in = serializers.IntegerField(
        source="time_left.seconds",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_(
            "Working seconds left to the feedback deadline on the official calendar, negative "
            "when overdue; null when no feedback is due."
        ),
    )
    feedback_due_label = serializers.CharField(
        source="time_left.label",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_('The same in words, e.g. "due today 18:00 · 3 h 20 min left".'),
    )

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "reference",
            "enterprise",
            "enterprise_name",
            "park",
            "park_name",
            "title",
            "description",
            "category",
            "product_type",
            "key_project",
            "green_channel",
            "state",
            "tier",
            "department",
            "department_name",
            "assignee",
            "assignee_name",
            "feedback_due_at",
            "feedback_due_in",
            "feedback_due_label",
            "overdue",
            "resolution",
            "resolved_at",
            "created_by",
            "created_by_name",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields

    def get_assignee_name(self, obj: ServiceRequest) -> str | None:
        return (obj.assignee.get_full_name() or obj.assignee.get_username()) if obj.assignee else None

    def get_created_by_name(self, obj: ServiceRequest) -> str:
        return obj.created_by.get_full_name() or obj.created_by.get_username()


class RequestDetailSerializer(RequestSerializer):
    available_transitions = serializers.SerializerMethodField()
    watching = serializers.SerializerMethodField(
        help_text=_("Whether the caller follows the request (`…/watch/`) and hears of its changes.")
    )

    class Meta(RequestSerializer.Meta):
        fields = [*RequestSerializer.Meta.fields, "available_transitions", "watching"]
        read_only_fields = fields

    def get_available_transitions(self, obj: ServiceRequest) -> list[str]:
        return available_transitions(obj, self.context["request"].user)

    def get_watching(self, obj: ServiceRequest) -> bool:
        return is_watching(self.context["request"].user, obj)


class EventSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(
        source="shown_actor",
        read_only=True,
        allow_null=True,
        help_text="Who did it; null for the jobs, and for a rating (whose giver is never named).",
    )
    text = serializers.CharField(source="display_text", read_only=True)

    class Meta:
        model = RequestEvent
        fields = ["id", "kind", "actor", "created_at", "from_state", "to_state", "tier", "text", "internal"]


class MessageSerializer(serializers.ModelSerializer):
    author = UserSummarySerializer(read_only=True)

    class Meta:
        model = Message
        fields = ["id", "author", "body", "internal", "created_at"]


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = UserSummarySerializer(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "size",
            "content_type",
            "internal",
            "uploaded_by",
            "created_at",
            "download_url",
        ]

    def get_download_url(self, attachment: Attachment) -> str:
        path = reverse(
            "api:request-attachment-download",
            kwargs={"pk": attachment.request_id, "attachment_id": attachment.pk},
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class RequestWithFilesSerializer(RequestDetailSerializer):
    """The request as a filing or a reply with files leaves it: its detail and the files the
    caller may see."""

    attachments = serializers.SerializerMethodField()

    class Meta(RequestDetailSerializer.Meta):
        fields = [*RequestDetailSerializer.Meta.fields, "attachments"]
        read_only_fields = fields

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, obj: ServiceRequest) -> list[dict[str, Any]]:
        found = visible_attachments(self.context["request"].user, obj)
        return AttachmentSerializer(found, many=True, context=self.context).data  # type: ignore[return-value]


class KeyProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = KeyProject
        fields = ["id", "name", "name_zh", "district", "park", "enterprise", "products", "status"]


# --- input ------------------------------------------------------------------------------------
class FileListField(serializers.ListField):
    """A list of files whose errors stay a list of messages per field, as every other field's
    (DRF keys a list's errors by position), each naming the file by its place."""

    def run_child_validation(self, data: list[Any]) -> list[Any]:
        try:
            return super().run_child_validation(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError(
                [
                    _("File %(number)d: %(error)s") % {"number": int(place) + 1, "error": error}
                    for place, errors in exc.detail.items()
                    for error in errors
                ]
            ) from None


def _files_field(help_text: Any) -> serializers.ListField:
    """Files sent along (multipart `file`, repeated), for the action's `files`; `help_text`
    names the most as `%(count)s`, filled in the reader's language."""
    return FileListField(
        child=serializers.FileField(allow_empty_file=False),
        source="files",
        required=False,
        max_length=MAX_FILES_AT_ONCE,
        help_text=lazy(lambda: str(help_text) % {"count": MAX_FILES_AT_ONCE}, str)(),
    )


class RequestCreateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=TITLE_MAX_LENGTH)
    description = StrictCharField(max_length=TEXT_MAX_LENGTH)
    category = serializers.ChoiceField(choices=Category.choices)
    product_type = serializers.ChoiceField(choices=ProductType.choices)
    enterprise = ScopedPrimaryKeyRelatedField(
        queryset=Organization.objects.filter(kind=OrgKind.ENTERPRISE),
        scope=_fileable_enterprises,
        not_found=_("Choose an enterprise you file for: your own, or one of your park's."),
        required=False,
        allow_null=True,
        help_text=_("Required for a park liaison; enterprise staff file for their own enterprise."),
    )
    key_project = ScopedPrimaryKeyRelatedField(
        queryset=KeyProject.objects.all(),
        scope=_visible_key_projects,
        not_found=_("Choose one of the key projects listed for you at /api/v1/key-projects/."),
        required=False,
        allow_null=True,
    )
    submit = StrictBooleanField(
        default=False, help_text=_("File straight into park review instead of keeping a draft.")
    )
    file = _files_field(
        _(
            "Files to attach at filing (multipart/form-data only; repeat `file` for each, at most "
            "%(count)s), checked like every upload. A refused file files nothing."
        )
    )


# The largest version a request can have (its column is a PositiveIntegerField).
VERSION_MAX = 2**31 - 1


class WholeNumberField(serializers.IntegerField):
    """A whole number in JSON, or a string of digits in a form post (where everything is a
    string); never true or false, 4.5 or "4" in JSON."""

    def to_internal_value(self, data: Any) -> int:
        from_form = isinstance(self.root.initial_data, QueryDict)
        if isinstance(data, bool) or not (
            isinstance(data, int)
            or (from_form and isinstance(data, str) and data.isascii() and data.isdigit())
        ):
            self.fail("invalid")
        return super().to_internal_value(data)  # type: ignore[no-any-return]


class VersionField(WholeNumberField):
    """A request's version as the client read it."""

    default_error_messages = {
        "invalid": _("Give the version of the request you read: a whole number, its detail's `version`."),
    }


# What every transition may carry: the version the client acts on (no docstring, which each
# transition's schema would inherit as its description).
class TransitionSerializer(serializers.Serializer):
    version = VersionField(
        required=False,
        min_value=1,
        max_value=VERSION_MAX,
        help_text=_(
            "The `version` of the request as you read it (its detail's `version`, also in its "
            "`ETag`). If the request was written since, the transition is refused with 409 "
            "(`code: changed`) and nothing changes. Leave it out to act on the request as it is "
            "now; the `If-Match` header does the same with the detail's `ETag`."
        ),
    )


class BodySerializer(TransitionSerializer):
    body = StrictCharField(max_length=TEXT_MAX_LENGTH)


class ProvideInfoSerializer(BodySerializer):
    file = _files_field(
        _(
            "Files sent with the information (multipart/form-data only; repeat `file` for each, at "
            "most %(count)s), checked like every upload. A refused file sends nothing."
        )
    )


class ReasonSerializer(TransitionSerializer):
    reason = StrictCharField(max_length=TEXT_MAX_LENGTH)


class OptionalReasonSerializer(TransitionSerializer):
    reason = StrictCharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True)


class ResolutionSerializer(TransitionSerializer):
    resolution = StrictCharField(max_length=TEXT_MAX_LENGTH)


class AssignSerializer(TransitionSerializer):
    assignee = ScopedPrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        scope=_assign_candidates,
        not_found=_("The person chosen does not work for the tier that holds this request."),
    )


class TokenRequestSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=4096, trim_whitespace=False)
    otp = StrictCharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="The current code of the authenticator app (or a backup code), for people with "
        "two-factor sign-in.",
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class EmptySerializer(serializers.Serializer):
    pass


class GreenChannelSerializer(TransitionSerializer):
    green_channel = StrictBooleanField()
    reason = StrictCharField(max_length=TEXT_MAX_LENGTH)


class ShareSerializer(serializers.Serializer):
    department = ScopedPrimaryKeyRelatedField(
        queryset=Organization.objects.filter(kind=OrgKind.DEPARTMENT),
        scope=_share_departments,
        not_found=SHARE_DEPARTMENT_REFUSED,
        help_text=_(
            "A department of the request's district, municipal or provincial authority, other "
            "than the one holding it."
        ),
    )
    reason = StrictCharField(max_length=TEXT_MAX_LENGTH)


class MessageCreateSerializer(serializers.Serializer):
    body = StrictCharField(max_length=TEXT_MAX_LENGTH)
    internal = StrictBooleanField(default=False)


class AttachmentCreateSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)
    internal = StrictBooleanField(default=False)


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    text = serializers.SerializerMethodField()
    request = serializers.IntegerField(source="request_id", allow_null=True)
    reference = serializers.SerializerMethodField()
    read = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    # "urgent" (a missed deadline), "warning" (a deadline coming up, a question to answer), "info".
    severity = serializers.SerializerMethodField()

    def get_text(self, notification: Notification) -> str:
        return render_notification(notification)

    def get_severity(self, notification: Notification) -> str:
        return notification_severity(notification)

    def get_reference(self, notification: Notification) -> str | None:
        return notification.params.get("reference") or None


# Moments the calendar answers for. Before 1901 Asia/Shanghai kept local mean time (+08:05:43, an
# offset RFC 3339 cannot write) and near year 9999 the next working day overflows the calendar.
EARLIEST_MOMENT = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_MOMENT = datetime(3000, 1, 1, tzinfo=UTC)


def _within_supported_years(moment: datetime) -> None:
    if not EARLIEST_MOMENT <= moment < LATEST_MOMENT:
        raise serializers.ValidationError(
            _("Give a moment between the years %(first)s and %(last)s.")
            % {"first": EARLIEST_MOMENT.year, "last": LATEST_MOMENT.year - 1}
        )


class CalendarQuerySerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": _("The end must not be before the start.")})
        if (attrs["end"] - attrs["start"]).days > 366:
            raise serializers.ValidationError({"end": _("Ask for at most 366 days at a time.")})
        return attrs


class CalendarDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    workday = serializers.BooleanField()
    name = serializers.CharField()
    # The metaclass pops declared fields, so this does not shadow Field.source at run time.
    source = serializers.ChoiceField(choices=["official", "override", "fallback"])  # type: ignore[assignment]


class DeadlineQuerySerializer(serializers.Serializer):
    received_at = serializers.DateTimeField(validators=[_within_supported_years])
    green_channel = StrictBooleanField(default=False)


class DeadlineSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField()


@extend_schema_field(OpenApiTypes.STR)
class FlexibleMomentField(serializers.Field):
    """An ISO-8601 date (a whole day in Asia/Shanghai) or date-time."""

    default_error_messages = {"invalid": _("Give a date (YYYY-MM-DD) or an ISO-8601 date and time.")}

    def __init__(self, *, end_of_day: bool = False, **kwargs: Any) -> None:
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> datetime:
        from django.utils.dateparse import parse_date, parse_datetime

        if not isinstance(data, str):
            self.fail("invalid")
        try:
            # A date first: Python's ISO parser would read "2026-11-30" as its midnight, and the
            # end of a period given as a date is to count that day whole.
            day = parse_date(data)
            moment = None if day else parse_datetime(data)
        except ValueError:
            self.fail("invalid")
        if moment is not None:
            return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        if day is None:
            self.fail("invalid")
        try:
            start = timezone.make_aware(datetime.combine(day, time.min))
            return start + timedelta(days=1) if self.end_of_day else start
        except OverflowError:
            self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        return value


class StatsQuerySerializer(serializers.Serializer):
    since = FlexibleMomentField(
        required=False,
        validators=[_within_supported_years],
        help_text=_("Start (inclusive); default 30 days before `until`."),
    )
    until = FlexibleMomentField(
        required=False,
        end_of_day=True,
        validators=[_within_supported_years],
        help_text=_("End (a date counts whole); default now."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and until <= since:
            raise serializers.ValidationError({"until": _("The end must be after the start.")})
        if since and until and until - since > timedelta(days=800):
            raise serializers.ValidationError({"since": _("Ask for at most two years at a time.")})
        return attrs


class FiguresSerializer(serializers.Serializer):
    tier = serializers.CharField()
    organization_id = serializers.IntegerField(allow_null=True)
    organization = serializers.CharField()
    received = serializers.IntegerField()
    fed_back = serializers.IntegerField()
    on_time = serializers.IntegerField()
    due = serializers.IntegerField(help_text=_("Visits whose deadline has come, or that were answered."))
    on_time_share = serializers.FloatField(allow_null=True)
    median_working_hours = serializers.FloatField(allow_null=True)
    p90_working_hours = serializers.FloatField(allow_null=True)
    breaches = serializers.IntegerField()
    backlog = serializers.DictField(child=serializers.IntegerField())
    # The three rates of 接诉即办 and the 好差评 figures (apps/stats/figures.py). Rates are shares
    # (0..1, four decimals), null when nothing counts towards them.
    response_rate = serializers.FloatField(
        allow_null=True,
        help_text=_("Tier visits fed back on time among those due (the same as on_time_share)."),
    )
    resolved = serializers.IntegerField(help_text=_("Resolutions in the period."))
    resolved_kept = serializers.IntegerField(help_text=_("Resolutions in the period not reopened since."))
    resolution_rate = serializers.FloatField(allow_null=True, help_text=_("resolved_kept / resolved."))
    ratings = serializers.IntegerField(
        help_text=_(
            "Rated resolutions of the period, defaults included, reviews set aside on appeal left out."
        )
    )
    ratings_default = serializers.IntegerField(
        help_text=_("Of the ratings, the defaults (not rated in time).")
    )
    satisfied = serializers.IntegerField(help_text=_("Ratings of 4 or 5, defaults included."))
    satisfied_default = serializers.IntegerField(help_text=_("Of the satisfied ratings, the defaults."))
    satisfaction_rate = serializers.FloatField(allow_null=True, help_text=_("satisfied / ratings."))
    satisfaction_rate_given = serializers.FloatField(
        allow_null=True,
        help_text=_("The satisfaction rate of the ratings actually given (defaults left out)."),
    )
    average_score = serializers.FloatField(allow_null=True, help_text=_("Mean score, defaults included."))
    bad_reviews = serializers.IntegerField(help_text=_("Ratings of 1 or 2 not set aside on appeal."))
    rectifications = serializers.IntegerField(
        help_text=_("Rectifications of bad reviews opened in the period (set-aside reviews left out).")
    )
    rectifications_on_time = serializers.IntegerField(help_text=_("Rectified by their deadline."))
    rectifications_late = serializers.IntegerField(
        help_text=_("Rectified after their deadline, or past it and not rectified.")
    )
    rectifications_open = serializers.IntegerField(help_text=_("Being rectified or under appeal now."))
    appeals = serializers.IntegerField(help_text=_("Of the period's rectifications, those appealed."))
    appeals_upheld = serializers.IntegerField()
    appeals_set_aside = serializers.IntegerField()
    appeals_pending = serializers.IntegerField()
    meetings = serializers.IntegerField(help_text=_("Consultation meetings offered in the period."))
    meetings_booked = serializers.IntegerField(
        help_text=_("Of them, booked and neither held nor missed yet.")
    )
    meetings_held = serializers.IntegerField(help_text=_("Of them, held (minutes recorded)."))
    meetings_no_show = serializers.IntegerField(help_text=_("Of them, missed by the enterprise."))
    meetings_cancelled = serializers.IntegerField(help_text=_("Of them, cancelled by either side."))
    median_days_to_meeting = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "Median calendar days from the request's filing to its meeting (booked, held or missed)."
        ),
    )
    p90_days_to_meeting = serializers.FloatField(
        allow_null=True, help_text=_("90th percentile of the days from filing to the meeting.")
    )


class SlotFiguresSerializer(serializers.Serializer):
    organization_id = serializers.IntegerField(allow_null=True)
    organization = serializers.CharField()
    slots = serializers.IntegerField(help_text=_("Slots published for the period (withdrawn ones left out)."))
    places = serializers.IntegerField()
    taken = serializers.IntegerField(help_text=_("Places booked."))
    taken_share = serializers.FloatField(allow_null=True, help_text=_("taken / places."))


class WeekSerializer(serializers.Serializer):
    week_start = serializers.DateField()
    received = serializers.IntegerField()
    on_time_share = serializers.FloatField(allow_null=True)
    breaches = serializers.IntegerField()
    ratings = serializers.IntegerField(help_text=_("Ratings of the week's resolutions."))
    satisfaction_rate = serializers.FloatField(allow_null=True)


class AssistFeedbackFiguresSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Feedback.Kind.choices)
    helpful = serializers.IntegerField()
    not_helpful = serializers.IntegerField()
    helpful_share = serializers.FloatField(allow_null=True, help_text=_("helpful / (helpful + not_helpful)."))


class StatsSerializer(serializers.Serializer):
    organization_id = serializers.IntegerField()
    organization = serializers.CharField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    tiers = FiguresSerializer(many=True)
    units = FiguresSerializer(many=True)
    weeks = WeekSerializer(many=True)
    total = FiguresSerializer(help_text=_("The whole organisation over the period, every tier together."))
    assist = AssistFeedbackFiguresSerializer(
        many=True,
        help_text=_(
            "What people of the organisation and of its parks' enterprises said of the assistant's "
            "suggestions in the period, by kind."
        ),
    )
    slots = SlotFiguresSerializer(
        many=True,
        help_text=_("Consultation slots per organisation of the scope that published any in the period."),
    )
    slots_total = SlotFiguresSerializer(help_text=_("All those slots together."))


class GuidanceSerializer(serializers.ModelSerializer):
    publisher_name = serializers.CharField(source="publisher.name", read_only=True)
    body_html = serializers.SerializerMethodField(
        help_text=_("The body in the request's language, as sanitised HTML.")
    )

    class Meta:
        model = Guidance
        fields = [
            "id",
            "kind",
            "title",
            "title_zh",
            "body",
            "body_zh",
            "body_html",
            "category",
            "product_types",
            "publisher",
            "publisher_name",
            "published_at",
        ]

    def get_body_html(self, document: Guidance) -> str:
        return str(render_markdown(document.localized_body))
