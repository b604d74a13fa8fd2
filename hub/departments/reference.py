"""The bundled department roster, by the convention of API.md.

The city and every district have the full set of kinds; each street office has its
comprehensive enforcement team. Codes are ``<jurisdiction code>.<KIND>``. Deployments load
their own roster through the ``departments-csv`` adapter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from hub.departments.models import DepartmentKind
from hub.geo.models import JurisdictionLevel

# (city name, district name) per kind; the district name is prefixed with the district's name.
KIND_NAMES: dict[DepartmentKind, tuple[str, str]] = {
    DepartmentKind.URBAN_MANAGEMENT: ("城市管理综合行政执法局", "城市管理综合行政执法局"),
    DepartmentKind.PUBLIC_SECURITY: ("公安局", "公安分局"),
    DepartmentKind.MARKET_REGULATION: ("市场监督管理局", "市场监督管理局"),
    DepartmentKind.ECOLOGY_ENVIRONMENT: ("生态环境局", "生态环境局"),
    DepartmentKind.HOUSING_CONSTRUCTION: ("住房和城乡建设委员会", "住房和城乡建设委员会"),
    DepartmentKind.TRANSPORT: ("交通委员会", "交通局"),
    DepartmentKind.FIRE_RESCUE: ("消防救援总队", "消防救援支队"),
    DepartmentKind.EMERGENCY_MANAGEMENT: ("应急管理局", "应急管理局"),
    DepartmentKind.HEALTH: ("卫生健康委员会", "卫生健康委员会"),
    DepartmentKind.PLANNING_NATURAL_RESOURCES: ("规划和自然资源委员会", "规划和自然资源分局"),
    DepartmentKind.LANDSCAPING: ("园林绿化局", "园林绿化局"),
    DepartmentKind.WATER: ("水务局", "水务局"),
    DepartmentKind.DEVELOPMENT_REFORM: ("发展和改革委员会", "发展和改革委员会"),
    DepartmentKind.FINANCE: ("财政局", "财政局"),
    DepartmentKind.CIVIL_AFFAIRS: ("民政局", "民政局"),
    DepartmentKind.POWER_SUPPLY: ("电力公司", "供电公司"),
    DepartmentKind.GAS_SUPPLY: ("燃气集团", "燃气分公司"),
    # The designated owner of problems nobody else answers for (兜底部门).
    DepartmentKind.OTHER: ("政务服务管理局（兜底）", "政务服务管理局（兜底）"),
}

STREET_TEAM_NAME = "综合行政执法队"


@dataclass(frozen=True, slots=True)
class DepartmentRecord:
    code: str
    name: str
    kind: DepartmentKind
    level: JurisdictionLevel
    jurisdiction_code: str
    is_fallback: bool


def department_code(jurisdiction_code: str, kind: DepartmentKind) -> str:
    return f"{jurisdiction_code}.{kind.value}"


def _full_set(
    jurisdiction_code: str, name_prefix: str, level: JurisdictionLevel
) -> Iterator[DepartmentRecord]:
    for kind, (city_name, district_name) in KIND_NAMES.items():
        base = city_name if level is JurisdictionLevel.CITY else district_name
        yield DepartmentRecord(
            code=department_code(jurisdiction_code, kind),
            name=f"{name_prefix}{base}",
            kind=kind,
            level=level,
            jurisdiction_code=jurisdiction_code,
            is_fallback=kind is DepartmentKind.OTHER,
        )


def bundled_departments(
    city: tuple[str, str],
    districts: Iterable[tuple[str, str]],
    streets: Iterable[tuple[str, str]],
) -> list[DepartmentRecord]:
    """The roster for the given (code, name) pairs of the city, districts and street offices."""
    records = list(_full_set(city[0], city[1], JurisdictionLevel.CITY))
    for code, name in districts:
        records.extend(_full_set(code, name, JurisdictionLevel.DISTRICT))
    for code, name in streets:
        records.append(
            DepartmentRecord(
                code=department_code(code, DepartmentKind.URBAN_MANAGEMENT),
                name=f"{name}{STREET_TEAM_NAME}",
                kind=DepartmentKind.URBAN_MANAGEMENT,
                level=JurisdictionLevel.SUBDISTRICT,
                jurisdiction_code=code,
                is_fallback=False,
            )
        )
    return records
