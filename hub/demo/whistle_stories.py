"""The seed articles' three whistles, replayed into a database in their states (demo data).

- Guangwai (Xicheng) whistles Taipingqiao (Fengtai) over the building astride their line, and
  they demolish it together on 8 May 2018 (跨区吹哨): CLOSED, every party rated.
- Daxing's district mayor whistles the city's commissions over the Guoling Holiday estate,
  unfinished for 18 years; handed over 17 November 2020: RESOLVED and rated, not yet closed.
- Jinhaihu (Pinggu) whistles four departments to an illegal gold mine at night; one is not on
  site in 30 minutes: IN_ACTION, that summons overdue, the whistle escalated to the district.

Each story runs in its own transaction through the same services the API uses, at the
story's own times, and is skipped when its case (external ref ``("demo", …)``) exists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hub.cases.intake import Intake, existing_by_ref
from hub.cases.models import CaseSource
from hub.config import Settings, get_settings
from hub.db import transaction
from hub.demo.story_steps import (
    CITY,
    HOTLINE,
    at,
    box,
    complete_all,
    demo_case,
    department,
    parties,
    platform,
    rate_all,
    report_in_all,
    street,
)
from hub.geo.index import GeoIndex
from hub.whistles import reporting, service
from hub.whistles.intake import Call, blow
from hub.whistles.models import Whistle, WhistleKind

GUANGWAI, TAIPINGQIAO, JINHAIHU, DAXING = "110102020", "110106002", "110117006", "110115"
XICHENG_TEAMS = [f"{GUANGWAI}.URBAN_MANAGEMENT", "110102.URBAN_MANAGEMENT"]
FENGTAI_TEAMS = [f"{TAIPINGQIAO}.URBAN_MANAGEMENT", "110106.URBAN_MANAGEMENT"]
# The two-storey building astride the Xicheng/Fengtai line, and a point on Guangwai's side.
BUILDING = box(116.314, 39.8787, 116.317, 39.8817)
BUILDING_SITE = (116.3162, 39.8802)
GUOLING_HOLIDAY = (116.3297, 39.7366)  # Huangcun, Daxing
GUOLING_SUMMONED = [
    "110115.HOUSING_CONSTRUCTION",
    "110000.HOUSING_CONSTRUCTION",
    "110000.DEVELOPMENT_REFORM",
    "110000.PLANNING_NATURAL_RESOURCES",
]
GOLD_MINE = (117.3186, 40.1616)  # Jinhaihu, Pinggu
MINE_ON_TIME = [
    "110117.PUBLIC_SECURITY",
    "110117.PLANNING_NATURAL_RESOURCES",
    "110117.EMERGENCY_MANAGEMENT",
]

Story = Callable[[AsyncSession, GeoIndex, Settings], Awaitable[None]]


async def guangwai_taipingqiao(session: AsyncSession, geo: GeoIndex, settings: Settings) -> None:
    """跨区吹哨: the two streets and their teams demolish the building astride the line."""
    whistle = await _guangwai_blows(session, geo, settings)
    await _taipingqiao_joins(session, whistle)
    arrivals = [*XICHENG_TEAMS, TAIPINGQIAO, *FENGTAI_TEAMS]
    times = {code: at(f"2018-05-08 09:{10 + 3 * i:02d}") for i, code in enumerate(arrivals)}
    await report_in_all(session, geo, whistle, BUILDING_SITE, times)
    await complete_all(session, whistle, at("2018-05-08 12:00"))
    guangwai = street(GUANGWAI)
    await service.resolve(
        session=session,
        whistle=whistle,
        note="违建全部拆除",
        releases=(),
        actor=guangwai,
        now=at("2018-05-08 16:00"),
    )
    await rate_all(session, whistle, guangwai, dict.fromkeys(arrivals, 5), at("2018-05-10 10:00"))
    await service.close(
        session=session,
        whistle=whistle,
        feedback="两区七次联手，违建整体拆除",
        actor=guangwai,
        now=at("2018-05-10 10:30"),
    )


async def _guangwai_blows(session: AsyncSession, geo: GeoIndex, settings: Settings) -> Whistle:
    guangwai = street(GUANGWAI)
    intake = Intake(
        description="农贸市场旁二层违建骑跨西城、丰台两区交界线，经营者称“有本事把楼锯了”",
        category_code="ILLEGAL_CONSTRUCTION",
        source=CaseSource.STREET_CHIEF,
        point=(*BUILDING_SITE, "WGS84"),
        footprint=BUILDING,
        external_ref=("demo", "guangwai-1"),
    )
    case = await demo_case(session, geo, settings, intake, guangwai, at("2018-05-07 10:00"))
    call = Call(
        caller_code=GUANGWAI,
        kind=WhistleKind.KEY_TASK,
        case_numbers=[case.number],
        reason="交界违建两区推诿，跨区吹哨，联合拆除",
        department_codes=XICHENG_TEAMS,
        partner_codes=[TAIPINGQIAO],
        report_within_minutes=20 * 60,
    )
    now = at("2018-05-07 14:00")
    whistle = await blow(session=session, settings=settings, call=call, actor=guangwai, now=now)
    xicheng, then = platform("110102"), at("2018-05-07 15:00")
    await service.review(
        session=session, whistle=whistle, approve=True, note="同意立项", actor=xicheng, now=then
    )
    return whistle


async def _taipingqiao_joins(session: AsyncSession, whistle: Whistle) -> None:
    """The whistled side brings its own departments; both fix time, place and tasks."""
    taipingqiao = street(TAIPINGQIAO)
    partner = (await parties(session, whistle))[TAIPINGQIAO]
    await reporting.acknowledge(
        session=session,
        whistle=whistle,
        summons=partner,
        actor=taipingqiao,
        now=at("2018-05-07 16:00"),
    )
    await reporting.join(
        session=session,
        whistle=whistle,
        department_codes=FENGTAI_TEAMS,
        actor=taipingqiao,
        now=at("2018-05-07 16:05"),
    )
    found = await parties(session, whistle)
    tasks = dict.fromkeys(XICHENG_TEAMS, "拆除西城一侧") | dict.fromkeys(
        FENGTAI_TEAMS, "拆除丰台一侧"
    )
    tasks[TAIPINGQIAO] = "联席会议、现场协调"
    await service.schedule_joint_action(
        session=session,
        whistle=whistle,
        at=at("2018-05-08 09:30"),
        place="西城、丰台交界农贸市场二层违建",
        assignments=[(found[code].id, task) for code, task in tasks.items()],
        actor=street(GUANGWAI),
        now=at("2018-05-07 17:00"),
    )


async def guoling_holiday(session: AsyncSession, geo: GeoIndex, settings: Settings) -> None:
    """区政府向市级部门吹哨: Daxing summons the city's commissions to an unfinished estate."""
    whistle = await _daxing_blows(session, geo, settings)
    for code, one in (await parties(session, whistle)).items():
        await reporting.acknowledge(
            session=session,
            whistle=whistle,
            summons=one,
            actor=department(code),
            now=at("2019-09-12 10:00"),
        )
    times = {code: at(f"2019-09-16 {9 + i:02d}:00") for i, code in enumerate(GUOLING_SUMMONED)}
    await report_in_all(session, geo, whistle, GUOLING_HOLIDAY, times)
    daxing = platform(DAXING)
    district_housing = (await parties(session, whistle))[GUOLING_SUMMONED[0]]
    await service.schedule_joint_action(
        session=session,
        whistle=whistle,
        at=at("2020-03-30 09:00"),
        place="果岭假日小区现场，正式开工",
        assignments=[(district_housing.id, "协调设计单位出图，向燃气、供电公司申报")],
        actor=daxing,
        now=at("2020-03-20 10:00"),
    )
    await complete_all(session, whistle, at("2020-11-17 10:00"))
    await service.resolve(
        session=session,
        whistle=whistle,
        note="完成工程验收，正式交房入住",
        releases=(),
        actor=daxing,
        now=at("2020-11-17 16:00"),
    )
    scores = dict(zip(GUOLING_SUMMONED, (5, 5, 4, 4), strict=True))
    await rate_all(session, whistle, daxing, scores, at("2020-11-20 10:00"))


