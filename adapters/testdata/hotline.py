"""A realistic, messy 12345 export, deterministic for a seed, with the answers it should give.

The mess is the one FORMATS.md describes: GCJ-02 points that are swapped, zero or missing
(then the address or street names the place), three time formats, category texts the table
does not know, dual dispatch, unknown handlers, orders sent again with an older version, and
plainly bad rows. Some orders were returned by their unit (退单, the reason in the hotline's
words) or had an extension asked for (延期: pending, approved or refused). ``HotlineExport``
says what a correct adapter must make of it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import shapely

from adapters.hotline.categories import CATEGORY_TABLE
from hub.departments.models import DepartmentKind
from hub.departments.reference import KIND_NAMES, STREET_TEAM_NAME
from hub.errors import DomainError
from hub.geo.crs import wgs84_to_gcj02
from hub.geo.index import AddressIndex
from hub.geo.reference import load_districts, load_streets
from hub.numbers import BEIJING

FIELDS = [
    "order_no", "received_at", "updated_at", "channel", "category", "content", "address",
    "lng", "lat", "district", "street", "caller_phone", "status", "handler",
    "responded_at", "resolved_at", "visit_resolved", "visit_satisfied", "signed_at",
    "return_reason", "return_note", "returned_at", "extension_until", "extension_reason",
    "extension_requested_at", "extension_status", "extension_decided_at",
]  # fmt: skip
STATUSES = ["待派单", "已派单", "已响应", "已办结", "已回访"]
CHANNELS = ["电话", "网站", "微信", "APP", "小程序"]
UNKNOWN_CATEGORIES = ["市政/井盖丢失", "咨询/政策咨询", "教育/学位申请"]
START = dt.datetime(2026, 1, 5, 8, 0, tzinfo=BEIJING)
SIGN_AFTER = dt.timedelta(minutes=60)
# How the hotline words a return (退单), and the standard reason each is.
RETURN_TEXTS = [
    ("属地不符，应由属地街道办理", "NOT_OUR_AREA"),
    ("职能不符", "NOT_OUR_DUTY"),
    ("权属不清，产权单位不明", "NOT_OUR_DUTY"),
    ("职能交叉", "SHARED_DUTY"),
    ("不属于受理范围", "OUT_OF_SCOPE"),
    ("诉求人要求由社区协调", "OTHER"),
]
RETURN_AFTER = dt.timedelta(minutes=200)
ASK_AFTER, DECIDE_AFTER = dt.timedelta(minutes=190), dt.timedelta(minutes=200)
EXTEND_TO = dt.timedelta(days=10)
Row = dict[str, str]


@dataclass
class HotlineExport:
    rows: list[Row] = field(default_factory=list)
    garbage: list[str] = field(default_factory=list)  # lines that are not records at all
    final_status: dict[str, str] = field(default_factory=dict)  # order → hub status expected
    bad: int = 0  # rows that must be quarantined (garbage lines included)
    stale: int = 0  # rows older than a row of the same order
    unknown_categories: int = 0  # distinct orders whose text maps to OTHER
    swapped: list[str] = field(default_factory=list)
    zero: list[str] = field(default_factory=list)
    by_address: dict[str, str] = field(default_factory=dict)  # order → street office code
    dual: list[str] = field(default_factory=list)
    signed: dict[str, str] = field(default_factory=dict)  # order → its lead's signed_at as sent
    returned: dict[str, str] = field(default_factory=dict)  # order → its return's reason code
    extended: dict[str, str] = field(default_factory=dict)  # order → its extension's decision
    unknown_handler: list[str] = field(default_factory=list)
    points: dict[str, tuple[float, float]] = field(default_factory=dict)  # order → WGS84

    @property
    def records(self) -> int:
        return len(self.rows) + len(self.garbage)

    @property
    def orders(self) -> int:
        return len(self.final_status)

    def write_jsonl(self, path: Path) -> Path:
        lines = [json.dumps(row, ensure_ascii=False) for row in self.rows]
        for offset, text in enumerate(self.garbage):
            lines.insert(min(len(lines), 7 + offset * 11), text)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def write_csv(self, path: Path, encoding: str = "gb18030") -> Path:
        import csv
        import io

        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=FIELDS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(self.rows)
        for text in self.garbage:
            buffer.write(text + "\r\n")
        path.write_bytes(buffer.getvalue().encode(encoding))
        return path


class _Places:
    """Random places in Beijing: points inside districts, streets an address can name."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.districts = [
            (d.code, d.name, shapely.make_valid(d.geometry).buffer(-0.01)) for d in load_districts()
        ]
        self.district_names = {code: name for code, name, _ in self.districts}
        streets = [(s.code, s.name) for s in load_streets()]
        index = AddressIndex(streets, list(self.district_names.items()))
        self.streets = [(code, name) for code, name in streets if _names_itself(index, code, name)]

    def point(self) -> tuple[str, float, float]:
        code, _, shape = self.rng.choice(self.districts)
        x0, y0, x1, y1 = shape.bounds
        while True:
            x, y = self.rng.uniform(x0, x1), self.rng.uniform(y0, y1)
            if shapely.contains_xy(shape, x, y):
                return code, x, y


