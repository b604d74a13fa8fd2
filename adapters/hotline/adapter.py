"""``hotline-12345``: the citizen hotline's work orders (工单), incrementally, from an export.

An order arrives again each time it changes; ``updated_at`` is its version. New orders are taken
in (located at once) and every order is moved through the hub's case lifecycle to the status the
hotline gives: 待派单 received, 已派单 dispatched to the units named in ``handler`` (several
separated by ``、`` is dual dispatch, 双派单), 已响应 responded, 已办结 resolved, 已回访 the return
call recorded (solved: closed; not solved: reopened with its departments). ``signed_at``, when
given, is when the lead unit signed for the order (签收): the hub records the unit's SIGNED step
then (late if past its sign-by time); 已签收 says so without a time (then ``updated_at``).

已退单: the lead unit handed the order back (退单) with ``return_reason`` (a standard reason:
属地不符, 职能不符 or 权属不清, 职能交叉, 不属于受理范围; any other text is OTHER),
``return_note`` and ``returned_at``, and the centre has not ruled yet. A later version ruled
it: the unit no longer named is an accepted return (the units named instead are sent at once,
转派), the unit still named a rejected one (审定). ``extension_until`` is a deadline the lead
unit asked for (延期, with ``extension_reason`` and ``extension_requested_at``), and
``extension_status`` what the centre decided (申请中, 已批准, 不批准; at ``extension_decided_at``).
Each goes through the hub's own steps (``returnCase``, ``reviewReturn``, ``requestExtension``,
``reviewExtension``), refused as those refuse.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

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
from adapters.fields import SATISFACTION, YES_NO, answer, clean_point, parse_time, required_time
from adapters.files import (
    Encoding,
    FileCursor,
    Format,
    batches,
    csv_rows,
    decode,
    digest_of,
    json_lines,
    read_bytes,
    require_file,
    sniff_format,
    text_field,
)
from adapters.hotline.categories import map_category
from adapters.placing import Place, by_address, locate_points
from hub.auth.actors import Role
from hub.cases.intake import CLOCK_SKEW, MAX_DESCRIPTION
from hub.cases.lifecycle import ReasonRequiredError
from hub.cases.models import CaseSource, Decision, ReturnReason
from hub.cases.progress import CaseUpdate, ExtensionNotice, ReturnNotice, Stage
from hub.errors import DomainError
from hub.lengths import NOTE

STAGES = {
    "待派单": Stage.RECEIVED,
    "已派单": Stage.DISPATCHED,
    "已签收": Stage.DISPATCHED,
    "已退单": Stage.DISPATCHED,
    "已响应": Stage.RESPONDED,
    "已办结": Stage.RESOLVED,
    "已回访": Stage.VISITED,
}
HANDLER_SEPARATORS = re.compile(r"[、,，;；]+")
# The standard return reasons as the hotline words them, first match wins; else OTHER.
RETURN_REASONS = [
    ("属地不符", ReturnReason.NOT_OUR_AREA),
    ("非本辖区", ReturnReason.NOT_OUR_AREA),
    ("职能不符", ReturnReason.NOT_OUR_DUTY),
    ("权属不清", ReturnReason.NOT_OUR_DUTY),
    ("职能交叉", ReturnReason.SHARED_DUTY),
    ("不属于受理范围", ReturnReason.OUT_OF_SCOPE),
    ("非受理范围", ReturnReason.OUT_OF_SCOPE),
]
EXTENSION_DECISIONS = {
    "": Decision.PENDING,
    "申请中": Decision.PENDING,
    "待审核": Decision.PENDING,
    "已批准": Decision.APPROVED,
    "批准": Decision.APPROVED,
    "同意": Decision.APPROVED,
    "不批准": Decision.REJECTED,
    "不同意": Decision.REJECTED,
    "驳回": Decision.REJECTED,
}


class HotlineSettings(AdapterSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_HOTLINE_", frozen=True, extra="forbid")

    encoding: Encoding = Field(default="auto", description="auto (UTF-8, else GB18030) or fixed.")
    format: Format = Field(default="auto", description="auto (by extension), jsonl or csv.")
    unknown_handler: Literal["fallback", "quarantine"] = Field(
        default="fallback",
        description="A handler not in the roster: send to the district's fallback department "
        "(兜底部门, noted on the dispatch) or quarantine the order.",
    )
    bulk: bool = Field(default=True, description="Take new orders in with the bulk path.")


@dataclass(frozen=True, slots=True)
class Draft:
    """An order read and checked, not yet placed or routed."""

    record: SourceRecord
    order_no: str
    received_at: dt.datetime
    updated_at: dt.datetime
    category_code: str
    description: str
    address: str
    district: str
    street: str
    point: tuple[float, float] | None  # GCJ-02
    contact: str | None
    status: str
    stage: Stage
    handler: str
    signed_at: dt.datetime | None
    returned: ReturnNotice | None
    extension: ExtensionNotice | None
    responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    visit_resolved: bool | None
    visit_satisfied: bool | None


def _order_no(raw: dict[str, Any]) -> str | None:
    return text_field(raw, "order_no") or None


class HotlineAdapter(CaseAdapter[HotlineSettings, FileCursor]):
    name = "hotline-12345"
    summary = "12345 hotline work orders: JSON Lines or CSV, UTF-8 or GB18030, GCJ-02 points."
    settings_model = HotlineSettings
    cursor_model = FileCursor
    role = Role.HOTLINE

    @property
    def batch_intake(self) -> bool:
        return self.settings.bulk

    async def check(self) -> None:
        require_file(Path(self.settings.source))

    async def read(self, cursor: FileCursor) -> AsyncIterator[Batch[FileCursor]]:
        path = Path(self.settings.source)
        data = await read_bytes(path)
        text = decode(data, self.settings.encoding)
        if sniff_format(path, text, self.settings.format) == "jsonl":
            records = json_lines(text, _order_no)
        else:
            records = csv_rows(text, _order_no)
        total = text.count("\n") or None
        async for batch in batches(
            records,
            cursor=cursor,
            digest=digest_of(data),
            size=self.settings.batch_size,
            total=total,
        ):
            yield batch

    def parse(self, records: Sequence[SourceRecord]) -> list[Parsed[CaseRecord] | Rejection]:
        drafts: list[Draft | Rejection] = [self._draft(record) for record in records]
        places = self._place([d for d in drafts if isinstance(d, Draft)])
        results: list[Parsed[CaseRecord] | Rejection] = []
        for draft in drafts:
            if isinstance(draft, Rejection):
                results.append(draft)
                continue
            try:
                results.append(self._finish(draft, places[id(draft)]))
            except DomainError as error:
                results.append(Rejection(draft.record, f"{error.code}: {error.message}"))
        return results

    def _draft(self, record: SourceRecord) -> Draft | Rejection:
        if record.problem is not None:
            return Rejection(record, record.problem)
        try:
            return self._read_fields(record)
        except DomainError as error:
            return Rejection(record, f"{error.code}: {error.message}")

    def _read_fields(self, record: SourceRecord) -> Draft:
        raw = record.raw
        order_no = text_field(raw, "order_no")
        if not order_no or len(order_no) > 128:
            raise RecordRejectedError("order_no is missing or longer than 128 characters")
        status = text_field(raw, "status")
        if status not in STAGES:
            raise RecordRejectedError(f"status is not one of {', '.join(STAGES)}: {status!r}")
        received_at = required_time(text_field(raw, "received_at"), "received_at")
        if received_at > self.context.now() + CLOCK_SKEW:
            raise RecordRejectedError("received_at lies in the future")
        stage = STAGES[status]
        visit_resolved = answer(text_field(raw, "visit_resolved"), YES_NO, "visit_resolved")
        if stage is Stage.VISITED and visit_resolved is None:
            raise RecordRejectedError("status 已回访 without visit_resolved")
        updated_at = required_time(text_field(raw, "updated_at"), "updated_at")
        signed_at = parse_time(text_field(raw, "signed_at"), "signed_at")
        if status == "已签收" and signed_at is None:
            signed_at = updated_at
        return Draft(
            record=record,
            order_no=order_no,
            received_at=received_at,
            updated_at=updated_at,
            category_code=self._category(text_field(raw, "category")),
            description=self._description(text_field(raw, "content")),
            address=_limited(text_field(raw, "address"), 500, "address"),
            district=text_field(raw, "district"),
            street=text_field(raw, "street"),
            point=clean_point(raw.get("lng"), raw.get("lat")),
            contact=_limited(text_field(raw, "caller_phone"), 200, "caller_phone") or None,
            status=status,
            stage=stage,
            handler=text_field(raw, "handler"),
            signed_at=signed_at,
            returned=_returned(raw) if status == "已退单" else None,
            extension=_extension(raw),
            responded_at=parse_time(text_field(raw, "responded_at"), "responded_at"),
            resolved_at=parse_time(text_field(raw, "resolved_at"), "resolved_at"),
            visit_resolved=visit_resolved,
            visit_satisfied=answer(
                text_field(raw, "visit_satisfied"), SATISFACTION, "visit_satisfied"
            ),
        )

    def _category(self, text: str) -> str:
        code = map_category(text, self.category_by_name)
        if code is None:
            self.note(f"unknown category {text!r} → OTHER")
            return "OTHER"
        return code

    @staticmethod
    def _description(text: str) -> str:
        if not text:
            raise RecordRejectedError("content is empty")
        return _limited(text, MAX_DESCRIPTION, "content")

    def _place(self, drafts: list[Draft]) -> dict[int, Place | DomainError]:
        """Every draft's place: its point (converted and located in one go), else its address."""
        geo = self.context.geo
        located = locate_points(geo, [d.point for d in drafts], "GCJ02")
        places: dict[int, Place | DomainError] = {}
        for draft, place in zip(drafts, located, strict=True):
            texts = [draft.address, f"{draft.district}{draft.street}{draft.address}"]
            places[id(draft)] = (
                place
                or by_address(geo, texts)
                or RecordRejectedError(
                    "no usable coordinates, and neither address nor street names a street office"
                )
            )
        return places

    def _finish(self, draft: Draft, place: Place | DomainError) -> Parsed[CaseRecord]:
        if isinstance(place, DomainError):
            raise place
        record = CaseRecord(
            description=draft.description,
            category_code=draft.category_code,
            source=CaseSource.HOTLINE_12345,
            reported_at=draft.received_at,
            subdistrict_code=place.subdistrict_code,
            point=place.point,
            grid_code=place.grid_code,
            address=place.address or draft.address or None,
            contact=draft.contact,
            update=self._update(draft, place.subdistrict_code[:6]),
        )
        provenance = Provenance(self.name, draft.order_no, draft.updated_at)
        return Parsed(draft.record, provenance, record)

    def _update(self, draft: Draft, district: str) -> CaseUpdate:
        departments, note = self._departments(draft, district)
        return CaseUpdate(
            stage=draft.stage,
            departments=departments,
            dispatch_note=note,
            # 已派单's last change is its dispatch; 已签收's and 已退单's came after it.
            dispatched_at=draft.updated_at if draft.status == "已派单" else draft.received_at,
            signed_at=draft.signed_at if draft.stage >= Stage.DISPATCHED else None,
            returned=draft.returned,
            extension=draft.extension if draft.stage >= Stage.DISPATCHED else None,
            responded_at=draft.responded_at,
            resolved_at=draft.resolved_at,
            visited_at=draft.updated_at if draft.stage is Stage.VISITED else None,
            visit_resolved=draft.visit_resolved,
            visit_satisfied=draft.visit_satisfied,
        )

    def _departments(self, draft: Draft, district: str) -> tuple[tuple[str, ...], str | None]:
        """The handler's units as department codes (lead first); unknown ones by the policy."""
        if draft.stage is Stage.RECEIVED:
            return (), None
        names = [name.strip() for name in HANDLER_SEPARATORS.split(draft.handler) if name.strip()]
        found = {name: self.roster.named(name, district_code=district) for name in names}
        codes = [code for code in found.values() if code]
        unknown = [name for name, code in found.items() if code is None]
        if not unknown and codes:
            return tuple(dict.fromkeys(codes)), None
        if unknown and self.settings.unknown_handler == "quarantine":
            raise RecordRejectedError(f"handler not in the roster: {'、'.join(unknown)}")
        fallback = self.roster.fallback(district)
        if fallback is None:
            raise RecordRejectedError(f"district {district} has no fallback department")
        for name in unknown or ["(none)"]:
            self.note(f"handler {name!r} not in the roster → fallback department")
        said = "、".join(unknown) if unknown else "no unit"
        note = f"12345 named {said}; sent to the fallback department (兜底部门)"
        return tuple(dict.fromkeys([*codes, fallback])), note


