from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import views

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# No `….json` twin of every route: the API speaks JSON only, and the twins of the custom actions
# answered 500 (the actions take no `format` argument). `?format=` still chooses a renderer.
router.include_format_suffixes = False
router.register("requests", views.RequestViewSet, basename="request")
router.register("organizations", views.OrganizationViewSet, basename="organization")
router.register("key-projects", views.KeyProjectViewSet, basename="key-project")
router.register("notifications", views.NotificationViewSet, basename="notification")
router.register("guidance", views.GuidanceViewSet, basename="guidance")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("auth/logout-everywhere/", views.logout_everywhere, name="logout-everywhere"),
    path("me/", views.me, name="me"),
    path("stats/", views.stats, name="stats"),
    path("stats/export.csv", views.export_stats, name="stats-export"),
    path("requests/export.csv", views.export_requests, name="request-export"),
    path("calendar/", views.calendar_days, name="calendar"),
    path("calendar/deadline/", views.calendar_deadline, name="calendar-deadline"),
    path("", include(router.urls)),
]
