"""Guidance: browse and search in both languages, related to a request, rendered safely."""

import pytest
from django.test import Client

from apps.guidance.demo import seed_guidance
from apps.guidance.models import Guidance
from apps.guidance.selectors import render_markdown

pytestmark = pytest.mark.django_db


@pytest.fixture
def documents(orgs):
    seed_guidance()
    return Guidance.objects.all()


def titles(response) -> list[str]:
    return [g["title"] for g in response.json()["results"]]


def test_search_finds_guidance_in_english_and_in_chinese(api, documents):
    client = api("ent_pregene")
    assert titles(client.get("/api/v1/guidance/?search=pharmacovigilance")) == [
        "Compliance guidelines for biopharmaceutical companies"
    ]
    assert titles(client.get("/api/v1/guidance/?search=药物警戒")) == [
        "Compliance guidelines for biopharmaceutical companies"
    ]
    assert "FAQ: clinical trial filings and ethics review timing" in titles(
        client.get("/api/v1/guidance/?search=伦理")
    )


def test_guidance_filters_by_category_and_product_type(api, documents):
    client = api("liaison_sbip")
    found = titles(client.get("/api/v1/guidance/?category=registration&product_type=ai_medical_device"))
    assert found == ["Innovative medical device special review: how to apply"]
    assert titles(client.get("/api/v1/guidance/?category=registration&product_type=drug")) == []


def test_guidance_needs_a_signed_in_user(api, documents):
    assert api(None).get("/api/v1/guidance/").status_code in (401, 403)
    assert Client().get("/guidance/").status_code == 302


def test_request_page_shows_guidance_for_its_category_and_product_type(make_request, users, documents):
    service_request = make_request(category="registration", product_type="ai_medical_device")
    client = Client()
    client.force_login(users["ent_pregene"])
    html = client.get(f"/requests/{service_request.pk}/").content.decode()
    assert "Innovative medical device special review" in html
    assert "Compliance guidelines for biopharmaceutical companies" not in html


def test_new_request_form_redraws_related_guidance(users, documents):
    client = Client()
    client.force_login(users["ent_pregene"])
    panel = client.get("/guidance/related/?category=clinical_trial&product_type=biologic").content.decode()
    assert "FAQ: clinical trial filings" in panel


def test_guidance_pages_follow_the_language(users, documents):
    client = Client()
    client.force_login(users["ent_pregene"])
    document = Guidance.objects.get(title__startswith="Compliance guidelines")
    assert (
        "生物医药企业合规指引"
        in client.get(f"/guidance/{document.pk}/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    )
    assert (
        "Compliance guidelines"
        in client.get(f"/guidance/{document.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<iframe src=//evil></iframe>",
        '<p style="background:url(javascript:alert(1))" onclick="alert(1)">x</p>',
    ],
)
def test_markdown_cannot_carry_scripts(hostile):
    html = str(render_markdown(hostile)).lower()
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert "<iframe" not in html and "onclick" not in html and "style=" not in html


def test_markdown_keeps_ordinary_formatting():
    html = str(render_markdown("## Steps\n1. **Check** the [patent](https://cnipa.gov.cn)\n"))
    assert (
        "<h2>Steps</h2>" in html
        and "<strong>Check</strong>" in html
        and 'href="https://cnipa.gov.cn"' in html
    )


def test_guidance_files_download_for_signed_in_users_only(users, documents, settings, tmp_path):
    from django.core.files.base import ContentFile

    from apps.guidance.models import GuidanceAttachment

    document = Guidance.objects.first()
    attachment = GuidanceAttachment(guidance=document, name="指引全文.pdf")
    attachment.file.save("guide.pdf", ContentFile(b"%PDF-1.4 guidance"), save=True)
    url = f"/guidance/{document.pk}/files/{attachment.pk}/"
    assert Client().get(url).status_code == 302  # to the login page
    client = Client()
    client.force_login(users["ent_accel1"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 guidance"
    assert client.get(f"/guidance/{document.pk}/files/{attachment.pk + 1}/").status_code == 404
    document.published = False
    document.save()
    assert client.get(url).status_code == 404  # withdrawn guidance takes its files with it
