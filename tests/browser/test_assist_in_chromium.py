"""The offline assistant in a real browser: an enterprise types a Chinese question into the new
request form and, as it types, the English guidance on the subject and a suggested category
appear beside it; "Use this category" sets the select, "Helpful" is recorded; the request page
then shows the guidance and, to the park's liaison, the similar request resolved before. In
English and in Chinese, with screenshots in var/screenshots/ (assist-*.png)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from apps.assist import classifier
from apps.assist.models import Feedback
from apps.casework import actions
from apps.casework.models import ServiceRequest
from apps.guidance.models import Guidance

SHOTS = Path(settings.VAR_DIR) / "screenshots"
pytestmark = pytest.mark.django_db(transaction=True)

# What the park answered before: enough for the classifier to learn three categories.
ANSWERED = {
    "clinical_trial": [
        ("Phase II trial site filing", "Which documents does the trial site filing need?"),
        ("Ethics review of our protocol amendment", "How long does the ethics committee take?"),
        ("临床试验机构备案咨询", "我们的二期临床试验需要在哪些机构备案？"),
        ("伦理委员会审查时间", "临床试验方案的伦理审查一般需要多久？"),
    ],
    "registration": [
        ("Registration dossier for our class II device", "What goes into the registration dossier?"),
        ("Renewal of a registration certificate", "When must we apply for the renewal?"),
        ("医疗器械注册申报资料要求", "第二类医疗器械注册需要提交哪些资料？"),
        ("注册证延续申请", "注册证到期前多久申请延续？"),
    ],
    "policy": [
        ("R&D subsidy application", "Is our preclinical programme eligible for the R&D subsidy?"),
        ("Tax relief for high-tech firms", "How do we qualify as a high-tech enterprise?"),
        ("人才补贴政策申请", "园区的人才住房补贴如何申请？"),
        ("产业扶持资金申报", "今年的产业扶持资金什么时候申报？"),
    ],
}


def shot(page: Page, selector: str, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(selector).screenshot(path=str(SHOTS / f"assist-{name}.png"))


@pytest.fixture
def answered_before(make_request, users, orgs):
    publisher = next(o for o in orgs.values() if o.kind == "provincial")
    ethics = Guidance.objects.create(
        publisher=publisher,
        kind=Guidance.Kind.FAQ,
        category="clinical_trial",
        title="How ethics committees schedule their review of a clinical trial",
        body="Ethics committees of trial sites meet once a month: send the protocol, the informed consent "
        "form and the investigator's brochure two weeks before the meeting.",
    )
    for category, texts in ANSWERED.items():
        for title, description in texts * 2:
            service_request = make_request(
                "ent_ascentawits", title=title, description=description, category=category
            )
            actions.resolve(service_request, actor=users["liaison_sbip"], resolution="Answered by the park.")
    assert classifier.train() is not None
    return ethics


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_suggestions_follow_what_the_enterprise_types_and_stay_suggestions(
    open_as, answered_before, users, locale
):
    ethics = answered_before
    page = open_as("ent_pregene", locale=locale)
    page.locator("#main").get_by_role("link", name=re.compile("File a new request|新建申请")).click()
    page.wait_for_url(re.compile(r"/requests/new/$"))
    suggestions = page.locator("#assist-suggestions")
    page.locator("#id_title").fill("伦理委员会多久开一次会")
    page.locator("#id_description").fill("我们的临床试验方案想尽快通过伦理审查，需要提前多久提交材料？")
    guidance = suggestions.locator("#suggested-guidance")
    expect(guidance.get_by_role("link", name=ethics.title)).to_be_visible()
    expect(guidance.locator(".why").first).to_contain_text(re.compile(r"(Matched|匹配)"))
    category = suggestions.locator("#suggested-category")
    expect(category.get_by_role("button", name=re.compile("Use this category|使用此类别"))).to_be_visible()
    shot(page, "#assist-suggestions", f"form-{locale}")

    # Only a suggestion: the select changes when the person says so.
    select = page.locator("#id_category")
    assert select.input_value() != "clinical_trial"
    category.get_by_role("button", name=re.compile("Use this category|使用此类别")).click()
    expect(select).to_have_value("clinical_trial")

    guidance.locator("form.assist-feedback").first.get_by_role(
        "button", name=re.compile("^(Helpful|有帮助)$")
    ).click()
    expect(guidance.get_by_role("status")).to_contain_text(re.compile("Thank you|谢谢"))
    said = Feedback.objects.get()
    assert (said.kind, said.target, said.helpful, said.user) == (
        "guidance",
        str(ethics.pk),
        True,
        users["ent_pregene"],
    )

    page.locator("#id_product_type").select_option("drug")
    page.get_by_role("button", name=re.compile("File the request|创建申请")).click()
    page.wait_for_url(re.compile(r"/requests/\d+/$"))
    filed = ServiceRequest.objects.get(created_by=users["ent_pregene"])
    assert filed.category == "clinical_trial"
    expect(page.locator("#suggested-guidance").get_by_role("link", name=ethics.title)).to_be_visible()
    shot(page, "#suggested-guidance", f"request-page-{locale}")


def test_the_park_sees_the_earlier_answer_on_the_new_request_and_its_enterprise_does_not(
    open_as, answered_before, make_request, users
):
    new = make_request(
        "ent_pregene",
        title="伦理审查时间",
        description="临床试验方案的伦理委员会审查要多久？",
        category="clinical_trial",
    )
    liaison = open_as("liaison_sbip")
    liaison.get_by_role("link", name=new.reference).first.click()
    similar = liaison.locator("#similar-requests")
    expect(similar.locator("li").first).to_contain_text("伦理委员会审查时间")
    expect(similar.locator("blockquote").first).to_contain_text("Answered by the park.")
    shot(liaison, "#similar-requests", "similar-liaison")

    # Its enterprise sees only its own earlier requests: the competitor's answers are not there.
    enterprise = open_as("ent_pregene")
    enterprise.get_by_role("link", name=new.title).first.click()
    expect(enterprise.locator("#similar-requests")).not_to_contain_text("伦理委员会审查时间")
    expect(enterprise.locator("#similar-requests")).to_contain_text(
        re.compile("No resolved request you can see is close enough")
    )
