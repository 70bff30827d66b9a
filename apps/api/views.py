"""The REST API: thin views that validate input, call one action or selector and serialize the
result. Domain errors become HTTP statuses in `apps.api.errors`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth import authenticate, logout
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import parse_etags
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
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
from apps.casework.errors import ConcurrentChange
from apps.casework.filters import RequestFilter
from apps.casework.models import Category, ProductType, ServiceRequest, State
from apps.deadlines import calendar
from apps.guidance import selectors as guidance_selectors
from apps.guidance.models import Guidance
from apps.notifications import services as notification_services
from apps.notifications.models import Notification
from apps.organizations import accounts, lockout
from apps.organizations.models import KeyProject, Organization, Tier, User
from apps.organizations.selectors import visible_key_projects, visible_organizations
from apps.security import passwords, two_factor
from apps.stats import export as figures_export
from apps.stats import figures
from portal import csv_download

from . import serializers as s
from .errors import LockedOut, SignInRefused
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

# Optimistic concurrency: a request's detail carries its version as an `ETag`; a transition
# sent with `If-Match` (or `version` in its body) acts only on that version.
_IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=_lazy(
        "The `ETag` of the request's detail as you read it. If the request was written since, the "
        "transition is refused with 409 (`code: changed`) and nothing changes; `*` matches any "
        "version. The same as sending `version` in the body."
    ),
)
_ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    response=[200, 201],
    description=_lazy(
        'The request\'s version as an entity tag (`"<id>-<version>"`): send it back in `If-Match` to '
        "act only on what you read."
    ),
)


_ETAG_FORMAT = re.compile(r'"(?P<id>[0-9]{1,18})-(?P<version>[0-9]{1,18})"')


def _etag(service_request: ServiceRequest) -> str:
    return f'"{service_request.pk}-{service_request.version}"'


def _version_from_if_match(request: Request, service_request: ServiceRequest) -> int | None:
    """The version of this request that an `If-Match` header names (None: no header, or `*`).
    A weak tag counts as well (a compressing proxy may weaken the ETag it passes on); a header
    naming no version of this request is refused as changed."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = parse_etags(header)
    if not tags:
        message = _('Give the request\'s ETag, in quotes as its detail sends it (e.g. "12-3"), or *.')
        raise ValidationError({"If-Match": [message]})
    if "*" in tags:
        return None
    versions = []
    for tag in tags:
        found = _ETAG_FORMAT.fullmatch(tag.removeprefix("W/"))
        if found and int(found["id"]) == service_request.pk:
            versions.append(int(found["version"]))
    if not versions:
        raise ConcurrentChange(
            _("The If-Match header names no version of this request. Reload it and send its ETag."),
            code="changed",
        )
    return service_request.version if service_request.version in versions else versions[0]


_TRANSITION_409 = OpenApiResponse(
    description=(
        "Not allowed from the request's current state, or it changed meanwhile: written since the "
        "`version` or `If-Match` you sent (`code: changed`), or by someone acting at the same moment "
        "(`code: conflict`). Nothing changed; reload the request and try again."
    )
)


def _transition_schema(serializer: type[serializers.Serializer]) -> Any:
    return extend_schema(
        request=serializer,
        parameters=[_IF_MATCH, _ETAG],
        responses={200: s.RequestDetailSerializer, **_ERRORS, 409: _TRANSITION_409},
    )


# Each transition endpoint: the input it takes and how that input reaches the action.
_TRANSITION_INPUT: dict[str, type[serializers.Serializer]] = {
    "submit": s.TransitionSerializer,
    "respond": s.BodySerializer,
    "request_info": s.BodySerializer,
    "provide_info": s.ProvideInfoSerializer,
    "escalate": s.ReasonSerializer,
    "return": s.ReasonSerializer,
    "resolve": s.ResolutionSerializer,
    "reopen": s.ReasonSerializer,
    "close": s.TransitionSerializer,
    "withdraw": s.OptionalReasonSerializer,
    "assign": s.AssignSerializer,
    "claim": s.TransitionSerializer,
}


