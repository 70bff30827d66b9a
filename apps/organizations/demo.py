"""The demo jurisdictions, users, routing rules and key projects (SPEC.md's table and a few
more, so that every role has a colleague and an outsider to test against).

Idempotent: every row is found by its natural key and created only when missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from .models import KeyProject, Organization, OrgKind, Role, RoutingRule, User

DEMO_PASSWORD = "demo12345"


@dataclass(frozen=True)
class Org:
    key: str
    kind: str
    name: str
    name_zh: str
    parent: str | None = None
    code: str = ""


ORGS = [
    # Guangdong → Shenzhen → Pingshan
    Org(
        "gd",
        OrgKind.PROVINCIAL,
        "Guangdong Medical Products Administration",
        "广东省药品监督管理局",
        code="GD",
    ),
    Org(
        "sz",
        OrgKind.MUNICIPAL,
        "Shenzhen Administration for Market Regulation",
        "深圳市市场监督管理局",
        "gd",
        "SZ",
    ),
    Org("ps", OrgKind.DISTRICT, "Pingshan District", "坪山区", "sz", "PS"),
    Org("ps_msb", OrgKind.DEPARTMENT, "Pingshan Market Supervision Bureau", "坪山区市场监督管理局", "ps"),
    Org(
        "ps_sti",
        OrgKind.DEPARTMENT,
        "Pingshan Science and Technology Innovation Bureau",
        "坪山区科技创新局",
        "ps",
    ),
    Org(
        "sbip",
        OrgKind.PARK,
        "Shenzhen Biomedicine Innovation Industrial Park",
        "深圳生物医药创新产业园区",
        "ps",
    ),
    Org("accel", OrgKind.PARK, "Biomedical Enterprise Accelerator Phase 2", "生物医药企业加速器二期", "ps"),
    Org(
        "pregene",
        OrgKind.ENTERPRISE,
        "Shenzhen Pregene Biopharma Co., Ltd.",
        "深圳普瑞金生物药业股份有限公司",
        "sbip",
    ),
    Org(
        "ascentawits",
        OrgKind.ENTERPRISE,
        "Ascentawits Pharmaceuticals",
        "深圳艾欣达伟医药科技有限公司",
        "sbip",
    ),
    Org(
        "wytd",
        OrgKind.ENTERPRISE,
        "WYTD Medical Technology (Shenzhen) Co., Ltd.",
        "微远智能医疗科技(深圳)有限公司",
        "sbip",
    ),
    Org(
        "accel1",
        OrgKind.ENTERPRISE,
        "Shenzhen Kangtai Device Innovation Co., Ltd.",
        "深圳康泰器械创新有限公司",
        "accel",
    ),
    Org("accel2", OrgKind.ENTERPRISE, "Shenzhen Huanyu IVD Co., Ltd.", "深圳寰宇体外诊断有限公司", "accel"),
    # Beijing → Haidian, with the innovation service station as a department
    Org(
        "bj", OrgKind.PROVINCIAL, "Beijing Medical Products Administration", "北京市药品监督管理局", code="BJ"
    ),
    Org(
        "bj_mun",
        OrgKind.MUNICIPAL,
        "Beijing Municipal Administration for Market Regulation",
        "北京市市场监督管理局",
        "bj",
        "BJM",
    ),
    Org("hd", OrgKind.DISTRICT, "Haidian District", "海淀区", "bj_mun", "HD"),
    Org(
        "hd_station",
        OrgKind.DEPARTMENT,
        "Beijing Pharmaceutical and Medical Device Innovation Service Station (Haidian)",
        "北京市医药健康创新服务站(海淀)",
        "hd",
    ),
    Org("hd_msb", OrgKind.DEPARTMENT, "Haidian Market Supervision Bureau", "海淀区市场监督管理局", "hd"),
    Org("zgc", OrgKind.PARK, "Zhongguancun Life Science Park", "中关村生命科学园", "hd"),
    Org(
        "hd_ent",
        OrgKind.ENTERPRISE,
        "Beijing Huaxin Cell Therapeutics Co., Ltd.",
        "北京华新细胞治疗有限公司",
        "zgc",
    ),
]


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    org: str | None
    first_name: str = ""
    last_name: str = ""


USERS = [
    Person("liaison_sbip", Role.LIAISON, "sbip", "Li", "Na"),
    Person("liaison_sbip2", Role.LIAISON, "sbip", "Wang", "Fang"),
    Person("liaison_accel", Role.LIAISON, "accel", "Zhang", "Wei"),
    Person("supervisor_sbip", Role.SUPERVISOR, "sbip", "Chen", "Jing"),
    Person("officer_ps_msb", Role.OFFICER, "ps_msb", "Liu", "Yang"),
    Person("officer_ps_msb2", Role.OFFICER, "ps_msb", "Huang", "Min"),
    Person("officer_ps_sti", Role.OFFICER, "ps_sti", "Zhao", "Lei"),
    Person("supervisor_ps", Role.SUPERVISOR, "ps", "Zhou", "Hua"),
    Person("supervisor_ps_msb", Role.SUPERVISOR, "ps_msb", "Wu", "Gang"),
    Person("officer_sz_amr", Role.OFFICER, "sz", "Xu", "Li"),
    Person("supervisor_sz", Role.SUPERVISOR, "sz", "Sun", "Tao"),
    Person("officer_gd_mpa", Role.OFFICER, "gd", "Ma", "Jun"),
    Person("supervisor_gd", Role.SUPERVISOR, "gd", "Zhu", "Yan"),
    Person("ent_pregene", Role.ENTERPRISE, "pregene", "He", "Xin"),
    Person("ent_pregene2", Role.ENTERPRISE, "pregene", "Guo", "Ping"),
    Person("ent_ascentawits", Role.ENTERPRISE, "ascentawits", "Lin", "Tao"),
    Person("ent_wytd", Role.ENTERPRISE, "wytd", "Luo", "Qiang"),
    Person("ent_accel1", Role.ENTERPRISE, "accel1", "Gao", "Ming"),
    Person("liaison_haidian", Role.LIAISON, "zgc", "Zheng", "Bo"),
    # 三员分立: the three administrators, apart from the emergency superuser `admin`.
    Person("sysadmin", Role.SYSTEM_ADMIN, None, "Qian", "Kai"),
    Person("secadmin", Role.SECURITY_ADMIN, None, "Tang", "Li"),
    Person("auditor", Role.AUDITOR, None, "Feng", "Yu"),
    Person("officer_hd_station", Role.OFFICER, "hd_station", "Liang", "Yu"),
    Person("supervisor_hd", Role.SUPERVISOR, "hd", "Song", "Kai"),
    Person("ent_haidian", Role.ENTERPRISE, "hd_ent", "Tang", "Rui"),
]

# authority → {category or "" (default): department}
ROUTING = {
    "ps": {
        "": "ps_msb",
        "rnd": "ps_sti",
        "policy": "ps_sti",
    },
    "hd": {
        "": "hd_msb",
        "policy": "hd_station",
        "compliance": "hd_station",
        "rnd": "hd_station",
        "registration": "hd_station",
    },
}

KEY_PROJECTS = [
    (
        "ps",
        "sbip",
        "pregene",
        "PRG-1801 anti-BCMA CAR-T clinical trial",
        "PRG-1801 抗BCMA CAR-T 临床试验",
        "CAR-T cell therapy",
    ),
    (
        "ps",
        "sbip",
        "wytd",
        "AI ECG analysis software registration",
        "人工智能心电分析软件注册",
        "AI medical device software",
    ),
    (
        "ps",
        "sbip",
        "ascentawits",
        "AST-3424 hypoxia-activated prodrug",
        "AST-3424 乏氧激活前药",
        "Small-molecule oncology drug",
    ),
    (
        "ps",
        "accel",
        "accel1",
        "Implantable cardiac monitor pilot line",
        "植入式心脏监测器中试线",
        "Class III medical device",
    ),
]


@transaction.atomic
def seed_organizations() -> dict[str, Organization]:
    orgs: dict[str, Organization] = {}
    for spec in ORGS:
        parent = orgs[spec.parent] if spec.parent else None
        org, _created = Organization.objects.get_or_create(
            parent=parent,
            name=spec.name,
            defaults={"kind": spec.kind, "name_zh": spec.name_zh, "code": spec.code},
        )
        orgs[spec.key] = org
    for authority, rules in ROUTING.items():
        for category, department in rules.items():
            RoutingRule.objects.get_or_create(
                authority=orgs[authority], category=category, defaults={"department": orgs[department]}
            )
    for district, park, enterprise, name, name_zh, products in KEY_PROJECTS:
        KeyProject.objects.get_or_create(
            district=orgs[district],
            name=name,
            defaults={
                "park": orgs[park],
                "enterprise": orgs[enterprise],
                "name_zh": name_zh,
                "products": products,
            },
        )
    return orgs


@transaction.atomic
def seed_users(orgs: dict[str, Organization]) -> list[User]:
    users = []
    admin, created = User.objects.get_or_create(
        username="admin", defaults={"is_superuser": True, "is_staff": True, "role": Role.ADMIN}
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()
    users.append(admin)
    for person in USERS:
        user, created = User.objects.get_or_create(
            username=person.username,
            defaults={
                "role": person.role,
                "organization": orgs[person.org] if person.org else None,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": f"{person.username}@demo.liaison.example.cn",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        users.append(user)
    return users