def _names_itself(index: AddressIndex, code: str, name: str) -> bool:
    try:
        return index.match(f"{name}某某小区3号楼") == code
    except DomainError:
        return False


def _stamp(at: dt.datetime, style: int) -> str:
    if style == 0:
        return at.isoformat()
    if style == 1:
        return at.strftime("%Y-%m-%d %H:%M:%S")
    return f"{at.year}/{at.month}/{at.day} {at.hour}:{at.minute:02d}"


def _department(district: str, kind: DepartmentKind) -> str:
    return f"{district}{KIND_NAMES[kind][1]}"


def make_hotline_export(orders: int, *, seed: int = 12345, messy: bool = True) -> HotlineExport:
    """``orders`` work orders (plus their older versions and bad rows when ``messy``)."""
    rng = random.Random(seed)
    places = _Places(rng)
    export = HotlineExport()
    for number in range(orders):
        for row in _versions(rng, places, export, f"GD{seed % 1000:03d}{number:07d}", messy):
            export.rows.append(row)
    if messy:
        _add_bad_rows(rng, export)
    return export


def _versions(
    rng: random.Random, places: _Places, export: HotlineExport, order_no: str, messy: bool
) -> Iterator[Row]:
    stage = rng.choices(range(5), weights=[1, 2, 2, 3, 3])[0]
    row = _order(rng, places, export, order_no, stage, messy)
    visited_ok = row["visit_resolved"] == "是"
    final = [
        "RECEIVED",
        "DISPATCHED",
        "RESPONDED",
        "RESOLVED",
        "CLOSED" if visited_ok else "DISPATCHED",
    ][stage]
    export.final_status[order_no] = final
    older = _older(rng, row, stage) if messy and stage > 0 and rng.random() < 0.15 else None
    if older is not None and rng.random() < 0.5:
        yield older  # progress arrives in order: both versions count
        yield row
    else:
        yield row
        if older is not None:
            export.stale += 1
            yield older  # an old version re-sent after the new one: must change nothing


