"""One day of the 12345 centre in Shijingshan (Monday 16 November 2026), as demo data.

A return that bounces once and is ruled (审定), an extension asked and approved, duplicate calls
about one lift merged into a main order, a supervision notice on an overdue order, and the
month's theme (每月一题) on lifts with its matching cases. Made through the same service
functions as the API's mutations; keyed by external references, so loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor, Role
from hub.cases import extensions, merging, returns, service, supervision
from hub.cases.intake import Intake, existing_by_ref, report
from hub.cases.models import Case, CaseSource, ReturnReason
from hub.config import Settings
from hub.geo.index import GeoIndex
from hub.themes import service as themes
from hub.themes.models import MonthlyTheme

CST = dt.timezone(dt.timedelta(hours=8))
HOTLINE = Actor(sub="demo:12345", role=Role.HOTLINE, jurisdiction_code="110000")
CITY = Actor(sub="demo:city-platform", role=Role.CITY_PLATFORM, jurisdiction_code="110000")
DISTRICT = Actor(sub="demo:shijingshan", role=Role.DISTRICT_PLATFORM, jurisdiction_code="110107")
LUGU, JINDING = (116.235, 39.900), (116.200, 39.935)
TEAM, HOUSING, WATER = (
    "110107011.URBAN_MANAGEMENT",
    "110107.HOUSING_CONSTRUCTION",
    "110107.WATER",
)
THEME = "老旧小区电梯停运"


def unit(code: str) -> Actor:
    return Actor(
        sub=f"demo:{code}",
        role=Role.DEPARTMENT,
        jurisdiction_code=code.split(".")[0],
        department_code=code,
    )


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"2026-11-{text}").replace(tzinfo=CST)


async def load_centre_day(*, session: AsyncSession, geo: GeoIndex, settings: Settings) -> int:
    """The day's orders and theme, if not there yet; returns how many orders were made."""
    if await existing_by_ref(session, "demo", "centre-day-bounce") is not None:
        return 0

    async def call(
        ref: str, text: str, category: str, when: str, point: tuple[float, float], address: str
    ) -> Case:
        intake = Intake(
            description=text,
            category_code=category,
            source=CaseSource.HOTLINE_12345,
            point=(*point, "WGS84"),
            address=address,
            reported_at=at(when),
            external_ref=("demo", f"centre-day-{ref}"),
            reporter_contact="13800002222",
        )
        case, _ = await report(
            session=session,
            geo=geo,
            settings=settings,
            intake=intake,
            actor=HOTLINE,
            now=at(when),
        )
        return case

    bounce = await call(
        "bounce",
        "楼道内堆放杂物，堵塞消防通道",
        "GARBAGE",
        "16 08:30",
        LUGU,
        "石景山区鲁谷街道重聚园5号楼",
    )
    await _bounce_and_rule(session, bounce)
    outage = await call(
        "outage",
        "小区停水一整天，没有通知",
        "WATER_OUTAGE",
        "16 09:10",
        JINDING,
        "石景山区金顶街街道模式口东里",
    )
    await _extend(session, outage)
    lift = [
        await call(
            f"lift-{i}",
            f"电梯停运{days}天，老人无法下楼",
            "PROPERTY_MANAGEMENT",
            f"16 {10 + i}:05",
            LUGU,
            "石景山区鲁谷街道重聚园3号楼",
        )
        for i, days in enumerate((3, 4, 4))
    ]
    await service.dispatch(
        session=session,
        case=lift[0],
        department_codes=[HOUSING],
        note="派单",
        actor=HOTLINE,
        now=at("16 10:30"),
    )
    await merging.merge(
        session=session, main=lift[0], duplicates=lift[1:], actor=HOTLINE, now=at("16 12:30")
    )
    late = await call(
        "late", "路灯损坏两周未修", "ROAD_DAMAGE", "03 19:00", LUGU, "石景山区鲁谷街道鲁谷路"
    )
    await service.dispatch(
        session=session,
        case=late,
        department_codes=[TEAM],
        note="派单",
        actor=HOTLINE,
        now=at("03 19:20"),
    )
    await supervision.supervise(
        session=session, case=late, note="逾期未办，督办", actor=DISTRICT, now=at("16 14:00")
    )
    await _theme(session)
    return 6


async def _bounce_and_rule(session: AsyncSession, case: Case) -> None:
    """Housing returns it, the hotline re-dispatches to the street's team, the team returns it
    too, and the city platform rules it the team's; the team then does it and the centre
    approves the reply."""
    await service.dispatch(
        session=session,
        case=case,
        department_codes=[HOUSING],
        note="派单",
        actor=HOTLINE,
        now=at("16 08:40"),
    )
    await returns.return_dispatch(
        session=session,
        case=case,
        reason=ReturnReason.NOT_OUR_DUTY,
        note="楼道堆物属街道综合执法",
        actor=unit(HOUSING),
        now=at("16 09:00"),
    )
    await returns.review_return(
        session=session,
        case=case,
        department_code=HOUSING,
        approve=True,
        redispatch_to=[TEAM],
        note="改派街道",
        actor=HOTLINE,
        now=at("16 09:20"),
    )
    await returns.return_dispatch(
        session=session,
        case=case,
        reason=ReturnReason.SHARED_DUTY,
        note="物业责任",
        actor=unit(TEAM),
        now=at("16 09:50"),
    )
    await returns.review_return(
        session=session,
        case=case,
        department_code=TEAM,
        approve=False,
        redispatch_to=[],
        note="审定：街道主办，督促物业",
        actor=CITY,
        now=at("16 10:10"),
    )
    await returns.sign(session=session, case=case, actor=unit(TEAM), now=at("16 10:15"))
    await service.respond(
        session=session, case=case, note="已联系物业", actor=unit(TEAM), now=at("16 11:00")
    )
    await service.resolve(
        session=session, case=case, note="杂物已清理", actor=unit(TEAM), now=at("16 16:00")
    )
    await merging.review_closure(
        session=session, case=case, approve=True, note="答复属实", actor=HOTLINE, now=at("16 17:00")
    )


async def _extend(session: AsyncSession, case: Case) -> None:
    await service.dispatch(
        session=session,
        case=case,
        department_codes=[WATER],
        note="派单",
        actor=HOTLINE,
        now=at("16 09:20"),
    )
    await returns.sign(session=session, case=case, actor=unit(WATER), now=at("16 09:40"))
    await extensions.request(
        session=session,
        case=case,
        until=at("27 18:00"),
        reason="主管线更换需停水施工，待供水集团排期",
        actor=unit(WATER),
        now=at("16 15:00"),
    )
    await extensions.review(
        session=session,
        case=case,
        approve=True,
        note="同意，告知诉求人",
        actor=HOTLINE,
        now=at("16 16:00"),
    )


async def _theme(session: AsyncSession) -> None:
    found = await session.scalar(
        select(MonthlyTheme.id).where(MonthlyTheme.month == "2026-11", MonthlyTheme.title == THEME)
    )
    if found is None:
        await themes.create(
            session=session,
            month="2026-11",
            title=THEME,
            lead_department_code=HOUSING,
            department_codes=[TEAM, "110107.MARKET_REGULATION"],
            category_codes=["PROPERTY_MANAGEMENT"],
            keywords=["电梯"],
            jurisdiction_code="110107",
            actor=CITY,
            now=at("16 18:00"),
        )
