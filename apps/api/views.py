"""The REST API: thin views that validate input, call one action or selector and serialize the
result. Domain errors become HTTP statuses in `apps.api.errors`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, logout
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import (
    action,
    api_view,
    permission_classes,
)
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit import sign_ins
from apps.casework import actions, selectors, uploads
from apps.casework.filters import RequestFilter
from apps.casework.models import Category, ProductType, ServiceRequest
from apps.deadlines import calendar
from apps.guidance import selectors as guidance_selectors
from apps.guidance.models import Guidance
from apps.notifications import services as notification_services
from apps.notifications.models import Notification
from apps.organizations import accounts, lockout
from apps.organizations.models import KeyProject, Organization
from apps.organizations.selectors import visible_key_projects, visible_organizations
from apps.stats import figures

from . import exports
from . import serializers as s
from .errors import LockedOut
from .negotiation import FileNegotiation, answers_with_a_file
from .throttles import ScopedRateThrottle

_ERRORS = {
    400: OpenApiResponse(description="Invalid input, with a message per field."),
    403: OpenApiResponse(description="You may see the request but not do this."),
    404: OpenApiResponse(description="No such request, or not visible to you."),
    409: OpenApiResponse(
        description="Not allowed from the request's current state, or it changed meanwhile."
    ),
    503: OpenApiResponse(
        description="The database is busy or unavailable; nothing was saved. Try again after Retry-After."
    ),
}

# Each transition endpoint: the input it takes and how that input reaches the action.
_TRANSITION_INPUT: dict[str, type[serializers.Serializer]] = {
    "submit": s.EmptySerializer,
    "respond": s.BodySerializer,
    "request_info": s.BodySerializer,
    "provide_info": s.BodySerializer,
    "escalate": s.ReasonSerializer,
    "return": s.ReasonSerializer,
    "resolve": s.ResolutionSerializer,
    "reopen": s.ReasonSerializer,
    "close": s.EmptySerializer,
    "withdraw": s.OptionalReasonSerializer,
    "assign": s.AssignSerializer,
    "claim": s.EmptySerializer,
}


class RequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Requests the caller may see, and everything that can be done to them."""

    queryset = ServiceRequest.objects.none()  # for the schema; get_queryset decides
    lookup_value_regex = r"[0-9]+"
    filterset_class = RequestFilter
    serializer_class = s.RequestSerializer

    def get_queryset(self) -> QuerySet[ServiceRequest]:
        return selectors.request_list(self.request.user)  # type: ignore[arg-type]

    def filter_queryset(self, queryset: QuerySet[Any]) -> Any:
        """The filtered list in work order (or newest first), counted and sliced from indexes."""
        if self.action != "list":
            return super().filter_queryset(queryset)
        filterset = RequestFilter(self.request.query_params, queryset=queryset, request=self.request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset.listing()

    def get_object(self) -> ServiceRequest:
        return selectors.get_visible_request(self.request.user, self.kwargs["pk"])  # type: ignore[arg-type]

    def _detail(self, service_request: ServiceRequest, code: int = status.HTTP_200_OK) -> Response:
        data = s.RequestDetailSerializer(service_request, context={"request": self.request}).data
        return Response(data, status=code)

    @extend_schema(responses={200: s.RequestDetailSerializer, 404: _ERRORS[404]})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(
        request=s.RequestCreateSerializer,
        responses={201: s.RequestDetailSerializer, 400: _ERRORS[400], 403: _ERRORS[403]},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = s.RequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        created = actions.create_request(actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        fresh = selectors.get_visible_request(request.user, created.pk)  # type: ignore[arg-type]
        return self._detail(fresh, status.HTTP_201_CREATED)

    def _transition(self, request: Request, name: str) -> Response:
        service_request = self.get_object()
        data = _TRANSITION_INPUT[name](data=request.data)
        data.is_valid(raise_exception=True)
        actions.TRANSITIONS[name](service_request, actor=request.user, **data.validated_data)
        return self._detail(selectors.get_visible_request(request.user, service_request.pk))  # type: ignore[arg-type]

    # One endpoint per transition of the lifecycle (SPEC.md's table).
    @extend_schema(request=s.EmptySerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._transition(request, "submit")

    @extend_schema(request=s.BodySerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str) -> Response:
        return self._transition(request, "respond")

    @extend_schema(request=s.BodySerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def request_info(self, request: Request, pk: str) -> Response:
        return self._transition(request, "request_info")

    @extend_schema(request=s.BodySerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def provide_info(self, request: Request, pk: str) -> Response:
        return self._transition(request, "provide_info")

    @extend_schema(request=s.ReasonSerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str) -> Response:
        return self._transition(request, "escalate")

    @extend_schema(request=s.ReasonSerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_to_lower_tier(self, request: Request, pk: str) -> Response:
        return self._transition(request, "return")

    @extend_schema(request=s.ResolutionSerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        return self._transition(request, "resolve")

    @extend_schema(request=s.ReasonSerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        return self._transition(request, "reopen")

    @extend_schema(request=s.EmptySerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        return self._transition(request, "close")

    @extend_schema(request=s.OptionalReasonSerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        return self._transition(request, "withdraw")

    @extend_schema(request=s.AssignSerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        return self._transition(request, "assign")

    @extend_schema(request=s.EmptySerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str) -> Response:
        return self._transition(request, "claim")

    @extend_schema(request=s.GreenChannelSerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def green_channel(self, request: Request, pk: str) -> Response:
        service_request = self.get_object()
        data = s.GreenChannelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.set_green_channel(service_request, actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        return self._detail(selectors.get_visible_request(request.user, service_request.pk))  # type: ignore[arg-type]

    @extend_schema(request=s.ShareSerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def share(self, request: Request, pk: str) -> Response:
        """Share the request with one more department, which may then read it."""
        service_request = self.get_object()
        data = s.ShareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actions.share_with_department(service_request, actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        return self._detail(service_request)

    @extend_schema(responses={200: s.EventSerializer(many=True), 404: _ERRORS[404]})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def timeline(self, request: Request, pk: str) -> Response:
        events = selectors.timeline(request.user, self.get_object())  # type: ignore[arg-type]
        return Response(s.EventSerializer(events, many=True).data)

    @extend_schema(methods=["GET"], responses={200: s.MessageSerializer(many=True), 404: _ERRORS[404]})
    @extend_schema(
        methods=["POST"],
        request=s.MessageCreateSerializer,
        responses={201: s.MessageSerializer, 400: _ERRORS[400], 403: _ERRORS[403], 404: _ERRORS[404]},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def messages(self, request: Request, pk: str) -> Response:
        service_request = self.get_object()
        if request.method == "GET":
            found = selectors.messages(request.user, service_request)  # type: ignore[arg-type]
            return Response(s.MessageSerializer(found, many=True).data)
        data = s.MessageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = actions.add_message(service_request, actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        return Response(s.MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: s.AttachmentSerializer(many=True), 404: _ERRORS[404]})
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": s.AttachmentCreateSerializer},
        responses={201: s.AttachmentSerializer, 400: _ERRORS[400], 403: _ERRORS[403], 404: _ERRORS[404]},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=None,
        filterset_class=None,
        parser_classes=[MultiPartParser, FormParser],
    )
    def attachments(self, request: Request, pk: str) -> Response:
        service_request = self.get_object()
        context = {"request": request}
        if request.method == "GET":
            found = selectors.attachments(request.user, service_request)  # type: ignore[arg-type]
            return Response(s.AttachmentSerializer(found, many=True, context=context).data)
        data = s.AttachmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = actions.add_attachment(
            service_request,
            actor=request.user,  # type: ignore[arg-type]
            upload=data.validated_data["file"],
            internal=data.validated_data["internal"],
        )
        return Response(
            s.AttachmentSerializer(attachment, context=context).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        responses={
            **{
                (200, content_type): OpenApiResponse(
                    response=OpenApiTypes.BINARY, description="The file, as the type its content showed."
                )
                for content_type in uploads.CONTENT_TYPES
            },
            404: _ERRORS[404],
        }
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]+)/download",
        url_name="attachment-download",
        pagination_class=None,
        filterset_class=None,
        content_negotiation_class=FileNegotiation,
    )
    def download(self, request: Request, pk: str, attachment_id: str) -> FileResponse:
        service_request = self.get_object()
        attachment = selectors.get_visible_attachment(request.user, service_request, attachment_id)  # type: ignore[arg-type]
        return uploads.download_response(attachment)


class OrganizationViewSet(viewsets.ReadOnlyModelViewSet):
    """The jurisdiction tree: every public body and park, and the enterprises in the caller's
    remit."""

    queryset = Organization.objects.none()
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.OrganizationSerializer
    pagination_class = None
    filterset_class = None

    def get_queryset(self) -> QuerySet[Organization]:
        return visible_organizations(self.request.user)  # type: ignore[arg-type]


class KeyProjectViewSet(viewsets.ReadOnlyModelViewSet):
    """Key (green channel) projects in the caller's remit."""

    queryset = KeyProject.objects.none()
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.KeyProjectSerializer
    pagination_class = None
    filterset_class = None

    def get_queryset(self) -> QuerySet[KeyProject]:
        return visible_key_projects(self.request.user)  # type: ignore[arg-type]


@extend_schema(responses={200: s.MeSerializer})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def me(request: Request) -> Response:
    return Response(s.MeSerializer(request.user).data)


_UNAUTHENTICATED = OpenApiResponse(description="Not signed in, or the token is no longer valid.")
_CSRF_REFUSED = OpenApiResponse(description="Signed in with a session but sent without the CSRF token.")


class TokenView(APIView):
    """The caller's API token: `POST` issues it for a username and password, `DELETE` revokes it.

    The password is checked by `django.contrib.auth.authenticate` with the request, so the sign-in
    lock-out (django-axes) counts failures here as on the login form."""

    throttle_scope = "token"

    def _exchanging_password(self) -> bool:
        # (No request yet while drf-spectacular builds the schema.)
        return getattr(self.request, "method", None) == "POST"

    def get_authenticators(self) -> list[Any]:
        # Exchanging a password needs no other credentials (nor a session's CSRF token).
        if self._exchanging_password():
            return []
        return super().get_authenticators()

    def get_permissions(self) -> list[Any]:
        if self._exchanging_password():
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_throttles(self) -> list[Any]:
        throttles = super().get_throttles()
        if self._exchanging_password():
            throttles.append(ScopedRateThrottle())
        return throttles

    @extend_schema(
        description="Exchange a username and password for the caller's API token, then send it as "
        "`Authorization: Token …`. The same token comes back until it is revoked. Failed passwords "
        "count towards the sign-in lock-out (429, `code` `locked_out`).",
        request=s.TokenRequestSerializer,
        responses={200: s.TokenResponseSerializer, 400: _ERRORS[400]},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        credentials = s.TokenRequestSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        username = credentials.validated_data["username"]
        # The Django request, not DRF's wrapper: django-axes marks the lock-out on it, where its
        # middleware looks.
        django_request = request._request
        user = authenticate(
            django_request, username=username, password=credentials.validated_data["password"]
        )
        if user is None:
            if getattr(django_request, "axes_locked_out", False):
                seconds = lockout.seconds_left(django_request, {"username": username})
                raise LockedOut(lockout.lockout_message(seconds), wait=seconds)
            raise ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]}, code="authorization"
            )
        lockout.forget_failures(django_request, username)
        token = accounts.issue_api_token(user)  # type: ignore[arg-type]
        # A token is a sign-in that Django's login signal does not see: record it alike.
        sign_ins.record(sign_ins.TOKEN_ISSUED, user=user, request=request)
        return Response({"token": token.key})

    @extend_schema(
        description="Revoke the caller's API token: requests carrying it answer 401 from now on; a new "
        "`POST` issues a new one. Browser sessions stay signed in.",
        request=None,
        responses={
            204: OpenApiResponse(description="The token is revoked (or there was none)."),
            401: _UNAUTHENTICATED,
            403: _CSRF_REFUSED,
        },
    )
    def delete(self, request: Request) -> Response:
        accounts.revoke_api_token(request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    request=None,
    responses={
        204: OpenApiResponse(
            description="Every browser session of the caller has ended, on every device, and the API "
            "token is revoked. Sign in again (or `POST /api/v1/auth/token/`) to continue."
        ),
        401: _UNAUTHENTICATED,
        403: _CSRF_REFUSED,
    },
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def logout_everywhere(request: Request) -> Response:
    """Log out everywhere: end all the caller's sessions and revoke the caller's API token."""
    accounts.log_out_everywhere(request.user)  # type: ignore[arg-type]
    if request._request.session.session_key:
        logout(request._request)
    return Response(status=status.HTTP_204_NO_CONTENT)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's notification centre, newest first."""

    queryset = Notification.objects.none()
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.NotificationSerializer
    filterset_class = None

    def get_queryset(self) -> QuerySet[Notification]:
        return Notification.objects.filter(recipient=self.request.user).order_by("-created_at", "-id")  # type: ignore[misc]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        response.data["unread"] = notification_services.unread_count(request.user)  # type: ignore[arg-type,index]
        return response

    @extend_schema(request=None, responses={200: s.NotificationSerializer, 404: _ERRORS[404]})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        notification = notification_services.mark_read(request.user, pk)  # type: ignore[arg-type]
        return Response(s.NotificationSerializer(notification).data)

    @extend_schema(
        request=None, responses={200: inline_serializer("ReadAll", {"marked": serializers.IntegerField()})}
    )
    @action(detail=False, methods=["post"])
    def read_all(self, request: Request) -> Response:
        return Response({"marked": notification_services.mark_all_read(request.user)})  # type: ignore[arg-type]

    @extend_schema(responses={200: inline_serializer("Unread", {"unread": serializers.IntegerField()})})
    @action(detail=False, methods=["get"])
    def unread(self, request: Request) -> Response:
        return Response({"unread": notification_services.unread_count(request.user)})  # type: ignore[arg-type]


@extend_schema(
    parameters=[s.CalendarQuerySerializer],
    responses={200: s.CalendarDaySerializer(many=True), 400: _ERRORS[400]},
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def calendar_days(request: Request) -> Response:
    """Working days and days off between `start` and `end`, with the holiday's name and where
    the answer comes from (`official`, `override` or `fallback`)."""
    query = s.CalendarQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    days = calendar.days_between(query.validated_data["start"], query.validated_data["end"])
    return Response(s.CalendarDaySerializer(days, many=True).data)


@extend_schema(
    parameters=[s.DeadlineQuerySerializer], responses={200: s.DeadlineSerializer, 400: _ERRORS[400]}
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def calendar_deadline(request: Request) -> Response:
    """The feedback deadline of a request entering a tier at `received_at`."""
    query = s.DeadlineQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    due_at = calendar.feedback_deadline(
        query.validated_data["received_at"], green_channel=query.validated_data["green_channel"]
    )
    return Response(s.DeadlineSerializer({"due_at": due_at}).data)


@extend_schema(
    parameters=[s.StatsQuerySerializer],
    responses={
        200: s.StatsSerializer,
        400: _ERRORS[400],
        403: OpenApiResponse(description="Not an officer, supervisor or admin."),
    },
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def stats(request: Request) -> Response:
    """Service figures of the caller's organisation and everything below it: per tier and
    department, received, fed back on time (count and share), median and 90th percentile
    working hours to feedback, breaches, open backlog by age, and a weekly trend."""
    query = s.StatsQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    report = figures.service_figures(request.user, **query.validated_data)  # type: ignore[arg-type]
    return Response(s.StatsSerializer(report).data)


REQUEST_EXPORT_COLUMNS = [
    ("reference", "reference"),
    ("title", "title"),
    ("enterprise", "enterprise__name"),
    ("park", "park__name"),
    ("category", "category"),
    ("product_type", "product_type"),
    ("state", "state"),
    ("tier", "tier"),
    ("department", "department__name"),
    ("assignee", "assignee__username"),
    ("green_channel", "green_channel"),
    ("feedback_due_at", "feedback_due_at"),
    ("created_at", "created_at"),
    ("updated_at", "updated_at"),
]


@extend_schema(
    parameters=[
        OpenApiParameter("state", str, many=True, description="One or more states."),
        OpenApiParameter("category", str, many=True),
        OpenApiParameter("product_type", str, many=True),
        OpenApiParameter("overdue", bool),
        OpenApiParameter("assignee", str, enum=["me", "none"]),
        OpenApiParameter("search", str, description="Reference, or words of the title or description."),
    ],
    responses={
        (200, "text/csv"): OpenApiResponse(
            response=OpenApiTypes.STR, description="The filtered list as CSV (UTF-8 with BOM)."
        )
    },
)
@answers_with_a_file
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def export_requests(request: Request) -> StreamingHttpResponse:
    """The rows the list gives for the same filters, as CSV."""
    visible = selectors.visible_requests(request.user)  # type: ignore[arg-type]
    filterset = RequestFilter(request.query_params, queryset=visible, request=request)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    columns = [source for _name, source in REQUEST_EXPORT_COLUMNS]
    # In the list's order, each part of it streamed from the database in chunks.
    rows = (
        row
        for part in filterset.listing().parts()
        for row in part.values_list(*columns).iterator(chunk_size=2000)
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return exports.csv_response(
        f"requests-{stamp}.csv", [name for name, _source in REQUEST_EXPORT_COLUMNS], (list(r) for r in rows)
    )


@extend_schema(
    parameters=[s.StatsQuerySerializer],
    responses={
        (200, "text/csv"): OpenApiResponse(
            response=OpenApiTypes.STR, description="The figures per tier and department as CSV."
        ),
        403: _ERRORS[403],
    },
)
@answers_with_a_file
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def export_stats(request: Request) -> StreamingHttpResponse:
    query = s.StatsQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    report = figures.service_figures(request.user, **query.validated_data)  # type: ignore[arg-type]
    header = [
        "tier",
        "organization",
        "received",
        "fed_back",
        "on_time",
        "due",
        "on_time_share",
        "median_working_hours",
        "p90_working_hours",
        "breaches",
        *figures.BACKLOG_NAMES,
    ]
    rows = [
        [
            f.tier,
            f.organization or "(all)",
            f.received,
            f.fed_back,
            f.on_time,
            f.due,
            f.on_time_share,
            f.median_working_hours,
            f.p90_working_hours,
            f.breaches,
            *[f.backlog[n] for n in figures.BACKLOG_NAMES],
        ]
        for f in [*report.tiers, *report.units]
    ]
    return exports.csv_response("service-figures.csv", header, rows)


class GuidanceViewSet(viewsets.ReadOnlyModelViewSet):
    """Published guidance; `search` matches English and Chinese titles and bodies."""

    queryset = Guidance.objects.none()
    lookup_value_regex = r"[0-9]+"
    serializer_class = s.GuidanceSerializer
    filterset_class = None

    def get_queryset(self) -> QuerySet[Guidance]:
        params = self.request.query_params
        category = params.get("category", "")
        product_type = params.get("product_type", "")
        return guidance_selectors.search(
            params.get("search", "")[:200],
            category=category if category in Category.values else "",
            product_type=product_type if product_type in ProductType.values else "",
        )
