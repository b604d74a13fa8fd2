"""The seed articles' cases, as demo data a newcomer can look at in their states.

Each is made through the same intake and state machine as the API, keyed by an external
reference (``demo``, …) so loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth.actors import Actor, Role
from hub.cases import service
from hub.cases.intake import Intake, existing_by_ref, report
from hub.cases.models import Case, CaseSource, Priority
from hub.config import Settings
from hub.geo.index import GeoIndex

CST = dt.timezone(dt.timedelta(hours=8))
CITY = Actor(sub="demo:city-platform", role=Role.CITY_PLATFORM, jurisdiction_code="110000")
HOTLINE = Actor(sub="demo:12345", role=Role.HOTLINE, jurisdiction_code="110000")


@dataclass(frozen=True)
class Story:
    ref: str
    intake: Intake
    dispatch_to: Sequence[str] = ()
    steps: Sequence[str] = ()  # RESPOND, RESOLVE, FEEDBACK_OK, CLOSE
    step_after: dt.timedelta = field(default=dt.timedelta(hours=3))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CST)


def _case(
    ref: str,
    description: str,
    category: str,
    when: str,
    *,
    source: CaseSource = CaseSource.HOTLINE_12345,
    point: tuple[float, float] | None = None,
    address: str | None = None,
    **more: object,
) -> Intake:
    return Intake(
        description=description,
        category_code=category,
        source=source,
        point=(point[0], point[1], "WGS84") if point else None,
        address=address,
        reported_at=at(when),
        external_ref=("demo", ref),
        **more,  # type: ignore[arg-type]
    )


DONE = ("RESPOND", "RESOLVE", "FEEDBACK_OK", "CLOSE")

STORIES: list[Story] = [
    Story(
        "anzhen-road",
        _case(
            "anzhen-road",
            "安贞医院周边安贞路拥堵严重，就医车辆排队进院，早晚高峰寸步难行",
            "TRAFFIC_CONGESTION",
            "2018-03-12 08:40",
            point=(116.405, 39.972),
            address="朝阳区安贞街道安贞路安贞医院东门",
            priority=Priority.URGENT,
        ),
        ("110105.PUBLIC_SECURITY", "110105.TRANSPORT", "110105008.URBAN_MANAGEMENT"),
        DONE,
    ),
    Story(
        "tangzi-hutong",
        _case(
            "tangzi-hutong",
            "大数据热力图显示堂子胡同用餐高峰和周末交通拥堵，百余辆外卖电动车交叉停放",
            "TRAFFIC_CONGESTION",
            "2018-04-02 12:10",
            source=CaseSource.DATA_ALERT,
            address="西城区西长安街街道堂子胡同",
        ),
        ("110102001.URBAN_MANAGEMENT", "110102.PUBLIC_SECURITY"),
        DONE,
    ),
    Story(
        "lugu-parking-lock",
        _case(
            "lugu-parking-lock",
            "小区内有人私装地锁，占用公共车位，多次协商无果",
            "PARKING_LOCK",
            "2019-06-03 09:15",
            point=(116.235, 39.900),
            address="石景山区鲁谷街道重聚园小区",
            reporter_contact="13800001111",
        ),
        ("110107011.URBAN_MANAGEMENT", "110107.HOUSING_CONSTRUCTION"),
        DONE,
        step_after=dt.timedelta(hours=5),
    ),
]

# Daxing, two years of leaking roofs at the same homes (the 未诉先办 search finds them).
LEAK_HOMES = [
    "大兴区黄村地区枣园小区3号楼501",
    "大兴区黄村地区枣园小区5号楼201",
    "大兴区兴丰街道三合庄园12号楼602",
    "大兴区兴丰街道三合庄园9号楼301",
    "大兴区清源街道滨河西里北区8号楼402",
]
for _i, _home in enumerate(LEAK_HOMES):
    for _j, _when in enumerate(
        ("2016-07-10 21:00", "2017-06-22 07:30", "2017-08-03 18:45")[: 3 - _i % 2]
    ):
        _ref = f"daxing-leak-{_i}-{_j}"
        STORIES.append(
            Story(
                _ref,
                _case(
                    _ref, "房屋漏雨，下雨时屋顶渗水，墙皮脱落", "HOUSE_LEAK", _when, address=_home
                ),
            )
        )
# Guoling Holiday (国玲假日), unfinished for 18 years: callers kept ringing the hotline.
for _k, _year in enumerate(range(2012, 2020)):
    _ref = f"guoling-caller-{_k}"
    STORIES.append(
        Story(
            _ref,
            _case(
                _ref,
                "国玲假日小区房屋烂尾多年，至今无法入住办证，请求政府解决",
                "UNFINISHED_BUILDING",
                f"{_year}-05-1{_k % 9} 10:00",
                address="大兴区黄村地区国玲假日小区",
            ),
        )
    )


async def load_case_stories(*, session: AsyncSession, geo: GeoIndex, settings: Settings) -> int:
    """Create every story case not there yet; returns how many were created."""
    created = 0
    for story in STORIES:
        if await existing_by_ref(session, "demo", story.ref) is not None:
            continue
        reported = story.intake.reported_at
        assert reported is not None
        case, _ = await report(
            session=session,
            geo=geo,
            settings=settings,
            intake=story.intake,
            actor=HOTLINE,
            now=reported,
        )
        moment = reported + dt.timedelta(minutes=20)
        if story.dispatch_to:
            await service.dispatch(
                session=session,
                case=case,
                department_codes=story.dispatch_to,
                note="派单",
                actor=CITY,
                now=moment,
            )
        for step in story.steps:
            moment += story.step_after
            await _step(session, case, step, moment)
        created += 1
    return created


async def _step(session: AsyncSession, case: Case, step: str, moment: dt.datetime) -> None:
    if step == "RESPOND":
        await service.respond(
            session=session, case=case, note="已联系诉求人", actor=CITY, now=moment
        )
    elif step == "RESOLVE":
        await service.resolve(session=session, case=case, note="已办结", actor=CITY, now=moment)
    elif step == "FEEDBACK_OK":
        await service.record_feedback(
            session=session,
            case=case,
            resolved=True,
            satisfied=True,
            comment="满意",
            actor=HOTLINE,
            now=moment,
        )
    elif step == "CLOSE":
        await service.close(session=session, case=case, note=None, actor=HOTLINE, now=moment)
