from django.urls import path

from . import views

urlpatterns = [
    path("", views.guidance_list, name="guidance-list"),
    path("related/", views.guidance_related, name="guidance-related"),
    path("<int:pk>/", views.guidance_detail, name="guidance-detail"),
    path("<int:pk>/files/<int:attachment_id>/", views.guidance_file, name="guidance-file"),
]
