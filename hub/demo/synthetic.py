"""A realistic, synthetic stream of hotline traffic for the demo and the benchmarks.

Shape taken from the 12345 hotline's published figures: ~65,000 cases a day city-wide, most by
phone, peaks mid-morning and mid-afternoon, denser in the urban core, responded within hours,
96–98% resolved and satisfied on the return call. Deterministic for a given seed and end date.
The cases go in through the batch intake (``hub.cases.batch.report_many``): the same rows, numbers
and lifecycle as a case reported and worked through the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor, Role
from hub.cases.batch import CaseRecord, Names, report_many
from hub.cases.models import CaseSource
from hub.cases.progress import CaseUpdate, Stage, StepActors
from hub.categories.models import Responsibility
from hub.config import Settings
from hub.geo.index import GeoIndex
from hub.geo.models import Jurisdiction, JurisdictionLevel
from hub.numbers import BEIJING

HOTLINE = Actor(sub="synthetic:12345", role=Role.HOTLINE, jurisdiction_code="110000")
ACTORS = StepActors(HOTLINE)
TIANANMEN = (116.3975, 39.9087)

# (category, share of calls, what callers say)
CATEGORIES: list[tuple[str, float, str]] = [
    ("PROPERTY_MANAGEMENT", 0.14, "物业不作为，小区楼道杂物无人清理"),
    ("NOISE", 0.10, "夜间施工噪声扰民，影响休息"),
    ("ILLEGAL_PARKING", 0.09, "小区门口车辆乱停乱放，堵塞消防通道"),
    ("HEATING", 0.08, "家中暖气不热，室温过低"),
    ("GARBAGE", 0.07, "垃圾桶满溢无人清运，气味难闻"),
    ("WATER_OUTAGE", 0.06, "小区突然停水，未见通知"),
    ("HOUSE_LEAK", 0.05, "房屋漏雨，屋顶渗水"),
    ("ROAD_DAMAGE", 0.05, "路面破损坑洼，存在安全隐患"),
    ("STREET_VENDOR", 0.05, "路边占道经营，影响通行"),
    ("PREPAID_CARD", 0.05, "健身房关门，预付卡无法退费"),
    ("TRAFFIC_CONGESTION", 0.04, "路口早晚高峰拥堵严重"),
    ("SEWER_BLOCKAGE", 0.04, "下水道堵塞，污水外溢"),
    ("POWER_OUTAGE", 0.03, "楼内停电，请尽快抢修"),
    ("ILLEGAL_CONSTRUCTION", 0.03, "楼顶私搭乱建"),
    ("PARKING_LOCK", 0.03, "有人私装地锁占用公共车位"),
    ("TREE_CARE", 0.02, "树枝遮挡窗户，需要修剪"),
    ("FOOD_SAFETY", 0.02, "餐馆卫生条件差"),
    ("GAS_SAFETY", 0.01, "楼道内闻到燃气味"),
    ("FIRE_HAZARD", 0.01, "楼道电动车充电，存在消防隐患"),
    ("OTHER", 0.03, "其他诉求"),
]
HOURLY = np.array(
    [1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 12, 9, 10, 12, 12, 11, 9, 7, 6, 5, 4, 3, 2], dtype=float
)


@dataclass(frozen=True, slots=True)
class Plan:
    per_day: int
    days: int
    end: dt.datetime  # exclusive, aware
    seed: int = 2019  # the year 接诉即办 began


def _points(geo: GeoIndex, rng: np.random.Generator, n: int) -> tuple[Any, Any, list[str]]:
    """Points inside the city: dense around the core, thinner in the outer districts."""
    lngs: list[float] = []
    lats: list[float] = []
    codes: list[str] = []
    while len(codes) < n:
        batch = 2 * (n - len(codes)) + 100
        core = rng.random(batch) < 0.65
        lng = np.where(
            core, rng.normal(TIANANMEN[0], 0.12, batch), rng.uniform(115.4, 117.5, batch)
        )
        lat = np.where(
            core, rng.normal(TIANANMEN[1], 0.09, batch), rng.uniform(39.45, 41.05, batch)
        )
        for x, y, code in zip(lng, lat, geo.locator.locate_many(lng, lat), strict=True):
            if code is not None and len(codes) < n:
                lngs.append(float(x))
                lats.append(float(y))
                codes.append(code)
    return lngs, lats, codes


async def _first_answerers(session: AsyncSession) -> dict[str, tuple[str, JurisdictionLevel]]:
    rows = await session.execute(
        select(
            Responsibility.category_code, Responsibility.department_kind, Responsibility.level
        ).order_by(Responsibility.rank.desc())
    )
    return {category: (kind.value, level) for category, kind, level in rows}


async def _street_names(session: AsyncSession) -> dict[str, str]:
    rows = await session.execute(
        select(Jurisdiction.code, Jurisdiction.name).where(
            Jurisdiction.level.in_([JurisdictionLevel.SUBDISTRICT, JurisdictionLevel.COMMUNITY])
        )
    )
    return {code: name for code, name in rows}


def _department(code_of_grid: str, answerer: tuple[str, JurisdictionLevel]) -> str:
    kind, level = answerer
    seat = {
        JurisdictionLevel.SUBDISTRICT: code_of_grid[:9],
        JurisdictionLevel.DISTRICT: code_of_grid[:6],
    }.get(level, "110000")
    return f"{seat}.{kind}"


async def generate(
    *,
    session: AsyncSession,
    geo: GeoIndex,
    plan: Plan,
    batch: int = 5_000,
    settings: Settings | None = None,
) -> int:
    """Take in ``plan.per_day × plan.days`` cases with their dispatches, steps and return calls."""
    rng = np.random.default_rng(plan.seed)
    settings = settings or Settings()
    answerers = await _first_answerers(session)
    places = await _street_names(session)
    names = await Names.load(session)
    total = plan.per_day * plan.days
    made = 0
    while made < total:
        size = min(batch, total - made)
        records = list(_records(rng, geo, plan, size, places, answerers))
        await report_many(
            session, records, settings=settings, names=names, actors=ACTORS, now=plan.end
        )
        made += size
    return made


def _records(
    rng: np.random.Generator,
    geo: GeoIndex,
    plan: Plan,
    n: int,
    places: dict[str, str],
    answerers: dict[str, tuple[str, JurisdictionLevel]],
) -> Iterator[CaseRecord]:
    lngs, lats, grids = _points(geo, rng, n)
    shares = np.array([share for _, share, _ in CATEGORIES])
    picks = rng.choice(len(CATEGORIES), size=n, p=shares / shares.sum())
    days = rng.integers(0, plan.days, size=n)
    hours = rng.choice(24, size=n, p=HOURLY / HOURLY.sum())
    minutes = rng.integers(0, 60, size=n)
    sources = rng.choice(
        [CaseSource.HOTLINE_12345, CaseSource.CITIZEN_APP, CaseSource.GRID_PATROL],
        size=n,
        p=[0.86, 0.09, 0.05],
    )
    start_day = (plan.end.astimezone(BEIJING) - dt.timedelta(days=plan.days)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    for i in range(n):
        category, _, text = CATEGORIES[int(picks[i])]
        reported = (
            start_day
            + dt.timedelta(days=int(days[i]), hours=int(hours[i]), minutes=int(minutes[i]))
        ).astimezone(dt.UTC)
        if reported >= plan.end:
            reported = plan.end - dt.timedelta(minutes=1)
        grid = grids[i]
        street, community = places.get(grid[:9], ""), places.get(grid[:12], "")
        address = f"{street}{community}{int(rng.integers(1, 30))}号楼"
        department = _department(grid, answerers[category])
        yield CaseRecord(
            description=f"{text}（{address}）",
            category_code=category,
            source=CaseSource(str(sources[i])),
            reported_at=reported,
            subdistrict_code=grid[:9],
            point=(lngs[i], lats[i]),
            grid_code=grid,
            address=address,
            update=_progress(rng, reported, plan.end, department),
        )


def _progress(
    rng: np.random.Generator, reported: dt.datetime, end: dt.datetime, department: str
) -> CaseUpdate:
    """How far a case got by ``end``: sent at once, responded in hours, resolved in days,
    called back."""
    sent = min(reported + dt.timedelta(minutes=10), end - dt.timedelta(seconds=1))
    respond = reported + dt.timedelta(hours=float(rng.lognormal(1.0, 0.9)))
    resolve = respond + dt.timedelta(hours=float(rng.lognormal(3.2, 1.0)))
    feedback = resolve + dt.timedelta(hours=float(rng.uniform(2, 48)))
    stage, resolved, satisfied = Stage.DISPATCHED, None, None
    if respond < end:
        stage = Stage.RESPONDED
    if resolve < end:
        stage = Stage.RESOLVED
    if feedback < end and rng.random() < 0.9:
        stage = Stage.VISITED
        resolved = bool(rng.random() < 0.965)
        satisfied = bool(resolved and rng.random() < 0.99) or bool(rng.random() < 0.2)
    return CaseUpdate(
        stage=stage,
        departments=(department,),
        dispatched_at=sent,
        responded_at=respond if stage >= Stage.RESPONDED else None,
        resolved_at=resolve if stage >= Stage.RESOLVED else None,
        visited_at=feedback if stage is Stage.VISITED else None,
        visit_resolved=resolved,
        visit_satisfied=satisfied,
    )