# Transitions whose input names other objects: refused (409, 403) before that input is read.
_CHECKED_BEFORE_INPUT = {"assign"}


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

    def _detail(
        self,
        service_request: ServiceRequest,
        code: int = status.HTTP_200_OK,
        serializer: type[s.RequestDetailSerializer] = s.RequestDetailSerializer,
    ) -> Response:
        data = serializer(service_request, context={"request": self.request}).data
        return Response(data, status=code, headers={"ETag": _etag(service_request)})

    def _acting_on(
        self, request: Request, serializer: type[serializers.Serializer], name: str
    ) -> tuple[ServiceRequest, dict[str, Any]]:
        """The request to act on, as the caller read it (`version`, `If-Match`), and the rest of
        the validated input for the action. Input naming other objects (the assignee) is read
        only from those who may take the transition, among the choices this request offers."""
        service_request = self.get_object()
        if name in _CHECKED_BEFORE_INPUT:
            actions.check_transition(service_request, name, request.user)  # type: ignore[arg-type]
        data = serializer(data=request.data, context={"request": request, "service_request": service_request})
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        for version in (values.pop("version", None), _version_from_if_match(request, service_request)):
            actions.expect_version(service_request, version)
        return service_request, values

    @extend_schema(parameters=[_ETAG], responses={200: s.RequestDetailSerializer, 404: _ERRORS[404]})
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(
        request={
            "application/json": s.RequestCreateSerializer,
            "multipart/form-data": s.RequestCreateSerializer,
        },
        responses={201: s.RequestWithFilesSerializer, 400: _ERRORS[400], 403: _ERRORS[403]},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """File a request: JSON, or multipart with its files (`file`, repeated). The request and
        its files are filed together or not at all."""
        actions.check_may_file(request.user)  # type: ignore[arg-type]
        data = s.RequestCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        created = actions.create_request(actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        fresh = selectors.get_visible_request(request.user, created.pk)  # type: ignore[arg-type]
        return self._detail(fresh, status.HTTP_201_CREATED, s.RequestWithFilesSerializer)

    def _transition(self, request: Request, name: str) -> Response:
        service_request, values = self._acting_on(request, _TRANSITION_INPUT[name], name)
        actions.TRANSITIONS[name](service_request, actor=request.user, **values)
        return self._detail(selectors.get_visible_request(request.user, service_request.pk))  # type: ignore[arg-type]

    # One endpoint per transition of the lifecycle (SPEC.md's table).
    @_transition_schema(s.TransitionSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._transition(request, "submit")

    @_transition_schema(s.BodySerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str) -> Response:
        return self._transition(request, "respond")

    @_transition_schema(s.BodySerializer)
    @action(detail=True, methods=["post"])
    def request_info(self, request: Request, pk: str) -> Response:
        return self._transition(request, "request_info")

    @extend_schema(
        request={"application/json": s.BodySerializer, "multipart/form-data": s.ProvideInfoSerializer},
        parameters=[_IF_MATCH, _ETAG],
        responses={200: s.RequestWithFilesSerializer, **_ERRORS, 409: _TRANSITION_409},
    )
    @action(detail=True, methods=["post"])
    def provide_info(self, request: Request, pk: str) -> Response:
        """The information asked for (`body`), with files in a multipart post (`file`, repeated):
        the reply, its files and the return to the tier are one change."""
        service_request, values = self._acting_on(request, s.ProvideInfoSerializer, "provide_info")
        actions.provide_info(service_request, actor=request.user, **values)  # type: ignore[arg-type]
        fresh = selectors.get_visible_request(request.user, service_request.pk)  # type: ignore[arg-type]
        return self._detail(fresh, serializer=s.RequestWithFilesSerializer)

    @_transition_schema(s.ReasonSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str) -> Response:
        return self._transition(request, "escalate")

    @_transition_schema(s.ReasonSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_to_lower_tier(self, request: Request, pk: str) -> Response:
        return self._transition(request, "return")

    @_transition_schema(s.ResolutionSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        return self._transition(request, "resolve")

    @_transition_schema(s.ReasonSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        return self._transition(request, "reopen")

    @_transition_schema(s.TransitionSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str) -> Response:
        return self._transition(request, "close")

    @_transition_schema(s.OptionalReasonSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        return self._transition(request, "withdraw")

    @_transition_schema(s.AssignSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        return self._transition(request, "assign")

    @_transition_schema(s.TransitionSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str) -> Response:
        return self._transition(request, "claim")

    @_transition_schema(s.GreenChannelSerializer)
    @action(detail=True, methods=["post"])
    def green_channel(self, request: Request, pk: str) -> Response:
        service_request, values = self._acting_on(request, s.GreenChannelSerializer, "green_channel")
        actions.set_green_channel(service_request, actor=request.user, **values)  # type: ignore[arg-type]
        return self._detail(selectors.get_visible_request(request.user, service_request.pk))  # type: ignore[arg-type]

    @extend_schema(request=s.ShareSerializer, responses={200: s.RequestDetailSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def share(self, request: Request, pk: str) -> Response:
        """Share the request with one more department, which may then read it: a department of
        the request's district, municipal or provincial authority, while a tier reviews it (409
        in any other state, 403 for anybody but the holding tier's staff)."""
        service_request = self.get_object()
        actions.check_may_share(service_request, request.user)  # type: ignore[arg-type]
        data = s.ShareSerializer(
            data=request.data, context={"request": request, "service_request": service_request}
        )
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
        responses={
            201: s.MessageSerializer,
            400: _ERRORS[400],
            403: _ERRORS[403],
            404: _ERRORS[404],
            409: _ERRORS[409],
        },
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
        responses={
            201: s.AttachmentSerializer,
            400: _ERRORS[400],
            403: _ERRORS[403],
            404: _ERRORS[404],
            409: _ERRORS[409],
        },
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
        "and codes count towards the sign-in lock-out (429, `code` `locked_out`). A person with "
        "two-factor sign-in also sends `otp`; without it the answer is 401 with `code` "
        "`otp_required`, with a wrong one 401 `otp_invalid`.",
        request=s.TokenRequestSerializer,
        responses={
            200: s.TokenResponseSerializer,
            400: _ERRORS[400],
            401: OpenApiResponse(description="The second factor's code is missing or wrong (`code`)."),
            403: OpenApiResponse(
                description="A step is owed first: the second factor to set up, or the password to change."
            ),
        },
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
        self._second_step(django_request, user, credentials.validated_data.get("otp", ""))  # type: ignore[arg-type]
        lockout.forget_failures(django_request, username)
        token = accounts.issue_api_token(user)  # type: ignore[arg-type]
        # A token is a sign-in that Django's login signal does not see: record it alike.
        sign_ins.record(sign_ins.TOKEN_ISSUED, user=user, request=request)
        return Response({"token": token.key})

    @staticmethod
    def _second_step(django_request: Any, user: User, otp: str) -> None:
        """After the right password: the second factor's code, and nothing owed first."""
        if two_factor.is_enrolled(user):
            if not otp:
                raise SignInRefused(
                    _("Send the current code of your authenticator app as `otp`."), "otp_required", 401
                )
            if two_factor.verify(user, otp, request=django_request) is None:
                if getattr(django_request, "axes_locked_out", False):
                    seconds = lockout.seconds_left(django_request, {"username": user.get_username()})
                    raise LockedOut(lockout.lockout_message(seconds), wait=seconds)
                raise SignInRefused(_("That code is not right."), "otp_invalid", 401)
        elif two_factor.required(user):
            raise SignInRefused(
                _("Your role signs in with a second factor: set it up in your account page first."),
                "otp_enrolment_required",
                403,
            )
        if passwords.change_required(user):
            raise SignInRefused(
                _("Choose a new password in your account page first."), "password_change_required", 403
            )

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


# (code header, label header, column or columns): the label header and labelled values are in
# the reader's language; `labels=0` gives the codes, for programs that read the file.
REQUEST_EXPORT_COLUMNS: list[tuple[str, Any, tuple[str, ...]]] = [
    ("reference", _lazy("Reference"), ("reference",)),
    ("title", _lazy("Title"), ("title",)),
    ("enterprise", _lazy("Enterprise"), ("enterprise__name", "enterprise__name_zh")),
    ("park", _lazy("Park"), ("park__name", "park__name_zh")),
    ("category", _lazy("Category"), ("category",)),
    ("product_type", _lazy("Product type"), ("product_type",)),
    ("state", _lazy("State"), ("state",)),
    ("tier", _lazy("Tier"), ("tier",)),
    ("department", _lazy("Department"), ("department__name", "department__name_zh")),
    ("assignee", _lazy("Assignee"), ("assignee__username",)),
    ("green_channel", _lazy("Green channel"), ("green_channel",)),
    ("feedback_due_at", _lazy("Feedback due"), ("feedback_due_at",)),
    ("created_at", _lazy("Created"), ("created_at",)),
    ("updated_at", _lazy("Updated"), ("updated_at",)),
]
_EXPORT_CHOICES: dict[str, dict[Any, Any]] = {
    "category": dict(Category.choices),
    "product_type": dict(ProductType.choices),
    "state": dict(State.choices),
    "tier": dict(Tier.choices),
}


def _labelled_rows(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[Any]]:
    """Each row with codes as labels and names in the reader's language."""
    chinese = (get_language() or "").startswith("zh")
    yes, no = _("Yes"), _("No")
    for row in rows:
        values = iter(row)
        line: list[Any] = []
        for name, _label, sources in REQUEST_EXPORT_COLUMNS:
            value = next(values)
            if len(sources) == 2:  # a name and its Chinese twin
                chinese_name = next(values)
                value = chinese_name if chinese and chinese_name else value
            elif name in _EXPORT_CHOICES:
                value = _EXPORT_CHOICES[name].get(value, value)
            elif name == "green_channel":
                value = yes if value else no
            line.append(value)
        yield line


def _coded_rows(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[Any]]:
    """Each row as the API's codes, names as registered (the Chinese twins left out)."""
    for row in rows:
        values = iter(row)
        line = []
        for _name, _label, sources in REQUEST_EXPORT_COLUMNS:
            line.append(next(values))
            for _twin in sources[1:]:
                next(values)
        yield line


@extend_schema(
    parameters=[
        OpenApiParameter("state", str, many=True, description="One or more states."),
        OpenApiParameter("category", str, many=True),
        OpenApiParameter("product_type", str, many=True),
        OpenApiParameter("overdue", bool),
        OpenApiParameter("assignee", str, enum=["me", "none"]),
        OpenApiParameter("search", str, description="Reference, or words of the title or description."),
        OpenApiParameter(
            "labels",
            str,
            enum=["1", "0"],
            description="1 (default): headers, states, categories and names in the reader's language; "
            "0: the API's field names and codes.",
        ),
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
    """The rows the list gives for the same filters, as CSV: labels in the reader's language,
    or the API's codes with `labels=0`."""
    visible = selectors.visible_requests(request.user)  # type: ignore[arg-type]
    params = request.query_params.copy()
    labels = params.pop("labels", ["1"])[-1]
    if labels not in ("0", "1", "true", "false"):
        raise ValidationError({"labels": [_("Give 1 for labels in your language or 0 for codes.")]})
    labelled = labels in ("1", "true")
    filterset = RequestFilter(params, queryset=visible, request=request)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    columns = [source for _name, _label, sources in REQUEST_EXPORT_COLUMNS for source in sources]
    # In the list's order, each part of it streamed from the database in chunks.
    rows = (
        row
        for part in filterset.listing().parts()
        for row in part.values_list(*columns).iterator(chunk_size=2000)
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if labelled:
        header = [str(label) for _name, label, _sources in REQUEST_EXPORT_COLUMNS]
        return csv_download.csv_response(f"requests-{stamp}.csv", header, _labelled_rows(rows))
    header = [name for name, _label, _sources in REQUEST_EXPORT_COLUMNS]
    return csv_download.csv_response(f"requests-{stamp}.csv", header, _coded_rows(rows))


@extend_schema(
    parameters=[s.StatsQuerySerializer],
    responses={
        (200, "text/csv"): OpenApiResponse(
            response=OpenApiTypes.STR,
            description="The figures as CSV (UTF-8 with BOM), headed by the fields of `GET /stats/`: "
            "the whole organisation (tier `all`), each tier (organization `(all)`), each department "
            "or park.",
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
    return csv_download.csv_response(
        "service-figures.csv", figures_export.CSV_HEADER, figures_export.csv_rows(report)
    )


@extend_schema(
    parameters=[s.StatsQuerySerializer],
    responses={
        (200, figures_export.XLSX_CONTENT_TYPE): OpenApiResponse(
            response=OpenApiTypes.BINARY,
            description="The rows of the CSV as an Excel workbook for people: the organisation and "
            "the period on top, a frozen header row, tiers, names and headers in the reader's "
            "language, rates as percentages.",
        ),
        403: _ERRORS[403],
    },
)
@answers_with_a_file
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def export_stats_xlsx(request: Request) -> HttpResponse:
    query = s.StatsQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    report = figures.service_figures(request.user, **query.validated_data)  # type: ignore[arg-type]
    response = HttpResponse(figures_export.xlsx_bytes(report), content_type=figures_export.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{figures_export.filename(report, "xlsx")}"'
    return response


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
