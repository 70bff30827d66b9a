"""Reply templates in the API (apps/desk/replies.py has the rules):

- `GET /api/v1/requests/{id}/reply-templates/`: the templates the caller is offered, rendered for
  that request in both languages (what the request page's picker fills the text box with);
  `?template={id}` renders just that one (404 for a template not offered to the caller).
- `/api/v1/reply-templates/`: the templates the caller is offered and, for a supervisor, every
  template of their organisation; supervisors create (POST), change (PATCH, `active: false`
  stops offering one) and delete them. Unknown placeholders are a 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.casework import selectors
from apps.casework.errors import NotVisible
from apps.desk import replies
from apps.desk.models import NAME_MAX_LENGTH, ReplyTemplate
from apps.organizations.models import User

_PLACEHOLDER_HELP = "Placeholders: " + ", ".join(f"{{{name}}}" for name in replies.PLACEHOLDERS) + "."


class RenderedTemplateSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    organization = serializers.IntegerField(source="template.organization_id", read_only=True)
    text_en = serializers.CharField(
        read_only=True, help_text="The text in English, filled in for the request."
    )
    text_zh = serializers.CharField(
        read_only=True, help_text="The text in Chinese, filled in for the request."
    )


class ReplyTemplateSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    organization = serializers.IntegerField(source="organization_id", read_only=True)
    name = serializers.CharField(read_only=True)
    body_en = serializers.CharField(read_only=True)
    body_zh = serializers.CharField(read_only=True)
    active = serializers.BooleanField(read_only=True, help_text="Offered in the reply forms.")
    editable = serializers.SerializerMethodField(
        help_text="The caller keeps it (a supervisor of its organisation)."
    )
    updated_at = serializers.DateTimeField(read_only=True)

    def get_editable(self, template: ReplyTemplate) -> bool:
        keeper = self.context.get("keeper")
        return keeper is not None and template.organization_id == keeper.pk


class ReplyTemplateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH, required=False)
    body_en = serializers.CharField(
        max_length=replies.BODY_MAX_LENGTH, required=False, allow_blank=True, help_text=_PLACEHOLDER_HELP
    )
    body_zh = serializers.CharField(
        max_length=replies.BODY_MAX_LENGTH, required=False, allow_blank=True, help_text=_PLACEHOLDER_HELP
    )
    active = serializers.BooleanField(required=False)


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


@extend_schema(
    parameters=[
        OpenApiParameter(
            "template", OpenApiTypes.INT, description="Render only this template (404 if not offered)."
        )
    ],
    responses={
        200: RenderedTemplateSerializer(many=True),
        404: OpenApiResponse(description="No such request (or not visible), or no such template offered."),
    },
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def request_reply_templates(request: Request, pk: int) -> Response:
    user = _user(request)
    service_request = selectors.get_visible_request(user, pk)
    chosen = request.query_params.get("template")
    if chosen is not None:
        template = replies.get_usable_template(user, chosen)
        rendered = replies.render_all([template], service_request, actor=user)
        if not rendered:
            # Its placeholders are not ours: say why.
            replies.render(template, service_request, actor=user)
        return Response(RenderedTemplateSerializer(rendered[0]).data)
    rendered = replies.render_all(replies.templates_for(user), service_request, actor=user)
    return Response(RenderedTemplateSerializer(rendered, many=True).data)


class ReplyTemplateViewSet(viewsets.GenericViewSet):
    """Reply templates: those offered to the caller, and a supervisor's organisation's own."""

    queryset = ReplyTemplate.objects.none()  # for the schema; the rules decide
    lookup_value_regex = r"[0-9]+"
    serializer_class = ReplyTemplateSerializer
    pagination_class = None
    filterset_class = None

    def _listed(self) -> Any:
        user = _user(self.request)
        ids = set(replies.templates_for(user).values_list("pk", flat=True))
        if replies.keeper_organization(user) is not None:
            ids |= set(replies.kept_templates(user).values_list("pk", flat=True))
        return ReplyTemplate.objects.filter(pk__in=ids).order_by("name", "id")

    def _context(self) -> dict[str, Any]:
        return {"keeper": replies.keeper_organization(_user(self.request))}

    def _out(self, template: ReplyTemplate, code: int = status.HTTP_200_OK) -> Response:
        return Response(ReplyTemplateSerializer(template, context=self._context()).data, status=code)

    @extend_schema(responses={200: ReplyTemplateSerializer(many=True)})
    def list(self, request: Request) -> Response:
        return Response(ReplyTemplateSerializer(self._listed(), many=True, context=self._context()).data)

    @extend_schema(
        responses={200: ReplyTemplateSerializer, 404: OpenApiResponse(description="No such template.")}
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        try:
            template = self._listed().get(pk=int(pk))
        except (ReplyTemplate.DoesNotExist, ValueError, OverflowError):
            raise NotVisible(_("No such reply template.")) from None
        return self._out(template)

    @extend_schema(
        request=ReplyTemplateInputSerializer,
        responses={
            201: ReplyTemplateSerializer,
            400: OpenApiResponse(description="No name, no text, or a placeholder that is not one of ours."),
            403: OpenApiResponse(description="Only supervisors keep their organisation's templates."),
        },
    )
    def create(self, request: Request) -> Response:
        data = ReplyTemplateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.setdefault("name", "")
        template = replies.save_template(_user(request), **values)
        return self._out(template, status.HTTP_201_CREATED)

    @extend_schema(
        request=ReplyTemplateInputSerializer,
        responses={
            200: ReplyTemplateSerializer,
            400: OpenApiResponse(description="A placeholder that is not one of ours, or no text left."),
            403: OpenApiResponse(description="Only supervisors keep their organisation's templates."),
            404: OpenApiResponse(description="Not a template of the caller's organisation."),
        },
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        user = _user(request)
        template = replies.get_kept_template(user, pk)
        data = ReplyTemplateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._out(replies.save_template(user, template, **data.validated_data))

    @extend_schema(
        responses={
            204: None,
            403: OpenApiResponse(description="Only supervisors keep their organisation's templates."),
            404: OpenApiResponse(description="Not a template of the caller's organisation."),
        }
    )
    def destroy(self, request: Request, pk: str) -> Response:
        replies.delete_template(_user(request), pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
