from collections import OrderedDict
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response


class RequestPagination(PageNumberPagination):
    """Pages of a list; `count_exact` is false when a very large count comes from the cache, or
    when a search matched more than it counts (apps/casework/queues.py)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_paginated_response(self, data: Any) -> Response:
        listing = self.page.paginator.object_list  # type: ignore[union-attr]
        return Response(
            OrderedDict(
                [
                    ("count", self.page.paginator.count),  # type: ignore[union-attr]
                    ("count_exact", getattr(listing, "count_exact", True)),
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        described = super().get_paginated_response_schema(schema)
        described["properties"]["count_exact"] = {
            "type": "boolean",
            "description": "False when `count` is not exact: a list larger than 10,000 requests shows a "
            "total computed up to five minutes ago; a search stops counting at 1,000 matches "
            "(`count` 1000: more matched).",
        }
        described["required"] = [*described.get("required", []), "count_exact"]
        return described

    def get_page_size(self, request: Request) -> int:
        """`page_size` is a whole number from 1 (larger asks get the maximum); anything else is a
        400, where DRF would quietly use the default and the client would not know."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            message = _("Give a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
            raise ValidationError({self.page_size_query_param: [message]})
        return min(size, self.max_page_size)

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        """As DRF's, except that an empty `page=` is an invalid page (a 404) like `page=abc`,
        not the first."""
        number = request.query_params.get(self.page_query_param)
        if number is None:
            return 1
        if number in self.last_page_strings:
            return paginator.num_pages
        return number

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = _(
                    "Results per page, at most %(max)s (larger asks get %(max)s)."
                ) % {"max": self.max_page_size}
        return parameters
