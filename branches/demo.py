"""Deterministic demo structure: city -> districts -> streets -> communities, with branches,
party groups, venues and original units, written with bulk inserts.

Sizes follow published figures for a Chinese urban district: about 13 streets,
250 communities and 350 retiree branches; a city has 16 such districts.
"""

import datetime
import random
from dataclasses import dataclass, field

from .models import (
    Branch,
    BranchKind,
    Level,
    Organization,
    OriginalUnit,
    PartyGroup,
    Venue,
    VenueKind,
    VenueOwner,
)


@dataclass(frozen=True)
class Size:
    districts: int
    streets_per_district: int
    communities_per_street: tuple[int, int]  # inclusive range
    extra_community_branch_share: float  # share of communities with a second branch
    functional_per_street: int
    units_per_district: int


SIZES = {
    "small": Size(2, 2, (3, 3), 0.35, 1, 8),
    "district": Size(1, 13, (18, 20), 0.31, 2, 60),
    "city": Size(16, 13, (18, 20), 0.31, 2, 60),
}

STREET_WORDS = (
    "东湖 西城 南湖 北苑 长春 和平 新华 建设 人民 解放 光明 友谊 "
    "红旗 胜利 朝阳 青年 幸福 团结 文化 民主 中山 育才 花园 桃源 "
    "金桥 银河 泰山 黄河 长江 太平 永安 安宁 "
).split()
COMMUNITY_WORDS = (
    "翠园 锦绣 枫林 梅岭 桂花 丁香 玉兰 松柏 竹韵 荷塘 海棠 紫荆 "
    "芳草 碧水 龙华 凤凰 书香 兰亭 春晖 秋实 晨曦 明珠 星河 云台 "
    "景苑 福康 康乐 惠民 嘉园 华庭 瑞祥 金色 学府 滨江 湖畔 山水 "
    "清风 明月 振兴 新村 工人 铁路 电力 纺织 机床 钢厂 化工 邮电 "
).split()
FUNCTIONAL_TEAMS = [
    "银发志愿服务队",
    "老党员宣讲团",
    "夕阳红文艺队",
    "社区治理议事会",
    "老战士关爱队",
    "书画学习社",
    "健康养生协会",
    "平安巡逻队",
]
BRANDS = ["红色讲堂", "银龄先锋", "初心驿站", "夕阳红暖心", "党员议事厅", "老兵说", "红心向党"]
UNIT_NAMES = [
    "区教育局",
    "区卫生健康委员会",
    "市第一人民医院",
    "市第二中学",
    "区人民法院",
    "区财政局",
    "市机床厂",
    "市纺织集团",
    "市电力公司",
    "铁路分局",
    "区税务局",
    "市邮政局",
    "市化工研究院",
    "区建设局",
    "市公安局分局",
    "市广播电视台",
    "区人民检察院",
    "市自来水公司",
    "市钢铁公司",
    "区供销合作社",
]
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = list("建国华明德文秀英兰玉珍志伟军平红梅丽强敏刚云海燕春生荣霞芳杰涛桂林淑清凤宝福利")


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


@dataclass
class Structure:
    city: Organization
    districts: list[Organization] = field(default_factory=list)
    streets: list[Organization] = field(default_factory=list)
    communities: list[Organization] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)
    groups: list[PartyGroup] = field(default_factory=list)
    units: list[OriginalUnit] = field(default_factory=list)


def _org(code, name, level, parent):
    return Organization(
        code=code,
        name=name,
        level=level,
        parent=parent,
        path=Organization.build_path(parent, code),
    )


def _details(org: Organization) -> random.Random:
    """A venue's details from its own generator: they leave the shared random sequence
    (and so every later demo row) as it was."""
    return random.Random(f"venue-{org.code}")


