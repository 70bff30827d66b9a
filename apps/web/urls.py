from django.contrib.auth import views as auth_views
from django.urls import path

from . import account, views

urlpatterns = [
    path("", views.index, name="index"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", account.account, name="account"),
    path("account/password/", account.PasswordChangeView.as_view(), name="account-password"),
    path("account/language/", account.set_language, name="account-language"),
    path("account/token/revoke/", account.revoke_token, name="account-revoke-token"),
    path("account/logout-everywhere/", account.log_out_everywhere, name="account-logout-everywhere"),
    path("home/", views.home, name="home"),
    path("requests/", views.request_list, name="request-list"),
    path("requests/new/", views.new_request, name="request-new"),
    path("requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("requests/<int:pk>/act/<slug:name>/", views.act, name="request-act"),
    path("requests/<int:pk>/messages/", views.post_message, name="request-message"),
    path("requests/<int:pk>/attachments/", views.upload, name="request-upload"),
    path("requests/<int:pk>/attachments/<int:attachment_id>/", views.download, name="request-download"),
    path("key-projects/", views.key_projects, name="key-projects"),
    path("key-projects/new/", views.key_project_edit, name="key-project-new"),
    path("key-projects/<int:pk>/", views.key_project_edit, name="key-project-edit"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification-open"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification-read"),
    path("notifications/read-all/", views.notification_read_all, name="notifications-read-all"),
]