def _order(
    rng: random.Random,
    places: _Places,
    export: HotlineExport,
    order_no: str,
    stage: int,
    messy: bool,
) -> Row:
    received = START + dt.timedelta(minutes=rng.randrange(0, 80 * 24 * 60))
    style = rng.randrange(3) if messy else 0
    category = rng.choice(list(CATEGORY_TABLE))
    if messy and rng.random() < 0.05:
        category = rng.choice(UNKNOWN_CATEGORIES)
        export.unknown_categories += 1
    row: Row = {name: "" for name in FIELDS}
    row.update(
        order_no=order_no,
        received_at=_stamp(received, style),
        channel=rng.choice(CHANNELS),
        category=category,
        content=f"市民反映：{category.split('/')[-1]}问题，{'请尽快处理。' * rng.randint(1, 40)}",
        caller_phone=f"13{rng.randrange(10**9):09d}",
        status=STATUSES[stage],
    )
    district = _place(rng, places, export, row, messy)
    if stage >= 1:
        row["handler"] = _handler(rng, export, row, district, messy)
    times = [received + dt.timedelta(minutes=m) for m in (20, 180, 2 * 24 * 60, 3 * 24 * 60)]
    if stage >= 1 and int(order_no[-1]) % 3:  # two orders in three say when they were signed
        row["signed_at"] = _stamp(times[1] if stage == 1 else received + SIGN_AFTER, style)
        export.signed[order_no] = row["signed_at"]
    if stage >= 2:
        row["responded_at"] = _stamp(times[1], style)
    if stage >= 3:
        row["resolved_at"] = _stamp(times[2], style)
    if stage == 4:
        row["visit_resolved"] = "是" if rng.random() < 0.8 else "否"
        row["visit_satisfied"] = rng.choice(["满意", "基本满意", "不满意"])
    row["updated_at"] = _stamp(times[min(stage, 3)] if stage else received, style)
    if stage == 1 and order_no[-2] == "5" and row["signed_at"]:
        row["status"] = "已签收"
        if order_no[-1] == "1":  # the status alone says it: signed at the last update
            row["signed_at"] = ""
            export.signed[order_no] = row["updated_at"]
    if stage == 1 and order_no[-2] == "7":
        _return(row, export, received, style)
    if stage in (2, 3) and order_no[-2] == "3":
        _extend(row, export, received, stage, style)
    return row


def _return(row: Row, export: HotlineExport, received: dt.datetime, style: int) -> None:
    """The lead unit hands the order back (已退单), the centre has not ruled yet."""
    order_no = row["order_no"]
    text, code = RETURN_TEXTS[int(order_no[-1]) % len(RETURN_TEXTS)]
    returned = _stamp(received + RETURN_AFTER, style)
    row.update(status="已退单", return_reason=text, returned_at=returned, updated_at=returned)
    if int(order_no[-1]) % 2:  # else the reason is all the explanation given
        row["return_note"] = "经核实，该问题不在本单位职责范围内"
    export.returned[order_no] = code


def _extend(row: Row, export: HotlineExport, received: dt.datetime, stage: int, style: int) -> None:
    """The lead unit asks for ten days (延期); pending, approved or refused by the centre."""
    order_no = row["order_no"]
    even = int(order_no[-1]) % 2 == 0
    status = ("申请中" if even else "已批准") if stage == 2 else ("已批准" if even else "不批准")
    row.update(
        extension_until=_stamp(received + EXTEND_TO, style),
        extension_reason="需协调产权单位，申请延期",
        extension_requested_at=_stamp(received + ASK_AFTER, style),
        extension_status=status,
    )
    if status != "申请中":
        row["extension_decided_at"] = _stamp(received + DECIDE_AFTER, style)
    export.extended[order_no] = {"申请中": "PENDING", "已批准": "APPROVED"}.get(status, "REJECTED")


def _place(
    rng: random.Random, places: _Places, export: HotlineExport, row: Row, messy: bool
) -> str:
    """Fill the place fields; returns the district's name."""
    order_no = row["order_no"]
    roll = rng.random() if messy else 0.0
    if roll >= 0.85:
        code, street = rng.choice(places.streets)
        district = places.district_names[code[:6]]
        row.update(
            district=district, street=street, address=f"{street}某某小区{rng.randint(1, 30)}号楼"
        )
        if roll >= 0.95:  # the address alone names nothing: the street field must
            row["address"] = f"某某小区{rng.randint(1, 30)}号楼"
        export.by_address[order_no] = code
        return district
    code, x, y = places.point()
    export.points[order_no] = (x, y)
    lng, lat = wgs84_to_gcj02(x, y)
    row.update(district=places.district_names[code], address=f"某路{rng.randint(1, 300)}号")
    row["lng"], row["lat"] = f"{lng:.6f}", f"{lat:.6f}"
    if 0.70 <= roll < 0.78:
        row["lng"], row["lat"] = row["lat"], row["lng"]
        export.swapped.append(order_no)
    elif 0.78 <= roll < 0.85:  # zero coordinates, but the street is given
        row["lng"], row["lat"] = "0", "0"
        street_code, street = rng.choice(
            [s for s in places.streets if s[0][:6] == code] or places.streets
        )
        row.update(street=street, district=places.district_names[street_code[:6]])
        export.zero.append(order_no)
        export.by_address[order_no] = street_code
        export.points.pop(order_no)
        return places.district_names[street_code[:6]]
    return places.district_names[code]


