"""The category tree as Open311 services: one service per leaf, grouped by its parent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from hub.cases.models import Priority
from hub.categories.service import all_categories

# Public-safety problems are routed by urgency: a caller must say how urgent it is.
URGENCY_GROUPS = frozenset({"SAFETY"})
PRIORITY_ATTRIBUTE = "priority"
PRIORITY_NAMES = {
    Priority.ROUTINE: "一般 (routine)",
    Priority.URGENT: "紧急 (urgent)",
    Priority.EMERGENCY: "特急 (emergency)",
}


@dataclass(frozen=True, slots=True)
class Service:
    code: str
    name: str
    group_code: str | None
    group: str | None

    @property
    def needs_urgency(self) -> bool:
        return self.group_code in URGENCY_GROUPS

    def as_open311(self) -> dict[str, Any]:
        return {
            "service_code": self.code,
            "service_name": self.name,
            "description": f"{self.group} / {self.name}" if self.group else self.name,
            "metadata": self.needs_urgency,
            "type": "realtime",
            "keywords": self.code.lower().replace("_", " "),
            "group": self.group,
        }

    def attributes(self) -> list[dict[str, Any]]:
        if not self.needs_urgency:
            return []
        return [
            {
                "variable": True,
                "code": PRIORITY_ATTRIBUTE,
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": "How urgent the danger is.",
                "order": 1,
                "description": "紧急程度 (urgency): an emergency is answered within 30 minutes.",
                "values": [
                    {"key": priority.value, "name": name}
                    for priority, name in PRIORITY_NAMES.items()
                ],
            }
        ]

    def definition(self) -> dict[str, Any]:
        return {"service_code": self.code, "attributes": self.attributes()}


async def all_services(*, session: AsyncSession) -> dict[str, Service]:
    """Every leaf category, in the tree's order, keyed by its code."""
    rows = await all_categories(session=session)
    names = {row.code: row.name for row in rows}
    return {
        row.code: Service(row.code, row.name, row.parent_code, names.get(row.parent_code))
        for row in rows
        if row.parent_code is not None
    }
