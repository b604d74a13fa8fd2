"""Small types shared by several domains."""

from __future__ import annotations

import strawberry


@strawberry.type(description="Where a record came from: its id in another system.")
class ExternalRef:
    system: str
    id: str


@strawberry.input(description="A record's id in another system (unique per system).")
class ExternalRefInput:
    system: str
    id: str
