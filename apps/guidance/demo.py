"""A few real-looking guidance documents for the demo (idempotent)."""

from __future__ import annotations

from apps.organizations.models import Organization

from .models import Guidance

DOCUMENTS = [
    {
        "publisher": "Guangdong Medical Products Administration",
        "kind": Guidance.Kind.COMPLIANCE,
        "category": "compliance",
        "product_types": ["drug", "biologic"],
        "title": "Compliance guidelines for biopharmaceutical companies",
        "title_zh": "生物医药企业合规指引",
        "body": (
            "## Who this is for\nMarketing authorisation holders and their contract manufacturers in Guangdong.\n\n"
            "## Key obligations\n- Keep a **pharmacovigilance system** with a named person responsible.\n"
            "- Report changes to the production site before they take effect.\n"
            "- Keep batch records for at least one year after the expiry date.\n\n"
            "Ask through the portal when you are unsure: your park liaison answers by the next working day."
        ),
        "body_zh": (
            "## 适用对象\n广东省内药品上市许可持有人及其受托生产企业。\n\n"
            "## 主要义务\n- 建立**药物警戒体系**并指定负责人。\n- 生产场地变更应在实施前报告。\n"
            "- 批生产记录至少保存至药品有效期后一年。\n\n如有疑问，请通过本平台提交，园区联络员将于下一个工作日内反馈。"
        ),
    },
    {
        "publisher": "Pingshan Market Supervision Bureau",
        "kind": Guidance.Kind.FAQ,
        "category": "clinical_trial",
        "product_types": [],
        "title": "FAQ: clinical trial filings and ethics review timing",
        "title_zh": "常见问题：临床试验备案与伦理审查时限",
        "body": (
            "**Do investigator-initiated trials need a filing?** Yes, on the national clinical trial registration platform "
            "before the first subject is enrolled.\n\n**How long does ethics review take?** Most committees meet monthly; "
            "submit complete documents two weeks ahead."
        ),
        "body_zh": (
            "**研究者发起的临床研究是否需要备案？** 需要，应在首例受试者入组前在国家临床试验登记平台备案。\n\n"
            "**伦理审查需要多久？** 多数伦理委员会每月召开一次会议，请提前两周提交完整材料。"
        ),
    },
    {
        "publisher": "Shenzhen Administration for Market Regulation",
        "kind": Guidance.Kind.TECHNICAL,
        "category": "registration",
        "product_types": ["medical_device", "ai_medical_device", "ivd"],
        "title": "Innovative medical device special review: how to apply",
        "title_zh": "创新医疗器械特别审查申请指南",
        "body": (
            "1. Check that the product has a core invention patent in China.\n2. Prepare the comparison with products on "
            "the market.\n3. File with the provincial administration, which forwards complete applications.\n\n"
            "AI software: describe the training data and the clinical evaluation plan."
        ),
        "body_zh": (
            "1. 确认产品在中国拥有核心技术发明专利。\n2. 准备与已上市产品的对比资料。\n3. 向省级药品监管部门提交，"
            "材料齐全后由其转报。\n\n人工智能软件：请说明训练数据及临床评价方案。"
        ),
    },
    {
        "publisher": "Pingshan Science and Technology Innovation Bureau",
        "kind": Guidance.Kind.POLICY,
        "category": "rnd",
        "product_types": [],
        "title": "R&D subsidies for biomedicine start-ups in Pingshan",
        "title_zh": "坪山区生物医药初创企业研发资助政策",
        "body": "Start-ups in the Pingshan parks may claim up to 30% of eligible R&D spending. Apply before 31 March each year.",
        "body_zh": "坪山区园区内初创企业可申请最高30%的合规研发投入资助，每年3月31日前申报。",
    },
]


def seed_guidance() -> int:
    created = 0
    for document in DOCUMENTS:
        fields = dict(document)
        publisher = Organization.objects.filter(name=fields.pop("publisher")).first()
        if publisher is None:
            continue
        _guidance, was_created = Guidance.objects.get_or_create(
            title=fields.pop("title"), publisher=publisher, defaults=fields
        )
        created += was_created
    return created
