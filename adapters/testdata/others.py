"""Messy exports for the other four adapters, deterministic for a seed."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.geo.crs import wgs84_to_gcj02
from hub.numbers import BEIJING

# Points well inside a few districts (WGS84), for reports that must locate.
POINTS = [
    (116.3975, 39.9087),
    (116.335, 39.888),
    (116.405, 39.972),
    (116.235, 39.900),
    (116.318, 39.868),
    (116.460, 39.920),
]


@dataclass
class UrbanExport:
    rows: list[dict[str, Any]] = field(default_factory=list)
    events: dict[str, str] = field(default_factory=dict)  # event → final hub status expected
    bad: int = 0
    stale: int = 0

    def write(self, path: Path) -> Path:
        path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in self.rows) + "\n")
        return path


URBAN_FINAL = {
    "上报": "RECEIVED",
    "派遣": "DISPATCHED",
    "处置": "RESPONDED",
    "核查": "RESOLVED",
    "结案": "CLOSED",
}
URBAN_CLASSES = [("event", "0101"), ("event", "0102"), ("event", "0401"), ("event", "0599"),
                 ("component", "0102"), ("component", "0201"), ("component", "0499")]  # fmt: skip


def make_urban_export(events: int, *, seed: int = 30428) -> UrbanExport:
    rng = random.Random(seed)
    export = UrbanExport()
    start = dt.datetime(2026, 2, 1, 8, tzinfo=BEIJING)
    statuses = list(URBAN_FINAL)
    for number in range(events):
        kind, code = rng.choice(URBAN_CLASSES)
        x, y = rng.choice(POINTS)
        x, y = x + rng.uniform(-0.004, 0.004), y + rng.uniform(-0.004, 0.004)
        status = rng.choice(statuses)
        row = {
            "event_id": f"UM{seed}{number:06d}",
            "class_code": code,
            "kind": kind,
            "component_code": f"110102{code}{number:06d}" if kind == "component" else "",
            "grid_code": "110102020001001",
            "x": round(x, 6),
            "y": round(y, 6),
            "reported_by": f"监督员{rng.randint(1, 99):02d}",
            "reported_at": (start + dt.timedelta(hours=number)).isoformat(),
            "status": status,
        }
        export.rows.append(row)
        export.events[f"UM{seed}{number:06d}"] = URBAN_FINAL[status]
        if statuses.index(status) > 0 and rng.random() < 0.2:
            export.rows.append(dict(row, status="上报"))  # re-sent at an earlier status
            export.stale += 1
    template = export.rows[0]
    bad = [
        dict(template, event_id="UM-BAD-CLASS", class_code="12a"),
        dict(template, event_id="UM-BAD-PLACE", x=121.47, y=31.23),
        dict(template, event_id="UM-BAD-GRID", grid_code="1101"),
        dict(template, event_id="UM-BAD-COMPONENT", kind="component", component_code=""),
        dict(template, event_id="UM-BAD-STATUS", status="挂起"),
    ]
    export.rows[3:3] = bad
    export.bad = len(bad)
    return export


def _square(x: float, y: float, size: float) -> list[list[float]]:
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def grid_feature(code: str, name: str, ring: list[list[float]], **extra: Any) -> dict[str, Any]:
    holes = extra.pop("holes", [])
    return {
        "type": "Feature",
        "properties": {"grid_code": code, "name": name, "community_code": code[:12], **extra},
        "geometry": {"type": "Polygon", "coordinates": [ring, *holes]},
    }


def make_grid_collection(community: str, *, gcj02: bool = True) -> dict[str, Any]:
    """Good grids 901-904 in ``community``, a repairable 905, and four that must be refused."""
    x, y, size = 116.3320, 39.8850, 0.002
    features = [
        grid_feature(
            f"{community}90{i}",
            f"试点网格{i}",
            _square(x + i * size, y, size),
            workers=["张三", "李四"],
        )
        for i in range(1, 5)
    ]
    # A hole poking out of its shell: invalid, and make_valid only trims a sliver.
    hole = _square(x + 5 * size + size * 0.97, y + size * 0.45, size * 0.06)
    features.append(
        grid_feature(f"{community}905", "试点网格5", _square(x + 5 * size, y, size), holes=[hole])
    )
    bowtie = [[x, y], [x + size, y + size], [x + size, y], [x, y + size], [x, y]]
    features += [
        grid_feature(f"{community}906", "蝴蝶网格", bowtie),
        grid_feature(f"{community[:9]}999906", "无主网格", _square(x, y, size)),
        grid_feature("12345", "短码网格", _square(x, y, size)),
        {"type": "Feature", "properties": {"grid_code": f"{community}907", "name": "点",
         "community_code": community}, "geometry": {"type": "Point", "coordinates": [x, y]}},
    ]  # fmt: skip
    if gcj02:
        for feature in features:
            geometry = feature["geometry"]
            if geometry["type"] == "Polygon":
                geometry["coordinates"] = [
                    [list(wgs84_to_gcj02(px, py)) for px, py in ring]
                    for ring in geometry["coordinates"]
                ]
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if gcj02:
        collection["crs"] = "GCJ02"
    return collection


DEPARTMENTS_HEADER = "code,name,kind,level,jurisdiction_code,is_fallback"


def write_department_files(folder: Path, *, name_suffix: str = "") -> Path:
    """A pilot roster for Xicheng: three good departments, three bad, and responsibilities."""
    folder.mkdir(parents=True, exist_ok=True)
    departments = [
        DEPARTMENTS_HEADER,
        f"110102.PILOT_GRID_TEAM,西城区网格巡查队{name_suffix},URBAN_MANAGEMENT,DISTRICT,110102,false",
        f"110102020.PILOT_PROPERTY,广安门外街道物业管理办{name_suffix},HOUSING_CONSTRUCTION,"
        "SUBDISTRICT,110102020,否",
        "110102.PILOT_HELPDESK,西城区接诉即办兜底专班,OTHER,DISTRICT,110102,true",
        "110102.PILOT_BAD_KIND,西城区某局,MAYOR_OFFICE,DISTRICT,110102,false",
        "110199.PILOT_NOWHERE,不存在区某局,TRANSPORT,DISTRICT,110199,false",
        "110102.PILOT_BAD_LEVEL,西城区错级局,TRANSPORT,SUBDISTRICT,110102,false",
    ]
    responsibilities = [
        "category_code,department_kind,level,rank",
        "TREE_CARE,URBAN_MANAGEMENT,SUBDISTRICT,5",
        "PREPAID_CARD,CIVIL_AFFAIRS,DISTRICT,3",
        "NO_SUCH_CATEGORY,TRANSPORT,DISTRICT,0",
    ]
    (folder / "departments.csv").write_bytes(("\n".join(departments) + "\n").encode("gb18030"))
    (folder / "responsibilities.csv").write_text("\n".join(responsibilities) + "\n")
    return folder


def open311_requests(count: int, *, now: dt.datetime, seed: int = 311) -> list[dict[str, Any]]:
    """``count`` GeoReport v2 requests updated over the last 200 days, a few of them bad."""
    rng = random.Random(seed)
    requests = []
    for number in range(count):
        updated = now - dt.timedelta(seconds=rng.randrange(86_400, 200 * 86_400))
        requested = updated - dt.timedelta(hours=rng.randrange(1, 72))
        x, y = rng.choice(POINTS)
        code = rng.choice(["001", "002", "003", "099"])
        requests.append(
            {
                "service_request_id": f"SR-{number:06d}",
                "status": rng.choice(["open", "closed"]),
                "status_notes": "已处理" if rng.random() < 0.5 else None,
                "service_code": code,
                "service_name": OPEN311_SERVICES[code],
                "description": f"市民通过应用上报：{OPEN311_SERVICES[code]}",
                "requested_datetime": requested.isoformat(),
                "updated_datetime": updated.isoformat(),
                "address": "",
                "lat": y + rng.uniform(-0.003, 0.003),
                "long": x + rng.uniform(-0.003, 0.003),
            }
        )
    for broken in requests[:3]:
        broken["lat"], broken["long"] = 31.23, 121.47  # Shanghai: outside Beijing
    return requests


OPEN311_SERVICES = {"001": "垃圾堆放", "002": "道路破损", "003": "噪声扰民", "099": "井盖丢失"}
