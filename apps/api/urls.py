from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import assist, bulk, meetings, reply_templates, satisfaction, saved_views, views, views_watch

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
router.register("views", saved_views.SavedViewViewSet, basename="view")
router.register("reply-templates", reply_templates.ReplyTemplateViewSet, basename="reply-template")
router.register("rectifications", satisfaction.RectificationViewSet, basename="rectification")
router.register("slots", meetings.SlotViewSet, basename="slot")
router.register("meetings", meetings.MeetingViewSet, basename="meeting")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("auth/logout-everywhere/", views.logout_everywhere, name="logout-everywhere"),
    path("me/", views.me, name="me"),
    path("stats/", views.stats, name="stats"),
    path("stats/export.csv", views.export_stats, name="stats-export"),
    path("stats/export.xlsx", views.export_stats_xlsx, name="stats-export-xlsx"),
    path("requests/export.csv", views.export_requests, name="request-export"),
    path("requests/bulk/", bulk.BulkView.as_view(), name="request-bulk"),
    path("requests/<int:pk>/watch/", views_watch.WatchView.as_view(), name="request-watch"),
    # 好差评: the rating of the latest resolution, and the rectifications of bad reviews.
    path("requests/<int:pk>/rate/", satisfaction.RateView.as_view(), name="request-rate"),
    path("requests/<int:pk>/rating/", satisfaction.RatingView.as_view(), name="request-rating"),
    path(
        "requests/<int:pk>/rectifications/",
        satisfaction.RequestRectificationsView.as_view(),
        name="request-rectifications",
    ),
    # The offline assistant: suggestions for a request, or for one being written.
    path(
        "requests/<int:pk>/suggested-guidance/",
        assist.SuggestedGuidanceView.as_view(),
        name="request-suggested-guidance",
    ),
    path("requests/<int:pk>/similar/", assist.SimilarView.as_view(), name="request-similar"),
    path("assist/", assist.AssistView.as_view(), name="assist"),
    path("assist/feedback/", assist.FeedbackView.as_view(), name="assist-feedback"),
    # Consultation meetings: a request's, and a booked one's calendar invitation.
    path("requests/<int:pk>/meetings/", meetings.RequestMeetingsView.as_view(), name="request-meetings"),
    path("meetings/<int:pk>/ics", meetings.meeting_ics, name="meeting-ics"),
    path("calendar/", views.calendar_days, name="calendar"),
    path("calendar/deadline/", views.calendar_deadline, name="calendar-deadline"),
    path(
        "requests/<int:pk>/reply-templates/",
        reply_templates.request_reply_templates,
        name="request-reply-templates",
    ),
    path("", include(router.urls)),
]
