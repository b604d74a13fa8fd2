"""The bundled category tree and its responsibility matrix.

Modelled on Miyun's published list (16 categories / 99 items, each naming the departments that
must report): every leaf names the kinds of department that answer for it and at which level,
most local first. Deployments load their own list through the ``departments-csv`` adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from hub.departments.models import DepartmentKind as K
from hub.geo.models import JurisdictionLevel as L


@dataclass(frozen=True, slots=True)
class CategoryRecord:
    code: str
    name: str
    parent_code: str | None
    # (kind, level) pairs, most local and most responsible first.
    answerable: tuple[tuple[K, L], ...] = ()


S, D, C = L.SUBDISTRICT, L.DISTRICT, L.CITY

GROUPS: list[tuple[str, str]] = [
    ("CITY_APPEARANCE", "市容环境"),
    ("CONSTRUCTION", "城乡建设"),
    ("TRAFFIC", "交通出行"),
    ("HOUSING", "住房保障"),
    ("UTILITIES", "市政公用"),
    ("SAFETY", "公共安全"),
    ("MARKET", "市场监管"),
]

LEAVES: list[CategoryRecord] = [
    CategoryRecord(
        "GARBAGE", "垃圾堆放", "CITY_APPEARANCE", ((K.URBAN_MANAGEMENT, S), (K.URBAN_MANAGEMENT, D))
    ),
    CategoryRecord(
        "STREET_VENDOR",
        "占道经营",
        "CITY_APPEARANCE",
        ((K.URBAN_MANAGEMENT, S), (K.MARKET_REGULATION, D)),
    ),
    CategoryRecord(
        "NOISE",
        "噪声扰民",
        "CITY_APPEARANCE",
        ((K.URBAN_MANAGEMENT, S), (K.ECOLOGY_ENVIRONMENT, D), (K.PUBLIC_SECURITY, D)),
    ),
    CategoryRecord("TREE_CARE", "树木修剪", "CITY_APPEARANCE", ((K.LANDSCAPING, D),)),
    CategoryRecord(
        "ILLEGAL_CONSTRUCTION",
        "违法建设",
        "CONSTRUCTION",
        (
            (K.URBAN_MANAGEMENT, S),
            (K.URBAN_MANAGEMENT, D),
            (K.PLANNING_NATURAL_RESOURCES, D),
            (K.HOUSING_CONSTRUCTION, D),
        ),
    ),
    CategoryRecord(
        "UNFINISHED_BUILDING",
        "房屋烂尾",
        "CONSTRUCTION",
        (
            (K.HOUSING_CONSTRUCTION, D),
            (K.HOUSING_CONSTRUCTION, C),
            (K.DEVELOPMENT_REFORM, C),
            (K.PLANNING_NATURAL_RESOURCES, C),
        ),
    ),
    CategoryRecord(
        "TRAFFIC_CONGESTION",
        "交通拥堵",
        "TRAFFIC",
        ((K.PUBLIC_SECURITY, D), (K.TRANSPORT, D), (K.URBAN_MANAGEMENT, S)),
    ),
    CategoryRecord(
        "ILLEGAL_PARKING", "乱停车", "TRAFFIC", ((K.PUBLIC_SECURITY, D), (K.URBAN_MANAGEMENT, S))
    ),
    CategoryRecord(
        "PARKING_LOCK", "私装地锁", "TRAFFIC", ((K.URBAN_MANAGEMENT, S), (K.TRANSPORT, D))
    ),
    CategoryRecord(
        "ROAD_DAMAGE", "道路破损", "TRAFFIC", ((K.TRANSPORT, D), (K.URBAN_MANAGEMENT, D))
    ),
    CategoryRecord("HOUSE_LEAK", "房屋漏雨", "HOUSING", ((K.HOUSING_CONSTRUCTION, D),)),
    CategoryRecord(
        "PROPERTY_MANAGEMENT",
        "物业管理",
        "HOUSING",
        ((K.HOUSING_CONSTRUCTION, D), (K.CIVIL_AFFAIRS, D)),
    ),
    CategoryRecord(
        "PROPERTY_CERTIFICATE",
        "房产证办理",
        "HOUSING",
        ((K.PLANNING_NATURAL_RESOURCES, D), (K.HOUSING_CONSTRUCTION, D)),
    ),
    CategoryRecord("SEWER_BLOCKAGE", "下水道堵塞", "UTILITIES", ((K.WATER, D),)),
    CategoryRecord("WATER_OUTAGE", "停水", "UTILITIES", ((K.WATER, D), (K.WATER, C))),
    CategoryRecord("POWER_OUTAGE", "停电", "UTILITIES", ((K.POWER_SUPPLY, D), (K.POWER_SUPPLY, C))),
    CategoryRecord(
        "HEATING", "供暖", "UTILITIES", ((K.HOUSING_CONSTRUCTION, D), (K.URBAN_MANAGEMENT, D))
    ),
    CategoryRecord(
        "GAS_SAFETY",
        "燃气安全",
        "SAFETY",
        ((K.GAS_SUPPLY, D), (K.URBAN_MANAGEMENT, D), (K.EMERGENCY_MANAGEMENT, D)),
    ),
    CategoryRecord(
        "FIRE_HAZARD", "消防隐患", "SAFETY", ((K.FIRE_RESCUE, D), (K.EMERGENCY_MANAGEMENT, D))
    ),
    CategoryRecord("FOOD_SAFETY", "食品安全", "MARKET", ((K.MARKET_REGULATION, D),)),
    CategoryRecord("PREPAID_CARD", "预付卡退费", "MARKET", ((K.MARKET_REGULATION, D),)),
    CategoryRecord("OTHER", "其他", None, ((K.OTHER, D), (K.OTHER, C))),
]


def bundled_categories() -> list[CategoryRecord]:
    """Groups first, then leaves, so parents exist before children."""
    groups = [CategoryRecord(code, name, None) for code, name in GROUPS]
    return groups + LEAVES


@cache
def _leaves() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for record in LEAVES:
        if record.parent_code is not None:
            found.setdefault(record.parent_code, []).append(record.code)
    return {group: tuple(codes) for group, codes in found.items()}


def selected_codes(code: str) -> tuple[str, ...]:
    """The category codes a filter on ``code`` selects: the code, and a group's leaves.

    The categories table holds exactly this bundled list (it is written only when a database is
    set up), so a filter needs no statement to learn a group's leaves, and a leaf's filter is an
    equality the case lists' index answers in its order."""
    return (code, *_leaves().get(code, ()))