async def _daxing_blows(session: AsyncSession, geo: GeoIndex, settings: Settings) -> Whistle:
    intake = Intake(
        description="果岭假日小区烂尾十八年，214户交了全款无法交房，无暖气、无天然气、无市政电",
        category_code="UNFINISHED_BUILDING",
        source=CaseSource.HOTLINE_12345,
        point=(*GUOLING_HOLIDAY, "WGS84"),
        external_ref=("demo", "guoling-1"),
    )
    case = await demo_case(session, geo, settings, intake, HOTLINE, at("2019-09-02 09:00"))
    call = Call(
        caller_code=DAXING,
        kind=WhistleKind.KEY_TASK,
        case_numbers=[case.number],
        reason="烂尾楼涉及市区两级多个部门，区级层面难以解决",
        department_codes=GUOLING_SUMMONED,
        report_within_minutes=7 * 24 * 60,
    )
    daxing, now = platform(DAXING), at("2019-09-10 10:00")
    whistle = await blow(session=session, settings=settings, call=call, actor=daxing, now=now)
    await service.review(
        session=session,
        whistle=whistle,
        approve=True,
        note="市级统筹推进",
        actor=CITY,
        now=at("2019-09-11 09:00"),
    )
    return whistle


async def jinhaihu_gold_mine(session: AsyncSession, geo: GeoIndex, settings: Settings) -> None:
    """乡镇吹哨: 30 minutes to the mine; one department is late, and the whistle escalates."""
    town = street(JINHAIHU)
    intake = Intake(
        description="山体盗采金矿，夜间有人作业",
        category_code="OTHER",
        source=CaseSource.GRID_PATROL,
        point=(*GOLD_MINE, "WGS84"),
        external_ref=("demo", "jinhaihu-1"),
    )
    case = await demo_case(session, geo, settings, intake, town, at("2017-06-12 21:40"))
    call = Call(
        caller_code=JINHAIHU,
        kind=WhistleKind.EMERGENCY,
        case_numbers=[case.number],
        reason="双安双打：盗采金矿，各部门30分钟内到达指定点位",
        department_codes=[*MINE_ON_TIME, "110117.ECOLOGY_ENVIRONMENT"],
    )
    now = at("2017-06-12 21:45")
    whistle = await blow(session=session, settings=settings, call=call, actor=town, now=now)
    arrivals = (at("2017-06-12 21:58"), at("2017-06-12 22:05"), at("2017-06-12 22:12"))
    times = dict(zip(MINE_ON_TIME, arrivals, strict=True))
    await report_in_all(session, geo, whistle, GOLD_MINE, times)
    await session.flush()
    await service.sweep_overdue(session=session, now=at("2017-06-12 22:16"))


STORIES: list[tuple[str, Story]] = [
    ("guangwai-1", guangwai_taipingqiao),
    ("guoling-1", guoling_holiday),
    ("jinhaihu-1", jinhaihu_gold_mine),
]


async def load_whistle_stories(
    sessionmaker: async_sessionmaker[AsyncSession],
    geo: GeoIndex,
    settings: Settings | None = None,
) -> int:
    """Create each story not yet there, each in its own transaction (idempotent).

    Returns how many stories were created (0 when all were there already).
    """
    settings = settings or get_settings()
    created = 0
    for ref, story in STORIES:
        async with transaction(sessionmaker) as session:
            if await existing_by_ref(session, "demo", ref) is None:
                await story(session, geo, settings)
                created += 1
    return created
