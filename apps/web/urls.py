from django.contrib.auth import views as auth_views
from django.urls import path

from . import account, bulk, find, reply_templates, saved_views, views

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
    path("home/views/", saved_views.save, name="view-save"),
    path("home/views/<int:pk>/delete/", saved_views.delete, name="view-delete"),
    path("find/", find.find, name="find"),
    path("requests/", views.request_list, name="request-list"),
    path("requests/new/", views.new_request, name="request-new"),
    path("requests/bulk/", bulk.bulk_act, name="request-bulk"),
    path("requests/<int:pk>/", views.request_detail, name="request-detail"),
    path("requests/<int:pk>/act/<slug:name>/", views.act, name="request-act"),
    path("requests/<int:pk>/messages/", views.post_message, name="request-message"),
    path("requests/<int:pk>/watch/", find.watch, name="request-watch"),
    path("requests/<int:pk>/attachments/", views.upload, name="request-upload"),
    path("requests/<int:pk>/attachments/<int:attachment_id>/", views.download, name="request-download"),
    path("desk/templates/", reply_templates.template_list, name="reply-templates"),
    path("desk/templates/new/", reply_templates.template_edit, name="reply-template-new"),
    path("desk/templates/<int:pk>/", reply_templates.template_edit, name="reply-template-edit"),
    path("desk/templates/<int:pk>/delete/", reply_templates.template_delete, name="reply-template-delete"),
    path("key-projects/", views.key_projects, name="key-projects"),
    path("key-projects/new/", views.key_project_edit, name="key-project-new"),
    path("key-projects/<int:pk>/", views.key_project_edit, name="key-project-edit"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification-open"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification-read"),
    path("notifications/read-all/", views.notification_read_all, name="notifications-read-all"),
]