def seed_structure(*, rng: random.Random, size: str, today: datetime.date) -> Structure:
    spec = SIZES[size]
    city = _org("3199", "滨海市", Level.CITY, None)
    city.save()
    structure = Structure(city=city)

    district_names = (
        "东城区 西湖区 南山区 北辰区 中原区 江滨区 云岭区 金湾区 "
        "青松区 凤城区 长宁区 临江区 秀水区 高新区 梅溪区 安平区"
    ).split()
    districts = [
        _org(f"3199{i + 1:02d}", district_names[i], Level.DISTRICT, city)
        for i in range(spec.districts)
    ]
    Organization.objects.bulk_create(districts)
    structure.districts = districts

    streets = []
    for district in districts:
        words = rng.sample(STREET_WORDS, spec.streets_per_district)
        for j, word in enumerate(words):
            streets.append(
                _org(f"{district.code}{j + 1:03d}", f"{word}街道", Level.STREET, district)
            )
    Organization.objects.bulk_create(streets)
    structure.streets = streets

    communities = []
    for street in streets:
        count = rng.randint(*spec.communities_per_street)
        for k, word in enumerate(rng.sample(COMMUNITY_WORDS, count)):
            communities.append(
                _org(f"{street.code}{k + 1:03d}", f"{word}社区", Level.COMMUNITY, street)
            )
    Organization.objects.bulk_create(communities)
    structure.communities = communities

    venues = []
    for org in streets:
        venues.append(
            Venue(
                organization=org,
                name=f"{org.name}党群服务中心",
                kind=VenueKind.SERVICE_CENTER,
                address=f"{org.name}{rng.randint(1, 300)}号",
                capacity=rng.choice([60, 80, 120]),
                accessible=True,
                has_lift=_details(org).random() < 0.6,
                accessible_toilet=True,
                equipment="投影仪、音响、会议桌",
                opening_hours="周一至周五 8:30–17:30，周六 9:00–12:00",
                owner_kind=VenueOwner.STREET,
                contact_name=person_name(_details(org)),
                contact_phone=f"0571-8{_details(org).randint(1000000, 9999999)}",
            )
        )
    for org in communities:
        venues.append(
            Venue(
                organization=org,
                name=f"{org.name}老年活动室",
                kind=VenueKind.ACTIVITY_ROOM,
                address=f"{org.name}{rng.randint(1, 60)}号楼底层",
                capacity=rng.choice([20, 30, 40]),
                accessible=rng.random() < 0.7,
                accessible_toilet=_details(org).random() < 0.3,
                equipment=_details(org).choice(["电视、白板", "电视", "音响、书架", ""]),
                opening_hours="每天 8:00–11:30、13:30–17:00",
                contact_name=person_name(_details(org)),
            )
        )
    Venue.objects.bulk_create(venues)
    venue_of = {v.organization.code: v for v in venues}

    def founded():
        return today - datetime.timedelta(days=rng.randint(365 * 3, 365 * 15))

    branches = []
    for org in communities:
        second = rng.random() < spec.extra_community_branch_share
        for n in range(2 if second else 1):
            suffix = ("第一" if n == 0 else "第二") if second else ""
            branches.append(
                Branch(
                    organization=org,
                    name=f"{org.name}离退休干部{suffix}党支部",
                    kind=BranchKind.COMMUNITY,
                    venue=venue_of[org.code],
                    is_pilot=rng.random() < 0.08,
                    work_brand=rng.choice(BRANDS) if rng.random() < 0.2 else "",
                    liaison_name=person_name(rng) if rng.random() < 0.6 else "",
                    established_on=founded(),
                )
            )
    for org in streets:
        for team in rng.sample(FUNCTIONAL_TEAMS, spec.functional_per_street):
            branches.append(
                Branch(
                    organization=org,
                    name=f"{org.name}{team}功能型党支部",
                    kind=BranchKind.FUNCTIONAL,
                    venue=venue_of[org.code],
                    is_pilot=rng.random() < 0.15,
                    established_on=founded(),
                )
            )
    # A branch that merged away, so lists and reports meet a dissolved one.
    if branches:
        gone = branches[min(1, len(branches) - 1)]
        gone.dissolved_on = today - datetime.timedelta(days=200)
        gone.name = gone.name.replace("党支部", "（已撤销）党支部")
    Branch.objects.bulk_create(branches, batch_size=2000)
    structure.branches = branches

    groups = []
    for branch in branches:
        count = 2 if branch.kind == BranchKind.FUNCTIONAL else rng.randint(2, 4)
        for g in range(count):
            groups.append(PartyGroup(branch=branch, number=g + 1, name=f"第{'一二三四'[g]}党小组"))
    PartyGroup.objects.bulk_create(groups, batch_size=5000)
    structure.groups = groups

    units = []
    for district in districts:
        for u in range(spec.units_per_district):
            base = UNIT_NAMES[u % len(UNIT_NAMES)]
            name = base if u < len(UNIT_NAMES) else f"{base}（{u // len(UNIT_NAMES) + 1}）"
            units.append(
                OriginalUnit(
                    name=f"{district.name[:-1]}{name}" if base.startswith("区") else name,
                    code=f"U{district.code}{u + 1:03d}",
                    district=district,
                    contact_name=person_name(rng),
                )
            )
    OriginalUnit.objects.bulk_create(units)
    structure.units = units
    return structure
