"""``urban-management``: the city's digital urban management reports (数字城管), JSON Lines.

Grid supervisors report components (部件: manhole covers, lamps, …) and events (事件: illegal
construction, exposed garbage, …) under GB/T 30428-style 4-digit class codes (major 2 + minor
2). Each report becomes a GRID_PATROL case at its WGS84 point, sent to whoever answers for its
category there, and moved along as its status changes (上报/立案 → 派遣 → 处置 → 核查 → 结案).
The export has no update time, so a report re-sent at an earlier status changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from adapters.cases import CaseAdapter, CaseRecord
from adapters.contract import (
    AdapterSettings,
    Batch,
    Parsed,
    Provenance,
    RecordRejectedError,
    Rejection,
    SourceRecord,
)
from adapters.fields import clean_point, parse_time, required_time
from adapters.files import (
    Encoding,
    FileCursor,
    batches,
    decode,
    digest_of,
    json_lines,
    read_bytes,
    require_file,
    text_field,
)
from adapters.placing import locate_points
from hub.cases.models import CaseSource
from hub.cases.progress import CaseUpdate, Stage
from hub.errors import DomainError

# (kind, class code) → (name, hub category); a minor class not listed takes its major's row.
CLASSES: dict[tuple[str, str], tuple[str, str]] = {
    ("component", "01"): ("公用设施", "ROAD_DAMAGE"),
    ("component", "0101"): ("上水井盖", "ROAD_DAMAGE"),
    ("component", "0102"): ("污水井盖", "SEWER_BLOCKAGE"),
    ("component", "0103"): ("雨水箅子", "SEWER_BLOCKAGE"),
    ("component", "0106"): ("燃气井盖", "GAS_SAFETY"),
    ("component", "0108"): ("电力井盖", "POWER_OUTAGE"),
    ("component", "0117"): ("消防栓", "FIRE_HAZARD"),
    ("component", "02"): ("道路交通", "ROAD_DAMAGE"),
    ("component", "0201"): ("停车场", "ILLEGAL_PARKING"),
    ("component", "03"): ("市容环境", "GARBAGE"),
    ("component", "04"): ("园林绿化", "TREE_CARE"),
    ("component", "05"): ("房屋土地", "PROPERTY_MANAGEMENT"),
    ("component", "06"): ("其他设施", "OTHER"),
    ("event", "01"): ("市容环境", "GARBAGE"),
    ("event", "0101"): ("私搭乱建", "ILLEGAL_CONSTRUCTION"),
    ("event", "0102"): ("暴露垃圾", "GARBAGE"),
    ("event", "0103"): ("积存垃圾渣土", "GARBAGE"),
    ("event", "02"): ("宣传广告", "CITY_APPEARANCE"),
    ("event", "03"): ("施工管理", "CONSTRUCTION"),
    ("event", "0301"): ("施工扰民", "NOISE"),
    ("event", "0303"): ("道路遗撒", "GARBAGE"),
    ("event", "04"): ("突发事件", "SAFETY"),
    ("event", "0401"): ("路面塌陷", "ROAD_DAMAGE"),
    ("event", "0402"): ("自来水管破裂", "WATER_OUTAGE"),
    ("event", "0403"): ("燃气管道破裂", "GAS_SAFETY"),
    ("event", "0404"): ("下水道堵塞", "SEWER_BLOCKAGE"),
    ("event", "05"): ("街面秩序", "STREET_VENDOR"),
    ("event", "0501"): ("无照经营游商", "STREET_VENDOR"),
    ("event", "0505"): ("非法停车", "ILLEGAL_PARKING"),
    ("event", "06"): ("其他事件", "OTHER"),
}
KINDS = {"component": "部件", "event": "事件"}
STAGES = {
    "上报": Stage.RECEIVED,
    "立案": Stage.RECEIVED,
    "派遣": Stage.DISPATCHED,
    "处置": Stage.RESPONDED,
    "处置完成": Stage.RESOLVED,
    "核查": Stage.RESOLVED,
    "结案": Stage.CLOSED,
}
DIGITS = {n: re.compile(rf"^\d{{{n}}}$") for n in (4, 15, 16)}


class UrbanSettings(AdapterSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_URBAN_", frozen=True, extra="forbid")

    encoding: Encoding = Field(default="auto", description="auto (UTF-8, else GB18030) or fixed.")
    bulk: bool = Field(default=True, description="Take new reports in with the bulk path.")


def _digits(value: str, n: int, field: str) -> str:
    if not DIGITS[n].match(value):
        raise RecordRejectedError(f"{field} must be {n} digits: {value!r}", field=field)
    return value


def classify(kind: str, class_code: str) -> tuple[str, str] | None:
    """(class name, hub category) of a class code, by minor class, else by major class."""
    return CLASSES.get((kind, class_code)) or CLASSES.get((kind, class_code[:2]))


class UrbanManagementAdapter(CaseAdapter[UrbanSettings, FileCursor]):
    name = "urban-management"
    summary = "Digital urban management reports (数字城管): JSON Lines, GB/T 30428 class codes."
    settings_model = UrbanSettings
    cursor_model = FileCursor
    versioned = False

    @property
    def batch_intake(self) -> bool:
        return self.settings.bulk

    async def check(self) -> None:
        require_file(Path(self.settings.source))

    async def read(self, cursor: FileCursor) -> AsyncIterator[Batch[FileCursor]]:
        data = await read_bytes(Path(self.settings.source))
        records = json_lines(decode(data, self.settings.encoding), _event_id)
        async for batch in batches(
            records, cursor=cursor, digest=digest_of(data), size=self.settings.batch_size
        ):
            yield batch

    def parse(self, records: Sequence[SourceRecord]) -> list[Parsed[CaseRecord] | Rejection]:
        points = [clean_point(r.raw.get("x"), r.raw.get("y")) for r in records]
        places = locate_points(self.context.geo, points, "WGS84")
        results: list[Parsed[CaseRecord] | Rejection] = []
        for record, place in zip(records, places, strict=True):
            try:
                if record.problem is not None:
                    raise RecordRejectedError(record.problem)
                if place is None:
                    raise RecordRejectedError("x, y is missing or lies outside Beijing")
                results.append(self._parse(record, place.subdistrict_code, place))
            except DomainError as error:
                results.append(Rejection(record, error.message))
        return results

    def _parse(self, record: SourceRecord, subdistrict: str, place: Any) -> Parsed[CaseRecord]:
        raw = record.raw
        event_id = text_field(raw, "event_id")
        if not event_id or len(event_id) > 128:
            raise RecordRejectedError("event_id is missing or longer than 128 characters")
        kind = text_field(raw, "kind")
        if kind not in KINDS:
            raise RecordRejectedError(f"kind must be component or event: {kind!r}")
        class_code = _digits(text_field(raw, "class_code"), 4, "class_code")
        component = text_field(raw, "component_code")
        if kind == "component":
            _digits(component, 16, "component_code")
        grid = _digits(text_field(raw, "grid_code"), 15, "grid_code")
        if grid != place.grid_code:
            self.note("grid_code disagrees with the point: placed by the point")
        status = text_field(raw, "status")
        if status not in STAGES:
            raise RecordRejectedError(f"status is not one of {', '.join(STAGES)}: {status!r}")
        reported_at = required_time(text_field(raw, "reported_at"), "reported_at")
        class_name, category = classify(kind, class_code) or (f"未知类 {class_code}", "OTHER")
        if classify(kind, class_code) is None:
            self.note(f"unknown {kind} class {class_code} → OTHER")
        where = f"（部件 {component}）" if kind == "component" else ""
        by = text_field(raw, "reported_by") or "监督员"
        updated_at = parse_time(text_field(raw, "updated_at"), "updated_at") or reported_at
        stage = STAGES[status]
        lead = self.roster.responsible(category, subdistrict)
        update = CaseUpdate(
            stage=stage,
            departments=(lead,) if lead else (),
            dispatched_at=reported_at,
            resolved_at=updated_at if stage >= Stage.RESOLVED else None,
            closed_at=updated_at if stage is Stage.CLOSED else None,
        )
        case = CaseRecord(
            description=f"{KINDS[kind]}·{class_name}{where}，{by}上报",
            category_code=category,
            source=CaseSource.GRID_PATROL,
            reported_at=reported_at,
            subdistrict_code=subdistrict,
            point=place.point,
            grid_code=place.grid_code,
            update=update,
        )
        return Parsed(record, Provenance(self.name, event_id, None), case)


def _event_id(raw: dict[str, Any]) -> str | None:
    return text_field(raw, "event_id") or None
