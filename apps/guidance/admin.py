from django.contrib import admin

from .models import Guidance, GuidanceAttachment


class AttachmentInline(admin.TabularInline):
    model = GuidanceAttachment
    extra = 0


@admin.register(Guidance)
class GuidanceAdmin(admin.ModelAdmin):
    list_display = ["title", "title_zh", "kind", "category", "publisher", "published", "published_at"]
    list_filter = ["kind", "category", "published"]
    search_fields = ["title", "title_zh", "body", "body_zh"]
    autocomplete_fields = ["publisher"]
    inlines = [AttachmentInline]