def _handler(
    rng: random.Random, export: HotlineExport, row: Row, district: str, messy: bool
) -> str:
    kinds = [
        DepartmentKind.URBAN_MANAGEMENT,
        DepartmentKind.HOUSING_CONSTRUCTION,
        DepartmentKind.TRANSPORT,
        DepartmentKind.MARKET_REGULATION,
    ]
    lead = _department(district, rng.choice(kinds))
    if row["street"] and rng.random() < 0.5:
        lead = f"{row['street']}{STREET_TEAM_NAME}"
    roll = rng.random() if messy else 1.0
    if roll < 0.2:
        export.dual.append(row["order_no"])
        return f"{lead}、{_department(district, DepartmentKind.ECOLOGY_ENVIRONMENT)}"
    if roll < 0.25:
        export.unknown_handler.append(row["order_no"])
        return "某某物业服务有限公司"
    return lead


def _older(rng: random.Random, row: Row, stage: int) -> Row:
    """An earlier version of the same order (a lower stage, an earlier update time)."""
    earlier = rng.randrange(0, min(stage, 3))
    older = dict(row, status=STATUSES[earlier], visit_resolved="", visit_satisfied="")
    older["updated_at"] = row["received_at"]
    if earlier < 3:
        older["resolved_at"] = ""
    if earlier < 2:
        older["responded_at"] = ""
    if earlier < 1:
        older["handler"] = ""
    return older


def _add_bad_rows(rng: random.Random, export: HotlineExport) -> None:
    """Rows no adapter may let in, each for a different reason."""
    template = dict(export.rows[0])
    bad = [
        dict(template, order_no=""),
        dict(template, order_no="BAD-DATE", received_at="2026-13-45 25:61"),
        dict(template, order_no="BAD-STATUS", status="处理中"),
        dict(template, order_no="BAD-VISIT", status="已回访", visit_resolved=""),
        dict(template, order_no="BAD-CONTENT", content="   "),
        dict(
            template,
            order_no="BAD-PLACE",
            lng="",
            lat="",
            address="某小区3号楼",
            street="",
            district="",
        ),
        dict(template, order_no="BAD-FUTURE", received_at="2099-01-01 08:00:00"),
        # a return without its reason, an extension's unreadable date or unknown decision
        dict(template, order_no="BAD-RETURN", status="已退单", return_reason=" "),
        dict(template, order_no="BAD-EXTENSION", status="已响应", extension_until="下周三"),
        dict(
            template,
            order_no="BAD-EXTENSION-STATUS",
            status="已响应",
            extension_until="2026-03-01 18:00:00",
            extension_status="审核中",
        ),
        # an extension the state machine refuses: far past the 15 working days allowed
        dict(
            template,
            order_no="BAD-EXTENSION-LONG",
            status="已响应",
            handler=template["handler"] or "某某物业服务有限公司",
            extension_until="2099-01-01 18:00:00",
            extension_reason="工程量大",
        ),
    ]
    for row in bad:
        export.rows.insert(rng.randrange(len(export.rows)), row)
    export.garbage.append('{"order_no": "GD-BROKEN", "received_at": ')
    export.bad += len(bad) + len(export.garbage)
