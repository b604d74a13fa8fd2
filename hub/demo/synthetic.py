"""A realistic, synthetic stream of hotline traffic for the demo and the benchmarks.

Shape taken from the 12345 hotline's published figures: ~65,000 cases a day city-wide, most by
phone, peaks mid-morning and mid-afternoon, denser in the urban core, responded within hours,
96–98% resolved and satisfied on the return call. Deterministic for a given seed and end date.
Rows go in through bulk inserts (the per-case API path is for real intake).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from sqlalchemy import Table, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor, Role
from hub.cases.deadlines import DeadlinePolicy, sign_by
from hub.cases.models import Case, CaseDispatch, CaseEvent, CaseJurisdiction, CaseSource, Priority
from hub.categories.models import Responsibility
from hub.db import Base, BulkInsert
from hub.geo.index import GeoIndex
from hub.geo.models import Jurisdiction, JurisdictionLevel
from hub.numbers import BEIJING, NumberSequence

HOTLINE = Actor(sub="synthetic:12345", role=Role.HOTLINE, jurisdiction_code="110000")
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


async def generate(*, session: AsyncSession, geo: GeoIndex, plan: Plan, batch: int = 5_000) -> int:
    """Insert ``plan.per_day × plan.days`` cases with dispatches, events and return calls."""
    rng = np.random.default_rng(plan.seed)
    answerers = await _first_answerers(session)
    names = await _street_names(session)
    counters: Counter[str] = Counter(
        {
            scope: value
            for scope, value in await session.execute(
                select(NumberSequence.scope, NumberSequence.value).where(
                    NumberSequence.scope.startswith("C-")
                )
            )
        }
    )
    total = plan.per_day * plan.days
    made = 0
    while made < total:
        size = min(batch, total - made)
        rows = list(_rows(rng, geo, plan, size, names, counters))
        await _insert(session, rows, answerers, plan.end)
        made += size
    await _advance_counters(session, counters)
    return made


def _rows(
    rng: np.random.Generator,
    geo: GeoIndex,
    plan: Plan,
    n: int,
    names: dict[str, str],
    counters: Counter[str],
) -> Iterator[dict[str, Any]]:
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
    policy = DeadlinePolicy()
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
        scope = f"C-{grid[:6]}-{reported.astimezone(BEIJING):%Y%m%d}"
        counters[scope] += 1
        street, community = names.get(grid[:9], ""), names.get(grid[:12], "")
        clock = policy.clock(
            reported_at=reported, category_code=category, priority=Priority.ROUTINE
        )
        address = f"{street}{community}{int(rng.integers(1, 30))}号楼"
        yield {
            "number": f"{scope}-{counters[scope]:06d}",
            "title": f"{text[:12]}：{address}"[:200],
            "description": f"{text}（{address}）",
            "category_code": category,
            "source": CaseSource(str(sources[i])),
            "priority": Priority.ROUTINE,
            "lat": lats[i],
            "lng": lngs[i],
            "address": address,
            "grid_code": grid,
            "community_code": grid[:12],
            "subdistrict_code": grid[:9],
            "district_code": grid[:6],
            "reported_at": reported,
            "respond_by": clock.respond_by,
            "resolve_by": clock.resolve_by,
            "warn_at": clock.warn_at,
            "created_at": reported,
            "updated_at": reported,
            **_progress(rng, reported, plan.end),
        }


def _progress(rng: np.random.Generator, reported: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """How far a case got by ``end``: responded in hours, resolved in days, called back."""
    respond = reported + dt.timedelta(hours=float(rng.lognormal(1.0, 0.9)))
    resolve = respond + dt.timedelta(hours=float(rng.lognormal(3.2, 1.0)))
    feedback = resolve + dt.timedelta(hours=float(rng.uniform(2, 48)))
    state: dict[str, Any] = {
        "status": "DISPATCHED",
        "responded_at": None,
        "resolved_at": None,
        "closed_at": None,
        "feedback_at": None,
        "feedback_resolved": None,
        "feedback_satisfied": None,
        "reopen_count": 0,
    }
    if respond < end:
        state.update(status="RESPONDED", responded_at=respond)
    if resolve < end:
        state.update(status="RESOLVED", resolved_at=resolve)
    if feedback < end and rng.random() < 0.9:
        solved = bool(rng.random() < 0.965)
        state.update(
            feedback_at=feedback,
            feedback_resolved=solved,
            feedback_satisfied=bool(solved and rng.random() < 0.99) or rng.random() < 0.2,
        )
        if solved:
            state.update(status="CLOSED", closed_at=feedback)
        else:
            state.update(status="DISPATCHED", resolved_at=None, reopen_count=1)
    return state


async def _insert(
    session: AsyncSession,
    rows: list[dict[str, Any]],
    answerers: dict[str, tuple[str, JurisdictionLevel]],
    end: dt.datetime,
) -> None:
    # Core inserts (executemany), not ORM bulk saves: several times faster for plain rows.
    # An executemany compiles its parameters from the first row: every row names the same keys.
    keys = rows[0].keys()
    if any(row.keys() != keys for row in rows):
        raise ValueError("synthetic case rows of one batch must name the same columns")
    table = _table(Case)
    created = await session.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    ids = [row[0] for row in created]
    actor = HOTLINE.as_record()
    dispatches: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    crossed: list[dict[str, Any]] = []
    for case_id, row in zip(ids, rows, strict=True):
        department = _department(row["grid_code"], answerers[row["category_code"]])
        sent = row["reported_at"] + dt.timedelta(minutes=10)
        crossed.append({"case_id": case_id, "subdistrict_code": row["subdistrict_code"]})
        dispatches.append(
            {
                "case_id": case_id,
                "department_code": department,
                "status": "RESOLVED"
                if row["resolved_at"]
                else "RESPONDED"
                if row["responded_at"]
                else "DISPATCHED",
                "dispatched_at": sent,
                "role": "LEAD",
                "sign_by": sign_by(sent),
                "signed_at": row["responded_at"],
                "ruled": False,
                "sign_overdue": False,
                "responded_at": row["responded_at"],
                "resolved_at": row["resolved_at"],
                "note": None,
            }
        )
        steps = [
            ("REPORTED", row["reported_at"]),
            ("DISPATCHED", sent),
            ("RESPONDED", row["responded_at"]),
            ("RESOLVED", row["resolved_at"]),
            ("FEEDBACK_RECORDED", row["feedback_at"]),
            ("CLOSED", row["closed_at"]),
        ]
        events.extend(
            {"case_id": case_id, "type": kind, "at": at, "actor": actor, "note": None, "data": None}
            for kind, at in steps
            if at is not None and at < end
        )
    for model, children in (
        (CaseJurisdiction, crossed),
        (CaseDispatch, dispatches),
        (CaseEvent, events),
    ):
        if children:
            await _writer(model, tuple(children[0])).execute(session, children)


def _table(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


@cache
def _writer(model: type[Base], columns: tuple[str, ...]) -> BulkInsert:
    """The children of the synthetic cases go through the driver (``hub.db.BulkInsert``)."""
    return BulkInsert.of(model, columns)


async def _advance_counters(session: AsyncSession, counters: Counter[str]) -> None:
    """Make the numbering continue after the synthetic cases."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for scope, value in counters.items():
        await session.execute(
            upsert(NumberSequence).values(scope=scope, value=0).on_conflict_do_nothing()
        )
        await session.execute(
            update(NumberSequence).where(NumberSequence.scope == scope).values(value=value)
        )
