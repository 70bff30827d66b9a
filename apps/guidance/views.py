"""Guidance pages: browse and search in both languages, and the related-guidance panel."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from apps.casework.models import Category, ProductType

from . import selectors
from .models import GuidanceAttachment


@login_required
def guidance_list(request: HttpRequest) -> HttpResponse:
    text = request.GET.get("q", "")[:200]
    category = request.GET.get("category", "")
    product_type = request.GET.get("product_type", "")
    found = selectors.search(
        text,
        category=category if category in Category.values else "",
        product_type=product_type if product_type in ProductType.values else "",
    )
    page = Paginator(found, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "guidance/list.html",
        {
            "page": page,
            "q": text,
            "category": category,
            "product_type": product_type,
            "categories": Category.choices,
            "product_types": ProductType.choices,
        },
    )


@login_required
def guidance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(selectors.published(), pk=pk)
    return render(
        request,
        "guidance/detail.html",
        {"g": document, "body": selectors.render_markdown(document.localized_body)},
    )


@login_required
def guidance_related(request: HttpRequest) -> HttpResponse:
    """The panel beside the new-request form, redrawn when category or product type change."""
    documents = selectors.related(request.GET.get("category"), request.GET.get("product_type"))
    return render(request, "guidance/_related.html", {"guidance": documents})


@login_required
def guidance_file(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    attachment = GuidanceAttachment.objects.filter(
        pk=attachment_id, guidance_id=pk, guidance__published=True
    ).first()
    if attachment is None:
        raise Http404
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)
