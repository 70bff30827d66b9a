from typing import Any

from django.http import HttpRequest

from apps.notifications.services import unread_count


def portal(request: HttpRequest) -> dict[str, Any]:
    """What every page's header shows: the unread notification count."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": unread_count(user)}  # type: ignore[arg-type]
