from collections import OrderedDict
from typing import Any

from rest_framework.pagination import PageNumberPagination
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