def _limited(text: str, limit: int, field: str) -> str:
    if len(text) > limit:
        raise RecordRejectedError(f"{field} exceeds {limit} characters", field=field)
    return text


def _returned(raw: dict[str, Any]) -> ReturnNotice:
    """The lead unit's return (退单): its standard reason, its explanation, its time."""
    said = _limited(text_field(raw, "return_reason"), NOTE, "return_reason")
    if not said:
        raise ReasonRequiredError("status 已退单 without return_reason", field="return_reason")
    upper = said.upper()
    reason = next((r for r in ReturnReason if r.value == upper), None) or next(
        (r for words, r in RETURN_REASONS if words in said), ReturnReason.OTHER
    )
    note = _limited(text_field(raw, "return_note"), NOTE, "return_note") or said
    return ReturnNotice(reason, note, parse_time(text_field(raw, "returned_at"), "returned_at"))


def _extension(raw: dict[str, Any]) -> ExtensionNotice | None:
    """The extension the lead unit asked for (延期), and the centre's decision on it."""
    until = parse_time(text_field(raw, "extension_until"), "extension_until")
    status = text_field(raw, "extension_status")
    if status not in EXTENSION_DECISIONS:
        raise RecordRejectedError(
            f"extension_status is not one of {', '.join(k for k in EXTENSION_DECISIONS if k)}: "
            f"{status!r}",
            field="extension_status",
        )
    if until is None:
        if status or text_field(raw, "extension_reason"):
            raise RecordRejectedError(
                "an extension without extension_until", field="extension_until"
            )
        return None
    return ExtensionNotice(
        until=until,
        reason=_limited(text_field(raw, "extension_reason"), NOTE, "extension_reason"),
        requested_at=parse_time(
            text_field(raw, "extension_requested_at"), "extension_requested_at"
        ),
        decision=EXTENSION_DECISIONS[status],
        decided_at=parse_time(text_field(raw, "extension_decided_at"), "extension_decided_at"),
    )
